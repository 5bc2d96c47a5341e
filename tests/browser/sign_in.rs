//! Signing in with a real browser: the form by its labels, the session cookie as Chromium keeps it, the
//! failure page, and every page's stylesheet under the CSP.

use crate::support::{PW, assert_page_is_sound, sign_in, start, submit_login};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_lands_on_the_account_page() {
    let Some((app, chrome)) = start("signing_in_lands_on_the_account_page").await else {
        return;
    };
    chrome.goto(&app.url("/login")).await;
    chrome.wait_for_text("Sign in").await;
    assert_eq!(chrome.client().title().await.unwrap(), "Sign in – Charter");
    assert_page_is_sound(&chrome, "login").await;
    chrome.screenshot("login").await;

    submit_login(&chrome, "alice", PW).await;
    let url = chrome
        .wait_for_url("/account", |u| u.path() == "/account")
        .await;
    assert_eq!(url.query(), None);
    let text = chrome.wait_for_text("Your account").await;
    assert!(
        text.contains("Signed in as alice Example (alice)"),
        "{text}"
    );
    assert!(text.contains("This device"), "{text}");
    assert!(
        text.contains("You have not connected any applications."),
        "{text}"
    );
    assert_page_is_sound(&chrome, "account").await;
    chrome.screenshot("account").await;

    // The session cookie is there, and out of reach of scripts.
    let session = chrome
        .client()
        .get_named_cookie("charter_session")
        .await
        .expect("a session cookie after signing in");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.path(), Some("/"));
    let visible = chrome.eval("return document.cookie;").await;
    assert_eq!(visible, "", "HttpOnly cookies only");
    chrome.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_shows_the_error_and_starts_no_session() {
    let Some((app, chrome)) = start("a_wrong_password_shows_the_error_and_starts_no_session").await
    else {
        return;
    };
    chrome.goto(&app.url("/login")).await;
    submit_login(&chrome, "alice", "not the password at all").await;
    let text = chrome
        .wait_for_text("The username or password is incorrect.")
        .await;
    assert!(text.contains("Sign in"), "{text}");
    assert_eq!(chrome.url().await.path(), "/login");
    // The username stays filled in; the password does not.
    let username = chrome
        .client()
        .find(fantoccini::Locator::Id("username"))
        .await
        .unwrap();
    assert_eq!(
        username.prop("value").await.unwrap().as_deref(),
        Some("alice")
    );
    let password = chrome
        .client()
        .find(fantoccini::Locator::Id("password"))
        .await
        .unwrap();
    assert_eq!(password.prop("value").await.unwrap().as_deref(), Some(""));
    assert_page_is_sound(&chrome, "login error").await;
    chrome.screenshot("login-error").await;

    assert!(
        chrome
            .client()
            .get_named_cookie("charter_session")
            .await
            .is_err(),
        "no session after a failure"
    );
    chrome.goto(&app.url("/account")).await;
    chrome
        .wait_for_url("the sign-in page", |u| u.path() == "/login")
        .await;

    // The same form, on a phone-sized screen.
    chrome.client().set_window_size(390, 844).await.unwrap();
    chrome.wait_for_text("Sign in").await;
    chrome.screenshot("login-narrow").await;
    chrome.close().await;
    app.stop().await;
}

/// A form posted after its CSRF cookie was lost (an expired or cleared cookie) is refused with a readable page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_csrf_cookie_is_refused() {
    let Some((app, chrome)) = start("a_form_without_its_csrf_cookie_is_refused").await else {
        return;
    };
    chrome.goto(&app.url("/login")).await;
    chrome.wait_for_text("Sign in").await;
    chrome
        .client()
        .delete_cookie("charter_csrf")
        .await
        .expect("the CSRF cookie was set");
    submit_login(&chrome, "alice", PW).await;
    let text = chrome.wait_for_text("Request refused").await;
    assert!(
        text.contains("This request could not be verified."),
        "{text}"
    );
    assert_page_is_sound(&chrome, "refused").await;
    chrome.screenshot("refused").await;
    chrome.close().await;
    app.stop().await;
}

/// Each kind of page Charter renders loads its one stylesheet and nothing the CSP refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_loads_its_stylesheet_under_the_csp() {
    let Some((app, chrome)) = start("every_page_loads_its_stylesheet_under_the_csp").await else {
        return;
    };
    // A sign-in request that no longer exists: a readable page, never a redirect.
    chrome
        .goto(&app.url("/authorize/resume?request=no-such-request"))
        .await;
    let text = chrome
        .wait_for_text("This sign-in request has expired.")
        .await;
    assert!(text.contains("Request expired"), "{text}");
    assert_page_is_sound(&chrome, "expired request").await;
    chrome.screenshot("expired-request").await;

    sign_in(&app, &chrome, "alice").await;
    assert_page_is_sound(&chrome, "account").await;
    chrome
        .goto(&app.url("/consent?request=no-such-request"))
        .await;
    chrome
        .wait_for_text("This sign-in request has expired.")
        .await;
    assert_page_is_sound(&chrome, "expired consent").await;

    chrome.goto(&app.url("/account")).await;
    chrome.click_button("Sign out everywhere").await;
    chrome
        .wait_for_text("You have been signed out on every device.")
        .await;
    assert_page_is_sound(&chrome, "signed out").await;
    chrome.screenshot("signed-out").await;
    chrome.close().await;
    app.stop().await;
}
