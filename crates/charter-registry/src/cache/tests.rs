//! The cache against an in-memory store that counts its reads, with a clock that moves only when told.

use std::time::Duration;

use charter_core::client::AuthMethod;
use charter_core::clock::ManualClock;
use charter_core::random::SystemTokenGenerator;

use super::*;
use crate::auth::{CredentialFields, PresentedCredentials, authenticate};
use crate::service::rotate_secret;
use crate::test_support::{MemoryClients, hasher, record};

const TTL: Duration = Duration::from_secs(5);

struct Fixture {
    store: Arc<MemoryClients>,
    clock: Arc<ManualClock>,
    cache: ClientCache,
}

fn fixture(capacity: usize) -> Fixture {
    let store = Arc::new(MemoryClients::default());
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix(1_000)));
    let cache = ClientCache::new(store.clone(), clock.clone(), TTL, capacity);
    Fixture {
        store,
        clock,
        cache,
    }
}

fn id(s: &str) -> ClientId {
    ClientId::parse(s).unwrap()
}

fn named(client: &str, name: &str) -> ClientRecord {
    let mut r = record(client, AuthMethod::ClientSecretBasic, Some("s"));
    r.client.metadata.client_name = name.into();
    r
}

async fn name_of(cache: &ClientCache, client: &str) -> Option<String> {
    let r = cache.get(&id(client)).await.unwrap();
    r.map(|r| r.client.metadata.client_name.clone())
}

#[tokio::test]
async fn a_hit_within_the_ttl_does_not_touch_the_store() {
    let f = fixture(100);
    f.store.put(named("c1", "one"));
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
    assert_eq!(f.store.finds(), 1);
    for _ in 0..10 {
        assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
    }
    f.clock.advance(Duration::from_secs(4));
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
    assert_eq!(f.store.finds(), 1);
}

/// The cross-node bound: a change made behind the cache's back (another node, the CLI) is served stale for
/// less than the TTL, then seen.
#[tokio::test]
async fn an_expired_entry_is_read_again() {
    let f = fixture(100);
    f.store.put(named("c1", "one"));
    name_of(&f.cache, "c1").await;
    f.store.put(named("c1", "two"));
    f.clock.advance(Duration::from_secs(4));
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
    f.clock.advance(Duration::from_secs(1));
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("two"));
    assert_eq!(f.store.finds(), 2);
    // And the new copy is cached in turn.
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("two"));
    assert_eq!(f.store.finds(), 2);
}

#[tokio::test]
async fn a_miss_is_not_cached() {
    let f = fixture(100);
    assert_eq!(name_of(&f.cache, "c1").await, None);
    assert_eq!(name_of(&f.cache, "c1").await, None);
    assert_eq!(f.store.finds(), 2);
    assert!(f.cache.is_empty());
    // Created by the CLI on another process: works on the very next request, no waiting for a TTL.
    f.store.put(named("c1", "one"));
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
}

#[tokio::test]
async fn a_client_deleted_elsewhere_leaves_the_cache_when_its_entry_expires() {
    let f = fixture(100);
    f.store.put(named("c1", "one"));
    name_of(&f.cache, "c1").await;
    f.store.remove(&id("c1"));
    f.clock.advance(TTL);
    assert_eq!(name_of(&f.cache, "c1").await, None);
    assert!(f.cache.is_empty());
}

#[tokio::test]
async fn writes_through_the_cache_are_seen_at_once() {
    let f = fixture(100);
    // create
    assert_eq!(name_of(&f.cache, "c1").await, None);
    f.cache.create_client(&named("c1", "one")).await.unwrap();
    assert_eq!(name_of(&f.cache, "c1").await.as_deref(), Some("one"));
    // delete
    assert!(f.cache.delete_client(&id("c1")).await.unwrap());
    assert_eq!(name_of(&f.cache, "c1").await, None);
    assert!(!f.cache.delete_client(&id("c1")).await.unwrap());
}

