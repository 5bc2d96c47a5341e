//! Slowing down password guessing without locking anyone out (OWASP Authentication Cheat Sheet).
//!
//! Per account: after 5 consecutive failures each further attempt must wait, doubling from 1 s up to 15 min;
//! a success resets the count. Unknown usernames are counted exactly like real ones, so throttling reveals
//! nothing about which accounts exist. Per client address: only failures count (a busy proxy or a test suite
//! signing in many users from one address is never slowed down by its successes), with a higher threshold.

use std::time::Duration;

use crate::clock::Timestamp;

/// Consecutive failures recorded under one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last_at: Option<Timestamp>,
}

/// When throttling starts and how fast it grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any delay.
    pub free_failures: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Failures older than this no longer count (a fresh start after a quiet period).
    pub forget_after: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 free failures, then 1 s, 2 s, 4 s ... up to 15 min.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(24 * 3600),
    };

    /// Per client address: failures only, 50 free, then the same doubling.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 50,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(3600),
    };

    /// The delay after `count` consecutive failures.
    pub fn delay(&self, count: u32) -> Duration {
        if count < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (count - self.free_failures).min(30);
        self.first_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    /// How long an attempt at `now` must still wait, or None when it may go ahead.
    pub fn wait(&self, f: Failures, now: Timestamp) -> Option<Duration> {
        let last = f.last_at?;
        if last.plus(self.forget_after).has_passed(now) {
            return None;
        }
        let until = last.plus(self.delay(f.count));
        if until.has_passed(now) {
            return None;
        }
        Some(Duration::from_secs(
            u64::try_from(until.unix() - now.unix()).unwrap_or(1),
        ))
    }

    /// Whether the stored count is stale and should restart from zero.
    pub fn is_forgotten(&self, f: Failures, now: Timestamp) -> bool {
        f.last_at
            .is_none_or(|last| last.plus(self.forget_after).has_passed(now))
    }
}

/// The throttling key of an account: the normalised username, whether or not such a user exists.
pub fn account_key(normalized_username: &str) -> String {
    format!("user:{normalized_username}")
}

/// The throttling key of a client address.
pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<Timestamp> {
        Some(Timestamp::from_unix(s))
    }

    #[test]
    fn delays_double_after_the_free_failures() {
        let p = ThrottlePolicy::ACCOUNT;
        let cases = [
            (0, 0),
            (4, 0),
            (5, 1),
            (6, 2),
            (7, 4),
            (10, 32),
            (15, 900),
            (1000, 900),
        ];
        for (count, secs) in cases {
            assert_eq!(p.delay(count), Duration::from_secs(secs), "{count}");
        }
    }

    #[test]
    fn waiting_is_measured_from_the_last_failure() {
        let p = ThrottlePolicy::ACCOUNT;
        let f = Failures {
            count: 7,
            last_at: at(100),
        };
        assert_eq!(
            p.wait(f, Timestamp::from_unix(100)),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            p.wait(f, Timestamp::from_unix(103)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(p.wait(f, Timestamp::from_unix(104)), None, "not a lockout");
        assert_eq!(
            p.wait(
                Failures {
                    count: 4,
                    last_at: at(100)
                },
                Timestamp::from_unix(100)
            ),
            None
        );
        assert_eq!(p.wait(Failures::default(), Timestamp::from_unix(100)), None);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let p = ThrottlePolicy::ACCOUNT;
        let f = Failures {
            count: 40,
            last_at: at(0),
        };
        assert!(p.wait(f, Timestamp::from_unix(10)).is_some());
        assert!(p.is_forgotten(f, Timestamp::from_unix(24 * 3600)));
        assert_eq!(p.wait(f, Timestamp::from_unix(24 * 3600)), None);
    }
}
