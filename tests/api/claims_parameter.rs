//! The `claims` request parameter (OpenID Connect Core §5.5): individual claims in the ID token and at userinfo
//! beyond the scope, kept across refreshes; a malformed value is an error redirect; a `sub` value names the
//! only user the authorization may be for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_registry::ClientRequest;
use charter_testkit::browser::{PKCE_CHALLENGE, PKCE_VERIFIER};
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app};
use reqwest::{Client, Response};
use serde_json::Value;
use url::Url;

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";

struct Rp {
    id: String,
    secret: String,
}

async fn setup(backend: Backend) -> Option<(TestApp, Rp)> {
    let app = spawn_app(backend).await?;
    app.create_user("alice", PW).await;
    let c = app
        .register_client(ClientRequest {
            client_name: Some("App".into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid profile email offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    let rp = Rp {
        id: c.record.client.id.to_string(),
        secret: c.secret.unwrap(),
    };
    Some((app, rp))
}

fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// `/authorize` with PKCE, `state`, `nonce` and these extra parameters.
fn authorize_url(app: &TestApp, rp: &Rp, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st")
        .append_pair("nonce", "n1")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    url.into()
}

/// The query of the redirect that left Charter.
fn back_at_client(res: &Response) -> Vec<(String, String)> {
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.starts_with(REDIRECT), "not back at the client: {to}");
    Url::parse(to).unwrap().query_pairs().into_owned().collect()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Authorize (signing in as alice and allowing) and redeem the code.
async fn tokens(app: &TestApp, rp: &Rp, scope: &str, claims: &str) -> Value {
    let b = browser();
    let res = b
        .get(authorize_url(app, rp, scope, &[("claims", claims)]))
        .send()
        .await
        .unwrap();
    let res = app.walk(&b, res, "alice", PW, "allow").await;
    let q = back_at_client(&res);
    let code = param(&q, "code").expect("a code");
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", PKCE_VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "code exchange");
    res.json().await.unwrap()
}

fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn userinfo(app: &TestApp, access_token: &str) -> Value {
    let res = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn essential_claim_goes_into_the_id_token_without_its_scope(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let discovery: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["claims_parameter_supported"], true);

    let t = tokens(
        &app,
        &rp,
        "openid",
        r#"{"id_token":{"email":{"essential":true},"given_name":null,"shoe_size":{"essential":true}}}"#,
    )
    .await;
    let id = jwt_claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "alice@example.com");
    // Requested but not set for alice, or unknown: left out, essential or not.
    assert!(id.get("given_name").is_none() && id.get("shoe_size").is_none());
    // Only what was named: neither the rest of the email scope nor the profile.
    assert!(id.get("email_verified").is_none() && id.get("name").is_none());
    assert_eq!(id["nonce"], "n1");
    // Asked for the ID token, not for userinfo: userinfo keeps to the scope.
    let info = userinfo(&app, t["access_token"].as_str().unwrap()).await;
    assert!(info.get("email").is_none(), "{info}");
}

async fn userinfo_claims_via_the_parameter(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let t = tokens(
        &app,
        &rp,
        "openid",
        r#"{"userinfo":{"name":null,"email":{"essential":false}}}"#,
    )
    .await;
    let info = userinfo(&app, t["access_token"].as_str().unwrap()).await;
    assert_eq!(info["name"], "alice Example");
    assert_eq!(info["email"], "alice@example.com");
    assert!(info.get("email_verified").is_none() && info.get("preferred_username").is_none());
    // Asked for userinfo only: the ID token stays minimal.
    let id = jwt_claims(t["id_token"].as_str().unwrap());
    assert!(id.get("email").is_none() && id.get("name").is_none());
}

async fn requested_claims_are_shown_on_the_consent_page(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let b = browser();
    app.create_user("bob", PW).await;
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", r#"{"id_token":{"email":null}}"#)],
        ))
        .send()
        .await
        .unwrap();
    // Sign in, then stop at the consent page.
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login"), "{login}");
    let res = app.walk(&b, res, "bob", PW, "deny").await;
    let q = back_at_client(&res);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    // Walk again to read the page this time.
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", r#"{"id_token":{"email":null}}"#)],
        ))
        .send()
        .await
        .unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/consent"), "{to}");
    let page = b
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("See your email address"), "{page}");
}

