//! Introspection (RFC 7662) and revocation (RFC 7009): tokens that tell the truth.

use charter_core::Clock;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use serde_json::{Value, json};

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";

struct Creds {
    id: String,
    secret: String,
}

async fn register(app: &TestApp, grants: &[&str], redirect: bool) -> Creds {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("C".into()),
            redirect_uris: if redirect {
                vec![REDIRECT.into()]
            } else {
                vec![]
            },
            grant_types: Some(grants.iter().map(|g| (*g).to_owned()).collect()),
            scope: Some(
                if redirect {
                    "openid profile offline_access"
                } else {
                    "api:read"
                }
                .into(),
            ),
            ..ClientRequest::default()
        })
        .await;
    Creds {
        id: c.record.client.id.to_string(),
        secret: c.secret.unwrap(),
    }
}

async fn tokens(app: &TestApp, rp: &Creds) -> Value {
    let scope = "openid profile offline_access";
    app.code_flow_tokens(&rp.id, &rp.secret, REDIRECT, scope, "alice", PW)
        .await
}

async fn introspect(app: &TestApp, who: &Creds, token: &str) -> Value {
    let res = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&who.id, Some(&who.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn revoke(app: &TestApp, who: &Creds, token: &str) -> u16 {
    app.client
        .post(app.url("/revoke"))
        .basic_auth(&who.id, Some(&who.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn refresh_status(app: &TestApp, rp: &Creds, rt: &str) -> u16 {
    app.client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn introspection_tells_the_truth(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let rp = register(&app, &["authorization_code", "refresh_token"], true).await;
    let api = register(&app, &["client_credentials"], false).await;
    let t = tokens(&app, &rp).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();

    let info = introspect(&app, &api, at).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], alice.sub.as_str());
    assert_eq!(info["client_id"], rp.id.as_str());
    assert_eq!(info["iss"], app.issuer.as_str());
    assert_eq!(info["token_type"], "Bearer");
    for claim in ["scope", "exp", "iat", "aud", "jti"] {
        assert!(info.get(claim).is_some(), "{claim}");
    }
    // Refresh tokens only to their own client.
    assert_eq!(introspect(&app, &api, rt).await, json!({ "active": false }));
    let info = introspect(&app, &rp, rt).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    // Garbage is exactly inactive.
    assert_eq!(
        introspect(&app, &api, "garbage").await,
        json!({ "active": false })
    );
    // Client-credentials tokens are introspectable too.
    let cc: Value = app
        .client
        .post(app.url("/token"))
        .basic_auth(&api.id, Some(&api.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info = introspect(&app, &api, cc["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], api.id.as_str());

    // A user disabled behind the node's back (the CLI writes to the database directly): inactive within the
    // revocation view's polling bound (through the admin API on this node: at once).
    let store = app.key_manager.store.clone();
    store
        .set_user_disabled(&alice.sub, true, app.clock.now())
        .await
        .unwrap();
    inactive_within_bound(&app, &api, at).await;

    // Callers must authenticate; public clients may not introspect.
    let res = app
        .client
        .post(app.url("/introspect"))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 401),
        "{}",
        res.status()
    );
    app.stop().await;
}

async fn revocation_ends_what_it_names(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = register(&app, &["authorization_code", "refresh_token"], true).await;
    let other = register(&app, &["authorization_code", "refresh_token"], true).await;
    let api = register(&app, &["client_credentials"], false).await;

    // An access token: on the deny-list, but its refresh token lives on.
    let t = tokens(&app, &rp).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(
        revoke(&app, &other, at).await,
        200,
        "another client's token: 200, nothing happens"
    );
    assert_eq!(introspect(&app, &api, at).await["active"], true);
    assert_eq!(revoke(&app, &rp, at).await, 200);
    assert_eq!(introspect(&app, &api, at).await, json!({ "active": false }));
    let userinfo = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert_eq!(introspect(&app, &rp, rt).await["active"], true);

    // A refresh token: the whole grant ends, its access tokens with it.
    let t = tokens(&app, &rp).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    assert_eq!(revoke(&app, &other, rt).await, 200);
    assert_eq!(
        refresh_status(&app, &rp, rt).await,
        200,
        "another client cannot revoke it"
    );
    let t = tokens(&app, &rp).await;
    let at2 = t["access_token"].as_str().unwrap();
    let rt2 = t["refresh_token"].as_str().unwrap();
    assert_eq!(revoke(&app, &rp, rt2).await, 200);
    assert_eq!(refresh_status(&app, &rp, rt2).await, 400);
    assert_eq!(
        introspect(&app, &api, at2).await,
        json!({ "active": false })
    );
    let _ = at;

    // Unknown tokens: 200.
    assert_eq!(revoke(&app, &rp, "no-such-token").await, 200);
    app.stop().await;
}

/// Polls `introspect` on `node` until the token is inactive, for at most five seconds: the documented bound is
/// `tokens.revocation_refresh_interval` (1 s by default) plus one poll.
async fn inactive_within_bound(node: &TestApp, who: &Creds, token: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if introspect(node, who, token).await == json!({ "active": false }) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other node still says active after 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Two nodes on one database, each answering introspection from its own in-memory revocation view: what is
/// revoked through one node is inactive there at once, and on the other within the polling bound; a user
/// disabled behind both nodes' backs (as the CLI does) too.
async fn revocations_reach_every_node(backend: Backend) {
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    // Nodes behind one load balancer share one issuer.
    let issuer = a.issuer.to_string();
    let b = a
        .spawn_peer_with(|env| {
            env.insert("CHARTER_ISSUER".into(), issuer);
        })
        .await
        .unwrap();
    let alice = a.create_user("alice", PW).await;
    let rp = register(&a, &["authorization_code", "refresh_token"], true).await;

    // An access token revoked on A.
    let first = tokens(&a, &rp).await;
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&b, &rp, at).await["active"], true);
    assert_eq!(revoke(&a, &rp, at).await, 200);
    assert_eq!(introspect(&a, &rp, at).await, json!({ "active": false }));
    inactive_within_bound(&b, &rp, at).await;

    // A refresh token revoked on B ends its grant's access tokens on A.
    let second = tokens(&a, &rp).await;
    let (at, rt) = (
        second["access_token"].as_str().unwrap(),
        second["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(introspect(&a, &rp, at).await["active"], true);
    assert_eq!(revoke(&b, &rp, rt).await, 200);
    assert_eq!(introspect(&b, &rp, at).await, json!({ "active": false }));
    inactive_within_bound(&a, &rp, at).await;

    // A user disabled in the database directly (the CLI's way): both nodes within the bound.
    let third = tokens(&a, &rp).await;
    let at = third["access_token"].as_str().unwrap();
    assert_eq!(introspect(&a, &rp, at).await["active"], true);
    a.key_manager
        .store
        .set_user_disabled(&alice.sub, true, a.clock.now())
        .await
        .unwrap();
    inactive_within_bound(&a, &rp, at).await;
    inactive_within_bound(&b, &rp, at).await;
    b.stop().await;
    a.stop().await;
}

backend_tests!(
    introspection_tells_the_truth,
    revocation_ends_what_it_names,
    revocations_reach_every_node
);
