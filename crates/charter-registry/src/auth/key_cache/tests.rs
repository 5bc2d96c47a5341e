//! The cache's rules with a scripted fetcher and a pinned clock: TTL bounds, re-fetch on an unknown kid,
//! the rate limit, failures.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::*;
use crate::auth::test_keys::TestKey;

#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<Vec<Result<FetchedJwks, String>>>,
    calls: AtomicUsize,
}

impl Scripted {
    fn then(&self, answer: Result<FetchedJwks, String>) {
        self.answers.lock().unwrap().push(answer);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksFetcher for Scripted {
    async fn fetch(&self, _: &Url) -> Result<FetchedJwks, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap();
        if answers.is_empty() {
            return Err("no answer scripted".into());
        }
        answers.remove(0)
    }
}

fn set(kids: &[&str], max_age: Option<u64>) -> Result<FetchedJwks, String> {
    let keys: Vec<_> = kids.iter().map(|k| TestKey::es256().jwk(k)).collect();
    Ok(FetchedJwks {
        body: json!({ "keys": keys }).to_string().into_bytes(),
        max_age: max_age.map(Duration::from_secs),
    })
}

fn setup() -> (Arc<Scripted>, ClientKeyCache, ClientId, Url) {
    let fetcher = Arc::new(Scripted::default());
    let cache = ClientKeyCache::new(fetcher.clone(), KeyCachePolicy::default());
    let client = ClientId::parse("rp-1").unwrap();
    let uri = Url::parse("https://rp.example/jwks").unwrap();
    (fetcher, cache, client, uri)
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix(1_800_000_000 + secs)
}

#[tokio::test]
async fn fetched_once_then_served_until_the_ttl() {
    let (fetcher, cache, client, uri) = setup();
    fetcher.then(set(&["k1"], Some(600)));
    fetcher.then(set(&["k1"], None));
    for now in [0, 10, 599] {
        let keys = cache.keys(&client, &uri, Some("k1"), t(now)).await.unwrap();
        assert!(keys.has_kid("k1"));
    }
    assert_eq!(fetcher.calls(), 1);
    cache.keys(&client, &uri, Some("k1"), t(600)).await.unwrap();
    assert_eq!(fetcher.calls(), 2);
}

#[tokio::test]
async fn max_age_is_held_within_bounds() {
    for (max_age, kept_secs) in [
        (None, 300),
        (Some(0), 300),
        (Some(10), 300),
        (Some(3600), 3600),
        (Some(7 * 86_400), 86_400),
    ] {
        let (fetcher, cache, client, uri) = setup();
        fetcher.then(set(&["k1"], max_age));
        fetcher.then(set(&["k1"], None));
        cache.keys(&client, &uri, None, t(0)).await.unwrap();
        cache
            .keys(&client, &uri, None, t(kept_secs - 1))
            .await
            .unwrap();
        assert_eq!(fetcher.calls(), 1, "{max_age:?}");
        cache.keys(&client, &uri, None, t(kept_secs)).await.unwrap();
        assert_eq!(fetcher.calls(), 2, "{max_age:?}");
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_every_30_seconds() {
    let (fetcher, cache, client, uri) = setup();
    fetcher.then(set(&["k1"], Some(3600)));
    fetcher.then(set(&["k1"], Some(3600)));
    fetcher.then(set(&["k1", "k2"], Some(3600)));
    cache.keys(&client, &uri, Some("k1"), t(0)).await.unwrap();

    // Within 30 s of the last fetch, an unknown kid gets the cached set (verification then fails).
    let keys = cache.keys(&client, &uri, Some("k2"), t(29)).await.unwrap();
    assert!(!keys.has_kid("k2"));
    assert_eq!(fetcher.calls(), 1);
    // After 30 s, one re-fetch; the client has not rotated yet.
    let keys = cache.keys(&client, &uri, Some("k2"), t(30)).await.unwrap();
    assert!(!keys.has_kid("k2"));
    assert_eq!(fetcher.calls(), 2);
    // Made-up kids in a burst: no more fetches.
    for kid in ["x", "y", "z"] {
        cache.keys(&client, &uri, Some(kid), t(45)).await.unwrap();
    }
    assert_eq!(fetcher.calls(), 2);
    // The client rotated: the next allowed re-fetch finds k2, and k2 is then served from the cache.
    let keys = cache.keys(&client, &uri, Some("k2"), t(60)).await.unwrap();
    assert!(keys.has_kid("k2"));
    cache.keys(&client, &uri, Some("k2"), t(61)).await.unwrap();
    cache.keys(&client, &uri, Some("k1"), t(62)).await.unwrap();
    assert_eq!(fetcher.calls(), 3);
}

#[tokio::test]
async fn failures_are_rate_limited_and_fresh_keys_survive_them() {
    let (fetcher, cache, client, uri) = setup();
    fetcher.then(Err("timeout".into()));
    fetcher.then(set(&["k1"], Some(600)));
    fetcher.then(Err("503".into()));
    assert!(cache.keys(&client, &uri, None, t(0)).await.is_err());
    // The failure is remembered: no fetch for 30 s.
    assert!(cache.keys(&client, &uri, None, t(10)).await.is_err());
    assert_eq!(fetcher.calls(), 1);
    cache.keys(&client, &uri, Some("k1"), t(30)).await.unwrap();
    assert_eq!(fetcher.calls(), 2);
    // A failed early re-fetch (unknown kid) keeps the fresh keys.
    let keys = cache.keys(&client, &uri, Some("k9"), t(100)).await.unwrap();
    assert!(keys.has_kid("k1"));
    assert_eq!(fetcher.calls(), 3);
    // Not JSON is a failure too.
    let (fetcher, cache, client, uri) = setup();
    fetcher.then(Ok(FetchedJwks {
        body: b"<html>".to_vec(),
        max_age: None,
    }));
    assert!(cache.keys(&client, &uri, None, t(0)).await.is_err());
}

#[tokio::test]
async fn a_new_jwks_uri_is_fetched_and_clients_are_apart() {
    let (fetcher, cache, client, uri) = setup();
    fetcher.then(set(&["k1"], Some(600)));
    fetcher.then(set(&["n1"], Some(600)));
    fetcher.then(set(&["o1"], Some(600)));
    cache.keys(&client, &uri, None, t(0)).await.unwrap();
    let moved = Url::parse("https://rp.example/keys-v2").unwrap();
    let keys = cache.keys(&client, &moved, None, t(1)).await.unwrap();
    assert!(keys.has_kid("n1"));
    let other = ClientId::parse("rp-2").unwrap();
    let keys = cache.keys(&other, &uri, None, t(2)).await.unwrap();
    assert!(keys.has_kid("o1"));
    assert_eq!(fetcher.calls(), 3);
}

#[tokio::test]
async fn the_cache_stays_bounded() {
    let fetcher = Arc::new(Scripted::default());
    let policy = KeyCachePolicy {
        max_entries: 2,
        ..KeyCachePolicy::default()
    };
    let cache = ClientKeyCache::new(fetcher.clone(), policy);
    let uri = Url::parse("https://rp.example/jwks").unwrap();
    for i in 0..5 {
        fetcher.then(set(&["k"], None));
        let client = ClientId::parse(&format!("rp-{i}")).unwrap();
        cache.keys(&client, &uri, None, t(i)).await.unwrap();
        assert!(cache.lock().len() <= 2);
    }
}
