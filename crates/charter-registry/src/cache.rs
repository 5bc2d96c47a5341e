//! Hot-path client lookups from memory (issue 4, "Lookups on hot paths").
//!
//! Every token, introspection and revocation request looks its client up (RFC 6749 §2.3, §3.2.1), and every
//! authorization request does too (§4.1.1). [`ClientCache`] wraps the [`ClientStore`] and implements it, so
//! callers do not care whether they hold the cache or the database:
//!
//! - A hit younger than the TTL is served from memory. Charter uses [`ClientCache::DEFAULT_TTL`], 5 s: **a change
//!   made on another node (or by the CLI on a running server) is seen everywhere within 5 s.** That is the
//!   documented cross-node propagation bound; a deleted client or a revoked secret may work for that long on
//!   the nodes that had it cached.
//! - A miss, or an expired entry, reads the database. Misses are never cached, so a client the CLI just
//!   created works on the very next request.
//! - Writes through the cache (`create_client`, `delete_client`, `set_client_secret`) invalidate the local entry
//!   at once: on the node that made the change there is no delay at all.
//!
//! Ages are measured with the injected [`Clock`] in whole seconds; an entry read at `t` is served while
//! `now < t + ttl`, so it is never older than the TTL.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;
use charter_core::client::{ClientRecord, SecretHashes};
use charter_core::clock::{Clock, Timestamp};
use charter_core::ids::ClientId;
use charter_core::store::{ClientStore, Page, StoreError};

/// A [`ClientStore`] that serves recent lookups from memory. See the module docs for the rules.
pub struct ClientCache {
    store: Arc<dyn ClientStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    capacity: usize,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<ClientId, Entry>,
    /// Bumped by every invalidation. A lookup that read the database before a write finished must not put
    /// its (possibly older) copy in the cache afterwards: it notes the generation before reading and only
    /// inserts if nothing was invalidated in between.
    generation: u64,
}

struct Entry {
    record: Arc<ClientRecord>,
    read_at: Timestamp,
}

impl Entry {
    fn fresh_at(&self, now: Timestamp, ttl: Duration) -> bool {
        !self.read_at.plus(ttl).has_passed(now)
    }
}

impl fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl ClientCache {
    /// How long a cached client is served without asking the database: the bound on how late a change made
    /// elsewhere is seen.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
    /// Enough for any deployment's active clients; a record is about a kilobyte.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// `ttl` is counted in whole seconds (zero turns caching off); `capacity` bounds the number of entries.
    pub fn new(
        store: Arc<dyn ClientStore>,
        clock: Arc<dyn Clock>,
        ttl: Duration,
        capacity: usize,
    ) -> Self {
        Self {
            store,
            clock,
            ttl,
            capacity,
            state: RwLock::new(State::default()),
        }
    }

    /// The client with this id, from memory when a fresh copy is there, else from the database. The hot path:
    /// a hit takes a read lock and clones an `Arc`, nothing more.
    pub async fn get(&self, id: &ClientId) -> Result<Option<Arc<ClientRecord>>, StoreError> {
        let now = self.clock.now();
        let generation = {
            let state = self.read();
            if let Some(entry) = state.entries.get(id)
                && entry.fresh_at(now, self.ttl)
            {
                return Ok(Some(Arc::clone(&entry.record)));
            }
            state.generation
        };
        // No lock is held across this await.
        let found = self.store.find_client(id).await?;
        let Some(record) = found else {
            // Not cached: a client created elsewhere a moment from now must be found. Drop a stale entry of a
            // client deleted elsewhere, though.
            self.write().entries.remove(id);
            return Ok(None);
        };
        let record = Arc::new(record);
        self.insert(id, Arc::clone(&record), now, generation);
        Ok(Some(record))
    }

    /// Forgets one client, so its next lookup reads the database. Also the hook for a cross-node notification
    /// (e.g. PostgreSQL `LISTEN`) should the TTL bound ever need to be tighter.
    pub fn invalidate(&self, id: &ClientId) {
        let mut state = self.write();
        state.entries.remove(id);
        state.generation = state.generation.wrapping_add(1);
    }

    /// Forgets every client.
    pub fn clear(&self) {
        let mut state = self.write();
        state.entries.clear();
        state.generation = state.generation.wrapping_add(1);
    }

    /// Entries held, fresh or expired.
    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, id: &ClientId, record: Arc<ClientRecord>, now: Timestamp, generation: u64) {
        if self.ttl.as_secs() == 0 || self.capacity == 0 {
            return;
        }
        let mut state = self.write();
        if state.generation != generation {
            // A write went through while we read the database: our copy may predate it.
            return;
        }
        if !state.entries.contains_key(id) && state.entries.len() >= self.capacity {
            // Full: drop what has expired anyway, and if everything is fresh, start over. An LRU would need
            // bookkeeping on every hit (a write lock or atomics on the hot path); clearing costs one database
            // read per active client, once, and a capacity above the number of active clients means it never
            // happens. Each scan follows a database read, so its cost is small beside the read that caused it.
            let ttl = self.ttl;
            state.entries.retain(|_, e| e.fresh_at(now, ttl));
            if state.entries.len() >= self.capacity {
                state.entries.clear();
            }
        }
        state.entries.insert(
            id.clone(),
            Entry {
                record,
                read_at: now,
            },
        );
    }

    // A panic while holding the lock cannot leave the map half-updated in a way that matters for a cache (at
    // worst an entry is missing), so a poisoned lock is used as is rather than failing every request.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ClientStore for ClientCache {
    async fn create_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let result = self.store.create_client(client).await;
        // Whatever the outcome: a write that reported an error may still have committed.
        self.invalidate(&client.client.id);
        result
    }

    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        Ok(self.get(id).await?.map(Arc::unwrap_or_clone))
    }

    /// Listing is for operators, not a hot path: always the database.
    async fn list_clients(&self, page: &Page) -> Result<Vec<ClientRecord>, StoreError> {
        self.store.list_clients(page).await
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        let result = self.store.delete_client(id).await;
        self.invalidate(id);
        result
    }

    async fn set_client_secret(
        &self,
        id: &ClientId,
        secret: &SecretHashes,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = self.store.set_client_secret(id, secret, now).await;
        self.invalidate(id);
        result
    }
}

#[cfg(test)]
mod tests;
