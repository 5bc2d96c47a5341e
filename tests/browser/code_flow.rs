//! The authorization code flow as a person goes through it in Chromium: the application sends the browser to
//! `/authorize`, the person signs in, reads the consent page and allows or denies, and the browser arrives at
//! the application's redirect URI with the response (RFC 6749 §4.1.2 / §4.1.2.1, `iss` per RFC 9207).

use crate::callback::Callback;
use crate::support::{
    PW, VERIFIER, assert_page_is_sound, authorize_url, param, register_photo_album, start,
    submit_login, wait_for_callback,
};

/// From `/authorize` through sign-in to the consent page, checking what it says.
async fn to_consent(
    app: &charter_testkit::TestApp,
    chrome: &charter_testkit::webdriver::Chrome,
    client_id: &str,
    cb: &Callback,
    state: &str,
    shots: bool,
) {
    chrome.goto(&authorize_url(app, client_id, cb, state)).await;
    let text = chrome.wait_for_text("to continue to Photo Album").await;
    assert!(text.contains("Sign in"), "{text}");
    let url = chrome.url().await;
    assert_eq!(url.path(), "/login");
    assert!(
        !url.as_str().contains("client_id") && !url.as_str().contains(state),
        "the raw request stays on the server: {url}"
    );
    assert_page_is_sound(chrome, "login for a client").await;
    if shots {
        chrome.screenshot("login-for-client").await;
    }
    submit_login(chrome, "alice", PW).await;

    let text = chrome
        .wait_for_text("Allow Photo Album to use your account?")
        .await;
    for expected in [
        "Signed in as alice",
        "Know who you are when you sign in",
        "See your name and profile",
        "See your email address",
        "You will then be redirected to 127.0.0.1",
        "Allow",
        "Deny",
    ] {
        assert!(
            text.contains(expected),
            "consent page lacks {expected:?}:\n{text}"
        );
    }
    assert!(
        !text.contains("Unverified"),
        "an operator-registered client"
    );
    assert_eq!(chrome.url().await.path(), "/consent");
    assert_page_is_sound(chrome, "consent").await;
    if shots {
        chrome.screenshot("consent").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowing_sends_the_code_to_the_application() {
    let Some((app, chrome)) = start("allowing_sends_the_code_to_the_application").await else {
        return;
    };
    let cb = Callback::start().await;
    let (client_id, secret) = register_photo_album(&app, &cb).await;
    to_consent(&app, &chrome, &client_id, &cb, "st ate/ü", true).await;

    chrome.click_button("Allow").await;
    let url = wait_for_callback(&chrome, &cb).await;
    chrome.screenshot("callback-allowed").await;
    assert_eq!(param(&url, "state").as_deref(), Some("st ate/ü"));
    assert_eq!(
        param(&url, "iss").as_deref(),
        Some(app.issuer.as_str()),
        "RFC 9207"
    );
    assert_eq!(param(&url, "error"), None);
    let code = param(&url, "code").expect("a code");
    assert_eq!(cb.received(), vec![url.clone()], "delivered once, to /cb");

    // The code the browser carried is good for tokens.
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", cb.redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    assert!(tokens["id_token"].is_string(), "{tokens}");

    // The consent is remembered: the next request goes straight back to the application.
    chrome
        .goto(&authorize_url(&app, &client_id, &cb, "again"))
        .await;
    let url = chrome
        .wait_for_url("the redirect URI", |u| {
            u.port() == url.port() && param(u, "state").as_deref() == Some("again")
        })
        .await;
    assert!(param(&url, "code").is_some(), "{url}");
    chrome.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_sends_access_denied_to_the_application() {
    let Some((app, chrome)) = start("denying_sends_access_denied_to_the_application").await else {
        return;
    };
    let cb = Callback::start().await;
    let (client_id, _) = register_photo_album(&app, &cb).await;
    to_consent(&app, &chrome, &client_id, &cb, "xyz", false).await;

    chrome.click_button("Deny").await;
    let url = wait_for_callback(&chrome, &cb).await;
    chrome.screenshot("callback-denied").await;
    assert_eq!(param(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&url, "state").as_deref(), Some("xyz"));
    assert_eq!(param(&url, "iss").as_deref(), Some(app.issuer.as_str()));
    assert_eq!(param(&url, "code"), None);

    // Nothing was remembered: the application has to ask again.
    chrome
        .goto(&authorize_url(&app, &client_id, &cb, "again"))
        .await;
    chrome
        .wait_for_text("Allow Photo Album to use your account?")
        .await;
    chrome.close().await;
    app.stop().await;
}
