//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the outbox message left behind when a
//! session ends, the logout token signed for it at each attempt (§2.4), and what the relying party's answer
//! means (§2.8), with the retry schedule.
//!
//! A message is written in the same transaction that ends the session, one per client that received an ID
//! token in it and registered a `backchannel_logout_uri`. Its `jti` is fixed then, so every attempt — each
//! with a freshly signed token, `iat` now and `exp` two minutes later — is recognisably the same logout.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::ids::{ClientId, Subject};

/// The JOSE `typ` of a logout token (Back-Channel Logout §2.4, RFC 8725 §3.11).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";

/// The one event a logout token carries (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is valid: two minutes (§2.4 asks for a short lifetime).
pub const LOGOUT_TOKEN_LIFETIME: Duration = Duration::from_secs(120);

/// The first retry waits this long; each later one twice as long as the one before...
pub const FIRST_RETRY: Duration = Duration::from_secs(10);
/// ...up to this...
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// ...and a message still undelivered this long after the logout is given up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Where a message is in its life. Delivered messages are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// Refused for good (a 400, or given up): kept for audit, never retried.
    Failed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One logout to tell one client about, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutMessage {
    pub id: String,
    pub client_id: ClientId,
    pub sub: Subject,
    pub sid: String,
    /// Fixed when the message is written; every attempt's token carries it.
    pub jti: String,
    pub state: MessageState,
    /// Attempts made so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub last_error: Option<String>,
}

/// The `events` claim: exactly `{"http://schemas.openid.net/event/backchannel-logout": {}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutEvents {
    #[serde(rename = "http://schemas.openid.net/event/backchannel-logout")]
    pub backchannel_logout: EmptyObject,
}

/// `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyObject {}

/// The claims of a logout token (Back-Channel Logout §2.4). Never a `nonce` (§2.4: it must not have one, so a
/// logout token can never pass for an ID token). `sub` and `sid` are both always sent, which satisfies clients
/// with `backchannel_logout_session_required` and those without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    /// The one client this token is for, as a single string.
    pub aud: ClientId,
    pub iat: Timestamp,
    pub exp: Timestamp,
    pub jti: String,
    pub sub: Subject,
    pub sid: String,
    pub events: LogoutEvents,
}

impl LogoutTokenClaims {
    /// The token for `message`, signed at `now`.
    pub fn new(issuer: &str, message: &LogoutMessage, now: Timestamp) -> Self {
        Self {
            iss: issuer.to_owned(),
            aud: message.client_id.clone(),
            iat: now,
            exp: now.plus(LOGOUT_TOKEN_LIFETIME),
            jti: message.jti.clone(),
            sub: message.sub.clone(),
            sid: message.sid.clone(),
            events: LogoutEvents::default(),
        }
    }
}

/// What the relying party's answer means (§2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200 or 204: done.
    Delivered,
    /// 400: the relying party refused this token; sending it again will not help.
    Refused,
    /// Anything else (5xx, other codes, a timeout or network error): try again later.
    TryAgain,
}

impl Answer {
    pub fn of_status(status: u16) -> Self {
        match status {
            200 | 204 => Self::Delivered,
            400 => Self::Refused,
            _ => Self::TryAgain,
        }
    }
}

/// When to try again after attempt number `attempts` (1 for the first) failed at `now`: 10 s, 20 s, 40 s ...
/// up to an hour between attempts. None when the message is older than [`GIVE_UP_AFTER`] by then.
pub fn next_attempt(attempts: u32, created_at: Timestamp, now: Timestamp) -> Option<Timestamp> {
    let doublings = attempts.saturating_sub(1).min(20);
    let wait = FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY);
    let next = now.plus(wait);
    (next < created_at.plus(GIVE_UP_AFTER)).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix(s)
    }

    fn message() -> LogoutMessage {
        LogoutMessage {
            id: "m1".into(),
            client_id: ClientId::parse("rp").unwrap(),
            sub: Subject::parse("6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c").unwrap(),
            sid: "sid-1".into(),
            jti: "jti-1".into(),
            state: MessageState::Pending,
            attempts: 0,
            next_attempt_at: t(0),
            created_at: t(0),
            last_error: None,
        }
    }

    #[test]
    fn logout_token_claims() {
        let claims = LogoutTokenClaims::new("https://id.example", &message(), t(1000));
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "iss": "https://id.example",
                "aud": "rp",
                "iat": 1000,
                "exp": 1120,
                "jti": "jti-1",
                "sub": "6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c",
                "sid": "sid-1",
                "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
            })
        );
        assert!(json.get("nonce").is_none());
        let back: LogoutTokenClaims = serde_json::from_value(json).unwrap();
        assert_eq!(back, claims);
    }

    #[test]
    fn the_same_jti_at_every_attempt() {
        let a = LogoutTokenClaims::new("https://id.example", &message(), t(1000));
        let b = LogoutTokenClaims::new("https://id.example", &message(), t(5000));
        assert_eq!(a.jti, b.jti);
        assert_ne!(a.iat, b.iat);
        assert!(b.exp.unix() - b.iat.unix() <= 120);
    }

    #[test]
    fn events_must_be_exactly_the_logout_event() {
        let extra = serde_json::json!({
            "http://schemas.openid.net/event/backchannel-logout": {},
            "other": {}
        });
        assert!(serde_json::from_value::<LogoutEvents>(extra).is_err());
        assert!(serde_json::from_value::<LogoutEvents>(serde_json::json!({})).is_err());
    }

    #[test]
    fn answers() {
        let table = [
            (200, Answer::Delivered),
            (204, Answer::Delivered),
            (400, Answer::Refused),
            (401, Answer::TryAgain),
            (404, Answer::TryAgain),
            (500, Answer::TryAgain),
            (503, Answer::TryAgain),
            (302, Answer::TryAgain),
        ];
        for (status, answer) in table {
            assert_eq!(Answer::of_status(status), answer, "{status}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour_then_gives_up_after_a_day() {
        let c = t(0);
        assert_eq!(next_attempt(1, c, t(0)), Some(t(10)));
        assert_eq!(next_attempt(2, c, t(10)), Some(t(30)));
        assert_eq!(next_attempt(3, c, t(30)), Some(t(70)));
        assert_eq!(next_attempt(10, c, t(10_000)), Some(t(13_600)));
        assert_eq!(next_attempt(u32::MAX, c, t(10_000)), Some(t(13_600)));
        assert_eq!(next_attempt(30, c, t(83_000)), None, "past 24 h");
        assert_eq!(next_attempt(30, c, t(82_799)), Some(t(86_399)));
    }

    #[test]
    fn states_round_trip() {
        for s in [MessageState::Pending, MessageState::Failed] {
            assert_eq!(MessageState::parse(s.as_str()), Some(s));
        }
        assert_eq!(MessageState::parse("delivered"), None);
    }
}
