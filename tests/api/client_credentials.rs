//! client_credentials (RFC 6749 §4.4) with RFC 8707 audiences: machine-to-machine tokens about the client
//! itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use reqwest::Response;
use serde_json::Value;

async fn m2m(app: &TestApp, grants: &[&str]) -> (String, String) {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Batch".into()),
            grant_types: Some(grants.iter().map(|g| (*g).to_owned()).collect()),
            scope: Some("api:read api:write".into()),
            audiences: vec![
                "https://api.example".into(),
                "https://reports.example".into(),
            ],
            ..ClientRequest::default()
        })
        .await;
    (c.record.client.id.to_string(), c.secret.unwrap())
}

async fn token(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    app.client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
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

async fn machine_tokens_name_the_client_and_its_audience(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = m2m(&app, &["client_credentials"]).await;

    let res = token(&app, &id, &secret, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    assert_eq!(body["scope"], "api:read api:write");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        c["sub"],
        id.as_str(),
        "RFC 9068 §2.2: the client is the subject"
    );
    assert_eq!(c["client_id"], id.as_str());
    assert_eq!(c["aud"], "https://api.example", "the default audience");

    let body: Value = token(
        &app,
        &id,
        &secret,
        &[
            ("resource", "https://reports.example"),
            ("scope", "api:read"),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://reports.example");
    assert_eq!(c["scope"], "api:read");

    assert_eq!(
        error(token(&app, &id, &secret, &[("resource", "https://other.example")]).await).await,
        "invalid_target"
    );
    assert_eq!(
        error(token(&app, &id, &secret, &[("scope", "api:admin")]).await).await,
        "invalid_scope"
    );
    assert_eq!(
        error(token(&app, &id, &secret, &[("scope", "openid")]).await).await,
        "invalid_scope"
    );
    assert_eq!(token(&app, &id, "wrong", &[]).await.status(), 401);
    app.stop().await;
}

async fn only_clients_registered_for_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let web = app
        .register_client(ClientRequest {
            client_name: Some("Web".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            ..ClientRequest::default()
        })
        .await;
    let id = web.record.client.id.to_string();
    assert_eq!(
        error(token(&app, &id, web.secret.as_deref().unwrap(), &[]).await).await,
        "unauthorized_client"
    );
    app.stop().await;
}

backend_tests!(
    machine_tokens_name_the_client_and_its_audience,
    only_clients_registered_for_it
);
