//! Several stateless nodes on one database, crossed the way a load balancer crosses them: a browser authorizes
//! on one node and the relying party redeems the code on the other; a refresh token rotated on one and replayed
//! on the other revokes the grant everywhere; a client deleted through one stops authenticating on the other
//! within the client cache's bound.

use std::time::Duration;

use charter_core::ids::ClientId;
use charter_registry::ClientRequest;
use charter_testkit::browser::{PKCE_CHALLENGE, PKCE_VERIFIER};
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use serde_json::{Value, json};

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn token(node: &TestApp, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = node
        .client
        .post(node.url("/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn introspect(node: &TestApp, id: &str, secret: &str, t: &str) -> Value {
    node.client
        .post(node.url("/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", t)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn nodes_share_one_truth(backend: Backend) {
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    // Behind one load balancer, every node has the same issuer.
    let issuer = a.issuer.to_string();
    let b = a
        .spawn_peer_with(|env| {
            env.insert("CHARTER_ISSUER".into(), issuer);
        })
        .await
        .unwrap();
    a.create_user("alice", PW).await;
    let rp = a
        .register_client(ClientRequest {
            client_name: Some("Crossed".into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    let (id, secret) = (rp.record.client.id.to_string(), rp.secret.unwrap());

    // Authorize, sign in and consent on A ...
    let mut url = reqwest::Url::parse(&a.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid offline_access")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let br = browser();
    let res = br.get(url.as_str()).send().await.unwrap();
    let res = a.walk(&br, res, "alice", PW, "allow").await;
    let back = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    // ... and redeem the code on B.
    let (status, first) = token(
        &b,
        &id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let rt1 = first["refresh_token"].as_str().unwrap();

    // Rotate on A; replay the spent token on B: the whole grant is revoked, on both nodes.
    let (status, second) = token(
        &a,
        &id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let (status, replay) = token(
        &b,
        &id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let rt2 = second["refresh_token"].as_str().unwrap();
    let (status, _) = token(
        &a,
        &id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
    )
    .await;
    assert_eq!(status, 400, "the newer refresh token died with its grant");
    let at2 = second["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&b, &id, &secret, at2).await,
        json!({ "active": false })
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while introspect(&a, &id, &secret, at2).await != json!({ "active": false }) {
        assert!(
            std::time::Instant::now() < deadline,
            "node A still says active"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A client deleted behind both nodes (as the CLI does): once the client cache's 5 s have passed on a node,
    // it refuses the client there.
    assert!(
        a.key_manager
            .store
            .delete_client(&ClientId::parse(&id).unwrap())
            .await
            .unwrap()
    );
    b.clock.advance(Duration::from_secs(6));
    let (status, body) = token(
        &b,
        &id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    b.stop().await;
    a.stop().await;
}

backend_tests!(nodes_share_one_truth);
