//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at `/logout`, parameter by parameter as the
//! OpenID logout test plan drives it: no parameters, a valid hint with a registered URI and state, an
//! unregistered URI, a modified or forged hint, another client's hint, an expired hint, `prompt=none` after
//! logout, and the confirmation page with its CSRF check and Cancel.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_registry::ClientRequest;
use charter_testkit::browser::{PKCE_CHALLENGE, PKCE_VERIFIER};
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app};
use reqwest::{Client, Response};
use serde_json::Value;

pub const PW: &str = "correct horse battery staple";
pub const REDIRECT: &str = "https://app.example/cb";
pub const BYE: &str = "https://app.example/bye";

pub struct Rp {
    pub id: String,
    pub secret: String,
}

/// A confidential client with a post-logout redirect URI and, if given, a back-channel logout URI.
pub async fn rp(app: &TestApp, backchannel: Option<String>) -> Rp {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("App".into()),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![BYE.into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid profile offline_access".into()),
            backchannel_logout_uri: backchannel,
            ..ClientRequest::default()
        })
        .await;
    Rp {
        id: c.record.client.id.to_string(),
        secret: c.secret.unwrap(),
    }
}

/// A browser: its own cookie jar, no redirects followed.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The code flow in browser `b` (signing in as alice if `b` has no session yet): the token response.
pub async fn tokens_in(app: &TestApp, b: &Client, rp: &Rp, scope: &str) -> Value {
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("nonce", "n1")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = b.get(url.as_str()).send().await.unwrap();
    let res = app.walk(b, res, "alice", PW, "allow").await;
    let code = query_param(&location(&res), "code").expect("a code");
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", PKCE_VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "code exchange");
    res.json().await.unwrap()
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// `GET /logout` with these parameters, in browser `b`.
pub async fn logout(app: &TestApp, b: &Client, params: &[(&str, &str)]) -> Response {
    let mut url = reqwest::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    b.get(url.as_str()).send().await.unwrap()
}

pub async fn signed_in(app: &TestApp, b: &Client) -> bool {
    b.get(app.url("/account")).send().await.unwrap().status() == 200
}

/// `prompt=none` for `rp` in browser `b`: the `error` of the redirect, if any.
async fn prompt_none_error(app: &TestApp, b: &Client, rp: &Rp) -> Option<String> {
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("prompt", "none")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = b.get(url.as_str()).send().await.unwrap();
    query_param(&location(&res), "error")
}

pub async fn setup(backend: Backend) -> Option<(TestApp, Rp)> {
    let app = spawn_app(backend).await?;
    app.create_user("alice", PW).await;
    let rp = rp(&app, None).await;
    Some((app, rp))
}

/// A page that says something and sends the browser nowhere.
async fn page(res: Response, status: u16) -> String {
    assert_eq!(res.status(), status);
    assert!(res.headers().get("location").is_none(), "no redirect");
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.text().await.unwrap()
}

async fn valid_hint_redirects_with_state_and_ends_the_session(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(prompt_none_error(&app, &b, &rp).await, None, "signed in");
    let res = logout(
        &app,
        &b,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", BYE),
            ("state", "st 1/2"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "https://app.example/bye?state=st+1%2F2");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("charter_session=;"), "{cookie}");
    assert!(
        !signed_in(&app, &b).await,
        "the session is gone server-side"
    );
    assert_eq!(
        prompt_none_error(&app, &b, &rp).await.as_deref(),
        Some("login_required")
    );
    // Once more: nothing left to end, and the browser goes straight back.
    let res = logout(
        &app,
        &b,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", BYE),
        ],
    )
    .await;
    assert_eq!(location(&res), BYE);
}

async fn a_post_is_a_protocol_request_without_csrf(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = b
        .post(app.url("/logout"))
        .form(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", BYE),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "https://app.example/bye?state=s");
    assert!(!signed_in(&app, &b).await);
}

async fn no_parameters(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    // No session: nothing to end, and the page says so.
    let b = browser();
    let html = page(logout(&app, &b, &[]).await, 200).await;
    assert!(html.contains("You were not signed in"), "{html}");

    // A session: the user is asked first, then signed out on Charter's own page.
    tokens_in(&app, &b, &rp, "openid").await;
    let html = page(logout(&app, &b, &[]).await, 200).await;
    assert!(html.contains("Sign out of Charter?"));
    let sign_out = html
        .find(r#"<button name="decision" value="logout">Sign out</button>"#)
        .unwrap();
    let cancel = html
        .find(r#"<button name="decision" value="cancel">Cancel</button>"#)
        .unwrap();
    assert!(sign_out < cancel, "Sign out first, Cancel after it");
    let csrf = hidden_input(&html, "csrf").unwrap();
    let res = b
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str()), ("decision", "logout")])
        .send()
        .await
        .unwrap();
    let html = page(res, 200).await;
    assert!(html.contains("You have signed out of Charter."), "{html}");
    assert!(!signed_in(&app, &b).await);
    assert_eq!(
        prompt_none_error(&app, &b, &rp).await.as_deref(),
        Some("login_required")
    );
}

