//! `[device]`: the device authorization grant (RFC 8628), validated once.

use std::time::Duration;

use charter_core::device::DevicePolicy;

use super::raw::RawDevice;
use super::{ConfigError, duration};

/// Device codes live between 1 minute and 1 hour; clients poll every 1 to 60 seconds.
pub(crate) fn device(raw: &RawDevice) -> Result<DevicePolicy, ConfigError> {
    let code_lifetime = duration("device.code_lifetime", &raw.code_lifetime)?;
    if !(Duration::from_secs(60)..=Duration::from_secs(3600)).contains(&code_lifetime) {
        return Err(ConfigError::new(
            "device.code_lifetime",
            "must be between 1m and 1h",
        ));
    }
    let interval = duration("device.interval", &raw.interval)?;
    if !(Duration::from_secs(1)..=Duration::from_secs(60)).contains(&interval)
        || interval.subsec_nanos() != 0
    {
        return Err(ConfigError::new(
            "device.interval",
            "must be a whole number of seconds between 1s and 60s",
        ));
    }
    if interval >= code_lifetime {
        return Err(ConfigError::new(
            "device.interval",
            "must be shorter than device.code_lifetime",
        ));
    }
    Ok(DevicePolicy {
        code_lifetime,
        interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(code_lifetime: &str, interval: &str) -> RawDevice {
        RawDevice {
            code_lifetime: code_lifetime.into(),
            interval: interval.into(),
        }
    }

    #[test]
    fn bounds() {
        let ok = device(&raw("10m", "5s")).unwrap();
        assert_eq!(ok, DevicePolicy::default());
        for (lifetime, interval, key) in [
            ("30s", "5s", "device.code_lifetime"),
            ("2h", "5s", "device.code_lifetime"),
            ("soon", "5s", "device.code_lifetime"),
            ("10m", "0s", "device.interval"),
            ("10m", "2m", "device.interval"),
            ("10m", "1500ms", "device.interval"),
        ] {
            let err = device(&raw(lifetime, interval)).unwrap_err();
            assert!(
                err.to_string().contains(key),
                "{lifetime} {interval}: {err}"
            );
        }
    }
}
