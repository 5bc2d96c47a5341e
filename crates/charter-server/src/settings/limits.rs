//! `[limits]` (rate limits per client address and per authenticated client) and the connection timeouts of
//! `[server]`: validated once.

use std::time::Duration;

use charter_endpoints::limits::Rate;

use super::raw::{RawLimits, RawServer};
use super::{ConfigError, duration};

/// Rate limits as configured (a zero rate turns a limit off).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitsSettings {
    pub per_ip: Rate,
    pub per_client: Rate,
}

/// How long a connection may take at each stage (slow-client protection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To send the request head after connecting or after the previous response (actix
    /// `client_request_timeout`): 408 and the connection closed beyond it.
    pub request: Duration,
    /// To acknowledge the connection's shutdown (actix `client_disconnect_timeout`).
    pub disconnect: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub keep_alive: Duration,
}

fn rate(key: &str, per_second: f64, burst: u32) -> Result<Rate, ConfigError> {
    if !per_second.is_finite() || per_second < 0.0 {
        return Err(ConfigError::new(
            format!("limits.{key}_per_second"),
            "must be 0 (off) or a positive number",
        ));
    }
    if per_second > 0.0 && burst == 0 {
        return Err(ConfigError::new(
            format!("limits.{key}_burst"),
            "must be at least 1 while the limit is on",
        ));
    }
    Ok(Rate { per_second, burst })
}

pub(crate) fn limits(raw: &RawLimits) -> Result<LimitsSettings, ConfigError> {
    Ok(LimitsSettings {
        per_ip: rate("per_ip", raw.per_ip_per_second, raw.per_ip_burst)?,
        per_client: rate(
            "per_client",
            raw.per_client_per_second,
            raw.per_client_burst,
        )?,
    })
}

pub(crate) fn timeouts(raw: &RawServer) -> Result<Timeouts, ConfigError> {
    let within = |key: &str, value: &str, min: Duration, max: Duration| {
        let d = duration(key, value)?;
        if d < min || d > max {
            return Err(ConfigError::new(
                key,
                format!(
                    "must be between {} and {}",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            ));
        }
        Ok(d)
    };
    Ok(Timeouts {
        request: within(
            "server.request_timeout",
            &raw.request_timeout,
            Duration::from_millis(100),
            Duration::from_secs(300),
        )?,
        disconnect: within(
            "server.disconnect_timeout",
            &raw.disconnect_timeout,
            Duration::from_millis(100),
            Duration::from_secs(60),
        )?,
        keep_alive: within(
            "server.keep_alive",
            &raw.keep_alive,
            Duration::from_secs(1),
            Duration::from_secs(3600),
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(ip: f64, ip_burst: u32) -> RawLimits {
        RawLimits {
            per_ip_per_second: ip,
            per_ip_burst: ip_burst,
            per_client_per_second: 5.0,
            per_client_burst: 10,
        }
    }

    #[test]
    fn rates_are_checked() {
        assert_eq!(limits(&raw(2.5, 3)).unwrap().per_ip.burst, 3);
        assert!(limits(&raw(0.0, 0)).is_ok(), "off");
        assert_eq!(
            limits(&raw(-1.0, 3)).unwrap_err().key,
            "limits.per_ip_per_second"
        );
        assert_eq!(limits(&raw(1.0, 0)).unwrap_err().key, "limits.per_ip_burst");
    }

    fn server(request: &str, keep_alive: &str) -> RawServer {
        RawServer {
            workers: 0,
            max_body_size: 65536,
            shutdown_timeout: "10s".into(),
            trusted_proxies: vec![],
            request_timeout: request.into(),
            disconnect_timeout: "5s".into(),
            keep_alive: keep_alive.into(),
        }
    }

    #[test]
    fn timeouts_are_bounded() {
        let t = timeouts(&server("10s", "30s")).unwrap();
        assert_eq!(t.request, Duration::from_secs(10));
        assert_eq!(t.keep_alive, Duration::from_secs(30));
        assert_eq!(
            timeouts(&server("0s", "30s")).unwrap_err().key,
            "server.request_timeout"
        );
        assert_eq!(
            timeouts(&server("1h", "30s")).unwrap_err().key,
            "server.request_timeout"
        );
        assert_eq!(
            timeouts(&server("10s", "soon")).unwrap_err().key,
            "server.keep_alive"
        );
    }
}
