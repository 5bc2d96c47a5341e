//! The authorization code flow, walked through HTTP like a browser and a relying party would:
//! authorize -> sign in -> consent -> code -> token -> userinfo, and the error cases of RFC 6749 §4.1.2.1 and
//! §5.2 (SPEC-CHECKLIST part A).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app};
use reqwest::{Client, Response};
use serde_json::Value;
use std::time::Duration;
use url::Url;

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

struct Rp {
    id: String,
    secret: Option<String>,
}

async fn confidential(app: &TestApp) -> Rp {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Web App".into()),
            redirect_uris: vec![REDIRECT.into()],
            scope: Some("openid profile email".into()),
            ..ClientRequest::default()
        })
        .await;
    Rp {
        id: c.record.client.id.to_string(),
        secret: c.secret,
    }
}

fn authorize_url(app: &TestApp, rp: &Rp, extra: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&app.url("/authorize")).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &rp.id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid profile email")
            .append_pair("state", "st ate/ü")
            .append_pair("nonce", "n-0S6")
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// Follows Charter's redirects (login, consent) until one leaves Charter, signing in and allowing on the way.
async fn run_browser(
    app: &TestApp,
    b: &Client,
    start: &str,
    user: &str,
    decision: &str,
) -> Response {
    let res = b.get(start).send().await.unwrap();
    run_browser_from(app, b, res, user, decision).await
}

/// Like [`run_browser`], from a response already received.
async fn run_browser_from(
    app: &TestApp,
    b: &Client,
    res: Response,
    user: &str,
    decision: &str,
) -> Response {
    app.walk(b, res, user, PW, decision).await
}

async fn code_for(app: &TestApp, b: &Client, rp: &Rp, extra: &[(&str, &str)]) -> String {
    let res = run_browser(app, b, &authorize_url(app, rp, extra), "alice", "allow").await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = query(&to);
    get(&q, "code")
        .unwrap_or_else(|| panic!("no code in {to}"))
        .to_owned()
}

