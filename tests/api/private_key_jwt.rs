//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9) at the token,
//! introspection and revocation endpoints: keys registered inline or served at a `jwks_uri` by the test, replays
//! and wrongly addressed assertions refused (the 2025 audience-injection advisory: `aud` is the issuer, as one
//! string), key rotation at the client followed, and a real RP library doing the code exchange.

mod support;

use std::time::Duration;

use charter_core::Clock;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use serde_json::{Value, json};
use support::{ClientKey, JWT_BEARER, JwksServer, claims, forged, jwks};

/// Where a client's keys are.
enum Keys {
    Inline(Value),
    Uri(String),
}

/// Registers a `private_key_jwt` client of the client-credentials grant.
async fn register(app: &TestApp, keys: Keys) -> String {
    let (jwks, jwks_uri) = match keys {
        Keys::Inline(set) => (Some(set), None),
        Keys::Uri(uri) => (None, Some(uri)),
    };
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Signed".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some("api:read".into()),
            token_endpoint_auth_method: Some("private_key_jwt".into()),
            jwks,
            jwks_uri,
            ..ClientRequest::default()
        })
        .await;
    assert!(c.secret.is_none(), "no secret for a private_key_jwt client");
    c.record.client.id.to_string()
}

/// `grant_type=client_credentials` authenticated by `assertion` (and `client_id` when given).
async fn token(app: &TestApp, assertion: &str, client_id: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    if let Some(id) = client_id {
        form.push(("client_id", id));
    }
    app.client
        .post(app.url("/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn ok_token(app: &TestApp, assertion: &str) -> String {
    let res = token(app, assertion, None).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// An RFC 6749 §5.2 `invalid_client` refusal, as Charter answers body-based client authentication.
async fn assert_invalid_client(res: reqwest::Response, what: &str) -> String {
    assert_eq!(res.status(), 400, "{what}");
    assert_eq!(res.headers()["cache-control"], "no-store", "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{what}: {body}");
    body["error_description"].as_str().unwrap_or("").to_owned()
}

async fn inline_keys_authenticate_and_replays_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = ClientKey::es256("k1");
    let ed = ClientKey::ed25519("k2");
    let id = register(&app, Keys::Inline(jwks(&[&key, &ed]))).await;

    // The clock is pinned far from the wall clock: expiry is judged by Charter's clock.
    let assertion = key.sign(&claims(&app, &id));
    ok_token(&app, &assertion).await;
    // The same assertion again: a replay.
    let why = assert_invalid_client(token(&app, &assertion, None).await, "replay").await;
    assert!(why.contains("already used"), "{why}");
    // A fresh one, with client_id in the body too, and one signed with EdDSA.
    let res = token(&app, &key.sign(&claims(&app, &id)), Some(&id)).await;
    assert_eq!(res.status(), 200);
    ok_token(&app, &ed.sign(&claims(&app, &id))).await;
    // The replay is remembered past the clock moving on, until the assertion expires.
    app.clock.advance(Duration::from_secs(50));
    assert_invalid_client(token(&app, &assertion, None).await, "replay later").await;
    app.stop().await;
}

async fn wrongly_made_assertions_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = ClientKey::es256("k1");
    let stranger = ClientKey::es256("k1");
    let id = register(&app, Keys::Inline(jwks(&[&key]))).await;
    let now = app.clock.now().unix();
    let issuer = app.issuer.as_str().to_owned();
    let token_endpoint = app.url("/token");
    let patched = |name: &str, value: Value| {
        let mut c = claims(&app, &id);
        if value.is_null() {
            c.as_object_mut().unwrap().remove(name);
        } else {
            c[name] = value;
        }
        key.sign(&c)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "aud is the token endpoint",
            patched("aud", json!(token_endpoint)),
        ),
        (
            "aud is an array with the issuer",
            patched("aud", json!([issuer])),
        ),
        (
            "aud is the issuer and the token endpoint",
            patched("aud", json!([issuer, token_endpoint])),
        ),
        (
            "aud is another server",
            patched("aud", json!("https://other.example")),
        ),
        ("aud missing", patched("aud", Value::Null)),
        ("expired", patched("exp", json!(now - 600))),
        ("exp an hour ahead", patched("exp", json!(now + 3600))),
        ("exp missing", patched("exp", Value::Null)),
        ("nbf in the future", patched("nbf", json!(now + 600))),
        ("jti missing", patched("jti", Value::Null)),
        ("iss another client", patched("iss", json!("someone-else"))),
        ("sub another client", patched("sub", json!("someone-else"))),
        (
            "signed by another key under the same kid",
            stranger.sign(&claims(&app, &id)),
        ),
        (
            "alg none",
            forged(&json!({"alg": "none"}), &claims(&app, &id), b""),
        ),
        (
            "HS256 with the public key as secret",
            forged(
                &json!({"alg": "HS256", "kid": "k1"}),
                &claims(&app, &id),
                b"mac",
            ),
        ),
        (
            "a kid the client does not have",
            key.sign_with_header(&json!({"alg": "ES256", "kid": "k9"}), &claims(&app, &id)),
        ),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (what, assertion) in cases {
        assert_invalid_client(token(&app, &assertion, None).await, what).await;
    }
    let why = assert_invalid_client(
        token(&app, &patched("aud", json!(token_endpoint)), None).await,
        "aud",
    )
    .await;
    assert!(why.contains("issuer identifier"), "{why}");

    // A private_key_jwt client cannot use a secret; a secret client cannot use an assertion.
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&id, Some("guess"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let secret_client = app
        .register_client(ClientRequest {
            client_name: Some("Secret".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some("api:read".into()),
            ..ClientRequest::default()
        })
        .await;
    let other = secret_client.record.client.id.to_string();
    assert_invalid_client(
        token(&app, &key.sign(&claims(&app, &other)), None).await,
        "assertion for a client_secret_basic client",
    )
    .await;
    // Still fine with a good one.
    ok_token(&app, &key.sign(&claims(&app, &id))).await;
    app.stop().await;
}

async fn jwks_uri_keys_are_fetched_cached_and_rotated(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let old = ClientKey::es256("2026-01");
    let new = ClientKey::ed25519("2026-02");
    let server = JwksServer::start().await;
    server.serve(&jwks(&[&old]), 3600);
    let id = register(&app, Keys::Uri(server.url.clone())).await;

    ok_token(&app, &old.sign(&claims(&app, &id))).await;
    ok_token(&app, &old.sign(&claims(&app, &id))).await;
    assert_eq!(server.hits(), 1, "fetched once, then cached");

    // The client rotates: its server now publishes only the new key.
    server.serve(&jwks(&[&new]), 3600);
    // Within 30 s of the last fetch, an unknown kid does not trigger another fetch.
    assert_invalid_client(
        token(&app, &new.sign(&claims(&app, &id)), None).await,
        "new kid, re-fetch rate-limited",
    )
    .await;
    assert_eq!(server.hits(), 1);
    app.clock.advance(Duration::from_secs(31));
    ok_token(&app, &new.sign(&claims(&app, &id))).await;
    assert_eq!(server.hits(), 2, "the unknown kid made Charter re-fetch");
    ok_token(&app, &new.sign(&claims(&app, &id))).await;
    assert_eq!(server.hits(), 2);
    // The retired key no longer works.
    app.clock.advance(Duration::from_secs(31));
    assert_invalid_client(
        token(&app, &old.sign(&claims(&app, &id)), None).await,
        "retired key",
    )
    .await;
    assert_eq!(server.hits(), 3);
    app.stop().await;
}

async fn a_misbehaving_jwks_uri_is_not_followed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = ClientKey::es256("k1");
    let set = jwks(&[&key]).to_string();
    let big = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(70_000));
    let answers = [
        (
            "a redirect to the real keys",
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/jwks\r\nContent-Length: 0\r\n\r\n"
                .to_owned(),
        ),
        (
            "an error",
            format!(
                "HTTP/1.1 500 Oops\r\nContent-Length: {}\r\n\r\n{set}",
                set.len()
            ),
        ),
        (
            "an answer over 64 KiB",
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{big}",
                big.len()
            ),
        ),
        (
            "not JSON",
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>".to_owned(),
        ),
    ];
    for (what, raw) in answers {
        let server = JwksServer::start().await;
        server.serve_raw(raw.as_bytes());
        let id = register(&app, Keys::Uri(server.url.clone())).await;
        assert_invalid_client(token(&app, &key.sign(&claims(&app, &id)), None).await, what).await;
        assert_eq!(server.hits(), 1, "{what}");
    }
    app.stop().await;
}

