//! Keys that rotate without anyone noticing: pre-publication, retirement, revocation, restarts, a wrong KEK,
//! and two nodes on one database. Time is driven through the pinned clock; nothing sleeps.

use std::collections::BTreeSet;
use std::time::Duration;

use charter_keys::SigningAlg;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use jsonwebtoken::Validation;
use serde_json::{Value, json};

const DAY: u64 = 86_400;

async fn jwks_kids(app: &TestApp) -> BTreeSet<String> {
    let body: Value = app.get("/jwks").await.json().await.unwrap();
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn signing_kid(app: &TestApp, alg: SigningAlg) -> String {
    app.keys.current().signer(alg).unwrap().kid().to_owned()
}

/// A token signed now with `alg`, as later issues' ID and access tokens will be.
fn token(app: &TestApp, alg: SigningAlg) -> String {
    let claims = json!({ "iss": app.issuer.as_str(), "sub": "s", "exp": 4_000_000_000u64 });
    app.keys
        .current()
        .signer(alg)
        .unwrap()
        .sign_jwt("JWT", &claims)
        .unwrap()
}

fn accepted(app: &TestApp, token: &str) -> bool {
    let v = Validation {
        validate_aud: false,
        ..Validation::default()
    };
    app.keys.current().verify::<Value>(token, "JWT", v).is_ok()
}

async fn rotation_publishes_before_signing_and_retires_after_expiry(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let es = SigningAlg::ES256;
    let before = jwks_kids(&app).await;
    let old = signing_kid(&app, es);
    let old_token = token(&app, es);

    // The next key is already published: it is in the JWKS and not the one signing.
    let next = app.key_manager.list().await.unwrap();
    let next = next
        .iter()
        .find(|k| k.alg == "ES256" && k.state == "next")
        .unwrap()
        .kid
        .clone();
    assert!(before.contains(&next));
    assert_ne!(next, old);

    // Just before the rotation is due nothing changes.
    app.clock.advance(Duration::from_secs(30 * DAY - 10));
    app.tick_keys().await;
    assert_eq!(signing_kid(&app, es), old);

    // Due: the pre-published key signs; the old one is still published, and its tokens still verify.
    app.clock.advance(Duration::from_secs(10));
    app.tick_keys().await;
    assert_eq!(
        signing_kid(&app, es),
        next,
        "the published next key now signs"
    );
    let after = jwks_kids(&app).await;
    assert!(after.contains(&old), "the retired key stays published");
    assert!(after.contains(&next));
    assert_eq!(
        after.len(),
        before.len() + 3,
        "a new next key per algorithm, the retired ones kept"
    );
    assert!(accepted(&app, &old_token));

    // Once every token it signed has expired (1 h access tokens + 2 min skew), the old key goes.
    app.clock.advance(Duration::from_secs(3600 + 120));
    app.tick_keys().await;
    let later = jwks_kids(&app).await;
    assert!(!later.contains(&old), "removed after its tokens expired");
    assert!(!accepted(&app, &old_token));
    let states: Vec<String> = app
        .key_manager
        .list()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.kid == old)
        .map(|k| k.state)
        .collect();
    assert_eq!(states, ["removed"]);
    app.stop().await;
}

async fn revoking_the_active_key_withdraws_it_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let rs = SigningAlg::RS256;
    let leaked = signing_kid(&app, rs);
    let leaked_token = token(&app, rs);
    assert!(accepted(&app, &leaked_token));

    app.key_manager.revoke(&leaked).await.unwrap();
    app.tick_keys().await;
    assert!(
        !jwks_kids(&app).await.contains(&leaked),
        "gone from the JWKS"
    );
    assert!(!accepted(&app, &leaked_token), "its tokens are refused");
    let successor = signing_kid(&app, rs);
    assert_ne!(successor, leaked, "the next key took over at once");
    assert!(accepted(&app, &token(&app, rs)));
    // A fresh next key exists again.
    let keys = app.key_manager.list().await.unwrap();
    assert!(keys.iter().any(|k| k.alg == "RS256" && k.state == "next"));
    app.stop().await;
}

async fn a_restart_keeps_every_key(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let before = jwks_kids(&app).await;
    let signing = signing_kid(&app, SigningAlg::EdDSA);
    let app = app.restart().await;
    assert_eq!(jwks_kids(&app).await, before);
    assert_eq!(signing_kid(&app, SigningAlg::EdDSA), signing);
    app.stop().await;
}

async fn a_wrong_kek_refuses_to_start(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let wrong = "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I=";
    let err = app
        .spawn_peer_with(|env| {
            env.insert("CHARTER_KEY_ENCRYPTION_KEY".into(), wrong.into());
        })
        .await
        .expect_err("a node with another KEK must not start");
    let msg = err.to_string();
    assert!(msg.contains("key-encryption key"), "{msg}");
    // Nothing was generated over the existing keys.
    assert_eq!(app.key_manager.list().await.unwrap().len(), 6);
    app.stop().await;
}

async fn two_nodes_agree_and_rotate_exactly_once(backend: Backend) {
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    let b = a.spawn_peer().await;
    assert_eq!(jwks_kids(&a).await, jwks_kids(&b).await, "one key set");

    let due = Duration::from_secs(30 * DAY);
    a.clock.advance(due);
    b.clock.advance(due);
    // Both nodes run maintenance at once; the lease and the conditional changes let exactly one rotate.
    tokio::join!(a.tick_keys(), b.tick_keys());
    tokio::join!(a.tick_keys(), b.tick_keys());

    let keys = a.key_manager.list().await.unwrap();
    for alg in ["RS256", "ES256", "EdDSA"] {
        let count = |state: &str| {
            keys.iter()
                .filter(|k| k.alg == alg && k.state == state)
                .count()
        };
        assert_eq!(count("active"), 1, "{alg}");
        assert_eq!(count("next"), 1, "{alg}");
        assert_eq!(count("retired"), 1, "{alg}: rotated exactly once");
    }
    assert_eq!(jwks_kids(&a).await, jwks_kids(&b).await, "converged");
    for alg in [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA] {
        assert_eq!(signing_kid(&a, alg), signing_kid(&b, alg));
    }
    b.stop().await;
    a.stop().await;
}

backend_tests!(
    rotation_publishes_before_signing_and_retires_after_expiry,
    revoking_the_active_key_withdraws_it_at_once,
    a_restart_keeps_every_key,
    a_wrong_kek_refuses_to_start,
    two_nodes_agree_and_rotate_exactly_once,
);
