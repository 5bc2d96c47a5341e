//! The keys of clients that registered a `jwks_uri` (OpenID Connect Core §10.1.1, RFC 7523): fetched when first
//! needed, kept for the document's `Cache-Control: max-age` held within [`KeyCachePolicy::min_ttl`] and
//! [`KeyCachePolicy::max_ttl`], and fetched again early when an assertion names a `kid` the cached set does not
//! have (the client rotated) — at most once per [`KeyCachePolicy::refetch_interval`] per client, so that
//! assertions with made-up `kid`s cannot make Charter hammer a client's server. A failed fetch is rate-limited
//! the same way.
//!
//! Fetching is behind [`JwksFetcher`] (the server plugs in its outbound HTTP client), and "now" is passed in,
//! so the cache's rules are tested without HTTP and without sleeping.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use thiserror::Error;
use url::Url;

use super::jwks::ClientJwks;

/// A fetched JWK Set document: a 200 answer's body and its `max-age`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedJwks {
    pub body: Vec<u8>,
    pub max_age: Option<Duration>,
}

/// Fetches a client's `jwks_uri`; an error is anything but a 200 within the outbound limits.
#[async_trait]
pub trait JwksFetcher: Send + Sync + fmt::Debug {
    async fn fetch(&self, uri: &Url) -> Result<FetchedJwks, String>;
}

/// Why no keys are available.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the client's jwks_uri could not be used: {0}")]
pub struct KeysUnavailable(pub String);

/// How long fetched keys are kept and how often they may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCachePolicy {
    /// The shortest time a fetched set is kept (also when the answer has no or a smaller `max-age`).
    pub min_ttl: Duration,
    /// The longest time a fetched set is kept, whatever its `max-age`.
    pub max_ttl: Duration,
    /// The least time between two fetches for one client.
    pub refetch_interval: Duration,
    /// Clients whose keys are held at once; beyond it, expired entries go (and if that is not enough, all).
    pub max_entries: usize,
}

impl Default for KeyCachePolicy {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_secs(5 * 60),
            max_ttl: Duration::from_secs(24 * 3600),
            refetch_interval: Duration::from_secs(30),
            max_entries: 10_000,
        }
    }
}

#[derive(Debug)]
struct Entry {
    uri: Url,
    keys: Option<Arc<ClientJwks>>,
    expires_at: Timestamp,
    last_fetch: Timestamp,
}

/// Fetched client key sets, by client.
#[derive(Debug)]
pub struct ClientKeyCache {
    fetcher: Arc<dyn JwksFetcher>,
    policy: KeyCachePolicy,
    entries: Mutex<HashMap<ClientId, Entry>>,
}

/// What the cache can answer without fetching.
enum Cached {
    Use(Arc<ClientJwks>),
    Unavailable,
    Fetch,
}

impl ClientKeyCache {
    pub fn new(fetcher: Arc<dyn JwksFetcher>, policy: KeyCachePolicy) -> Self {
        Self {
            fetcher,
            policy,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The keys of `client`, published at `uri`. `kid` is the key the assertion names: when the cached set
    /// lacks it, the set is fetched again (rate-limited).
    pub async fn keys(
        &self,
        client: &ClientId,
        uri: &Url,
        kid: Option<&str>,
        now: Timestamp,
    ) -> Result<Arc<ClientJwks>, KeysUnavailable> {
        match self.cached(client, uri, kid, now) {
            Cached::Use(keys) => return Ok(keys),
            Cached::Unavailable => {
                return Err(KeysUnavailable("the last fetch failed".into()));
            }
            Cached::Fetch => {}
        }
        let fetched = self.fetcher.fetch(uri).await.and_then(|f| {
            ClientJwks::parse_bytes(&f.body)
                .map(|keys| (keys, f.max_age))
                .map_err(|e| e.to_string())
        });
        let mut entries = self.lock();
        match fetched {
            Ok((keys, max_age)) => {
                let ttl = max_age
                    .unwrap_or(self.policy.min_ttl)
                    .clamp(self.policy.min_ttl, self.policy.max_ttl);
                let keys = Arc::new(keys);
                self.make_room(&mut entries, client, now);
                entries.insert(
                    client.clone(),
                    Entry {
                        uri: uri.clone(),
                        keys: Some(keys.clone()),
                        expires_at: now.plus(ttl),
                        last_fetch: now,
                    },
                );
                Ok(keys)
            }
            Err(reason) => {
                // Keys still fresh stay usable (a failed early re-fetch changes nothing); either way the
                // failure counts for the rate limit.
                let kept = entries
                    .get(client)
                    .filter(|e| e.uri == *uri && !e.expires_at.has_passed(now))
                    .and_then(|e| e.keys.clone().map(|k| (k, e.expires_at)));
                self.make_room(&mut entries, client, now);
                entries.insert(
                    client.clone(),
                    Entry {
                        uri: uri.clone(),
                        keys: kept.as_ref().map(|(k, _)| k.clone()),
                        expires_at: kept.as_ref().map_or(now, |(_, t)| *t),
                        last_fetch: now,
                    },
                );
                kept.map(|(k, _)| k).ok_or(KeysUnavailable(reason))
            }
        }
    }

    fn cached(&self, client: &ClientId, uri: &Url, kid: Option<&str>, now: Timestamp) -> Cached {
        let entries = self.lock();
        let Some(entry) = entries.get(client).filter(|e| e.uri == *uri) else {
            return Cached::Fetch;
        };
        let fresh = !entry.expires_at.has_passed(now);
        let may_fetch = entry
            .last_fetch
            .plus(self.policy.refetch_interval)
            .has_passed(now);
        match &entry.keys {
            Some(keys) if fresh && kid.is_none_or(|kid| keys.has_kid(kid)) => {
                Cached::Use(keys.clone())
            }
            _ if may_fetch => Cached::Fetch,
            // Rate-limited: what there is (an unknown kid then fails verification), if it is still fresh.
            Some(keys) if fresh => Cached::Use(keys.clone()),
            _ => Cached::Unavailable,
        }
    }

    fn make_room(&self, entries: &mut HashMap<ClientId, Entry>, client: &ClientId, now: Timestamp) {
        if entries.len() < self.policy.max_entries || entries.contains_key(client) {
            return;
        }
        let interval = self.policy.refetch_interval;
        entries.retain(|_, e| {
            !e.expires_at.has_passed(now) || !e.last_fetch.plus(interval).has_passed(now)
        });
        if entries.len() >= self.policy.max_entries {
            entries.clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientId, Entry>> {
        // A panic while holding the lock leaves a consistent map (every write is one insert).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
