//! The audit trail: security events an operator must be able to reconstruct later — who signed in or failed
//! to, what was consented to and revoked, which tokens were replayed, what was done to clients and keys.
//!
//! Events are durable rows ([`crate::store::AuditStore`]) without foreign keys, so they outlive the users and
//! clients they mention, and are deleted only by the retention sweep. High-volume events (each token issued)
//! are not audit events: they go to logs and metrics. Recording an event never fails the request that caused
//! it: callers log a failed write and carry on.

use std::fmt;

use serde::Serialize;

use crate::clock::Timestamp;

/// What happened. The string forms are stable: they are stored and filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    SignInSucceeded,
    SignInFailed,
    SignInThrottled,
    ConsentGranted,
    ConsentRevoked,
    /// A rotated refresh token came back: its whole family was revoked (RFC 9700 §4.14.2).
    RefreshReuseDetected,
    /// An authorization code was redeemed twice: the grant it issued was revoked (RFC 6749 §4.1.2).
    CodeReplayDetected,
    ClientCreated,
    ClientUpdated,
    ClientDeleted,
    ClientSecretRotated,
    KeyRotated,
    KeyRevoked,
    AdminAction,
    /// A back-channel logout message was given up on (refused for good or out of attempts).
    BackchannelDeliveryFailed,
    UserDisabled,
    PasswordChanged,
    SessionsEnded,
}

impl AuditKind {
    pub const ALL: [AuditKind; 18] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::SignInThrottled,
        Self::ConsentGranted,
        Self::ConsentRevoked,
        Self::RefreshReuseDetected,
        Self::CodeReplayDetected,
        Self::ClientCreated,
        Self::ClientUpdated,
        Self::ClientDeleted,
        Self::ClientSecretRotated,
        Self::KeyRotated,
        Self::KeyRevoked,
        Self::AdminAction,
        Self::BackchannelDeliveryFailed,
        Self::UserDisabled,
        Self::PasswordChanged,
        Self::SessionsEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInThrottled => "sign_in_throttled",
            Self::ConsentGranted => "consent_granted",
            Self::ConsentRevoked => "consent_revoked",
            Self::RefreshReuseDetected => "refresh_reuse_detected",
            Self::CodeReplayDetected => "code_replay_detected",
            Self::ClientCreated => "client_created",
            Self::ClientUpdated => "client_updated",
            Self::ClientDeleted => "client_deleted",
            Self::ClientSecretRotated => "client_secret_rotated",
            Self::KeyRotated => "key_rotated",
            Self::KeyRevoked => "key_revoked",
            Self::AdminAction => "admin_action",
            Self::BackchannelDeliveryFailed => "backchannel_delivery_failed",
            Self::UserDisabled => "user_disabled",
            Self::PasswordChanged => "password_changed",
            Self::SessionsEnded => "sessions_ended",
        }
    }

    /// The kind named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did it, when it was not the user the event is about.
pub mod actor {
    /// The admin API (its bearer token).
    pub const ADMIN: &str = "admin";
    /// The `charter` command line.
    pub const CLI: &str = "cli";
    /// Charter itself (background tasks, automatic rotation).
    pub const SYSTEM: &str = "system";

    /// A client acting through the admin API with a `charter:admin` access token of its own:
    /// `client:<client_id>` (a bare `client_id` is a client acting for itself elsewhere, e.g. RFC 7592).
    pub fn admin_client(client_id: &str) -> String {
        format!("client:{client_id}")
    }
}

/// One event to record. `actor` is a user's `sub`, a `client_id`, `client:<client_id>` (a client through the admin
/// API) or one of [`actor`]'s names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub kind: AuditKind,
    pub actor: Option<String>,
    /// The user the event is about (their `sub`).
    pub user: Option<String>,
    pub client_id: Option<String>,
    /// The client's address, per the trusted-proxy setting.
    pub ip: Option<String>,
    /// The id of the request that caused it (its `X-Request-Id`).
    pub request_id: Option<String>,
    /// Anything else worth keeping (never a secret): a JSON object.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// An event with no actor, user, client or detail yet.
    pub fn new(kind: AuditKind, at: Timestamp) -> Self {
        Self {
            at,
            kind,
            actor: None,
            user: None,
            client_id: None,
            ip: None,
            request_id: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Adds `key: value` to the detail object.
    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let serde_json::Value::Object(map) = &mut self.detail {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

/// A stored event: its id (increasing with insertion) and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub event: AuditEvent,
}

impl AuditRecord {
    /// The record as operators read it (`charter audit list --json`, `GET /admin/v1/audit`): `id`, `time`
    /// (RFC 3339), `kind`, `actor`, `user`, `client_id`, `ip`, `request_id`, `detail`.
    pub fn to_json(&self) -> serde_json::Value {
        let e = &self.event;
        serde_json::json!({
            "id": self.id,
            "time": rfc3339(e.at),
            "kind": e.kind.as_str(),
            "actor": e.actor,
            "user": e.user,
            "client_id": e.client_id,
            "ip": e.ip,
            "request_id": e.request_id,
            "detail": e.detail,
        })
    }
}

/// `t` as RFC 3339 in UTC, to the second (times before 1970 show as 1970).
pub fn rfc3339(t: Timestamp) -> String {
    let secs = u64::try_from(t.unix()).unwrap_or(0);
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// Which events to list: every condition given must hold. Newest first; `before` (an id, exclusive) pages on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// At or after.
    pub since: Option<Timestamp>,
    /// Strictly before.
    pub until: Option<Timestamp>,
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub kind: Option<AuditKind>,
    pub before: Option<i64>,
    pub limit: u64,
}

/// An audit listing's filters as an operator types them (`charter audit list` flags, the admin API's query
/// parameters): both turn them into an [`AuditQuery`] here, so they accept the same forms.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// RFC 3339 (`2026-11-27T08:00:00Z`) or a duration before now (`24h`, `7d`).
    pub since: Option<&'a str>,
    /// Same forms as `since`.
    pub until: Option<&'a str>,
    pub user: Option<&'a str>,
    pub client_id: Option<&'a str>,
    /// An [`AuditKind`] name.
    pub kind: Option<&'a str>,
    /// Only events with a smaller id (paging, newest first).
    pub before: Option<i64>,
    /// 1 to 1000.
    pub limit: u64,
}

/// Which filter was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditFilterError {
    #[error(
        "{which} {value:?} is neither a time like 2026-11-27T08:00:00Z nor a duration like 24h"
    )]
    Time { which: &'static str, value: String },
    #[error("kind {0:?} is not one of: {known}", known = AuditKind::ALL.map(AuditKind::as_str).join(", "))]
    Kind(String),
    #[error("limit must be between 1 and 1000")]
    Limit,
}

