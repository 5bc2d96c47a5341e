//! The device authorization grant (RFC 8628) as a person goes through it: a TV asks for codes and polls; the
//! person opens `/device` in Chromium, types the code (lowercase, without the dash, as people do), signs in,
//! checks that the code matches the TV and allows; the TV's next poll receives tokens.

use charter_registry::ClientRequest;
use serde_json::Value;

use crate::support::{PW, assert_page_is_sound, start, submit_login};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn poll(app: &charter_testkit::TestApp, client_id: &str, device_code: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_typed_in_the_browser_connects_the_device() {
    let Some((app, chrome)) = start("a_code_typed_in_the_browser_connects_the_device").await else {
        return;
    };
    let tv = app
        .register_client(ClientRequest {
            client_name: Some("Living Room TV".into()),
            grant_types: Some(vec![DEVICE_GRANT.into(), "refresh_token".into()]),
            token_endpoint_auth_method: Some("none".into()),
            scope: Some("openid profile offline_access".into()),
            application_type: Some("native".into()),
            ..ClientRequest::default()
        })
        .await
        .record
        .client
        .id
        .to_string();
    let codes: Value = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[
            ("client_id", tv.as_str()),
            ("scope", "openid profile offline_access"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = codes["device_code"].as_str().unwrap();
    let user_code = codes["user_code"].as_str().unwrap();
    assert_eq!(
        poll(&app, &tv, device_code).await.1["error"],
        "authorization_pending"
    );

    // The person opens the verification URI the TV shows and types the code as people do.
    chrome
        .goto(codes["verification_uri"].as_str().unwrap())
        .await;
    chrome
        .wait_for_text("Enter the code shown on your device.")
        .await;
    assert_page_is_sound(&chrome, "device code entry").await;
    chrome.screenshot("device-enter-code").await;
    chrome
        .fill("Code", &user_code.replace('-', "").to_lowercase())
        .await;
    chrome.click_button("Continue").await;

    chrome.wait_for_text("Sign in").await;
    assert_eq!(chrome.url().await.path(), "/login");
    submit_login(&chrome, "alice", PW).await;

    let text = chrome
        .wait_for_text("Allow only if your device shows this code")
        .await;
    assert!(text.contains(user_code), "the code to compare:\n{text}");
    assert!(text.contains("Living Room TV"), "{text}");
    assert_page_is_sound(&chrome, "device consent").await;
    chrome.screenshot("device-consent").await;
    chrome.click_button("Allow").await;
    chrome.wait_for_text("Device connected").await;
    chrome.screenshot("device-connected").await;

    // The TV's next poll (after the interval: the pinned clock moves on) gets its tokens.
    app.clock.advance(std::time::Duration::from_secs(
        codes["interval"].as_u64().unwrap(),
    ));
    let (status, tokens) = poll(&app, &tv, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
    assert!(tokens["id_token"].is_string());
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access was granted"
    );

    chrome.close().await;
    app.stop().await;
}
