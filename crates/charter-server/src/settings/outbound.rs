//! `[outbound]`: the policy of the one outbound HTTP client (client `jwks_uri`, back-channel logout), validated
//! once.

use std::time::Duration;

use charter_outbound::OutboundPolicy;

use super::raw::RawOutbound;
use super::{ConfigError, duration};

/// The whole exchange takes 100 ms to 60 s; bodies are capped between 1 KiB and 16 MiB.
pub(crate) fn outbound(raw: &RawOutbound) -> Result<OutboundPolicy, ConfigError> {
    let timeout = duration("outbound.timeout", &raw.timeout)?;
    if !(Duration::from_millis(100)..=Duration::from_secs(60)).contains(&timeout) {
        return Err(ConfigError::new(
            "outbound.timeout",
            "must be between 100ms and 60s",
        ));
    }
    if !(1024..=16 * 1024 * 1024).contains(&raw.max_body) {
        return Err(ConfigError::new(
            "outbound.max_body",
            "must be between 1024 and 16777216 bytes",
        ));
    }
    Ok(OutboundPolicy {
        allow_loopback: raw.allow_loopback,
        allow_private: raw.allow_private,
        timeout,
        max_body: raw.max_body,
    })
}
