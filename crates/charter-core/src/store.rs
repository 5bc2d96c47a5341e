//! The storage boundary: one trait per aggregate, implemented by `charter-storage` for SQLite and PostgreSQL.
//!
//! Rules every implementation keeps:
//! - Secrets and tokens arrive here already hashed; nothing in clear is ever stored.
//! - A step that must be all-or-nothing is one transaction inside one method.
//! - Database errors become a [`StoreError`] at the edge; callers never see the driver's types.
//! - Times are [`Timestamp`]s passed in by the caller, never read from the database's clock, so that every node
//!   and every test agree on "now".

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

use crate::audit::{AuditEvent, AuditQuery, AuditRecord};
use crate::client::{ClientRecord, SecretHashes};
use crate::clock::Timestamp;
use crate::device::{DeviceAuthorization, DeviceStatus};
use crate::grant::{AuthorizationCode, Consent, Grant, PendingAuthorization, RefreshToken};
use crate::ids::{ClientId, Subject, Username};
use crate::keys::{KeyChange, RewrappedKey, StoredKey};
use crate::logout::delivery::LogoutMessage;
use crate::logout::outbox::{AttemptResult, EndSessions, OutboxSummary, SessionsEnded};
use crate::random::TokenGenerator;
use crate::registration::InitialAccessToken;
use crate::session::Session;
use crate::throttle::Failures;
use crate::user::{Profile, User, UserCredentials};

/// What can go wrong behind a store trait.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. a username taken).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database could not be reached; callers answer 503 and retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be turned back into a domain value.
    #[error("a stored {what} is invalid: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// Any other database failure.
    #[error("database error: {0}")]
    Backend(String),
}

/// Keyset paging: rows after `after` (exclusive), in key order, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub after: Option<String>,
    pub limit: u64,
}

impl Page {
    pub const MAX_LIMIT: u64 = 1000;

    pub fn first(limit: u64) -> Self {
        Self {
            after: None,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }
}

/// A new user, ready to store. `Debug` leaves the password hash out.
#[derive(Clone)]
pub struct NewUser {
    pub sub: Subject,
    pub username: Username,
    pub profile: Profile,
    pub password_hash: String,
    pub now: Timestamp,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("sub", &self.sub)
            .field("username", &self.username)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user; [`StoreError::Conflict`] when the username (in any case) is taken.
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError>;
    async fn find_user(&self, sub: &Subject) -> Result<Option<User>, StoreError>;
    async fn find_user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError>;
    /// The user and their password hash, looked up by username without regard to case.
    async fn find_credentials(
        &self,
        username: &Username,
    ) -> Result<Option<UserCredentials>, StoreError>;
    /// Users ordered by `sub`.
    async fn list_users(&self, page: &Page) -> Result<Vec<User>, StoreError>;
    /// Returns false when there is no such user.
    async fn set_user_disabled(
        &self,
        sub: &Subject,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Returns false when there is no such user.
    async fn set_password_hash(
        &self,
        sub: &Subject,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Stores a new client with its redirect URIs; [`StoreError::Conflict`] when the id is taken.
    async fn create_client(&self, client: &ClientRecord) -> Result<(), StoreError>;
    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError>;
    /// Clients ordered by id.
    async fn list_clients(&self, page: &Page) -> Result<Vec<ClientRecord>, StoreError>;
    /// Deletes the client and everything hanging off it. Returns false when there is no such client.
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError>;
    /// Replaces the secret hashes. Returns false when there is no such client.
    async fn set_client_secret(
        &self,
        id: &ClientId,
        secret: &SecretHashes,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// Liveness of the database, for `/readyz`.
#[async_trait]
pub trait Health: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Named leases so that a background job runs on one node at a time (a conditional update, not a race).
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes or renews `name` for `holder` until `now + ttl`. True when `holder` now holds it: it was free,
    /// expired, or already `holder`'s.
    async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool, StoreError>;
    /// Gives the lease up early (on shutdown) if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}

/// How many rows one sweep deleted, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub deleted: Vec<(&'static str, u64)>,
}

impl SweepReport {
    pub fn total(&self) -> u64 {
        self.deleted.iter().map(|(_, n)| n).sum()
    }
}

/// Deleting what has expired, in small batches so no sweep holds a long lock.
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Deletes at most `batch` expired rows from each table that has them.
    async fn sweep_expired(&self, now: Timestamp, batch: u64) -> Result<SweepReport, StoreError>;
}

/// Signing keys (their private parts encrypted before they get here).
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key, in every state, oldest first.
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Applies `changes` in one transaction. If any conditional step finds its key in another state than it
    /// requires (another node got there first), nothing is applied and the result is `Ok(false)`.
    async fn apply_key_changes(&self, changes: &[KeyChange]) -> Result<bool, StoreError>;
    /// Replaces the encrypted material of the given keys in one transaction (a KEK rewrap). Fails with
    /// `Conflict` if any of them no longer exists.
    async fn rewrap_keys(&self, keys: &[RewrappedKey]) -> Result<(), StoreError>;
}

/// Browser sessions, looked up by the digest of the cookie value.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session with this cookie digest, live or not (the caller checks `is_live`).
    async fn find_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError>;
    /// Records activity: `last_seen_at` and the pushed-forward idle deadline.
    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen_at: Timestamp,
        idle_expires_at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Returns false when there was no such session.
    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Ends one of `user`'s sessions by its public `sid` (the account page never sees cookie digests).
    async fn delete_session_by_sid(&self, user: &Subject, sid: &str) -> Result<bool, StoreError>;
    /// Every session of `user`, newest first.
    async fn list_sessions(&self, user: &Subject) -> Result<Vec<Session>, StoreError>;
    /// Ends every session of `user`, except the one with digest `keep` if given. Returns how many ended.
    async fn delete_user_sessions(
        &self,
        user: &Subject,
        keep: Option<&str>,
    ) -> Result<u64, StoreError>;
}

/// Consecutive sign-in failures per throttling key (`charter_core::throttle`). Shared by all nodes.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    async fn failures(&self, key: &str) -> Result<Failures, StoreError>;
    /// Adds one failure at `now` (atomically: concurrent failures all count). With `restart`, the count
    /// starts again from one (the old failures were forgotten).
    async fn record_failure(
        &self,
        key: &str,
        now: Timestamp,
        restart: bool,
    ) -> Result<Failures, StoreError>;
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;
}