impl AuditFilter<'_> {
    /// The query, with relative times counted back from `now`.
    pub fn query(&self, now: Timestamp) -> Result<AuditQuery, AuditFilterError> {
        let kind = self
            .kind
            .map(|k| AuditKind::parse(k).ok_or_else(|| AuditFilterError::Kind(k.to_owned())))
            .transpose()?;
        if !(1..=1000).contains(&self.limit) {
            return Err(AuditFilterError::Limit);
        }
        let time = |which: &'static str, value: Option<&str>| {
            value
                .map(|v| {
                    parse_time(v, now).ok_or_else(|| AuditFilterError::Time {
                        which,
                        value: v.to_owned(),
                    })
                })
                .transpose()
        };
        Ok(AuditQuery {
            since: time("since", self.since)?,
            until: time("until", self.until)?,
            user: self.user.map(str::to_owned),
            client_id: self.client_id.map(str::to_owned),
            kind,
            before: self.before,
            limit: self.limit,
        })
    }
}

/// RFC 3339 (seconds; a fraction is dropped), or a duration before `now`. None for anything else or a time
/// before 1970.
pub fn parse_time(value: &str, now: Timestamp) -> Option<Timestamp> {
    if let Ok(t) = humantime::parse_rfc3339_weak(value) {
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        return Some(Timestamp::from_unix(
            i64::try_from(secs).unwrap_or(i64::MAX),
        ));
    }
    humantime::parse_duration(value)
        .ok()
        .map(|ago| now.minus(ago))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().into())
            );
        }
        assert_eq!(AuditKind::parse("sign_in"), None);
    }

    #[test]
    fn filters_parse_absolute_and_relative_times_kinds_and_limits() {
        let now = Timestamp::from_unix(1_800_000_000);
        let q = AuditFilter {
            since: Some("2026-11-27T08:00:00Z"),
            until: Some("1h"),
            kind: Some("sign_in_failed"),
            user: Some("u"),
            before: Some(7),
            limit: 10,
            ..AuditFilter::default()
        }
        .query(now)
        .unwrap();
        assert_eq!(q.since, Some(Timestamp::from_unix(1_795_766_400)));
        assert_eq!(q.until, Some(Timestamp::from_unix(1_800_000_000 - 3600)));
        assert_eq!(q.kind, Some(AuditKind::SignInFailed));
        assert_eq!(
            (q.user.as_deref(), q.before, q.limit),
            (Some("u"), Some(7), 10)
        );
        let bad = |f: AuditFilter<'_>| f.query(now).unwrap_err();
        let base = || AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        };
        assert!(matches!(
            bad(AuditFilter {
                since: Some("yesterday-ish"),
                ..base()
            }),
            AuditFilterError::Time { which: "since", .. }
        ));
        assert!(matches!(
            bad(AuditFilter {
                until: Some("soon"),
                ..base()
            }),
            AuditFilterError::Time { which: "until", .. }
        ));
        assert_eq!(
            bad(AuditFilter {
                kind: Some("nope"),
                ..base()
            }),
            AuditFilterError::Kind("nope".into())
        );
        assert_eq!(
            bad(AuditFilter { limit: 0, ..base() }),
            AuditFilterError::Limit
        );
        assert_eq!(
            bad(AuditFilter {
                limit: 1001,
                ..base()
            }),
            AuditFilterError::Limit
        );
    }

    #[test]
    fn details_accumulate() {
        let e = AuditEvent::new(AuditKind::SignInFailed, Timestamp::from_unix(5))
            .user("alice")
            .detail("reason", "bad_password")
            .detail("attempt", 2);
        assert_eq!(
            e.detail,
            serde_json::json!({"reason": "bad_password", "attempt": 2})
        );
        assert_eq!(e.user.as_deref(), Some("alice"));
    }
}