async fn redeem(app: &TestApp, rp: &Rp, code: &str, verifier: &str) -> Response {
    app.client
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn userinfo(app: &TestApp, token: &str) -> Response {
    app.client
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn the_whole_flow(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let b = browser();

    let res = run_browser(&app, &b, &authorize_url(&app, &rp, &[]), "alice", "allow").await;
    assert_eq!(res.status(), 303, "never 307");
    let to = location(&res);
    let q = query(&to);
    assert!(to.starts_with(REDIRECT));
    assert_eq!(get(&q, "state"), Some("st ate/ü"), "state byte for byte");
    assert_eq!(get(&q, "iss"), Some(app.issuer.as_str()), "RFC 9207");
    let code = get(&q, "code").unwrap().to_owned();
    assert!(code.len() >= 43);

    let res = redeem(&app, &rp, &code, VERIFIER).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let at = body["access_token"].as_str().unwrap();
    let id = body["id_token"].as_str().unwrap();

    let ath = header(at);
    assert_eq!(ath["typ"], "at+jwt");
    assert_eq!(ath["alg"], "ES256");
    assert!(ath["kid"].is_string());
    let a = claims(at);
    assert_eq!(a["iss"], app.issuer.as_str());
    assert_eq!(a["sub"], alice.sub.as_str());
    assert_eq!(a["client_id"], rp.id.as_str());
    assert_eq!(a["aud"], app.issuer.as_str());
    for claim in ["exp", "iat", "jti", "scope"] {
        assert!(a.get(claim).is_some(), "{claim}");
    }
    assert!(
        a.get("roles").is_none() && a.get("email").is_none(),
        "minimal claims"
    );

    let idh = header(id);
    assert_eq!(idh["alg"], "RS256");
    assert!(idh["kid"].is_string());
    let i = claims(id);
    assert_eq!(i["iss"], app.issuer.as_str());
    assert_eq!(i["aud"], rp.id.as_str());
    assert_eq!(i["sub"], alice.sub.as_str());
    assert_eq!(i["nonce"], "n-0S6");
    assert!(i["auth_time"].is_number() && i["at_hash"].is_string() && i["sid"].is_string());
    assert_eq!(i["amr"], serde_json::json!(["pwd"]));
    assert!(i.get("email").is_none(), "profile claims go to userinfo");

    let res = userinfo(&app, at).await;
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["sub"], alice.sub.as_str());
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["preferred_username"], "alice");
    // POST with the token in the body (RFC 6750 §2.2) works too; in the query it never does.
    let res = app
        .client
        .post(app.url("/userinfo"))
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .get(app.url(&format!("/userinfo?access_token={at}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Consent is remembered: the next authorization goes straight back to the client.
    let res = b.get(authorize_url(&app, &rp, &[])).send().await.unwrap();
    assert!(location(&res).starts_with(REDIRECT));
    app.stop().await;
}

async fn a_replayed_code_revokes_what_it_issued(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let code = code_for(&app, &browser(), &rp, &[]).await;
    let first: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, at).await.status(), 200);

    // A replay with a wrong verifier is refused and revokes nothing.
    let res = redeem(
        &app,
        &rp,
        &code,
        "wrong-verifier-wrong-verifier-wrong-verifier-x",
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        userinfo(&app, at).await.status(),
        200,
        "legitimate tokens survive a bad replay"
    );

    // A replay with the right parameters: invalid_grant, and the first tokens die.
    let res = redeem(&app, &rp, &code, VERIFIER).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let res = userinfo(&app, at).await;
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    app.stop().await;
}

async fn code_binding_is_checked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let other = confidential(&app).await;
    let b = browser();
    let code = code_for(&app, &b, &rp, &[]).await;
    let error = |res: Response| async move {
        res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Another client (A17).
    assert_eq!(
        error(redeem(&app, &other, &code, VERIFIER).await).await,
        "invalid_grant"
    );
    // Wrong redirect_uri (A18).
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/cb/"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, "invalid_grant");
    // Missing verifier (A11).
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error(res).await, "invalid_grant");
    // Still redeemable by its rightful owner after all that.
    assert_eq!(redeem(&app, &rp, &code, VERIFIER).await.status(), 200);

    // Codes live 60 s (A16).
    let code = code_for(&app, &b, &rp, &[]).await;
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(
        error(redeem(&app, &rp, &code, VERIFIER).await).await,
        "invalid_grant"
    );
    app.stop().await;
}

async fn bad_client_or_redirect_is_a_page_never_a_redirect(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let rp = confidential(&app).await;
    let b = browser();
    for bad in [
        "https://app.example/cb/",
        "https://app.example/cb?x=1",
        "https://APP.example/cb",
        "https://app.example.evil/cb",
        "https://app.example/%63b",
        "https://evil.example/cb",
    ] {
        let mut url = Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &rp.id)
            .append_pair("redirect_uri", bad)
            .append_pair("scope", "openid");
        let res = b.get(url.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.headers().get("location").is_none(), "{bad}");
    }
    let res = b
        .get(app.url("/authorize?response_type=token&client_id=nope&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "unknown client with other errors: still a page"
    );
    assert!(res.headers().get("location").is_none());
    app.stop().await;
}

async fn redirectable_errors_carry_state_and_iss(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let rp = confidential(&app).await;
    let b = browser();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("prompt", "none")], "login_required"),
        (&[("scope", "openid admin")], "invalid_scope"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("request", "eyJ...")], "request_not_supported"),
    ];
    for (extra, expected) in cases {
        let mut url = Url::parse(&authorize_url(&app, &rp, &[])).unwrap();
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (k, v) in *extra {
            pairs.retain(|(pk, _)| pk != k);
            pairs.push(((*k).into(), (*v).into()));
        }
        url.query_pairs_mut().clear().extend_pairs(&pairs);
        let res = b.get(url.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 303, "{expected}");
        let q = query(&location(&res));
        assert_eq!(get(&q, "error"), Some(*expected));
        assert_eq!(get(&q, "state"), Some("st ate/ü"));
        assert_eq!(get(&q, "iss"), Some(app.issuer.as_str()));
    }
    // A repeated parameter is invalid_request.
    let url = format!("{}&scope=openid", authorize_url(&app, &rp, &[]));
    let res = b.get(url).send().await.unwrap();
    assert_eq!(
        get(&query(&location(&res)), "error"),
        Some("invalid_request")
    );
    app.stop().await;
}

