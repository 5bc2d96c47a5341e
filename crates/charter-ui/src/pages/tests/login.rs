//! The sign-in page: exact labels, names and button (browser tests rely on them), CSRF, escaping.

use super::*;

#[test]
fn has_the_exact_fields_labels_and_button() {
    let html = login(en()).render().unwrap();
    assert_contains(&html, r#"<form method="post" action="/login">"#);
    assert_contains(&html, r#"<label for="username">Username</label>"#);
    assert_contains(&html, r#"<label for="password">Password</label>"#);
    assert_contains(&html, r#"<button type="submit">Sign in</button>"#);
    assert_contains(
        &html,
        r#"<input type="hidden" name="csrf" value="csrf-token">"#,
    );
    assert_contains(
        &html,
        r#"<input id="username" name="username" type="text" value="" autocomplete="username""#,
    );
    assert_contains(
        &html,
        r#"<input id="password" name="password" type="password" autocomplete="current-password" required"#,
    );
    assert_eq!(count(&html, "required"), 2);
}

#[test]
fn pasting_and_password_managers_are_not_blocked() {
    let html = login(en()).render().unwrap();
    for blocker in [
        "onpaste",
        "oncopy",
        "autocomplete=\"off\"",
        "readonly",
        "maxlength",
    ] {
        assert_lacks(&html, blocker);
    }
}

#[test]
fn return_to_only_when_given() {
    let html = login(en()).render().unwrap();
    assert_lacks(&html, "return_to");
    let html = LoginView {
        return_to: Some("/authorize/continue?id=abc&x=1".to_owned()),
        ..login(en())
    }
    .render()
    .unwrap();
    assert_contains(
        &html,
        r#"<input type="hidden" name="return_to" value="/authorize/continue?id=abc&#38;x=1">"#,
    );
}

#[test]
fn error_is_an_alert() {
    let html = login(en()).render().unwrap();
    assert_lacks(&html, "role=\"alert\"");
    let html = LoginView {
        error: Some(en().sign_in_failed),
        ..login(en())
    }
    .render()
    .unwrap();
    assert_contains(
        &html,
        r#"role="alert">The username or password is incorrect.</p>"#,
    );
}

#[test]
fn prefill_and_client_name_are_escaped() {
    let html = LoginView {
        username: HOSTILE.to_owned(),
        client_name: Some(HOSTILE.to_owned()),
        ..login(en())
    }
    .render()
    .unwrap();
    assert_lacks(&html, "<script");
    assert_lacks(&html, "<img");
    assert_contains(
        &html,
        &format!(r#"name="username" type="text" value="{HOSTILE_ESCAPED}""#),
    );
    assert_contains(
        &html,
        &format!("to continue to <strong>{HOSTILE_ESCAPED}</strong>"),
    );
}

#[test]
fn client_line_only_with_a_client() {
    let html = login(en()).render().unwrap();
    assert_lacks(&html, "to continue to");
    let html = LoginView {
        client_name: Some("Photo Printer".to_owned()),
        ..login(en())
    }
    .render()
    .unwrap();
    assert_contains(&html, "to continue to <strong>Photo Printer</strong>");
}

#[test]
fn focus_goes_to_the_first_empty_field() {
    let html = login(en()).render().unwrap();
    assert!(position(&html, "autofocus") < position(&html, r#"id="password""#));
    let html = LoginView {
        username: "alice".to_owned(),
        ..login(en())
    }
    .render()
    .unwrap();
    assert!(position(&html, "autofocus") > position(&html, r#"id="password""#));
    assert_eq!(count(&html, "autofocus"), 1);
}

#[test]
fn french() {
    let html = login(Locale::Fr.strings()).render().unwrap();
    assert_contains(&html, r#"<html lang="fr">"#);
    assert_contains(&html, "<button type=\"submit\">Se connecter</button>");
    assert_contains(&html, "Nom d’utilisateur</label>");
    // Names are the protocol; only the words change.
    assert_contains(&html, r#"name="username""#);
    assert_contains(&html, r#"name="password""#);
}
