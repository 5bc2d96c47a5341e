//! Sign-in, sessions and the account page over HTTP: SPEC-CHECKLIST part C, item by item.

use std::time::Duration;

use charter_core::Clock;
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input, spawn_app};
use reqwest::{Client, Response};

const PW: &str = "correct horse battery staple";

fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn csrf(app: &TestApp, client: &Client, path: &str) -> String {
    let html = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden_input(&html, "csrf").unwrap_or_else(|| panic!("no csrf input on {path}: {html}"))
}

async fn login(app: &TestApp, client: &Client, user: &str, pw: &str) -> Response {
    let token = csrf(app, client, "/login").await;
    client
        .post(app.url("/login"))
        .form(&[("username", user), ("password", pw), ("csrf", &token)])
        .send()
        .await
        .unwrap()
}

fn set_cookie<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn location(res: &Response) -> &str {
    res.headers()["location"].to_str().unwrap()
}

async fn login_page_is_accessible_and_locked_down(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.get("/login").await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert!(
        !csp.contains("form-action"),
        "the login post may end at a client"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS on a plain-http dev issuer"
    );
    let csrf_cookie = set_cookie(&res, "charter_csrf")
        .expect("csrf cookie")
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(csrf_cookie.contains(attr), "{csrf_cookie}");
    }
    assert!(!csrf_cookie.contains("Domain"), "{csrf_cookie}");
    assert!(
        !csrf_cookie.contains("Secure"),
        "http loopback issuer: no Secure"
    );
    let html = res.text().await.unwrap();
    for needle in [
        r#"name="username""#,
        r#"name="password""#,
        r#"type="password""#,
        r#"name="csrf""#,
        ">Username<",
        ">Password<",
        "Sign in</button>",
        r#"lang="en""#,
        "/static/charter.css",
    ] {
        assert!(html.contains(needle), "login page lacks {needle}");
    }
    assert!(!html.contains("<script"), "no JavaScript");
    let css = app.get("/static/charter.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    app.stop().await;
}

