//! The account page in a real browser: the person sees their sessions and the applications they allowed, and
//! ends them — one session from another browser, every session at once, an application's access.

use charter_testkit::webdriver::Chrome;

use crate::callback::Callback;
use crate::support::{
    PW, VERIFIER, assert_page_is_sound, authorize_url, param, register_photo_album, sign_in, start,
    submit_login, wait_for_callback,
};

/// The rows of the sessions list.
const SESSION_ROWS: &str = "section[aria-labelledby='sessions-heading'] ul.rows > li";

async fn session_rows(chrome: &Chrome) -> usize {
    chrome
        .client()
        .find_all(fantoccini::Locator::Css(SESSION_ROWS))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_one_by_one_or_everywhere() {
    let Some((app, laptop)) = start("sessions_end_one_by_one_or_everywhere").await else {
        return;
    };
    let phone = Chrome::start("sessions_end_one_by_one_or_everywhere-phone")
        .await
        .expect("a second browser");
    sign_in(&app, &laptop, "alice").await;
    sign_in(&app, &phone, "alice").await;

    laptop.goto(&app.url("/account")).await;
    let text = laptop.wait_for_text("Your sessions").await;
    assert_eq!(session_rows(&laptop).await, 2, "{text}");
    assert_eq!(text.matches("This device").count(), 1, "{text}");
    for expected in [
        "Chrome on Linux",
        "IP address",
        "127.0.0.1",
        "2026-01-01 00:00 UTC",
    ] {
        assert!(
            text.contains(expected),
            "sessions list lacks {expected:?}:\n{text}"
        );
    }
    assert_page_is_sound(&laptop, "account with two sessions").await;
    laptop.screenshot("account-two-sessions").await;

    // End the phone's session from the laptop: the row without the "This device" mark.
    laptop
        .click_xpath(
            "//section[@aria-labelledby='sessions-heading']//li[not(.//span[contains(@class,'badge')])]\
             //button[normalize-space()='Sign out']",
        )
        .await;
    laptop
        .wait_for_text("The session has been signed out.")
        .await;
    assert_eq!(session_rows(&laptop).await, 1);
    assert_page_is_sound(&laptop, "session ended").await;
    laptop.screenshot("session-ended").await;

    phone.goto(&app.url("/account")).await;
    phone
        .wait_for_url("the sign-in page", |u| u.path() == "/login")
        .await;
    phone.wait_for_text("Sign in").await;
    phone.screenshot("signed-out-by-the-laptop").await;

    // "Sign out everywhere" ends both, this browser's included.
    submit_login(&phone, "alice", PW).await;
    phone
        .wait_for_url("/account", |u| u.path() == "/account")
        .await;
    laptop.goto(&app.url("/account")).await;
    laptop.wait_for_text("Your sessions").await;
    assert_eq!(session_rows(&laptop).await, 2);
    laptop.click_button("Sign out everywhere").await;
    laptop
        .wait_for_text("You have been signed out on every device.")
        .await;
    laptop.screenshot("signed-out-everywhere").await;
    for b in [&laptop, &phone] {
        b.goto(&app.url("/account")).await;
        b.wait_for_url("the sign-in page", |u| u.path() == "/login")
            .await;
    }
    phone.close().await;
    laptop.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_application_ends_its_access() {
    let Some((app, chrome)) = start("revoking_an_application_ends_its_access").await else {
        return;
    };
    let cb = Callback::start().await;
    let (client_id, secret) = register_photo_album(&app, &cb).await;
    sign_in(&app, &chrome, "alice").await;
    chrome
        .goto(&authorize_url(&app, &client_id, &cb, "s1"))
        .await;
    chrome
        .wait_for_text("Allow Photo Album to use your account?")
        .await;
    chrome.click_button("Allow").await;
    let url = wait_for_callback(&chrome, &cb).await;
    let code = param(&url, "code").expect("a code");
    let tokens: serde_json::Value = app
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
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().expect("an access token");
    let userinfo = || {
        app.client
            .get(app.url("/userinfo"))
            .bearer_auth(access)
            .send()
    };
    assert_eq!(userinfo().await.unwrap().status(), 200);

    chrome.goto(&app.url("/account")).await;
    let text = chrome.wait_for_text("Connected applications").await;
    for expected in [
        "Photo Album",
        "Access granted:",
        "See your email address",
        "Revoke access",
    ] {
        assert!(
            text.contains(expected),
            "applications list lacks {expected:?}:\n{text}"
        );
    }
    assert_page_is_sound(&chrome, "account with an application").await;
    chrome.screenshot("account-with-application").await;

    chrome.click_button("Revoke access").await;
    let text = chrome.wait_for_text("Access has been revoked.").await;
    assert!(!text.contains("Photo Album"), "{text}");
    assert!(
        text.contains("You have not connected any applications."),
        "{text}"
    );
    assert_page_is_sound(&chrome, "application revoked").await;
    chrome.screenshot("application-revoked").await;

    // Its token stopped working, and it must ask again.
    assert_eq!(userinfo().await.unwrap().status(), 401);
    chrome
        .goto(&authorize_url(&app, &client_id, &cb, "s2"))
        .await;
    chrome
        .wait_for_text("Allow Photo Album to use your account?")
        .await;
    chrome.close().await;
    app.stop().await;
}
