//! SPEC-CHECKLIST part C, the items `login.rs` leaves open: cookies on an https issuer (`__Host-`, `Secure`,
//! HSTS), an unknown cookie replaced at sign-in, no session id from a form body, a new id after a password
//! change, and the consent and error pages' headers and escaping. Passwords: [`passwords`].

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app, spawn_app_with};
use reqwest::{Client, Response};
use url::Url;

mod passwords;

const PW: &str = "correct horse battery staple";

fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A client without a cookie jar: cookies are sent by hand (a jar keeps no `Secure` cookie over plain http).
fn bare() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

fn location(res: &Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn login(app: &TestApp, b: &Client, user: &str, pw: &str) -> Response {
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&html, "csrf").unwrap();
    b.post(app.url("/login"))
        .form(&[("username", user), ("password", pw), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

/// Every attribute item C.1 asks of a cookie set by an https issuer.
fn assert_host_cookie(c: &str) {
    assert!(c.starts_with("__Host-"), "{c}");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(c.split("; ").any(|a| a == attr), "{attr} missing: {c}");
    }
    assert!(!c.contains("Domain"), "{c}");
    assert!(
        !c.contains("Max-Age") && !c.contains("Expires"),
        "a session cookie: {c}"
    );
}

async fn an_https_issuer_sets_host_cookies_and_hsts(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_ISSUER".into(), "https://id.example".into());
    })
    .await
    else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = bare();
    let res = b.get(app.url("/login")).send().await.unwrap();
    let hsts = res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .to_owned();
    let max_age: u64 = hsts
        .split(';')
        .find_map(|d| d.trim().strip_prefix("max-age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age >= 15_552_000, "at least six months: {hsts}");
    let csrf_cookie = set_cookie(&res, "__Host-charter_csrf").expect("the CSRF cookie");
    assert_host_cookie(&csrf_cookie);
    let binding = format!("__Host-charter_csrf={}", value(&csrf_cookie));
    let csrf = hidden_input(&res.text().await.unwrap(), "csrf").unwrap();

    let res = b
        .post(app.url("/login"))
        .header("cookie", &binding)
        .header("origin", "https://id.example")
        .form(&[("username", "alice"), ("password", PW), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "__Host-charter_session").expect("the session cookie");
    assert_host_cookie(&session);
    assert!(
        set_cookie(&res, "charter_session").is_none(),
        "only the prefixed name"
    );

    let with = |cookie: String| b.get(app.url("/account")).header("cookie", cookie).send();
    let res = with(format!("__Host-charter_session={}", value(&session)))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The unprefixed name means nothing on an https issuer.
    let res = with(format!("charter_session={}", value(&session)))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    app.stop().await;
}

async fn an_unknown_session_cookie_is_replaced_at_sign_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let forged = "A".repeat(43);
    // Planted in the browser's jar, as a fixation attacker would.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("charter_session={forged}; Path=/"),
        &Url::parse(&app.address).unwrap(),
    );
    let b_with_cookie = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .build()
        .unwrap();
    let res = b_with_cookie.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the planted id is no session");
    let res = login(&app, &b_with_cookie, "alice", PW).await;
    assert_eq!(res.status(), 303);
    let issued = set_cookie(&res, "charter_session").expect("a fresh session cookie");
    assert_ne!(value(&issued), forged, "never the id the browser brought");
    assert!(value(&issued).len() >= 43);
    let res = b_with_cookie.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = bare()
        .get(app.url("/account"))
        .header("cookie", format!("charter_session={forged}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the planted id still means nothing");
    app.stop().await;
}

async fn a_session_id_in_a_form_body_is_ignored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let res = login(&app, &browser(), "alice", PW).await;
    let sid = value(&set_cookie(&res, "charter_session").unwrap());

    // A browser with its own CSRF binding but no session posts the password form with the id in the body.
    let b = browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&html, "csrf").unwrap();
    let res = b
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("charter_session", sid.as_str()),
            ("current_password", PW),
            ("new_password", "a whole new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"), "not signed in");
    assert_eq!(
        login(&app, &browser(), "alice", PW).await.status(),
        303,
        "the password is unchanged"
    );
    app.stop().await;
}

