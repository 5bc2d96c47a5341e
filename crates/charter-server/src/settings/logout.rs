//! `[logout]`: back-channel logout delivery (the outbox task, `crate::backchannel`), validated once.

use std::time::Duration;

use super::raw::RawLogout;
use super::{ConfigError, duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutSettings {
    /// How often each node looks for due messages (ending a session also wakes it at once).
    pub delivery_interval: Duration,
    /// Messages one node claims per round.
    pub delivery_batch: u64,
    /// How long a claim lasts; after it another node may take the message over.
    pub delivery_lease: Duration,
}

/// The interval is 1 s to 1 h; the batch 1 to 1000; the lease at least 10 s and longer than the outbound
/// timeout, so a claim never runs out while its attempt is still waiting for an answer.
pub(crate) fn logout(
    raw: &RawLogout,
    outbound_timeout: Duration,
) -> Result<LogoutSettings, ConfigError> {
    let delivery_interval = duration("logout.delivery_interval", &raw.delivery_interval)?;
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&delivery_interval) {
        return Err(ConfigError::new(
            "logout.delivery_interval",
            "must be between 1s and 1h",
        ));
    }
    if !(1..=1000).contains(&raw.delivery_batch) {
        return Err(ConfigError::new(
            "logout.delivery_batch",
            "must be between 1 and 1000",
        ));
    }
    let delivery_lease = duration("logout.delivery_lease", &raw.delivery_lease)?;
    if delivery_lease < Duration::from_secs(10) || delivery_lease <= outbound_timeout * 2 {
        return Err(ConfigError::new(
            "logout.delivery_lease",
            "must be at least 10s and more than twice outbound.timeout",
        ));
    }
    Ok(LogoutSettings {
        delivery_interval,
        delivery_batch: raw.delivery_batch,
        delivery_lease,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(interval: &str, batch: u64, lease: &str) -> RawLogout {
        RawLogout {
            delivery_interval: interval.into(),
            delivery_batch: batch,
            delivery_lease: lease.into(),
        }
    }

    #[test]
    fn bounds() {
        let five = Duration::from_secs(5);
        let ok = logout(&raw("5s", 20, "60s"), five).unwrap();
        assert_eq!(ok.delivery_interval, five);
        assert_eq!(ok.delivery_batch, 20);
        let bad = [
            (raw("0s", 20, "60s"), "logout.delivery_interval"),
            (raw("2h", 20, "60s"), "logout.delivery_interval"),
            (raw("5s", 0, "60s"), "logout.delivery_batch"),
            (raw("5s", 20, "5s"), "logout.delivery_lease"),
            (raw("5s", 20, "10s"), "logout.delivery_lease"),
        ];
        for (r, key) in bad {
            assert_eq!(logout(&r, five).unwrap_err().key, key);
        }
    }
}
