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
}

/// One event to record. `actor` is a user's `sub`, a `client_id`, or one of [`actor`]'s names.
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