async fn introspection_and_revocation_take_assertions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let key = ClientKey::es256("k1");
    let id = register(&app, Keys::Inline(jwks(&[&key]))).await;
    let at = ok_token(&app, &key.sign(&claims(&app, &id))).await;
    let call = |path: &'static str, assertion: String| {
        let at = at.clone();
        let app = &app;
        async move {
            app.client
                .post(app.url(path))
                .form(&[
                    ("token", at.as_str()),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", assertion.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let assertion = key.sign(&claims(&app, &id));
    let res = call("/introspect", assertion.clone()).await;
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], id.as_str());
    // Replays are refused at every endpoint.
    assert_invalid_client(call("/introspect", assertion).await, "introspection replay").await;
    let mut wrong_aud = claims(&app, &id);
    wrong_aud["aud"] = json!(app.url("/introspect"));
    assert_invalid_client(
        call("/introspect", key.sign(&wrong_aud)).await,
        "aud = endpoint",
    )
    .await;

    let res = call("/revoke", key.sign(&claims(&app, &id))).await;
    assert_eq!(res.status(), 200);
    let info: Value = call("/introspect", key.sign(&claims(&app, &id)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info, json!({"active": false}));
    app.stop().await;
}

backend_tests!(
    inline_keys_authenticate_and_replays_are_refused,
    wrongly_made_assertions_are_refused,
    jwks_uri_keys_are_fetched_cached_and_rotated,
    a_misbehaving_jwks_uri_is_not_followed,
    introspection_and_revocation_take_assertions,
);

mod relying_party;
