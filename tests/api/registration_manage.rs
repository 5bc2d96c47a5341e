//! Client self-management with the registration access token (RFC 7592): read, replace, delete; and how
//! dynamically registered clients appear to users (unverified, no logo).

use charter_testkit::{Backend, TestApp, backend_tests};
use reqwest::Response;
use serde_json::{Value, json};

use crate::registration::{PW, REDIRECT, error_of, metadata, open_app, register, register_body};

/// The consent page a signed-in user sees for `client_id`.
async fn consent_page(app: &TestApp, client_id: &str) -> String {
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", charter_testkit::browser::PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let mut res = app.client.get(url.as_str()).send().await.unwrap();
    for _ in 0..5 {
        if res.status() != 303 {
            break;
        }
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with('/'), "stays on Charter: {to}");
        res = app.get(&to).await;
    }
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn dynamic_clients_are_shown_as_unverified_and_without_logo(backend: Backend) {
    let Some(app) = open_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    app.sign_in("alice", PW).await;
    let logo = "https://rp.example/logo.png";
    let mut m = metadata();
    m["logo_uri"] = json!(logo);
    let dynamic = register_body(&app, &m).await;
    let page = consent_page(&app, dynamic["client_id"].as_str().unwrap()).await;
    assert!(page.contains("Unverified application"));
    assert!(!page.contains("logo.png"), "no logo for a dynamic client");

    // The same metadata registered by an operator: verified, logo shown.
    let operator = app
        .register_client(charter_registry::ClientRequest {
            client_name: Some("Agent".into()),
            redirect_uris: vec![REDIRECT.into()],
            logo_uri: Some(logo.into()),
            ..charter_registry::ClientRequest::default()
        })
        .await;
    let page = consent_page(&app, operator.record.client.id.as_str()).await;
    assert!(!page.contains("Unverified application"));
    assert!(page.contains("logo.png"));
}

async fn manage(
    app: &TestApp,
    method: reqwest::Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut req = app.client.request(method, uri);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

async fn clients_manage_themselves_with_their_registration_access_token(backend: Backend) {
    let Some(app) = open_app(backend).await else {
        return;
    };
    let c = register(&app).await;
    let other = register(&app).await;
    let uri = c["registration_client_uri"].as_str().unwrap();
    let token = c["registration_access_token"].as_str().unwrap();
    let secret = c["client_secret"].as_str().unwrap();
    let id = c["client_id"].as_str().unwrap();
    use reqwest::Method;

    // RFC 7592 §2.1: no token, a wrong token, another client's token: 401.
    let other_token = other["registration_access_token"].as_str().unwrap();
    for t in [None, Some("wrong"), Some(other_token)] {
        let res = manage(&app, Method::GET, uri, t, None).await;
        assert_eq!(
            error_of(res).await,
            (401, "invalid_token".to_owned()),
            "{t:?}"
        );
    }
    let res = manage(&app, Method::GET, uri, Some(token), None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let mut read: Value = res.json().await.unwrap();
    assert_eq!(read["client_id"], id);
    assert_eq!(read["client_name"], "Agent");
    assert_eq!(read["registration_client_uri"], uri);
    assert!(read.get("client_secret").is_none(), "never readable again");
    assert!(read.get("registration_access_token").is_none());

    // §2.2: the client sends back what it read, changed.
    read["client_name"] = json!("Agent v2");
    read["redirect_uris"] = json!([REDIRECT, "https://rp.example/cb2"]);
    let res = manage(&app, Method::PUT, uri, Some(token), Some(&read)).await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["client_name"], "Agent v2");
    assert_eq!(updated["redirect_uris"][1], "https://rp.example/cb2");
    assert_eq!(updated["client_id_issued_at"], c["client_id_issued_at"]);
    let again: Value = manage(&app, Method::GET, uri, Some(token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["client_name"], "Agent v2");

    let mut wrong_id = read.clone();
    wrong_id["client_id"] = other["client_id"].clone();
    let mut wrong_secret = read.clone();
    wrong_secret["client_secret"] = json!("not-the-secret");
    let mut operator_only = read.clone();
    operator_only["skip_consent"] = json!(true);
    let mut bad_uri = read.clone();
    bad_uri["redirect_uris"] = json!(["http://rp.example/cb"]);
    for (body, expected) in [
        (wrong_id, "invalid_client_metadata"),
        (wrong_secret, "invalid_client_metadata"),
        (operator_only, "invalid_client_metadata"),
        (bad_uri, "invalid_redirect_uri"),
    ] {
        let res = manage(&app, Method::PUT, uri, Some(token), Some(&body)).await;
        assert_eq!(error_of(res).await.1, expected, "{body}");
    }
    let mut with_secret = read.clone();
    with_secret["client_secret"] = json!(secret);
    let res = manage(&app, Method::PUT, uri, Some(token), Some(&with_secret)).await;
    assert_eq!(res.status(), 200, "the right secret is accepted");
    let res = manage(&app, Method::PUT, uri, Some(other_token), Some(&read)).await;
    assert_eq!(res.status(), 401);

    // Tokens issued before the deletion stop working with it.
    app.create_user("alice", PW).await;
    let tokens = app
        .code_flow_tokens(id, secret, REDIRECT, "openid", "alice", PW)
        .await;
    let at = tokens["access_token"].as_str().unwrap();
    let userinfo = |at: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/userinfo"))
                .bearer_auth(at)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo(at.to_owned()).await, 200);

    // §2.3: delete.
    let res = manage(&app, Method::DELETE, uri, Some(other_token), None).await;
    assert_eq!(res.status(), 401, "not with another client's token");
    let res = manage(&app, Method::DELETE, uri, Some(token), None).await;
    assert_eq!(res.status(), 204);
    let res = manage(&app, Method::GET, uri, Some(token), None).await;
    assert_eq!(error_of(res).await, (401, "invalid_token".to_owned()));
    assert_eq!(userinfo(at.to_owned()).await, 401);
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap_or("x"),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the client is gone");
    // The other client is untouched.
    let res = manage(
        &app,
        Method::GET,
        other["registration_client_uri"].as_str().unwrap(),
        Some(other_token),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
}

/// RFC 9700 §4.11.2: an erroneous request of an unvetted client, with nobody signed in, is not redirected.
async fn dynamic_clients_errors_are_pages_until_someone_signs_in(backend: Backend) {
    let Some(app) = open_app(backend).await else {
        return;
    };
    let dynamic = register(&app).await;
    let operator = app
        .register_client(charter_registry::ClientRequest {
            client_name: Some("Web".into()),
            redirect_uris: vec![REDIRECT.into()],
            ..charter_registry::ClientRequest::default()
        })
        .await;
    // No code_challenge: invalid_request, which normally goes back to the redirect URI.
    let bad_request = |client_id: &str| {
        let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid")
            .append_pair("state", "s");
        url.to_string()
    };
    let res = app
        .client
        .get(bad_request(operator.record.client.id.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(REDIRECT)
    );

    let dynamic_id = dynamic["client_id"].as_str().unwrap();
    let res = app
        .client
        .get(bad_request(dynamic_id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none(), "no open redirect");

    // Once a user is signed in, the usual redirect applies.
    app.create_user("alice", PW).await;
    app.sign_in("alice", PW).await;
    let res = app
        .client
        .get(bad_request(dynamic_id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

backend_tests!(
    clients_manage_themselves_with_their_registration_access_token,
    dynamic_clients_are_shown_as_unverified_and_without_logo,
    dynamic_clients_errors_are_pages_until_someone_signs_in,
);