/// Authorization requests parked while the user signs in and consents.
#[async_trait]
pub trait PendingStore: Send + Sync {
    async fn create_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError>;
    /// The request, if it exists (expired or not: the caller checks `expires_at`).
    async fn find_pending(&self, id_hash: &str)
    -> Result<Option<PendingAuthorization>, StoreError>;
    async fn delete_pending(&self, id_hash: &str) -> Result<bool, StoreError>;
}

/// Grants, codes, remembered consents, and which clients received ID tokens in which session.
#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError>;
    async fn find_grant(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    /// Revokes one grant. Returns false when it did not exist or was already revoked.
    async fn revoke_grant(&self, id: &str, now: Timestamp) -> Result<bool, StoreError>;
    /// Revokes every active grant of `user` for `client`. Returns how many.
    async fn revoke_client_grants(
        &self,
        user: &Subject,
        client: &ClientId,
        now: Timestamp,
    ) -> Result<u64, StoreError>;
    /// Revokes every active grant of `user`, with all their tokens (a password change: whoever knew the old
    /// password may hold refresh tokens). Returns how many.
    async fn revoke_user_grants(&self, user: &Subject, now: Timestamp) -> Result<u64, StoreError>;

    /// Stores a new code with its grant, in one transaction.
    async fn create_code(&self, grant: &Grant, code: &AuthorizationCode) -> Result<(), StoreError>;
    /// The code with this digest, used or not.
    async fn find_code(&self, code_hash: &str) -> Result<Option<AuthorizationCode>, StoreError>;
    /// Marks the code used if it was not yet (a conditional update). True for exactly one caller.
    async fn consume_code(&self, code_hash: &str, now: Timestamp) -> Result<bool, StoreError>;

    async fn find_consent(
        &self,
        user: &Subject,
        client: &ClientId,
    ) -> Result<Option<Consent>, StoreError>;
    /// Creates or replaces the remembered consent of `user` for `client`.
    async fn save_consent(&self, consent: &Consent) -> Result<(), StoreError>;
    async fn delete_consent(&self, user: &Subject, client: &ClientId) -> Result<bool, StoreError>;
    /// Every remembered consent of `user`, by client id.
    async fn list_consents(&self, user: &Subject) -> Result<Vec<Consent>, StoreError>;

    /// Records that `client` received an ID token in the session with digest `session_id_hash` (idempotent).
    async fn record_session_client(
        &self,
        session_id_hash: &str,
        client: &ClientId,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}

/// Refresh tokens, by the digest of the token.
#[async_trait]
pub trait RefreshStore: Send + Sync {
    async fn create_refresh(&self, token: &RefreshToken) -> Result<(), StoreError>;
    async fn find_refresh(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError>;
    /// In one transaction: marks `old_hash` used if it was not yet (a conditional update) and stores `new`.
    /// False, with nothing stored, when `old_hash` was already used: exactly one of concurrent rotations wins.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// Revoked access tokens (RFC 7009 §2), by `jti`, kept only until the token would have expired anyway.
#[async_trait]
pub trait DenyListStore: Send + Sync {
    /// Denies `jti` until `expires_at` (idempotent).
    /// Denies `jti` until `expires_at`; `now` is when (what revocation views poll by).
    async fn deny_access_token(
        &self,
        jti: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    async fn is_access_token_denied(&self, jti: &str) -> Result<bool, StoreError>;
}

/// What dynamic client registration (RFC 7591, RFC 7592) and operator updates need beyond [`ClientStore`]:
/// replacing a client, registration access tokens (by digest), initial access tokens (by digest).
#[async_trait]
pub trait ClientRegistrationStore: Send + Sync {
    /// Stores a dynamically registered client and the digest of its registration access token, in one
    /// transaction. [`StoreError::Conflict`] when the id is taken.
    async fn create_registered_client(
        &self,
        client: &ClientRecord,
        registration_token_hash: &str,
    ) -> Result<(), StoreError>;
    /// Replaces a client's metadata, settings, redirect URIs, secret hashes and `updated_at` (never its id,
    /// `registration` or `created_at`), in one transaction. Returns false when there is no such client.
    async fn update_client(&self, client: &ClientRecord) -> Result<bool, StoreError>;
    /// The digest of the client's registration access token, if it has one (dynamic clients do).
    async fn registration_token_hash(&self, id: &ClientId) -> Result<Option<String>, StoreError>;
    /// Stores a new initial access token (RFC 7591 §3).
    async fn create_initial_access_token(
        &self,
        token: &InitialAccessToken,
    ) -> Result<(), StoreError>;
    async fn find_initial_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InitialAccessToken>, StoreError>;
    /// Spends one use of the token if it is usable at `now` (a conditional update: concurrent registrations
    /// never overspend it). True when a use was spent (or the token has unlimited uses and is unexpired).
    async fn spend_initial_access_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// Device authorization requests (RFC 8628), by the digest of the device code. Every change is conditional,
/// so that of concurrent requests exactly one wins.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new request; [`StoreError::Conflict`] when its user-code key is taken (draw another code).
    async fn create_device_authorization(
        &self,
        auth: &DeviceAuthorization,
    ) -> Result<(), StoreError>;
    /// The request with this device-code digest, in whatever state (the caller decides with `decide_poll`).
    async fn find_device_authorization(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// The request with this user-code key, in whatever state.
    async fn find_device_authorization_by_user_code(
        &self,
        user_code_key: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// Records the user's decision (approved or denied) if the request is still pending, unused and
    /// unexpired at `now`. True for exactly one caller.
    async fn decide_device_authorization(
        &self,
        device_code_hash: &str,
        decision: &DeviceStatus,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Records a poll of a pending request (`last_polled_at = now`, the new `interval`) if its last poll is
    /// still `seen` (compare and set). False when another poll got there first or it is no longer pending.
    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        seen: Option<Timestamp>,
        now: Timestamp,
        interval: Duration,
    ) -> Result<bool, StoreError>;
    /// In one transaction: marks an approved, unused, unexpired request used and stores `grant`. True for
    /// exactly one caller; false, with nothing stored, for every other.
    async fn redeem_device_authorization(
        &self,
        device_code_hash: &str,
        grant: &Grant,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// Ending browser sessions and the back-channel logout outbox they leave behind (OpenID Connect Back-Channel
/// Logout 1.0). Messages are claimed with a per-row lease, so exactly one node attempts a message at a time.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Ends the sessions `which` selects, in one transaction: for each, one message per client that received
    /// an ID token in it (`record_session_client`) and has a `backchannel_logout_uri` (ids and `jti`s drawn
    /// from `ids`, first attempt due at `now`); its grants without `offline_access` revoked at `now`; the
    /// session deleted.
    async fn end_sessions(
        &self,
        which: EndSessions<'_>,
        now: Timestamp,
        ids: &dyn TokenGenerator,
    ) -> Result<SessionsEnded, StoreError>;
    /// Claims up to `limit` pending messages due at `now` that nobody holds (or whose holder's lease ran out),
    /// for `holder` until `now + lease`. Each claim is a conditional update: of concurrent claimers exactly one
    /// gets a given message.
    async fn claim_logout_messages(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<LogoutMessage>, StoreError>;
    /// Records an attempt on a message `holder` claimed: delivered (deleted), retry later, or failed for good.
    /// False when `holder` no longer holds it (its lease ran out and another node took it).
    async fn finish_logout_attempt(
        &self,
        id: &str,
        holder: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Counts for operators: pending, due at `now`, failed.
    async fn outbox_summary(&self, now: Timestamp) -> Result<OutboxSummary, StoreError>;
}

/// The redirect URIs of every client, for the CORS allow-list of the endpoints browser-based clients call
/// (`charter_endpoints::cors`): their origins are the allowed ones.
#[async_trait]
pub trait RedirectOriginStore: Send + Sync {
    /// Every distinct registered redirect URI (not post-logout ones), exactly as registered, in no order.
    async fn all_redirect_uris(&self) -> Result<Vec<String>, StoreError>;
}

/// The `jti`s of client assertions (`private_key_jwt`, RFC 7523 §3), remembered until the assertion expires so
/// that a replay is refused.
#[async_trait]
pub trait AssertionReplayStore: Send + Sync {
    /// Remembers `jti` for `client` until `expires_at`. True the first time; false when it is already
    /// remembered (a replay). An insert-if-absent, atomic on every backend: of two racing uses of one `jti`,
    /// exactly one gets true.
    async fn remember_assertion(
        &self,
        client: &ClientId,
        jti: &str,
        expires_at: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// What changed since a moment, for each node's in-memory revocation view: the checks on an access token that
/// would otherwise read the database at every introspection (deny list, grant revoked, user disabled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocations {
    /// Access tokens denied at or after `since`: `jti` and when the token expires.
    pub denied: Vec<(String, Timestamp)>,
    /// Grants revoked at or after `since`, with when.
    pub revoked_grants: Vec<(String, Timestamp)>,
    /// Users changed at or after `since`, and whether they are disabled now.
    pub users: Vec<(Subject, bool)>,
}

#[async_trait]
pub trait RevocationFeed: Send + Sync {
    /// Revocations and user changes at or after `since` (inclusive: callers overlap their windows).
    async fn revocations_since(&self, since: Timestamp) -> Result<Revocations, StoreError>;
}

/// The audit trail ([`crate::audit`]): append-only, read by operators, deleted only past its retention.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one event.
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Events matching `query`, newest first (by id), at most `query.limit` (capped at [`Page::MAX_LIMIT`]).
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;
    /// Deletes at most `batch` events from before `cutoff`, oldest first; returns how many.
    async fn delete_audit_before(&self, cutoff: Timestamp, batch: u64) -> Result<u64, StoreError>;
}

/// Changing a user's profile (the OpenID Connect standard claims), apart from creating them: the admin API's
/// and the CLI's profile edits ([`crate::accounts::update_profile`]).
#[async_trait]
pub trait UserProfileStore: Send + Sync {
    /// Replaces the user's profile whole and sets `updated_at`; returns false when there is no such user.
    async fn update_user_profile(
        &self,
        sub: &Subject,
        profile: &Profile,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// How the database connection pool is doing, for `/metrics` (read at scrape time). Synchronous: it reads the
/// pool's own counters and never waits for a connection, so a saturated pool can still be reported.
pub trait PoolStats: Send + Sync {
    /// `None` when the store has no pool (an in-memory fake).
    fn pool_usage(&self) -> Option<PoolUsage> {
        None
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open, in use or idle.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool will open (`database.max_connections`).
    pub max: u32,
}

/// Everything a running Charter needs from its database.
pub trait Store:
    UserStore
    + ClientStore
    + ClientRegistrationStore
    + KeyStore
    + SessionStore
    + ThrottleStore
    + PendingStore
    + GrantStore
    + RefreshStore
    + DenyListStore
    + DeviceStore
    + OutboxStore
    + RedirectOriginStore
    + AssertionReplayStore
    + RevocationFeed
    + AuditStore
    + UserProfileStore
    + PoolStats
    + Health
    + Leases
    + Housekeeping
    + fmt::Debug
{
}

impl<T> Store for T where
    T: UserStore
        + ClientStore
        + ClientRegistrationStore
        + KeyStore
        + SessionStore
        + ThrottleStore
        + PendingStore
        + GrantStore
        + RefreshStore
        + DenyListStore
        + DeviceStore
        + OutboxStore
        + RedirectOriginStore
        + AssertionReplayStore
        + RevocationFeed
        + AuditStore
        + UserProfileStore
        + PoolStats
        + Health
        + Leases
        + Housekeeping
        + fmt::Debug
{
}
