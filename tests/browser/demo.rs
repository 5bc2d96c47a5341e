//! The demo relying party (`crates/charter-demo`, the README's quick start) in Chromium, as a newcomer uses it:
//! "Login with Charter", sign in at Charter, consent, the page that explains the tokens, userinfo, a refresh
//! (the refresh token rotates), revocation (introspection turns inactive), and logout through Charter's
//! end-session endpoint, after which Charter's own session is gone too.

use charter_core::Clock;
use charter_core::clock::SystemClock;
use charter_demo::Registration;
use charter_registry::ClientRequest;

use crate::support::{start, submit_login};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_signs_in_explains_and_signs_out() {
    let Some((app, chrome)) = start("the_demo_signs_in_explains_and_signs_out").await else {
        return;
    };
    // The RP library checks ID-token times against the wall clock.
    app.clock.set(SystemClock.now());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let registered = app
        .register_client(ClientRequest {
            client_name: Some("Charter demo".into()),
            redirect_uris: vec![charter_demo::redirect_uri(&base)],
            post_logout_redirect_uris: vec![charter_demo::post_logout_uri(&base)],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid profile email offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    let registration = Registration {
        client_id: registered.record.client.id.to_string(),
        secret: registered.secret.unwrap(),
    };
    let (_, server) = charter_demo::start(listener, app.issuer.as_str(), registration)
        .await
        .unwrap();
    let demo = server.handle();
    tokio::spawn(server);

    chrome.goto(&format!("{base}/")).await;
    let text = chrome.wait_for_text("Who holds which trust").await;
    assert!(text.contains("Login with Charter"), "{text}");
    chrome.screenshot("demo-home").await;

    chrome.click_button("Login with Charter").await;
    chrome.wait_for_text("to continue to Charter demo").await;
    assert_eq!(
        chrome.url().await.path(),
        "/login",
        "signing in happens at Charter"
    );
    submit_login(&chrome, "alice", crate::support::PW).await;
    chrome
        .wait_for_text("Allow Charter demo to use your account?")
        .await;
    chrome.screenshot("demo-consent").await;
    chrome.click_button("Allow").await;

    let text = chrome.wait_for_text("Charter says you are").await;
    for expected in [
        "The ID token",
        "at_hash",
        "nonce",
        "The access token",
        "at+jwt",
        "The refresh token",
        "offline_access",
    ] {
        assert!(
            text.contains(expected),
            "the claims page lacks {expected:?}:\n{text}"
        );
    }
    assert!(
        chrome.url().await.as_str().starts_with(&base),
        "back at the demo"
    );
    chrome.screenshot("demo-signed-in").await;

    chrome.click_button("Call userinfo").await;
    let text = chrome.wait_for_text("Userinfo answered").await;
    assert!(text.contains("alice@example.com"), "{text}");
    chrome.screenshot("demo-userinfo").await;

    chrome.click_button("Refresh tokens").await;
    let text = chrome.wait_for_text("the refresh token rotated").await;
    assert!(text.contains("1 rotation(s)"), "{text}");
    chrome.screenshot("demo-refreshed").await;

    chrome.click_button("Revoke").await;
    let text = chrome.wait_for_text("Revoked").await;
    assert!(
        text.contains(r#"introspection of the access token says {"active":false}"#),
        "{text}"
    );
    chrome.screenshot("demo-revoked").await;
    chrome.click_button("Call userinfo").await;
    chrome
        .wait_for_text("Userinfo refused the access token")
        .await;

    chrome.click_button("Log out").await;
    let text = chrome.wait_for_text("Signed out").await;
    assert!(
        text.contains("signed out of the demo and of Charter"),
        "Charter came back with the demo's state:\n{text}"
    );
    chrome.screenshot("demo-signed-out").await;

    // Charter's own session ended too: its account page asks to sign in again.
    chrome.goto(&app.url("/account")).await;
    chrome
        .wait_for_url("/login", |u| u.path() == "/login")
        .await;

    demo.stop(true).await;
    chrome.close().await;
    app.stop().await;
}
