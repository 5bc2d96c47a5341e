//! `[registration]` (dynamic client registration, RFC 7591) and `admin_token` (the admin API): validated once.

use std::time::Duration;

use charter_core::registration::{RateLimit, RegistrationMode};
use charter_core::scope::ScopeSet;
use charter_core::secret::token_digest;

use super::raw::RawRegistration;
use super::{ConfigError, duration};

/// Dynamic client registration as configured.
#[derive(Debug, Clone)]
pub struct RegistrationSettings {
    pub mode: RegistrationMode,
    /// The scopes a dynamically registered client may ask for (never a `charter:*` scope).
    pub allowed_scopes: ScopeSet,
    /// Open mode's limit per client address.
    pub rate_limit: RateLimit,
}

pub(crate) fn registration(raw: &RawRegistration) -> Result<RegistrationSettings, ConfigError> {
    let mode = raw
        .mode
        .trim()
        .parse::<RegistrationMode>()
        .map_err(|e| ConfigError::new("registration.mode", e))?;
    let allowed_scopes = ScopeSet::parse(&raw.allowed_scopes.join(" "))
        .map_err(|e| ConfigError::new("registration.allowed_scopes", e.to_string()))?;
    if let Some(s) = allowed_scopes
        .iter()
        .find(|s| s.as_str().starts_with("charter:"))
    {
        return Err(ConfigError::new(
            "registration.allowed_scopes",
            format!("{s} is an operator-only scope and cannot be offered to dynamic clients"),
        ));
    }
    if raw.rate_limit == 0 {
        return Err(ConfigError::new(
            "registration.rate_limit",
            "must be at least 1",
        ));
    }
    let window = duration("registration.rate_limit_window", &raw.rate_limit_window)?;
    // Housekeeping keeps throttle counts for 24 hours after their last update; a longer window would be cut.
    if window < Duration::from_secs(1) || window > Duration::from_secs(24 * 3600) {
        return Err(ConfigError::new(
            "registration.rate_limit_window",
            "must be between 1s and 24h",
        ));
    }
    Ok(RegistrationSettings {
        mode,
        allowed_scopes,
        rate_limit: RateLimit {
            max: raw.rate_limit,
            window,
        },
    })
}

/// The admin token's SHA-256 digest (what requests are compared against), or None when it is not set.
pub(crate) fn admin_token(raw: &str) -> Result<Option<String>, ConfigError> {
    let token = raw.trim();
    if token.is_empty() {
        return Ok(None);
    }
    if token.len() < 32 {
        return Err(ConfigError::new(
            "admin_token",
            "must be at least 32 characters; generate one with `charter secrets generate`",
        ));
    }
    Ok(Some(token_digest(token)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Settings;
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(None, env)
    }

    #[test]
    fn registration_is_off_and_no_admin_token_by_default() {
        let s = load(&[]).unwrap();
        assert_eq!(s.registration.mode, RegistrationMode::Off);
        assert_eq!(s.registration.allowed_scopes.len(), 6);
        assert_eq!(s.registration.rate_limit.max, 10);
        assert_eq!(s.registration.rate_limit.window, Duration::from_secs(3600));
        assert_eq!(s.admin_token_hash, None);
    }

    #[test]
    fn registration_and_admin_token_from_the_environment() {
        let token = "0123456789abcdef0123456789abcdef";
        let s = load(&[
            ("CHARTER_REGISTRATION__MODE", "open"),
            ("CHARTER_REGISTRATION__ALLOWED_SCOPES", "openid,profile"),
            ("CHARTER_REGISTRATION__RATE_LIMIT", "3"),
            ("CHARTER_REGISTRATION__RATE_LIMIT_WINDOW", "10m"),
            ("CHARTER_ADMIN_TOKEN", token),
        ])
        .unwrap();
        assert_eq!(s.registration.mode, RegistrationMode::Open);
        assert_eq!(s.registration.allowed_scopes.to_string(), "openid profile");
        assert_eq!(s.registration.rate_limit.max, 3);
        assert_eq!(s.registration.rate_limit.window, Duration::from_secs(600));
        assert_eq!(s.admin_token_hash, Some(token_digest(token)));
    }

    #[test]
    fn invalid_values_name_their_key() {
        for (pairs, key) in [
            (
                vec![("CHARTER_REGISTRATION__MODE", "sometimes")],
                "registration.mode",
            ),
            (
                vec![(
                    "CHARTER_REGISTRATION__ALLOWED_SCOPES",
                    "openid,charter:admin",
                )],
                "registration.allowed_scopes",
            ),
            (
                vec![("CHARTER_REGISTRATION__RATE_LIMIT", "0")],
                "registration.rate_limit",
            ),
            (
                vec![("CHARTER_REGISTRATION__RATE_LIMIT_WINDOW", "soon")],
                "registration.rate_limit_window",
            ),
            (
                vec![("CHARTER_REGISTRATION__RATE_LIMIT_WINDOW", "2d")],
                "registration.rate_limit_window",
            ),
            (vec![("CHARTER_ADMIN_TOKEN", "short")], "admin_token"),
        ] {
            let e = load(&pairs).expect_err("invalid");
            assert_eq!(e.key, key, "{pairs:?}: {e}");
        }
    }
}
