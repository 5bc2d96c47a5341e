//! Time as an input. Every decision that depends on "now" takes a [`Timestamp`] from a [`Clock`], so tests pin
//! time (and move it forward) instead of sleeping.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, UTC. This is what JWT `iat`/`exp` use and what the database stores, so one
/// representation serves the protocol, the storage and the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// `self + d`, saturating instead of overflowing for absurd durations from configuration.
    pub fn plus(self, d: Duration) -> Self {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(secs))
    }

    pub fn minus(self, d: Duration) -> Self {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(secs))
    }

    /// True once `self` lies at or before `now`: an expiry of `t` means "valid strictly before `t`".
    pub fn has_passed(self, now: Timestamp) -> bool {
        self <= now
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// A clock that only moves when told to: for tests of expiry, rotation and throttling.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.0))
    }

    pub fn advance(&self, d: Duration) {
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_exclusive() {
        let exp = Timestamp::from_unix(100);
        assert!(!exp.has_passed(Timestamp::from_unix(99)));
        assert!(exp.has_passed(Timestamp::from_unix(100)));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_unix(1_000));
        assert_eq!(clock.now().unix(), 1_000);
        clock.advance(Duration::from_secs(61));
        assert_eq!(clock.now().unix(), 1_061);
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_unix(i64::MAX - 1);
        assert_eq!(t.plus(Duration::from_secs(u64::MAX)).unix(), i64::MAX);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().unix() > 1_577_836_800);
    }
}
