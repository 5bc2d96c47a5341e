//! The device authorization grant (RFC 8628), walked like a TV and a phone would: the device asks for codes at
//! `/device_authorization` and polls `/token`; the user enters the code at `/device`, signs in, compares the
//! code and allows or denies. Every polling answer of §3.5, the guessing throttle and expiry with the pinned
//! clock.

use std::time::Duration;

use charter_core::Clock;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app, spawn_app_with};
use jsonwebtoken::Validation;
use reqwest::{Client, Response};
use serde_json::Value;
use url::Url;

const PW: &str = "correct horse battery staple";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ";

mod errors;
mod pages;

pub(crate) fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(res: &Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// A public device client (a TV app, a CLI) allowed to refresh.
pub(crate) async fn tv(app: &TestApp) -> String {
    app.register_client(ClientRequest {
        client_name: Some("Living Room TV".into()),
        grant_types: Some(vec![DEVICE_GRANT.into(), "refresh_token".into()]),
        token_endpoint_auth_method: Some("none".into()),
        scope: Some("openid profile offline_access".into()),
        application_type: Some("native".into()),
        ..ClientRequest::default()
    })
    .await
    .record
    .client
    .id
    .to_string()
}

async fn start(app: &TestApp, client_id: &str, scope: &str) -> Response {
    app.client
        .post(app.url("/device_authorization"))
        .form(&[("client_id", client_id), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

/// Starts a device authorization and returns the response body.
pub(crate) async fn codes(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let res = start(app, client_id, scope).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

async fn poll_error(app: &TestApp, client_id: &str, device_code: &str) -> String {
    let (status, body) = poll(app, client_id, device_code).await;
    assert_eq!(status, 400, "{body}");
    body["error"].as_str().unwrap().to_owned()
}

/// Posts `typed` at `/device` in browser `b` (loading the form first for its CSRF token).
async fn enter(app: &TestApp, b: &Client, typed: &str) -> Response {
    let page = b
        .get(app.url("/device"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf").expect("csrf on the device page");
    b.post(app.url("/device"))
        .form(&[("csrf", csrf.as_str()), ("user_code", typed)])
        .send()
        .await
        .unwrap()
}

/// Enters `typed`, signs in as `user` if asked, and answers the consent page with `decision`. Returns the
/// final page.
pub(crate) async fn approve(
    app: &TestApp,
    b: &Client,
    typed: &str,
    user: &str,
    decision: &str,
) -> Response {
    let res = enter(app, b, typed).await;
    assert_eq!(res.status(), 303, "a valid code goes on to consent");
    assert!(location(&res).starts_with("/device/consent?user_code="));
    let page = app.walk(b, res, user, PW, decision).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Living Room TV"), "the client is named");
    let csrf = hidden_input(&html, "csrf").expect("csrf on the consent page");
    let code = hidden_input(&html, "user_code").expect("the code on the consent page");
    assert!(
        html.contains(&format!("<code>{code}</code>")),
        "the code is shown"
    );
    b.post(app.url("/device/consent"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("user_code", code.as_str()),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap()
}

async fn the_device_gets_tokens_once_the_user_allows(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let tv = tv(&app).await;
    let res = start(&app, &tv, "openid profile offline_access").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let device_code = body["device_code"].as_str().unwrap().to_owned();
    assert!(device_code.len() >= 43, "256 bits");
    let user_code = body["user_code"].as_str().unwrap().to_owned();
    let (a, b) = user_code.split_once('-').expect("XXXX-XXXX");
    assert!(a.len() == 4 && b.len() == 4);
    assert!(a.chars().chain(b.chars()).all(|c| ALPHABET.contains(c)));
    assert_eq!(body["verification_uri"], format!("{}/device", app.issuer));
    let complete = Url::parse(body["verification_uri_complete"].as_str().unwrap()).unwrap();
    assert_eq!(complete.path(), "/device");
    assert_eq!(
        complete
            .query_pairs()
            .find(|(k, _)| k == "user_code")
            .unwrap()
            .1,
        user_code
    );
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);

    // The link prefills the form.
    let page = app.get(&format!("/device?user_code={user_code}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(
        r#"name="user_code" type="text" value="{user_code}""#
    )));

    assert_eq!(
        poll_error(&app, &tv, &device_code).await,
        "authorization_pending"
    );
    app.clock.advance(Duration::from_secs(5));

    // Typed in lower case, without the dash; the browser is not signed in yet.
    let b = browser();
    let typed = user_code.replace('-', "").to_lowercase();
    let done = approve(&app, &b, &typed, "alice", "allow").await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Device connected"));

    // Bound to its client: another device client's poll is refused and spends nothing.
    let other = self::tv(&app).await;
    assert_eq!(
        poll_error(&app, &other, &device_code).await,
        "invalid_grant"
    );

    let (status, tokens) = poll(&app, &tv, &device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "offline_access openid profile");
    let id_token = tokens["id_token"].as_str().unwrap();
    let mut v = Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.set_issuer(&[app.issuer.as_str()]);
    v.set_audience(&[tv.as_str()]);
    let claims: Value = app
        .keys
        .current()
        .verify(id_token, "JWT", v)
        .expect("the ID token verifies");
    assert_eq!(claims["sub"], alice.sub.as_str());
    assert_eq!(
        claims["auth_time"],
        charter_testkit::T0 + 5,
        "when alice signed in"
    );
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert!(claims.get("nonce").is_none() && claims.get("sid").is_none());

    let access = tokens["access_token"].as_str().unwrap();
    let info = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], alice.sub.as_str());

    // Single use.
    assert_eq!(poll_error(&app, &tv, &device_code).await, "invalid_grant");

    // offline_access: the refresh token works like the code flow's.
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let res = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", tv.as_str()),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    assert!(refreshed["refresh_token"].is_string() && refreshed["id_token"].is_string());

    // The code is spent for the browser too.
    let res = enter(&app, &b, &user_code).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Code expired"));
    app.stop().await;
}

async fn no_refresh_token_without_offline_access(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid profile").await;
    let b = browser();
    let done = approve(
        &app,
        &b,
        body["user_code"].as_str().unwrap(),
        "alice",
        "allow",
    )
    .await;
    assert_eq!(done.status(), 200);
    let (status, tokens) = poll(&app, &tv, body["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(tokens["id_token"].is_string());
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    app.stop().await;
}

async fn polling_too_fast_slows_down_and_codes_expire(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid").await;
    let dc = body["device_code"].as_str().unwrap();
    assert_eq!(poll_error(&app, &tv, dc).await, "authorization_pending");
    // At once: too fast. The interval is now 10 s, and remembered.
    assert_eq!(poll_error(&app, &tv, dc).await, "slow_down");
    app.clock.advance(Duration::from_secs(5));
    assert_eq!(poll_error(&app, &tv, dc).await, "slow_down", "5 s < 10 s");
    // Now 15 s, measured from that last poll.
    app.clock.advance(Duration::from_secs(14));
    assert_eq!(poll_error(&app, &tv, dc).await, "slow_down", "14 s < 15 s");
    app.clock.advance(Duration::from_secs(20));
    assert_eq!(poll_error(&app, &tv, dc).await, "authorization_pending");

    // Ten minutes after it was issued, the code is gone for both sides.
    app.clock.advance(Duration::from_secs(600));
    assert_eq!(poll_error(&app, &tv, dc).await, "expired_token");
    let res = enter(&app, &browser(), body["user_code"].as_str().unwrap()).await;
    assert_eq!(res.status(), 400);

    // And the sweeper deletes it.
    let report = app
        .key_manager
        .store
        .sweep_expired(app.clock.now(), 100)
        .await
        .unwrap();
    assert!(report.deleted.contains(&("device_codes", 1)), "{report:?}");
    assert_eq!(poll_error(&app, &tv, dc).await, "invalid_grant");
    app.stop().await;
}

async fn lifetime_and_interval_come_from_the_configuration(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_DEVICE__CODE_LIFETIME".into(), "2m".into());
        env.insert("CHARTER_DEVICE__INTERVAL".into(), "7s".into());
    })
    .await
    else {
        return;
    };
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid").await;
    assert_eq!(
        (body["expires_in"].as_u64(), body["interval"].as_u64()),
        (Some(120), Some(7))
    );
    let dc = body["device_code"].as_str().unwrap();
    assert_eq!(poll_error(&app, &tv, dc).await, "authorization_pending");
    app.clock.advance(Duration::from_secs(6));
    assert_eq!(poll_error(&app, &tv, dc).await, "slow_down", "6 s < 7 s");
    app.clock.advance(Duration::from_secs(120));
    assert_eq!(poll_error(&app, &tv, dc).await, "expired_token");
    app.stop().await;
}

backend_tests!(
    the_device_gets_tokens_once_the_user_allows,
    no_refresh_token_without_offline_access,
    polling_too_fast_slows_down_and_codes_expire,
    lifetime_and_interval_come_from_the_configuration,
);
