//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592): who may register, and the
//! bearer tokens involved.
//!
//! - [`RegistrationMode`]: `off` (no registration endpoint), `initial_access_token` (RFC 7591 §3: a bearer token
//!   an operator minted with `charter registration token create`), `open` (anyone, rate-limited per address).
//! - [`InitialAccessToken`]: such a token as stored — its SHA-256 digest, an optional expiry and an optional
//!   number of uses.
//! - Registration access tokens (RFC 7592 §1) are handed out once at registration; only their digest is
//!   stored, and a presented token is compared with it in constant time ([`token_matches`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::clock::Timestamp;
use crate::secret::token_digest;
use crate::throttle::Failures;

/// Who may use the registration endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RegistrationMode {
    /// No dynamic registration: no `registration_endpoint`, `/register` answers 404.
    #[default]
    Off,
    /// Only callers presenting an initial access token (RFC 7591 §3).
    InitialAccessToken,
    /// Anyone; rate-limited per client address.
    Open,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::InitialAccessToken => "initial_access_token",
            Self::Open => "open",
        }
    }

    pub fn is_enabled(self) -> bool {
        self != Self::Off
    }
}

impl fmt::Display for RegistrationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegistrationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Self::Off),
            "initial_access_token" => Ok(Self::InitialAccessToken),
            "open" => Ok(Self::Open),
            other => Err(format!(
                "{other:?} is not one of \"off\", \"initial_access_token\", \"open\""
            )),
        }
    }
}

/// An initial access token as stored: the token itself is shown once and never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialAccessToken {
    /// [`token_digest`] of the token.
    pub token_hash: String,
    pub created_at: Timestamp,
    /// None: never expires.
    pub expires_at: Option<Timestamp>,
    /// Registrations it still allows. None: unlimited.
    pub uses_remaining: Option<u32>,
}

impl InitialAccessToken {
    /// Whether a registration may use it at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|t| !t.has_passed(now)) && self.uses_remaining != Some(0)
    }
}

/// Open registration's limit per client address: at most `max` registrations, counted until the address has
/// been quiet for `window` (the count is kept in the throttle store under [`RateLimit::key`], so every node
/// shares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window: Duration,
}

impl RateLimit {
    /// The throttle-store key of a client address.
    pub fn key(client_ip: &str) -> String {
        format!("register-ip:{client_ip}")
    }

    /// Whether one more registration may go ahead at `now` after `seen`: `Ok(restart)` (restart: the old
    /// count is forgotten and counting starts again), or `Err(wait)`, how long the address must wait.
    pub fn check(&self, seen: Failures, now: Timestamp) -> Result<bool, Duration> {
        let Some(last) = seen.last_at else {
            return Ok(true);
        };
        let quiet_from = last.plus(self.window);
        if quiet_from.has_passed(now) {
            return Ok(true);
        }
        if seen.count < self.max {
            return Ok(false);
        }
        let secs = u64::try_from(quiet_from.unix() - now.unix()).unwrap_or(1);
        Err(Duration::from_secs(secs.max(1)))
    }
}

/// Whether `presented` is the token whose digest is `stored`, compared in constant time.
pub fn token_matches(presented: &str, stored: &str) -> bool {
    token_digest(presented)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_config_names() {
        for m in [
            RegistrationMode::Off,
            RegistrationMode::InitialAccessToken,
            RegistrationMode::Open,
        ] {
            assert_eq!(m.as_str().parse::<RegistrationMode>(), Ok(m));
        }
        assert!("Open".parse::<RegistrationMode>().is_err());
        assert!(!RegistrationMode::default().is_enabled());
    }

    #[test]
    fn tokens_expire_and_run_out() {
        let t = InitialAccessToken {
            token_hash: token_digest("x"),
            created_at: Timestamp::from_unix(0),
            expires_at: Some(Timestamp::from_unix(100)),
            uses_remaining: Some(1),
        };
        assert!(t.is_usable(Timestamp::from_unix(99)));
        assert!(!t.is_usable(Timestamp::from_unix(100)));
        let spent = InitialAccessToken {
            uses_remaining: Some(0),
            ..t.clone()
        };
        assert!(!spent.is_usable(Timestamp::from_unix(0)));
        let forever = InitialAccessToken {
            expires_at: None,
            uses_remaining: None,
            ..t
        };
        assert!(forever.is_usable(Timestamp::from_unix(i64::MAX / 2)));
    }

    #[test]
    fn open_registration_is_limited_per_address_until_quiet() {
        let limit = RateLimit {
            max: 2,
            window: Duration::from_secs(60),
        };
        let at = |count, last| Failures {
            count,
            last_at: Some(Timestamp::from_unix(last)),
        };
        let now = Timestamp::from_unix(1000);
        assert_eq!(limit.check(Failures::default(), now), Ok(true));
        assert_eq!(limit.check(at(1, 990), now), Ok(false));
        assert_eq!(limit.check(at(2, 990), now), Err(Duration::from_secs(50)));
        assert_eq!(
            limit.check(at(9, 940), now),
            Ok(true),
            "quiet for the window"
        );
        assert_eq!(RateLimit::key("10.0.0.1"), "register-ip:10.0.0.1");
    }

    #[test]
    fn presented_tokens_are_compared_by_digest() {
        let stored = token_digest("abc");
        assert!(token_matches("abc", &stored));
        assert!(!token_matches("abd", &stored));
        assert!(!token_matches("", &stored));
        assert!(!token_matches("abc", ""));
    }
}
