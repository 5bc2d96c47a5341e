//! The user's side of the device grant: Deny, the guessing throttle, signing in on the way, CSRF.

use std::time::Duration;

use charter_testkit::{Backend, backend_tests, spawn_app};
use url::Url;

use super::{PW, approve, browser, codes, enter, location, poll_error, tv};

async fn a_denied_device_gets_access_denied(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid").await;
    let b = browser();
    let done = approve(
        &app,
        &b,
        body["user_code"].as_str().unwrap(),
        "alice",
        "deny",
    )
    .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Access denied"));
    let dc = body["device_code"].as_str().unwrap();
    assert_eq!(poll_error(&app, &tv, dc).await, "access_denied");
    app.clock.advance(Duration::from_secs(5));
    assert_eq!(poll_error(&app, &tv, dc).await, "access_denied");
    // Decided once: the code cannot be allowed afterwards.
    let res = enter(&app, &b, body["user_code"].as_str().unwrap()).await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}

async fn wrong_codes_are_throttled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid").await;
    let real = body["user_code"].as_str().unwrap();
    let b = browser();
    let wrong = if real.starts_with('B') {
        "CCCC-CCCC"
    } else {
        "BBBB-BBBB"
    };
    for typed in [wrong, "not a code", wrong, "BCDF-GHJ", wrong] {
        let res = enter(&app, &b, typed).await;
        assert_eq!(res.status(), 400, "{typed}");
        assert!(res.text().await.unwrap().contains("That code is not valid"));
    }
    // Past the free attempts, this address must wait, even with the right code.
    let res = enter(&app, &b, real).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    app.clock.advance(Duration::from_secs(2));
    let res = enter(&app, &b, real).await;
    assert_eq!(res.status(), 303, "the wait is over");

    // A form without its CSRF token is refused.
    let res = b
        .post(app.url("/device"))
        .form(&[("csrf", "forged"), ("user_code", real)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    app.stop().await;
}

async fn signing_in_comes_back_to_the_code(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tv = tv(&app).await;
    let body = codes(&app, &tv, "openid").await;
    let b = browser();
    let res = enter(&app, &b, body["user_code"].as_str().unwrap()).await;
    let consent = location(&res);
    let res = b.get(app.url(&consent)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let login = Url::parse(&app.url(&location(&res))).unwrap();
    assert_eq!(login.path(), "/login");
    let return_to = login
        .query_pairs()
        .find(|(k, _)| k == "return_to")
        .unwrap()
        .1;
    assert_eq!(return_to, consent);
    app.stop().await;
}

backend_tests!(
    a_denied_device_gets_access_denied,
    wrong_codes_are_throttled,
    signing_in_comes_back_to_the_code,
);