async fn the_confirmation_is_csrf_protected_and_cancel_keeps_the_session(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let b = browser();
    tokens_in(&app, &b, &rp, "openid").await;
    let params = [
        ("client_id", rp.id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "s1"),
    ];
    let html = page(logout(&app, &b, &params).await, 200).await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    assert_eq!(
        hidden_input(&html, "post_logout_redirect_uri").unwrap(),
        BYE
    );

    let post = |form: Vec<(&'static str, String)>| {
        let b = b.clone();
        let url = app.url("/logout");
        async move { b.post(url).form(&form).send().await.unwrap() }
    };
    let mut form: Vec<(&'static str, String)> =
        params.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    form.push(("decision", "logout".into()));
    // Without a token, with a wrong one, and from another site: refused, still signed in.
    assert_eq!(post(form.clone()).await.status(), 403);
    let mut wrong = form.clone();
    wrong.push(("csrf", "x".repeat(43)));
    assert_eq!(post(wrong).await.status(), 403);
    let mut cross_site = form.clone();
    cross_site.push(("csrf", csrf.clone()));
    let res = b
        .post(app.url("/logout"))
        .header("origin", "https://evil.example")
        .form(&cross_site)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(signed_in(&app, &b).await);

    // Cancel: still signed in, no redirect.
    let mut cancel: Vec<(&'static str, String)> = form[..3].to_vec();
    cancel.push(("decision", "cancel".into()));
    cancel.push(("csrf", csrf.clone()));
    let html = page(post(cancel).await, 200).await;
    assert!(html.contains("You are still signed in"));
    assert!(signed_in(&app, &b).await);

    // The hidden fields are validated again: a swapped redirect URI is refused.
    let mut tampered: Vec<(&'static str, String)> = vec![
        ("client_id", rp.id.clone()),
        ("post_logout_redirect_uri", "https://evil.example/".into()),
        ("decision", "logout".into()),
        ("csrf", csrf.clone()),
    ];
    page(post(tampered.clone()).await, 400).await;
    assert!(signed_in(&app, &b).await);

    // Confirmed: signed out, back to the client with its state.
    tampered[1].1 = BYE.into();
    tampered.push(("state", "s1".into()));
    let res = post(tampered).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "https://app.example/bye?state=s1");
    assert!(!signed_in(&app, &b).await);
}

async fn bad_requests_are_pages_and_sign_nobody_out(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let other = self::rp(&app, None).await;
    let b = browser();
    let tokens = tokens_in(&app, &b, &rp, "openid").await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();

    // A modified signature, a forged alg:none token with the same claims, an access token.
    let mut modified = id_token.clone();
    let last = modified.pop().unwrap();
    modified.push(if last == 'A' { 'B' } else { 'A' });
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = id_token.split('.').nth(1).unwrap();
    let forged = format!("{none_header}.{payload}.");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("id_token_hint", &modified),
            ("post_logout_redirect_uri", BYE),
        ],
        vec![
            ("id_token_hint", &forged),
            ("post_logout_redirect_uri", BYE),
        ],
        vec![
            ("id_token_hint", &access_token),
            ("post_logout_redirect_uri", BYE),
        ],
        vec![("id_token_hint", "not a jwt")],
        // Unregistered, or registered only with a trailing slash, or with no client named at all.
        vec![
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example/bye"),
        ],
        vec![
            ("client_id", &rp.id),
            ("post_logout_redirect_uri", "https://app.example/bye/"),
        ],
        vec![("post_logout_redirect_uri", BYE)],
        // Another client's hint, or a client_id nobody registered.
        vec![
            ("id_token_hint", &id_token),
            ("client_id", &other.id),
            ("post_logout_redirect_uri", BYE),
        ],
        vec![("client_id", "nobody")],
        // A parameter sent twice.
        vec![("state", "a"), ("state", "b")],
    ];
    for params in &cases {
        let html = page(logout(&app, &b, params).await, 400).await;
        assert!(!html.contains("evil.example/bye"), "{params:?}");
        assert!(signed_in(&app, &b).await, "{params:?}: still signed in");
    }
}

async fn an_expired_hint_still_names_the_session(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = claims(&id_token);
    let lifetime = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    app.clock
        .advance(Duration::from_secs(u64::try_from(lifetime).unwrap() + 60));
    let res = logout(
        &app,
        &b,
        &[
            ("id_token_hint", &id_token),
            ("client_id", &rp.id),
            ("post_logout_redirect_uri", BYE),
            ("state", "late"),
        ],
    )
    .await;
    assert_eq!(location(&res), "https://app.example/bye?state=late");
    assert!(!signed_in(&app, &b).await);
}

async fn a_hint_from_another_session_asks_first(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    let first = browser();
    let id_token = tokens_in(&app, &first, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same user in another browser: the hint names the first session, not this one.
    let second = browser();
    tokens_in(&app, &second, &rp, "openid").await;
    let res = logout(
        &app,
        &second,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", BYE),
        ],
    )
    .await;
    let html = page(res, 200).await;
    assert!(html.contains("Sign out of Charter?"));
    assert!(signed_in(&app, &first).await && signed_in(&app, &second).await);
}

async fn ui_locales_chooses_the_language(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let html = page(logout(&app, &browser(), &[("ui_locales", "fr")]).await, 200).await;
    assert!(html.contains(r#"<html lang="fr">"#), "{html}");
}

backend_tests!(
    valid_hint_redirects_with_state_and_ends_the_session,
    a_post_is_a_protocol_request_without_csrf,
    no_parameters,
    the_confirmation_is_csrf_protected_and_cancel_keeps_the_session,
    bad_requests_are_pages_and_sign_nobody_out,
    an_expired_hint_still_names_the_session,
    a_hint_from_another_session_asks_first,
    ui_locales_chooses_the_language,
);
