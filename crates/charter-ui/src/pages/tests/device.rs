//! The device pages: the labels and buttons browser tests rely on, CSRF on both forms, the code shown to
//! compare, everything a client chose escaped, French.

use super::*;
use crate::{DeviceConsentView, DeviceEntryView};

fn entry(t: &Strings) -> DeviceEntryView<'_> {
    DeviceEntryView {
        t,
        csrf: "csrf-token".to_owned(),
        user_code: String::new(),
        error: None,
    }
}

fn device_consent(t: &Strings) -> DeviceConsentView<'_> {
    DeviceConsentView {
        t,
        csrf: "csrf-token".to_owned(),
        user_code: "WDJB-MJHT".to_owned(),
        client_name: "Living Room TV".to_owned(),
        logo_uri: Some("https://tv.example/logo.png".to_owned()),
        scopes: ["openid", "offline_access"]
            .iter()
            .map(|s| ScopeRow::describe(t, s))
            .collect(),
        unverified: false,
        username: "alice".to_owned(),
    }
}

#[test]
fn entry_form_has_the_code_field_and_continue() {
    let html = entry(en()).render().unwrap();
    let form = position(&html, r#"<form method="post" action="/device">"#);
    assert!(
        form < position(
            &html,
            r#"<input type="hidden" name="csrf" value="csrf-token">"#
        )
    );
    assert_contains(&html, r#"<label for="user_code">Code</label>"#);
    assert_contains(
        &html,
        r#"<input id="user_code" name="user_code" type="text" value="""#,
    );
    assert_contains(&html, r#"<button type="submit">Continue</button>"#);
    assert_lacks(&html, "role=\"alert\"");
}

#[test]
fn entry_form_prefills_escaped_and_shows_errors() {
    let t = en();
    let html = DeviceEntryView {
        user_code: HOSTILE.to_owned(),
        error: Some(t.device_code_invalid),
        ..entry(t)
    }
    .render()
    .unwrap();
    assert_contains(&html, HOSTILE_ESCAPED);
    assert_lacks(&html, HOSTILE);
    assert_contains(
        &html,
        r#"<p class="alert error" role="alert">That code is not valid. Check it and try again.</p>"#,
    );
}

#[test]
fn consent_shows_the_code_client_and_exact_buttons() {
    let html = device_consent(en()).render().unwrap();
    assert_contains(
        &html,
        r#"<h1>Allow <span class="client">Living Room TV</span> to use your account?</h1>"#,
    );
    assert_contains(&html, "<strong><code>WDJB-MJHT</code></strong>");
    assert_contains(&html, "Signed in as <strong>alice</strong>");
    assert_contains(&html, "<code>offline_access</code>");
    let form = position(&html, r#"<form method="post" action="/device/consent">"#);
    assert!(
        form < position(
            &html,
            r#"<input type="hidden" name="csrf" value="csrf-token">"#
        )
    );
    assert!(
        form < position(
            &html,
            r#"<input type="hidden" name="user_code" value="WDJB-MJHT">"#
        )
    );
    let allow = position(
        &html,
        r#"<button name="decision" value="allow">Allow</button>"#,
    );
    let deny = position(
        &html,
        r#"<button name="decision" value="deny">Deny</button>"#,
    );
    assert!(form < allow && allow < deny);
    assert_eq!(count(&html, "<button"), 2);
    assert_contains(
        &html,
        r#"<img class="logo" src="https://tv.example/logo.png""#,
    );
}

#[test]
fn consent_escapes_and_warns_about_unverified_clients() {
    let t = en();
    let html = DeviceConsentView {
        client_name: HOSTILE.to_owned(),
        scopes: vec![ScopeRow::describe(t, HOSTILE)],
        unverified: true,
        ..device_consent(t)
    }
    .render()
    .unwrap();
    assert_lacks(&html, HOSTILE);
    assert_contains(&html, HOSTILE_ESCAPED);
    assert_contains(&html, "Unverified application");
    assert_lacks(&html, "<img");
    assert_lacks(&html, "style=");
    assert_lacks(&html, "<script");
}

#[test]
fn french() {
    let t = Locale::Fr.strings();
    let html = entry(t).render().unwrap();
    assert_contains(&html, r#"<html lang="fr">"#);
    assert_contains(&html, "Connecter un appareil");
    assert_contains(&html, r#"<button type="submit">Continuer</button>"#);
    let html = device_consent(t).render().unwrap();
    assert_contains(
        &html,
        r#"<button name="decision" value="allow">Autoriser</button>"#,
    );
    assert_contains(&html, "<code>WDJB-MJHT</code>");
}
