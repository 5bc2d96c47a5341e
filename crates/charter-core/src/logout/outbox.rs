//! The shapes [`OutboxStore`](crate::store::OutboxStore) works with: which sessions to end, what ending them
//! left behind, and how one delivery attempt ended.
//!
//! Ending a session is one transaction: the back-channel messages for it are written, the grants bound to it
//! revoked and the session deleted together, so a logout can never be lost between them (a crash either keeps
//! the session or leaves the messages to deliver).

use crate::clock::Timestamp;
use crate::ids::Subject;

/// Which browser sessions to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSessions<'a> {
    /// The session with this cookie digest (RP-initiated logout).
    Current { id_hash: &'a str },
    /// One of `user`'s sessions by its public `sid` (the account page).
    BySid { user: &'a Subject, sid: &'a str },
    /// Every session of `user`, except the one with digest `keep` if given (sign out everywhere, password
    /// change, a disabled user).
    AllOfUser {
        user: &'a Subject,
        keep: Option<&'a str>,
    },
    /// At most `batch` sessions past their idle or absolute timeout at `now` (the sweeper).
    Expired { batch: u64 },
}

/// What ending sessions did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionsEnded {
    /// Sessions deleted.
    pub sessions: u64,
    /// Back-channel messages written.
    pub messages: u64,
    /// Session-bound grants revoked (those without `offline_access`).
    pub grants_revoked: u64,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The relying party took it: the message is deleted.
    Delivered,
    /// Try again at `next_attempt_at`.
    Retry {
        next_attempt_at: Timestamp,
        error: String,
    },
    /// Never again: kept as `failed` for audit.
    Failed { error: String },
}

/// The outbox at a glance, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    /// Messages waiting for an attempt (due now or later).
    pub pending: u64,
    /// Of those, the ones due now.
    pub due: u64,
    /// Messages given up on (kept for audit).
    pub failed: u64,
    /// When the oldest pending message was written.
    pub oldest_pending: Option<Timestamp>,
}