async fn a_malformed_claims_parameter_is_an_error_redirect(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    for bad in [
        "{not json",
        r#"["email"]"#,
        r#"{"id_token":"email"}"#,
        r#"{"userinfo":{"email":{"essential":"yes"}}}"#,
        r#"{"id_token":{"sub":{"value":42}}}"#,
    ] {
        let res = browser()
            .get(authorize_url(&app, &rp, "openid", &[("claims", bad)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{bad}");
        let q = back_at_client(&res);
        assert_eq!(param(&q, "error"), Some("invalid_request"), "{bad}");
        assert_eq!(param(&q, "state"), Some("st"));
        assert_eq!(param(&q, "iss"), Some(app.issuer.as_str()), "RFC 9207");
        assert!(param(&q, "code").is_none());
    }
    // An essential acr with values Charter cannot meet: a failed authentication (Core §5.5.1.1).
    let res = browser()
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[(
                "claims",
                r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:loa:4"]}}}"#,
            )],
        ))
        .send()
        .await
        .unwrap();
    let q = back_at_client(&res);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "iss"), Some(app.issuer.as_str()));
}

async fn a_refresh_keeps_the_requested_id_token_claims(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let t = tokens(
        &app,
        &rp,
        "openid offline_access",
        r#"{"id_token":{"email":{"essential":true}},"userinfo":{"name":null}}"#,
    )
    .await;
    let refresh = t["refresh_token"].as_str().expect("a refresh token");
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let t2: Value = res.json().await.unwrap();
    let id = jwt_claims(t2["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "alice@example.com");
    assert!(
        id.get("nonce").is_none(),
        "no nonce on a refresh (Core 12.2)"
    );
    let info = userinfo(&app, t2["access_token"].as_str().unwrap()).await;
    assert_eq!(info["name"], "alice Example");
}

async fn a_sub_value_names_the_only_user_the_answer_may_be_about(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let bob = app.create_user("bob", PW).await;
    let alice_sub = {
        let t = tokens(&app, &rp, "openid", "{}").await;
        jwt_claims(t["id_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sub_is = |sub: &str| format!(r#"{{"id_token":{{"sub":{{"value":"{sub}"}}}}}}"#);

    // Alice is signed in; a request for bob must not be answered with alice.
    let b = browser();
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", &sub_is(&alice_sub))],
        ))
        .send()
        .await
        .unwrap();
    let res = app.walk(&b, res, "alice", PW, "allow").await;
    assert!(
        param(&back_at_client(&res), "code").is_some(),
        "alice asked, alice answered"
    );

    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", &sub_is(bob.sub.as_str())), ("prompt", "none")],
        ))
        .send()
        .await
        .unwrap();
    let q = back_at_client(&res);
    assert_eq!(param(&q, "error"), Some("login_required"), "prompt=none");
    assert_eq!(param(&q, "iss"), Some(app.issuer.as_str()));

    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", &sub_is(bob.sub.as_str()))],
        ))
        .send()
        .await
        .unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/login"), "another user must sign in: {to}");
    // Alice signs in again instead: the request fails rather than answering about her.
    let res = app.walk(&b, res, "alice", PW, "allow").await;
    let q = back_at_client(&res);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "state"), Some("st"));
    assert_eq!(param(&q, "iss"), Some(app.issuer.as_str()));

    // Bob signs in: answered, about bob.
    let b = browser();
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            "openid",
            &[("claims", &sub_is(bob.sub.as_str()))],
        ))
        .send()
        .await
        .unwrap();
    let res = app.walk(&b, res, "bob", PW, "allow").await;
    assert!(param(&back_at_client(&res), "code").is_some());
}

/// Signs `b` in as `user` on the login page (without following where it leads).
async fn sign_in(app: &TestApp, b: &Client, user: &str) {
    let page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf").unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", user),
            ("password", PW),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in of {user}");
}

async fn switching_users_before_consenting_does_not_answer_for_the_other(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let bob = app.create_user("bob", PW).await;
    // Bob signs in and the request for bob (with an email claim, so it needs consent) reaches the consent page.
    let b = browser();
    sign_in(&app, &b, "bob").await;
    let claims = format!(
        r#"{{"id_token":{{"sub":{{"value":"{}"}},"email":null}}}}"#,
        bob.sub
    );
    let res = b
        .get(authorize_url(&app, &rp, "openid", &[("claims", &claims)]))
        .send()
        .await
        .unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/consent"), "{to}");
    let page = b
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf").unwrap();
    let request_id = hidden_input(&page, "request_id").unwrap();
    // Alice takes over the browser, then the old consent page is submitted.
    sign_in(&app, &b, "alice").await;
    let res = b
        .post(app.url("/consent"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("request_id", request_id.as_str()),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    let q = back_at_client(&res);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert!(param(&q, "code").is_none());
}

backend_tests!(
    switching_users_before_consenting_does_not_answer_for_the_other,
    essential_claim_goes_into_the_id_token_without_its_scope,
    userinfo_claims_via_the_parameter,
    requested_claims_are_shown_on_the_consent_page,
    a_malformed_claims_parameter_is_an_error_redirect,
    a_refresh_keeps_the_requested_id_token_claims,
    a_sub_value_names_the_only_user_the_answer_may_be_about,
);