/// C.5 and C.14: a password change renews the session id, ends the other sessions, and revokes refresh tokens —
/// `offline_access` ones included, since whoever knew the old password may hold them.
async fn a_password_change_issues_a_new_session_id(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = app
        .register_client(ClientRequest {
            client_name: Some("Offline app".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    let (rp_id, rp_secret) = (rp.record.client.id.to_string(), rp.secret.unwrap());
    let tokens = app
        .code_flow_tokens(
            &rp_id,
            &rp_secret,
            "https://app.example/cb",
            "openid offline_access",
            "alice",
            PW,
        )
        .await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let b = browser();
    let res = login(&app, &b, "alice", PW).await;
    let before = value(&set_cookie(&res, "charter_session").unwrap());
    let html = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&html, "csrf").unwrap();
    let res = b
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", PW),
            ("new_password", "a whole new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let after = value(&set_cookie(&res, "charter_session").expect("a new session cookie"));
    assert_ne!(before, after);
    let replay = |id: String| {
        bare()
            .get(app.url("/account"))
            .header("cookie", format!("charter_session={id}"))
            .send()
    };
    assert_eq!(
        replay(before).await.unwrap().status(),
        303,
        "the old id is dead"
    );
    assert_eq!(replay(after).await.unwrap().status(), 200);

    let refresh = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp_id, Some(&rp_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refresh.status(),
        400,
        "the offline refresh token died with the old password"
    );
    let body: serde_json::Value = refresh.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    app.stop().await;
}

/// The headers every page must carry (C.9, C.20, C.21; A.39, A.40).
fn assert_locked_down(res: &Response, page: &str) {
    let h = res.headers();
    assert_eq!(h["cache-control"], "no-store", "{page}");
    assert_eq!(h["x-frame-options"], "DENY", "{page}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{page}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
    let csp = h["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(directive), "{page}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{page}: {csp}"
    );
}

/// The hostile client name appears, escaped, and never as markup.
fn escaped_name(html: &str) -> bool {
    let lt = [
        "&lt;script&gt;alert(1)&lt;",
        "&#60;script&#62;alert(1)&#60;",
    ];
    let amp = ["&amp; Co", "&#38; Co"];
    lt.iter().any(|e| html.contains(e))
        && amp.iter().any(|e| html.contains(e))
        && !html.contains("<script")
}

async fn consent_and_error_pages_are_locked_down_and_escaped(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let client = app
        .register_client(ClientRequest {
            client_name: Some("<script>alert(1)</script> & Co".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            scope: Some("openid email".into()),
            ..ClientRequest::default()
        })
        .await;
    let mut url = Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client.record.client.id.as_ref())
        .append_pair("redirect_uri", "https://app.example/cb")
        .append_pair("scope", "openid email")
        .append_pair("code_challenge", charter_testkit::browser::PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let b = browser();
    let res = b.get(url.as_str()).send().await.unwrap();
    let to_login = location(&res);
    let html = b
        .get(app.url(&to_login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        escaped_name(&html),
        "the client name is escaped on the sign-in page: {html}"
    );
    let csrf = hidden_input(&html, "csrf").unwrap();
    let return_to = hidden_input(&html, "return_to").unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PW),
            ("csrf", csrf.as_str()),
            ("return_to", return_to.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let mut to = location(&res);
    while !to.starts_with("/consent") {
        to = location(&b.get(app.url(&to)).send().await.unwrap());
    }

    let res = b.get(app.url(&to)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_locked_down(&res, "consent");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("img-src 'self' https:"), "client logos: {csp}");
    assert!(
        !csp.contains("form-action"),
        "the consent post ends at the client: {csp}"
    );
    let html = res.text().await.unwrap();
    assert!(escaped_name(&html), "{html}");
    assert!(html.contains("app.example"), "the redirect host");
    let request_id = hidden_input(&html, "request_id").unwrap();
    let token = hidden_input(&html, "csrf").unwrap();

    // Consent without the token, or from another origin: 403, and the request is still pending.
    for (token, origin) in [
        (String::new(), None),
        ("AAAA".to_owned(), None),
        (token, Some("https://evil.example")),
    ] {
        let mut req = b.post(app.url("/consent")).form(&[
            ("csrf", token.as_str()),
            ("request_id", request_id.as_str()),
            ("decision", "allow"),
        ]);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 403, "token {token:?}, origin {origin:?}");
        assert_locked_down(&res, "refused");
    }
    let res = b.get(app.url(&to)).send().await.unwrap();
    assert_eq!(res.status(), 200, "still pending");

    // An unknown request: a readable page, never a redirect, never cached.
    let res = b
        .get(app.url("/consent?request=no-such-request"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error() || res.status() == 200);
    assert!(res.headers().get("location").is_none());
    assert_locked_down(&res, "expired");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This sign-in request has expired.")
    );

    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_locked_down(&res, "account");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'"),
        "the account page's forms stay on Charter"
    );
    app.stop().await;
}

backend_tests!(
    an_https_issuer_sets_host_cookies_and_hsts,
    an_unknown_session_cookie_is_replaced_at_sign_in,
    a_session_id_in_a_form_body_is_ignored,
    a_password_change_issues_a_new_session_id,
    consent_and_error_pages_are_locked_down_and_escaped,
);