async fn signing_in_starts_a_fresh_server_side_session(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = browser();
    let res = login(&app, &b, "alice", PW).await;
    assert_eq!(res.status(), 303, "never 307 after a form post");
    assert_eq!(location(&res), "/account");
    let first = set_cookie(&res, "charter_session").unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(first.contains(attr), "{first}");
    }
    assert!(
        !first.contains("Max-Age") && !first.contains("Expires"),
        "a session cookie: {first}"
    );
    let value = |c: &str| {
        c.split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_owned()
    };
    assert!(value(&first).len() >= 43, "256-bit id");

    let account = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains("alice"));

    // Signing in again (the form posted from a signed-in browser): a new id; the old one no longer works
    // (fixation).
    let token = csrf(&app, &b, "/login").await;
    let res = b
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", PW), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    let second = set_cookie(&res, "charter_session").unwrap().to_owned();
    assert_ne!(value(&first), value(&second));
    let stale = browser();
    let res = stale
        .get(app.url("/account"))
        .header("cookie", format!("charter_session={}", value(&first)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the old session is gone");

    // A session id in the URL is never accepted.
    let res = browser()
        .get(app.url(&format!("/account?charter_session={}", value(&second))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // An unknown cookie is ignored.
    let res = browser()
        .get(app.url("/account"))
        .header("cookie", "charter_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));
    app.stop().await;
}

async fn unknown_user_and_wrong_password_look_the_same(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let wrong = login(&app, &browser(), "alice", "not the password at all").await;
    let unknown = login(&app, &browser(), "nobody", "not the password at all").await;
    assert_eq!(wrong.status(), unknown.status());
    // Equal but for the echoed username and each browser's own CSRF token.
    let normalize = |html: String, user: &str| {
        let token = hidden_input(&html, "csrf").unwrap();
        html.replace(&token, "TOKEN").replace(user, "USER")
    };
    let w = normalize(wrong.text().await.unwrap(), "alice");
    let u = normalize(unknown.text().await.unwrap(), "nobody");
    assert_eq!(w, u, "same page");
    assert!(w.contains("role=\"alert\""));
    app.stop().await;
}

async fn forms_need_the_browsers_csrf_token_and_origin(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = browser();
    let token = csrf(&app, &b, "/login").await;
    let post = |form: Vec<(&'static str, String)>, headers: Vec<(&'static str, String)>| {
        let mut req = b.post(app.url("/login")).form(&form);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let creds = |t: &str| {
        vec![
            ("username", "alice".to_owned()),
            ("password", PW.to_owned()),
            ("csrf", t.to_owned()),
        ]
    };
    assert_eq!(
        post(creds(""), vec![]).await.unwrap().status(),
        403,
        "no token"
    );
    assert_eq!(
        post(creds("AAAA"), vec![]).await.unwrap().status(),
        403,
        "bad token"
    );
    // Another browser's token does not fit this browser's cookie.
    let other = csrf(&app, &browser(), "/login").await;
    assert_eq!(
        post(creds(&other), vec![]).await.unwrap().status(),
        403,
        "foreign token"
    );
    let evil = vec![("origin", "https://evil.example".to_owned())];
    assert_eq!(
        post(creds(&token), evil).await.unwrap().status(),
        403,
        "cross origin"
    );
    let cross = vec![("sec-fetch-site", "cross-site".to_owned())];
    assert_eq!(
        post(creds(&token), cross).await.unwrap().status(),
        403,
        "cross site"
    );
    let null = vec![("origin", "null".to_owned())];
    assert_eq!(
        post(creds(&token), null).await.unwrap().status(),
        303,
        "Origin: null is same-origin here"
    );
    let same = vec![("origin", app.issuer.origin())];
    assert_eq!(post(creds(&token), same).await.unwrap().status(), 303);
    app.stop().await;
}

async fn repeated_failures_slow_down_without_locking_out(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    for name in ["alice", "ghost"] {
        let b = browser();
        for i in 0..5 {
            let res = login(&app, &b, name, "wrong wrong wrong").await;
            assert_eq!(
                res.status(),
                200,
                "{name}: failure {i} is not throttled yet"
            );
        }
        // After 5 consecutive failures the next attempt must wait, even with the right password.
        let res = login(&app, &b, name, PW).await;
        assert_eq!(
            res.status(),
            429,
            "{name}: throttled, the same for unknown accounts"
        );
        assert!(res.headers().contains_key("retry-after"));
    }
    // Not a lockout: once the delay passed, the right password works and resets the count.
    app.clock.advance(Duration::from_secs(3));
    assert_eq!(login(&app, &browser(), "alice", PW).await.status(), 303);
    // The success reset the count: a new failure is answered normally.
    assert_eq!(
        login(&app, &browser(), "alice", "wrong wrong wrong")
            .await
            .status(),
        200
    );
    assert_eq!(login(&app, &browser(), "alice", PW).await.status(), 303);
    app.stop().await;
}

async fn successes_from_one_address_are_never_throttled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for i in 0..12 {
        let name = format!("user{i}");
        app.create_user(&name, PW).await;
        assert_eq!(
            login(&app, &browser(), &name, PW).await.status(),
            303,
            "{name}"
        );
    }
    app.stop().await;
}

async fn oversized_passwords_are_refused_before_hashing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = login(&app, &browser(), "alice", &"x".repeat(2000)).await;
    assert_eq!(res.status(), 400);
    let b = browser();
    let token = csrf(&app, &b, "/login").await;
    let huge = "x".repeat(1024 * 1024);
    let res = b
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", &huge), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "the body limit refuses a megabyte");
    app.stop().await;
}

async fn return_to_only_goes_to_charter_itself(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    for (given, expected) in [
        ("/account?x=1", "/account?x=1"),
        ("//evil.example/", "/account"),
        ("https://evil.example/", "/account"),
    ] {
        let b = browser();
        let token = csrf(&app, &b, "/login").await;
        let res = b
            .post(app.url("/login"))
            .form(&[
                ("username", "alice"),
                ("password", PW),
                ("csrf", &token),
                ("return_to", given),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), expected, "{given}");
    }
    app.stop().await;
}

async fn sessions_expire_when_idle_and_in_any_case(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = browser();
    login(&app, &b, "alice", PW).await;
    // Activity every 20 minutes keeps it alive...
    for _ in 0..5 {
        app.clock.advance(Duration::from_secs(20 * 60));
        assert_eq!(
            b.get(app.url("/account")).send().await.unwrap().status(),
            200
        );
    }
    // ...31 idle minutes end it.
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(
        b.get(app.url("/account")).send().await.unwrap().status(),
        303
    );

    let b = browser();
    login(&app, &b, "alice", PW).await;
    for _ in 0..30 {
        app.clock.advance(Duration::from_secs(20 * 60));
        if b.get(app.url("/account")).send().await.unwrap().status() != 200 {
            break;
        }
    }
    assert_eq!(
        b.get(app.url("/account")).send().await.unwrap().status(),
        303,
        "10 h at most"
    );
    app.stop().await;
}

async fn the_account_page_ends_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let laptop = browser();
    let phone = browser();
    login(&app, &laptop, "alice", PW).await;
    login(&app, &phone, "alice", PW).await;
    let html = laptop
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ends: Vec<&str> = html.matches("/account/sessions/").collect();
    assert_eq!(ends.len(), 2, "both sessions listed: {html}");
    assert!(html.contains("Sign out everywhere"));

    // End the phone's session from the laptop: find the row that is not "this device".
    let token = hidden_input(&html, "csrf").unwrap();
    let sids: Vec<String> = html
        .split("/account/sessions/")
        .skip(1)
        .map(|rest| rest.split('/').next().unwrap().to_owned())
        .collect();
    let mut ended_other = false;
    for sid in &sids {
        let res = laptop
            .post(app.url(&format!("/account/sessions/{sid}/end")))
            .form(&[("csrf", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        if location(&res).starts_with("/account") {
            ended_other = true;
            break;
        }
        // That was the laptop's own session: sign in again and continue.
        login(&app, &laptop, "alice", PW).await;
    }
    assert!(ended_other);
    assert_eq!(
        phone
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the phone is signed out"
    );

    // Sign out everywhere ends this browser's session too.
    login(&app, &phone, "alice", PW).await;
    let token = csrf(&app, &laptop, "/account").await;
    let res = laptop
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for b in [&laptop, &phone] {
        assert_eq!(
            b.get(app.url("/account")).send().await.unwrap().status(),
            303
        );
    }
    // Without a token nothing happens.
    login(&app, &laptop, "alice", PW).await;
    let res = laptop
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        laptop
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

async fn changing_the_password_ends_other_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let laptop = browser();
    let phone = browser();
    login(&app, &laptop, "alice", PW).await;
    login(&app, &phone, "alice", PW).await;
    let change = |current: &'static str, new: &'static str| {
        let laptop = laptop.clone();
        let url = app.url("/account/password");
        let app = &app;
        async move {
            let token = csrf(app, &laptop, "/account").await;
            laptop
                .post(url)
                .form(&[
                    ("csrf", token.as_str()),
                    ("current_password", current),
                    ("new_password", new),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        change("wrong wrong wrong", "a whole new passphrase")
            .await
            .status(),
        400
    );
    assert_eq!(change(PW, "short").await.status(), 400);
    let res = change(PW, "a whole new passphrase").await;
    assert_eq!(res.status(), 303);
    assert!(
        set_cookie(&res, "charter_session").is_some(),
        "a new session id"
    );
    assert_eq!(
        laptop
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        phone
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "other sessions end"
    );
    assert_eq!(
        login(&app, &browser(), "alice", PW).await.status(),
        200,
        "old password refused"
    );
    assert_eq!(
        login(&app, &browser(), "alice", "a whole new passphrase")
            .await
            .status(),
        303
    );
    app.stop().await;
}

async fn disabled_users_cannot_sign_in_and_lose_their_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let b = browser();
    login(&app, &b, "alice", PW).await;
    app.key_manager
        .store
        .set_user_disabled(&alice.sub, true, app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        b.get(app.url("/account")).send().await.unwrap().status(),
        303
    );
    assert_eq!(
        login(&app, &browser(), "alice", PW).await.status(),
        200,
        "refused like a wrong password"
    );
    app.stop().await;
}

async fn outdated_hashes_are_upgraded_at_sign_in(backend: Backend) {
    use argon2::password_hash::PasswordHasher;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let store = app.key_manager.store.clone();
    // An Argon2id hash of the right password with weak parameters, as an older version might have stored.
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let weak = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_with_salt(PW.as_bytes(), b"saltsaltsaltsalt")
        .unwrap()
        .to_string();
    store
        .set_password_hash(&alice.sub, &weak, app.clock.now())
        .await
        .unwrap();
    assert_eq!(login(&app, &browser(), "alice", PW).await.status(), 303);
    let creds = store
        .find_credentials(&alice.username)
        .await
        .unwrap()
        .unwrap();
    assert!(
        creds
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "re-hashed with today's parameters: {}",
        creds.password_hash
    );
    assert_eq!(login(&app, &browser(), "alice", PW).await.status(), 303);
    app.stop().await;
}

backend_tests!(
    login_page_is_accessible_and_locked_down,
    signing_in_starts_a_fresh_server_side_session,
    unknown_user_and_wrong_password_look_the_same,
    forms_need_the_browsers_csrf_token_and_origin,
    repeated_failures_slow_down_without_locking_out,
    successes_from_one_address_are_never_throttled,
    oversized_passwords_are_refused_before_hashing,
    return_to_only_goes_to_charter_itself,
    sessions_expire_when_idle_and_in_any_case,
    the_account_page_ends_sessions,
    changing_the_password_ends_other_sessions,
    disabled_users_cannot_sign_in_and_lose_their_sessions,
    outdated_hashes_are_upgraded_at_sign_in,
);
