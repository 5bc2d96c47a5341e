//! What every browser test needs: Charter on SQLite, a headless Chromium, signing in through the form, and the
//! checks every page must pass (its stylesheet applied, nothing refused by the CSP).

use charter_registry::ClientRequest;
use charter_testkit::webdriver::Chrome;
use charter_testkit::{Backend, TestApp, spawn_app};
use url::Url;

use crate::callback::Callback;

pub const PW: &str = "correct horse battery staple";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Charter (SQLite is enough here: the HTTP suite covers PostgreSQL) and a browser named after `test`; None
/// when the browser test is skipped (no chromedriver, not required).
pub async fn start(test: &str) -> Option<(TestApp, Chrome)> {
    let chrome = Chrome::start(test).await?;
    let app = spawn_app(Backend::Sqlite).await.expect("Charter on SQLite");
    app.create_user("alice", PW).await;
    Some((app, chrome))
}

/// Fills and submits the sign-in form the browser is looking at.
pub async fn submit_login(chrome: &Chrome, user: &str, password: &str) {
    chrome.fill("Username", user).await;
    chrome.fill("Password", password).await;
    chrome.click_button("Sign in").await;
}

/// Signs in from Charter's own sign-in page and waits for the account page.
pub async fn sign_in(app: &TestApp, chrome: &Chrome, user: &str) {
    chrome.goto(&app.url("/login")).await;
    submit_login(chrome, user, PW).await;
    chrome
        .wait_for_url("/account", |u| u.path() == "/account")
        .await;
}

/// The page has Charter's stylesheet applied, and the browser reported no CSP violation or other error.
pub async fn assert_page_is_sound(chrome: &Chrome, page: &str) {
    let styled = chrome
        .eval(
            "const s = document.styleSheets; \
             return s.length === 1 && s[0].href.endsWith('/static/charter.css') && s[0].cssRules.length > 20 \
             && getComputedStyle(document.body).margin === '0px' \
             && getComputedStyle(document.querySelector('.card')).borderRadius === '12px';",
        )
        .await;
    assert_eq!(styled, true, "{page}: the stylesheet is not applied");
    let here = chrome.url().await.to_string();
    let problems: Vec<String> = chrome
        .console()
        .await
        .into_iter()
        .filter(|e| {
            e.level == "SEVERE"
                || e.message.contains("Content Security Policy")
                || e.message.contains("Refused to")
        })
        // Not faults of the page: its own error status (a 403 or 400 page is meant), and the icon Chromium
        // asks for on its own (Charter serves none).
        .filter(|e| {
            let own_status = e
                .message
                .starts_with(&format!("{here} - Failed to load resource"));
            let icon = e.message.contains("/favicon.ico - Failed to load resource");
            !(own_status || icon)
        })
        .map(|e| format!("{} {}", e.level, e.message))
        .collect();
    assert!(problems.is_empty(), "{page}: console errors: {problems:#?}");
}

/// A confidential client named "Photo Album" that redirects to `cb`; returns its id and secret.
pub async fn register_photo_album(app: &TestApp, cb: &Callback) -> (String, String) {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Photo Album".into()),
            redirect_uris: vec![cb.redirect_uri.clone()],
            scope: Some("openid profile email".into()),
            ..ClientRequest::default()
        })
        .await;
    (
        c.record.client.id.to_string(),
        c.secret.expect("a confidential client's secret"),
    )
}

/// An authorization request for the Photo Album, as its relying party would build it.
pub fn authorize_url(app: &TestApp, client_id: &str, cb: &Callback, state: &str) -> String {
    let mut url = Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &cb.redirect_uri)
        .append_pair("scope", "openid profile email")
        .append_pair("state", state)
        .append_pair("nonce", "n-0S6")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    url.to_string()
}

/// The value of query parameter `name` in `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Waits until the browser arrived at the callback, and returns that URL.
pub async fn wait_for_callback(chrome: &Chrome, cb: &Callback) -> Url {
    let target = Url::parse(&cb.redirect_uri).unwrap();
    let url = chrome
        .wait_for_url("the redirect URI", |u| {
            u.origin() == target.origin() && u.path() == target.path()
        })
        .await;
    chrome
        .wait_for_text("The application received the callback")
        .await;
    url
}
