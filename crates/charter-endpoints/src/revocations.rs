//! Each node's in-memory view of recent revocations, so introspecting a JWT access token needs no database
//! round-trip (RFC 7662 at the speed of a signature check) and still tells the truth.
//!
//! An access token lives at most `max_access_token_lifetime`, so only revocations younger than that (plus the
//! clock skew) can concern a live token: the view holds exactly those — denied `jti`s (RFC 7009), revoked
//! grants, disabled users — read from the database's [`RevocationFeed`].
//!
//! - **Exact on one node.** A node that revokes something refreshes its view before answering
//!   ([`RevocationView::refresh`] after the write), so its own introspection is never behind its own writes.
//! - **Bounded across nodes.** Every node polls the feed every `tokens.revocation_refresh_interval` (default
//!   1 s); a revocation made on another node, or by the CLI, is seen within that interval (plus the poll's own
//!   duration). Each poll overlaps the previous one by the clock skew, so writers whose clocks lag are not
//!   missed.
//! - **Fails closed.** When the view has not been refreshed for `max_staleness` (the database unreachable, the
//!   node just started), [`RevocationView::check`] answers "unknown" and callers ask the database, which says
//!   the truth or 503.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use charter_core::ids::Subject;
use charter_core::store::{RevocationFeed, Store, StoreError};
use charter_core::{Clock, Timestamp};

#[derive(Debug, Default)]
struct Inner {
    /// `jti` -> when the token expires.
    denied: HashMap<String, Timestamp>,
    /// grant id -> when it was revoked.
    grants: HashMap<String, Timestamp>,
    /// sub -> (disabled, when the view learnt it).
    users: HashMap<Subject, (bool, Timestamp)>,
    /// Where the next poll starts (the clock time the last one started at).
    watermark: Option<Timestamp>,
    /// When the last poll succeeded (monotonic).
    synced: Option<Instant>,
}

#[derive(Debug)]
pub struct RevocationView {
    inner: RwLock<Inner>,
    /// How far back a revocation can still concern a live access token.
    window: Duration,
    /// How far each poll reaches back before the previous one.
    overlap: Duration,
    max_staleness: Duration,
    /// One poll at a time.
    polling: tokio::sync::Mutex<()>,
}

impl RevocationView {
    /// `window`: the longest access-token lifetime plus the clock skew; `overlap`: the clock skew between
    /// nodes; `max_staleness`: how old the view may get before it stops answering.
    pub fn new(window: Duration, overlap: Duration, max_staleness: Duration) -> Self {
        Self {
            inner: RwLock::new(Inner::default()),
            window,
            overlap,
            max_staleness,
            polling: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads what changed since the last poll (the whole window the first time) and prunes what can no
    /// longer matter.
    pub async fn refresh(
        &self,
        feed: &dyn RevocationFeed,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _one = self.polling.lock().await;
        let started = Instant::now();
        let oldest = now.minus(self.window);
        let since = self
            .read()
            .watermark
            .map_or(oldest, |w| w.minus(self.overlap).max(oldest));
        let changes = feed.revocations_since(since).await?;
        let mut inner = self.write();
        for (jti, exp) in changes.denied {
            inner.denied.insert(jti, exp);
        }
        for (id, at) in changes.revoked_grants {
            inner.grants.insert(id, at);
        }
        for (sub, disabled) in changes.users {
            inner.users.insert(sub, (disabled, now));
        }
        inner.denied.retain(|_, exp| !exp.has_passed(oldest));
        inner.grants.retain(|_, at| !at.has_passed(oldest));
        inner
            .users
            .retain(|_, (disabled, seen)| *disabled || !seen.has_passed(oldest));
        inner.watermark = Some(now);
        inner.synced = Some(started);
        Ok(())
    }

    /// Whether a token with this `jti`, grant and subject was revoked: `Some(true)` revoked, `Some(false)`
    /// not revoked, `None` when the view is too stale to say (ask the database).
    pub fn check(&self, jti: &str, grant: Option<&str>, sub: Option<&Subject>) -> Option<bool> {
        let inner = self.read();
        let fresh = inner
            .synced
            .is_some_and(|t| t.elapsed() <= self.max_staleness);
        if !fresh {
            return None;
        }
        let revoked = inner.denied.contains_key(jti)
            || grant.is_some_and(|g| inner.grants.contains_key(g))
            || sub.is_some_and(|s| inner.users.get(s).is_some_and(|(disabled, _)| *disabled));
        Some(revoked)
    }

    /// Stops the view answering until the next successful poll: after a revocation on this node that could not
    /// be read back, so the node never answers from a view it knows to be behind.
    pub fn mark_stale(&self) {
        self.write().synced = None;
    }

    /// How many entries the view holds (for metrics and tests).
    pub fn len(&self) -> usize {
        let inner = self.read();
        inner.denied.len() + inner.grants.len() + inner.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Polls the feed every `interval` until the task is aborted. A failed poll is logged and retried at the next
/// tick; after `max_staleness` of failures the view stops answering (fails closed).
pub fn spawn_poller(
    view: Arc<RevocationView>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = view.refresh(store.as_ref(), clock.now()).await {
                tracing::warn!(error = %e, "could not read recent revocations");
            }
        }
    })
}

#[cfg(test)]
mod tests;