async fn denying_consent_answers_access_denied(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let res = run_browser(
        &app,
        &browser(),
        &authorize_url(&app, &rp, &[]),
        "alice",
        "deny",
    )
    .await;
    let q = query(&location(&res));
    assert_eq!(get(&q, "error"), Some("access_denied"));
    assert_eq!(get(&q, "iss"), Some(app.issuer.as_str()));
    app.stop().await;
}

async fn form_post_delivers_the_code_in_a_form(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let res = run_browser(
        &app,
        &browser(),
        &authorize_url(&app, &rp, &[("response_mode", "form_post")]),
        "alice",
        "allow",
    )
    .await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'nonce-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let page = res.text().await.unwrap();
    assert!(page.contains(&format!(r#"action="{REDIRECT}""#)));
    let code = hidden_input(&page, "code").unwrap();
    assert_eq!(redeem(&app, &rp, &code, VERIFIER).await.status(), 200);
    app.stop().await;
}

async fn token_endpoint_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let rp = confidential(&app).await;
    let c = &app.client;
    let res = c
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some("wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "A26");
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    let res = c
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[
            ("grant_type", "password"),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type",
        "A24"
    );

    let res = c
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &rp.id),
            ("client_secret", rp.secret.as_deref().unwrap()),
            ("code", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request",
        "two methods"
    );

    let url = format!("/token?client_secret={}", rp.secret.as_deref().unwrap());
    let res = c
        .post(app.url(&url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", &rp.id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request",
        "A27: no secrets in the query"
    );

    let res = c
        .post(app.url("/token"))
        .basic_auth(&rp.id, rp.secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    app.stop().await;
}

async fn revoking_access_from_the_account_page_ends_the_apps_tokens(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = confidential(&app).await;
    let b = browser();
    let code = code_for(&app, &b, &rp, &[]).await;
    let tokens: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, at).await.status(), 200);

    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Web App"),
        "the connected application is listed"
    );
    assert!(page.contains(&format!("/account/apps/{}/revoke", rp.id)));
    let csrf = hidden_input(&page, "csrf").unwrap();
    let res = b
        .post(app.url(&format!("/account/apps/{}/revoke", rp.id)))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        userinfo(&app, at).await.status(),
        401,
        "its tokens stop working at once"
    );
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&format!("/account/apps/{}/revoke", rp.id)));
    // The consent is forgotten: the next authorization asks again.
    let res = b.get(authorize_url(&app, &rp, &[])).send().await.unwrap();
    assert!(location(&res).starts_with("/consent"));
    app.stop().await;
}

