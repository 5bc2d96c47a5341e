//! Refresh tokens: issued with offline_access, rotated at every use, bound to their client, down-scoping only,
//! idle expiry, and reuse (including a race) revoking the whole grant.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use reqwest::Response;
use serde_json::Value;

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";

struct Rp {
    id: String,
    secret: String,
}

async fn client(app: &TestApp, grants: &[&str]) -> Rp {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("App".into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: Some(grants.iter().map(|g| (*g).to_owned()).collect()),
            scope: Some("openid profile offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    Rp {
        id: c.record.client.id.to_string(),
        secret: c.secret.unwrap(),
    }
}

async fn tokens(app: &TestApp, rp: &Rp, scope: &str) -> Value {
    app.code_flow_tokens(&rp.id, &rp.secret, REDIRECT, scope, "alice", PW)
        .await
}

async fn refresh(app: &TestApp, rp: &Rp, token: &str, scope: Option<&str>) -> Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    app.client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn error(res: Response) -> String {
    res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn userinfo_status(app: &TestApp, at: &str) -> u16 {
    app.client
        .get(app.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn rotation_and_reuse_detection(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = client(&app, &["authorization_code", "refresh_token"]).await;

    // Without offline_access an OpenID request gets no refresh token.
    let t = tokens(&app, &rp, "openid profile").await;
    assert!(t.get("refresh_token").is_none());

    let first = tokens(&app, &rp, "openid profile offline_access").await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    assert!(rt1.len() >= 43, "256-bit opaque token");
    let auth_time = claims(first["id_token"].as_str().unwrap())["auth_time"].clone();

    app.clock.advance(Duration::from_secs(60));
    let res = refresh(&app, &rp, &rt1, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let second: Value = res.json().await.unwrap();
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2, "rotated");
    let id = claims(second["id_token"].as_str().unwrap());
    assert_eq!(
        id["auth_time"], auth_time,
        "the original authentication time"
    );
    assert!(id.get("nonce").is_none(), "no nonce on a refresh");
    assert_eq!(
        id["sub"],
        claims(first["id_token"].as_str().unwrap())["sub"]
    );
    let at2 = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo_status(&app, &at2).await, 200);

    // Down-scoping is fine, up-scoping is not.
    let res = refresh(&app, &rp, &rt2, Some("openid profile email")).await;
    assert_eq!(error(res).await, "invalid_scope");
    let res = refresh(&app, &rp, &rt2, Some("openid")).await;
    assert_eq!(res.status(), 200);
    let third: Value = res.json().await.unwrap();
    assert_eq!(third["scope"], "openid");
    let rt3 = third["refresh_token"].as_str().unwrap().to_owned();

    // Reusing a rotated token: invalid_grant, and the whole family dies.
    assert_eq!(
        error(refresh(&app, &rp, &rt1, None).await).await,
        "invalid_grant"
    );
    assert_eq!(
        error(refresh(&app, &rp, &rt3, None).await).await,
        "invalid_grant",
        "the newest token too"
    );
    assert_eq!(
        userinfo_status(&app, &at2).await,
        401,
        "and its access tokens"
    );
    app.stop().await;
}

async fn bound_to_client_and_expiring(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = client(&app, &["authorization_code", "refresh_token"]).await;
    let other = client(&app, &["authorization_code", "refresh_token"]).await;
    let no_refresh = client(&app, &["authorization_code"]).await;
    let t = tokens(&app, &rp, "openid offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap().to_owned();

    assert_eq!(
        error(refresh(&app, &other, &rt, None).await).await,
        "invalid_grant",
        "A32"
    );
    assert_eq!(
        error(refresh(&app, &no_refresh, &rt, None).await).await,
        "unauthorized_client"
    );
    let mut tampered = rt.clone();
    tampered.pop();
    assert_eq!(
        error(refresh(&app, &rp, &tampered, None).await).await,
        "invalid_grant",
        "A35"
    );
    // Still fine for its own client after all that.
    let res = refresh(&app, &rp, &rt, None).await;
    assert_eq!(res.status(), 200);
    let rt = res.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Idle for more than 30 days: expired (A34).
    app.clock.advance(Duration::from_secs(31 * 86_400));
    assert_eq!(
        error(refresh(&app, &rp, &rt, None).await).await,
        "invalid_grant"
    );
    app.stop().await;
}

async fn concurrent_refreshes_have_one_winner(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = client(&app, &["authorization_code", "refresh_token"]).await;
    let t = tokens(&app, &rp, "openid offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    let attempts = (0..50).map(|_| refresh(&app, &rp, &rt, None));
    let statuses: Vec<u16> = futures_join(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 200 || *s == 400));
    app.stop().await;
}

async fn futures_join<F: std::future::Future<Output = Response>>(
    futs: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futs.collect();
    let mut out = Vec::new();
    let results = join_all(handles).await;
    for r in results {
        out.push(r.status().as_u16());
    }
    out
}

/// Polls all futures concurrently (a tiny join_all, to avoid a dependency for one test).
async fn join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future completed"))
        .collect()
}

backend_tests!(
    rotation_and_reuse_detection,
    bound_to_client_and_expiring,
    concurrent_refreshes_have_one_winner,
);