/// `charter clients rotate-secret` without `--keep-old-for`, through the cache: the old secret stops working on
/// the very next request, the new one works.
#[tokio::test]
async fn secret_rotation_through_the_cache_is_seen_at_once() {
    let f = fixture(100);
    let hasher = hasher();
    f.store.put(record(
        "c1",
        AuthMethod::ClientSecretPost,
        Some("old-secret"),
    ));
    let try_secret = |secret: &'static str| {
        let cache = &f.cache;
        let hasher = &hasher;
        let clock = &f.clock;
        async move {
            let fields = CredentialFields {
                client_id: Some("c1"),
                client_secret: Some(secret),
                ..CredentialFields::default()
            };
            let presented = PresentedCredentials::extract(None, fields).unwrap();
            let record = cache.get(&presented.client_id().unwrap()).await.unwrap();
            authenticate(&presented, record.as_deref(), hasher, clock.now()).is_ok()
        }
    };
    assert!(try_secret("old-secret").await);
    let rng = SystemTokenGenerator::new();
    let new = rotate_secret(&f.cache, &hasher, &rng, &*f.clock, &id("c1"), None)
        .await
        .unwrap();
    let new: &'static str = new.leak();
    assert!(!try_secret("old-secret").await);
    assert!(try_secret(new).await);

    // With an overlap, both work until the window closes, then only the new one; the cache never extends it.
    let newer = rotate_secret(
        &f.cache,
        &hasher,
        &rng,
        &*f.clock,
        &id("c1"),
        Some(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let newer: &'static str = newer.leak();
    assert!(try_secret(new).await);
    assert!(try_secret(newer).await);
    f.clock.advance(Duration::from_secs(60));
    assert!(!try_secret(new).await);
    assert!(try_secret(newer).await);
}

#[tokio::test]
async fn set_client_secret_through_the_cache_invalidates() {
    let f = fixture(100);
    f.store.put(named("c1", "one"));
    let before = f.cache.get(&id("c1")).await.unwrap().unwrap();
    let hashes = SecretHashes {
        current: hasher().hash("other"),
        previous: None,
    };
    let now = f.clock.now();
    assert!(
        f.cache
            .set_client_secret(&id("c1"), &hashes, now)
            .await
            .unwrap()
    );
    let after = f.cache.get(&id("c1")).await.unwrap().unwrap();
    assert_ne!(before.secret, after.secret);
    assert_eq!(after.secret.as_ref(), Some(&hashes));
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let f = fixture(3);
    for c in ["a", "b", "c"] {
        f.store.put(named(c, c));
        name_of(&f.cache, c).await;
    }
    assert_eq!(f.cache.len(), 3);
    // Full of fresh entries: it starts over.
    f.store.put(named("d", "d"));
    name_of(&f.cache, "d").await;
    assert_eq!(f.cache.len(), 1);

    // Full with some expired: only those go.
    name_of(&f.cache, "a").await;
    f.clock.advance(Duration::from_secs(3));
    name_of(&f.cache, "b").await;
    f.clock.advance(Duration::from_secs(2)); // d and a expire now; b is fresh
    f.store.put(named("e", "e"));
    name_of(&f.cache, "e").await;
    assert_eq!(f.cache.len(), 2);
    let finds = f.store.finds();
    name_of(&f.cache, "b").await;
    name_of(&f.cache, "e").await;
    assert_eq!(f.store.finds(), finds, "b and e are still cached");

    // Refreshing an entry that is already there never evicts anything.
    name_of(&f.cache, "a").await;
    assert_eq!(f.cache.len(), 3);
    f.clock.advance(TTL);
    name_of(&f.cache, "a").await;
    assert_eq!(f.cache.len(), 3);
}

#[tokio::test]
async fn a_copy_read_before_an_invalidation_is_not_cached() {
    let f = fixture(100);
    let old = Arc::new(named("c1", "old"));
    let generation = f.cache.read().generation;
    // The lookup read `old`; meanwhile a write went through and invalidated.
    f.cache.invalidate(&id("c1"));
    f.cache.insert(&id("c1"), old, f.clock.now(), generation);
    assert!(f.cache.is_empty());
}

#[tokio::test]
async fn a_zero_ttl_turns_caching_off() {
    let store = Arc::new(MemoryClients::default());
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix(0)));
    let cache = ClientCache::new(store.clone(), clock, Duration::ZERO, 100);
    store.put(named("c1", "one"));
    name_of(&cache, "c1").await;
    name_of(&cache, "c1").await;
    assert_eq!(store.finds(), 2);
    assert!(cache.is_empty());
}

#[tokio::test]
async fn it_is_a_client_store() {
    let f = fixture(100);
    let store: &dyn ClientStore = &f.cache;
    store.create_client(&named("c1", "one")).await.unwrap();
    store.create_client(&named("c2", "two")).await.unwrap();
    let found = store.find_client(&id("c1")).await.unwrap().unwrap();
    assert_eq!(found.client.metadata.client_name, "one");
    let listed = store.list_clients(&Page::first(10)).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(matches!(
        store.create_client(&named("c1", "again")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(format!("{:?}", f.cache).contains("ClientCache"));
}