/// The OpenID Basic test plan behaviours: prompt=login, max_age, id_token_hint, login_hint, unknown
/// parameters, no nonce, a POST authorization request, client_secret_post.
async fn basic_plan_behaviours(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    app.create_user("bob", PW).await;
    let rp = confidential(&app).await;
    let b = browser();
    let code = code_for(
        &app,
        &b,
        &rp,
        &[
            ("unknown_param", "x"),
            ("acr_values", "urn:x"),
            ("display", "popup"),
        ],
    )
    .await;
    let tokens: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let alice_id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let first_auth_time = claims(&alice_id_token)["auth_time"].clone();

    // prompt=login and max_age=0 send a signed-in user back to the sign-in page.
    for extra in [[("prompt", "login")], [("max_age", "0")]] {
        let res = b
            .get(authorize_url(&app, &rp, &extra))
            .send()
            .await
            .unwrap();
        assert!(location(&res).starts_with("/login"), "{extra:?}");
    }
    // ...and a fresh sign-in satisfies them, with a later auth_time.
    app.clock.advance(Duration::from_secs(5));
    let code = code_for(&app, &b, &rp, &[("max_age", "0")]).await;
    let tokens: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let auth_time = claims(tokens["id_token"].as_str().unwrap())["auth_time"].clone();
    assert!(
        auth_time.as_i64() > first_auth_time.as_i64(),
        "re-authenticated"
    );

    // id_token_hint: the signed-in user passes; another user's hint with prompt=none is login_required.
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            &[("prompt", "none"), ("id_token_hint", &alice_id_token)],
        ))
        .send()
        .await
        .unwrap();
    assert!(get(&query(&location(&res)), "code").is_some());
    let other = browser();
    let rp_bob_code =
        run_browser(&app, &other, &authorize_url(&app, &rp, &[]), "bob", "allow").await;
    let bob_code = get(&query(&location(&rp_bob_code)), "code")
        .unwrap()
        .to_owned();
    let bob: Value = redeem(&app, &rp, &bob_code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            &[
                ("prompt", "none"),
                ("id_token_hint", bob["id_token"].as_str().unwrap()),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&query(&location(&res)), "error"),
        Some("login_required")
    );
    let res = b
        .get(authorize_url(
            &app,
            &rp,
            &[("id_token_hint", "not.a.token")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&query(&location(&res)), "error"),
        Some("invalid_request")
    );

    // login_hint pre-fills the username.
    let res = browser()
        .get(authorize_url(&app, &rp, &[("login_hint", "carol")]))
        .send()
        .await
        .unwrap();
    let page = browser()
        .get(app.url(&location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="carol""#));

    // A POST authorization request without a nonce; client_secret_post at the token endpoint.
    let secret_post = app
        .register_client(ClientRequest {
            client_name: Some("Post".into()),
            redirect_uris: vec![REDIRECT.into()],
            token_endpoint_auth_method: Some("client_secret_post".into()),
            ..ClientRequest::default()
        })
        .await;
    let id = secret_post.record.client.id.to_string();
    let res = b
        .post(app.url("/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let res = run_browser_from(&app, &b, res, "alice", "allow").await;
    let code = get(&query(&location(&res)), "code").unwrap().to_owned();
    let secret = secret_post.secret.unwrap();
    let res = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert!(
        claims(tokens["id_token"].as_str().unwrap())
            .get("nonce")
            .is_none()
    );
    app.stop().await;
}

/// Userinfo refuses a token at once when its user is disabled, its client deleted, or its signing key revoked.
async fn userinfo_tells_the_truth_at_once(backend: Backend) {
    use charter_core::Clock;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let store = app.key_manager.store.clone();
    let b = browser();

    let rp = confidential(&app).await;
    let code = code_for(&app, &b, &rp, &[]).await;
    let t: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &at).await.status(), 200);
    store
        .set_user_disabled(&alice.sub, true, app.clock.now())
        .await
        .unwrap();
    assert_eq!(userinfo(&app, &at).await.status(), 401, "disabled user");
    store
        .set_user_disabled(&alice.sub, false, app.clock.now())
        .await
        .unwrap();
    assert_eq!(userinfo(&app, &at).await.status(), 200);

    // A deleted client: its grants go with it, so its tokens stop working at once.
    let id = charter_core::ids::ClientId::parse(&rp.id).unwrap();
    store.delete_client(&id).await.unwrap();
    assert_eq!(userinfo(&app, &at).await.status(), 401, "deleted client");

    // A revoked signing key: every token it signed is refused.
    let rp = confidential(&app).await;
    let code = code_for(&app, &browser(), &rp, &[]).await;
    let t: Value = redeem(&app, &rp, &code, VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &at).await.status(), 200);
    let kid = header(&at)["kid"].as_str().unwrap().to_owned();
    app.key_manager.revoke(&kid).await.unwrap();
    app.tick_keys().await;
    assert_eq!(userinfo(&app, &at).await.status(), 401, "revoked key");
    app.stop().await;
}

backend_tests!(
    userinfo_tells_the_truth_at_once,
    basic_plan_behaviours,
    revoking_access_from_the_account_page_ends_the_apps_tokens,
    the_whole_flow,
    a_replayed_code_revokes_what_it_issued,
    code_binding_is_checked,
    bad_client_or_redirect_is_a_page_never_a_redirect,
    redirectable_errors_carry_state_and_iss,
    denying_consent_answers_access_denied,
    form_post_delivers_the_code_in_a_form,
    token_endpoint_errors,
);
