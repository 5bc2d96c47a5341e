//! The account page: one CSRF-protected form per action, current session marked, empty states, escaping.

use super::*;

#[test]
fn every_session_can_be_signed_out() {
    let html = account(en()).render().unwrap();
    assert_contains(&html, "<h2 id=\"sessions-heading\">Your sessions</h2>");
    for sid in ["c2lkLTE", "c2lkLTI"] {
        assert_contains(
            &html,
            &format!(r#"<form method="post" action="/account/sessions/{sid}/end">"#),
        );
    }
    assert_eq!(
        count(
            &html,
            r#"<button type="submit" class="secondary">Sign out</button>"#
        ),
        2
    );
    assert_eq!(count(&html, "This device"), 1);
    assert!(position(&html, "This device") < position(&html, "/account/sessions/c2lkLTE/end"));
    assert_contains(&html, "<dd>192.0.2.7</dd>");
    assert_contains(&html, "<dd>2026-01-01 12:30 UTC</dd>");
}

#[test]
fn sign_out_everywhere() {
    let html = account(en()).render().unwrap();
    let form = position(
        &html,
        r#"<form method="post" action="/account/sign-out-everywhere">"#,
    );
    assert!(
        form < position(
            &html,
            r#"<button type="submit" class="danger">Sign out everywhere</button>"#
        )
    );
}

#[test]
fn connected_applications_can_be_revoked() {
    let html = account(en()).render().unwrap();
    assert_contains(&html, "<h2 id=\"apps-heading\">Connected applications</h2>");
    assert_contains(&html, "<strong>Photo Printer</strong>");
    assert_contains(
        &html,
        r#"<form method="post" action="/account/apps/Y2xpZW50/revoke">"#,
    );
    assert_contains(
        &html,
        r#"<button type="submit" class="danger">Revoke access</button>"#,
    );
    assert_contains(&html, "<li>See your email address</li>");
    assert_lacks(&html, en().no_apps);
}

#[test]
fn empty_states() {
    let html = AccountView {
        sessions: vec![],
        apps: vec![],
        ..account(en())
    }
    .render()
    .unwrap();
    assert_contains(&html, "You have not connected any applications.");
    assert_contains(&html, "There are no active sessions.");
    assert_lacks(&html, "Revoke access");
    // Signing out everywhere and changing the password remain possible.
    assert_contains(&html, "Sign out everywhere</button>");
    assert_contains(&html, "Change password</button>");
}

#[test]
fn change_password_form() {
    let html = account(en()).render().unwrap();
    assert_contains(&html, r#"<form method="post" action="/account/password">"#);
    assert_contains(
        &html,
        r#"<label for="current_password">Current password</label>"#,
    );
    assert_contains(
        &html,
        r#"<input id="current_password" name="current_password" type="password" autocomplete="current-password" required>"#,
    );
    assert_contains(&html, r#"<label for="new_password">New password</label>"#);
    assert_contains(
        &html,
        r#"<input id="new_password" name="new_password" type="password" autocomplete="new-password" required>"#,
    );
    assert_contains(&html, r#"<button type="submit">Change password</button>"#);
}

#[test]
fn every_form_carries_the_csrf_token() {
    let html = account(en()).render().unwrap();
    // Two sessions, sign out everywhere, one app, password.
    assert_eq!(count(&html, "<form method=\"post\""), 5);
    assert_eq!(count(&html, "<form"), 5);
    assert_eq!(
        count(
            &html,
            r#"<input type="hidden" name="csrf" value="csrf-token">"#
        ),
        5
    );
}

#[test]
fn notice_and_error() {
    let html = account(en()).render().unwrap();
    assert_lacks(&html, "role=\"status\"");
    assert_lacks(&html, "role=\"alert\"");
    let t = en();
    let html = AccountView {
        notice: Some(t.password_changed),
        error: Some(t.current_password_wrong),
        ..account(t)
    }
    .render()
    .unwrap();
    assert_contains(
        &html,
        &format!(r#"role="status">{}</p>"#, t.password_changed),
    );
    assert_contains(
        &html,
        &format!(r#"role="alert">{}</p>"#, t.current_password_wrong),
    );
}

#[test]
fn name_or_username() {
    let html = account(en()).render().unwrap();
    assert_contains(
        &html,
        "Signed in as <strong>Alice Liddell</strong> (alice)</p>",
    );
    let html = AccountView {
        name: None,
        ..account(en())
    }
    .render()
    .unwrap();
    assert_contains(&html, "Signed in as <strong>alice</strong></p>");
    let html = AccountView {
        name: Some("  ".to_owned()),
        ..account(en())
    }
    .render()
    .unwrap();
    assert_contains(&html, "Signed in as <strong>alice</strong></p>");
}

#[test]
fn user_and_client_values_are_escaped() {
    let view = AccountView {
        username: HOSTILE.to_owned(),
        name: None,
        sessions: vec![SessionRow {
            sid: HOSTILE.to_owned(),
            device: HOSTILE.to_owned(),
            ..session("x", true)
        }],
        apps: vec![AppRow {
            scopes: vec![HOSTILE.to_owned()],
            ..app(HOSTILE, HOSTILE)
        }],
        ..account(en())
    };
    let html = view.render().unwrap();
    assert_lacks(&html, "<script");
    assert_lacks(&html, "<img");
    assert_contains(
        &html,
        &format!("Signed in as <strong>{HOSTILE_ESCAPED}</strong>"),
    );
    assert_contains(
        &html,
        &format!(r#"action="/account/sessions/{HOSTILE_ESCAPED}/end""#),
    );
    assert_contains(
        &html,
        &format!(r#"action="/account/apps/{HOSTILE_ESCAPED}/revoke""#),
    );
    assert_contains(&html, &format!("<li>Access to {HOSTILE_ESCAPED}</li>"));
}

#[test]
fn unverified_apps_are_marked() {
    let view = AccountView {
        apps: vec![AppRow {
            unverified: true,
            ..app("Y2xp", "Dyn")
        }],
        ..account(en())
    };
    let html = view.render().unwrap();
    assert_contains(&html, r#"<span class="badge warning">Unverified</span>"#);
}

#[test]
fn french() {
    let html = account(Locale::Fr.strings()).render().unwrap();
    assert_contains(&html, r#"<html lang="fr">"#);
    assert_contains(&html, "Vos sessions");
    assert_contains(&html, "Révoquer l’accès</button>");
    assert_contains(&html, "Cet appareil");
}
