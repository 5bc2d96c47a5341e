//! The allowed-origin set: which origins a redirect URI admits, and how fresh the set stays.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use charter_core::clock::ManualClock;
use charter_core::store::StoreError;

use super::*;

#[derive(Default)]
struct Uris {
    uris: Mutex<Vec<String>>,
    reads: AtomicUsize,
    down: AtomicBool,
}

impl Uris {
    fn set(&self, uris: &[&str]) {
        *self.uris.lock().unwrap() = uris.iter().map(|u| (*u).to_owned()).collect();
    }
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl RedirectOriginStore for Uris {
    async fn all_redirect_uris(&self) -> Result<Vec<String>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("down".into()));
        }
        Ok(self.uris.lock().unwrap().clone())
    }
}

#[test]
fn origins_of_redirect_uris() {
    let cases: &[(&str, Option<&str>)] = &[
        ("https://app.example/cb", Some("https://app.example")),
        (
            "https://app.example:443/cb?x=1",
            Some("https://app.example"),
        ),
        (
            "https://APP.example:8443/a/b",
            Some("https://app.example:8443"),
        ),
        (
            "http://localhost:3000/callback",
            Some("http://localhost:3000"),
        ),
        ("http://127.0.0.1/cb", Some("http://127.0.0.1")),
        ("http://[::1]:8080/cb", Some("http://[::1]:8080")),
        ("com.example.app:/oauth2redirect", None),
        ("not a uri", None),
    ];
    for (uri, want) in cases {
        assert_eq!(origin_of(uri).as_deref(), *want, "{uri}");
    }
}

fn setup(ttl: u64) -> (Arc<Uris>, Arc<ManualClock>, AllowedOrigins) {
    let store = Arc::new(Uris::default());
    store.set(&["https://app.example/cb", "com.example.app:/cb"]);
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix(1_000)));
    let origins = AllowedOrigins::new(store.clone(), clock.clone(), Duration::from_secs(ttl));
    (store, clock, origins)
}

#[tokio::test]
async fn exact_origins_only() {
    let (_, _, origins) = setup(5);
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://app.example:443", false),
        ("https://app.example/", false),
        ("http://app.example", false),
        ("https://evil.example", false),
        ("https://app.example.evil", false),
        ("null", false),
        ("", false),
    ] {
        assert_eq!(origins.is_allowed(origin).await, allowed, "{origin:?}");
    }
}

#[tokio::test]
async fn a_new_registration_is_seen_within_the_ttl() {
    let (store, clock, origins) = setup(5);
    assert!(!origins.is_allowed("https://spa.example").await);
    assert_eq!(store.reads(), 1);
    store.set(&["https://app.example/cb", "https://spa.example/cb"]);
    // Younger than the TTL: served from memory, even for origins it does not hold.
    clock.advance(Duration::from_secs(4));
    assert!(!origins.is_allowed("https://spa.example").await);
    assert!(!origins.is_allowed("https://other.example").await);
    assert_eq!(store.reads(), 1);
    // Five seconds after the read: rebuilt.
    clock.advance(Duration::from_secs(1));
    assert!(origins.is_allowed("https://spa.example").await);
    assert_eq!(store.reads(), 2);
    // A deletion, likewise.
    store.set(&[]);
    clock.advance(Duration::from_secs(5));
    assert!(!origins.is_allowed("https://app.example").await);
}

#[tokio::test]
async fn invalidation_rebuilds_at_once() {
    let (store, _, origins) = setup(5);
    assert!(!origins.is_allowed("https://spa.example").await);
    store.set(&["https://spa.example/cb"]);
    origins.invalidate();
    assert!(origins.is_allowed("https://spa.example").await);
    assert_eq!(store.reads(), 2);
}

#[tokio::test]
async fn a_failing_database_keeps_the_last_set_and_is_asked_again_later() {
    let (store, clock, origins) = setup(5);
    assert!(origins.is_allowed("https://app.example").await);
    store.down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(5));
    assert!(origins.is_allowed("https://app.example").await);
    assert_eq!(store.reads(), 2);
    // Not asked again for RETRY_AFTER.
    assert!(origins.is_allowed("https://app.example").await);
    assert_eq!(store.reads(), 2);
    store.down.store(false, Ordering::SeqCst);
    store.set(&[]);
    clock.advance(AllowedOrigins::RETRY_AFTER);
    assert!(!origins.is_allowed("https://app.example").await);
    assert_eq!(store.reads(), 3);
}
