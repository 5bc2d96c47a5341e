//! Which browser origins may call Charter's CORS-enabled endpoints: the origins (`scheme://host[:port]`, as the
//! Fetch standard serialises them) of the redirect URIs registered by any client. A browser-based client runs
//! at the origin its redirect URI is on, so this admits exactly the applications Charter already sends users
//! back to, and nobody else.
//!
//! [`AllowedOrigins`] keeps that set in memory, so the check on the hot path is a read lock and a hash lookup:
//!
//! - The set is rebuilt from the database ([`RedirectOriginStore::all_redirect_uris`], one query) when it is
//!   older than its TTL ([`AllowedOrigins::DEFAULT_TTL`], 5 s, measured with the injected clock): **a client
//!   registered, changed or deleted on another node or by the CLI is seen within 5 s**, the same bound as the
//!   client cache. The rebuild happens on the first request that needs the set after it went stale, at most
//!   once at a time; concurrent requests wait for it rather than use a stale set.
//! - [`AllowedOrigins::invalidate`] drops the set at once, for writes made on this node.
//! - Requests without an `Origin` never look (same-origin and non-browser callers cost nothing).
//! - If the database cannot be read, the node keeps its last set and tries again after
//!   [`AllowedOrigins::RETRY_AFTER`]; the bound then holds from the moment the database answers again.
//!
//! Opaque origins (custom-scheme redirect URIs of native apps) are never in the set, and neither is the
//! `null` origin.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use charter_core::clock::{Clock, Timestamp};
use charter_core::store::RedirectOriginStore;
use url::Url;

/// The origin of a redirect URI as a browser would send it in `Origin`, or None for opaque origins.
pub fn origin_of(uri: &str) -> Option<String> {
    let origin = Url::parse(uri).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The set of allowed origins, refreshed from the store (see the module docs).
pub struct AllowedOrigins {
    store: Arc<dyn RedirectOriginStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    current: RwLock<Snapshot>,
    /// Held while the set is rebuilt, so that one request rebuilds it and the others wait.
    rebuilding: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Snapshot {
    origins: Arc<HashSet<String>>,
    /// Served while `now < fresh_until`.
    fresh_until: Timestamp,
}

impl fmt::Debug for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllowedOrigins")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AllowedOrigins {
    /// How old the set may get: the bound on how late a registration made elsewhere is seen.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
    /// How long a node keeps its last set before asking a failing database again.
    pub const RETRY_AFTER: Duration = Duration::from_secs(1);

    /// `ttl` is counted in whole seconds; zero reads the database for every request with an `Origin`.
    pub fn new(store: Arc<dyn RedirectOriginStore>, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            store,
            clock,
            ttl,
            current: RwLock::new(Snapshot {
                origins: Arc::default(),
                fresh_until: Timestamp::from_unix(i64::MIN),
            }),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether `origin` (an `Origin` header value) is the origin of a registered redirect URI.
    pub async fn is_allowed(&self, origin: &str) -> bool {
        if origin == "null" {
            return false;
        }
        self.origins().await.contains(origin)
    }

    /// Forgets the set, so the next request with an `Origin` rebuilds it (after a client write on this node).
    pub fn invalidate(&self) {
        self.current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .fresh_until = Timestamp::from_unix(i64::MIN);
    }

    fn fresh(&self) -> Option<Arc<HashSet<String>>> {
        let now = self.clock.now();
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (!current.fresh_until.has_passed(now)).then(|| Arc::clone(&current.origins))
    }

    async fn origins(&self) -> Arc<HashSet<String>> {
        if let Some(origins) = self.fresh() {
            return origins;
        }
        let _rebuilding = self.rebuilding.lock().await;
        // Someone else may have rebuilt it while we waited.
        if let Some(origins) = self.fresh() {
            return origins;
        }
        // Measured before the read, so the set is never served longer than the TTL after the data it reflects.
        let read_at = self.clock.now();
        let next = match self.store.all_redirect_uris().await {
            Ok(uris) => Snapshot {
                origins: Arc::new(uris.iter().filter_map(|u| origin_of(u)).collect()),
                fresh_until: read_at.plus(self.ttl),
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the registered redirect URIs; keeping the CORS origins");
                let mut kept = self
                    .current
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                kept.fresh_until = read_at.plus(Self::RETRY_AFTER);
                kept
            }
        };
        let origins = Arc::clone(&next.origins);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
        origins
    }
}

#[cfg(test)]
mod tests;
