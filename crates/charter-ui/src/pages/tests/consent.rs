//! The consent page: exact buttons in order, client name and scopes escaped, logo rules, unverified warning.

use super::*;

const ALLOW: &str = r#"<button name="decision" value="allow">Allow</button>"#;
const DENY: &str = r#"<button name="decision" value="deny">Deny</button>"#;

#[test]
fn has_the_exact_buttons_allow_first() {
    let html = consent(en()).render().unwrap();
    assert_eq!(count(&html, ALLOW), 1);
    assert_eq!(count(&html, DENY), 1);
    assert!(position(&html, ALLOW) < position(&html, DENY));
    assert_eq!(count(&html, "<button"), 2);
}

#[test]
fn posts_the_request_id_and_csrf() {
    let html = consent(en()).render().unwrap();
    let form = position(&html, r#"<form method="post" action="/consent">"#);
    assert!(
        form < position(
            &html,
            r#"<input type="hidden" name="csrf" value="csrf-token">"#
        )
    );
    assert!(
        form < position(
            &html,
            r#"<input type="hidden" name="request_id" value="cmVxLTE">"#
        )
    );
    assert!(position(&html, "</form>") > position(&html, DENY));
}

#[test]
fn shows_client_scopes_redirect_host_and_user() {
    let html = consent(en()).render().unwrap();
    assert_contains(
        &html,
        r#"<h1>Allow <span class="client">Photo Printer</span> to use your account?</h1>"#,
    );
    assert_contains(&html, "<li>See your email address <code>email</code></li>");
    assert_contains(
        &html,
        "<li>Know who you are when you sign in <code>openid</code></li>",
    );
    assert_contains(
        &html,
        "You will then be redirected to <strong>printer.example</strong>",
    );
    assert_contains(&html, "Signed in as <strong>alice</strong>");
    assert_lacks(&html, "Unverified application");
}

#[test]
fn verified_https_logo_is_shown() {
    let html = consent(en()).render().unwrap();
    assert_contains(
        &html,
        r#"<img class="logo" src="https://printer.example/logo.png" alt="""#,
    );
    assert!(position(&html, "<img") < position(&html, "<h1>"));
}

#[test]
fn logo_rules() {
    let cases = [
        (Some("https://printer.example/logo.png"), false, true),
        (Some("HTTPS://printer.example/logo.png"), false, true),
        (Some("https://printer.example/logo.png"), true, false),
        (Some("http://printer.example/logo.png"), false, false),
        (Some("javascript:alert(1)"), false, false),
        (Some("data:image/png;base64,AAAA"), false, false),
        (Some("//printer.example/logo.png"), false, false),
        (Some("https:"), false, false),
        (None, false, false),
    ];
    for (logo, unverified, shown) in cases {
        let view = ConsentView {
            logo_uri: logo.map(str::to_owned),
            unverified,
            ..consent(en())
        };
        assert_eq!(
            view.logo().is_some(),
            shown,
            "{logo:?} unverified={unverified}"
        );
        assert_eq!(
            view.render().unwrap().contains("<img"),
            shown,
            "{logo:?} unverified={unverified}"
        );
    }
}

#[test]
fn logo_url_is_escaped() {
    let view = ConsentView {
        logo_uri: Some(r#"https://x.example/a.png?a=1&b="><script>"#.to_owned()),
        ..consent(en())
    };
    let html = view.render().unwrap();
    assert_contains(
        &html,
        r#"src="https://x.example/a.png?a=1&#38;b=&#34;&#62;&#60;script&#62;""#,
    );
    assert_lacks(&html, "<script");
}

#[test]
fn unverified_clients_are_marked() {
    let html = ConsentView {
        unverified: true,
        ..consent(en())
    }
    .render()
    .unwrap();
    assert_contains(&html, "<strong>Unverified application</strong>");
    assert!(position(&html, "Unverified application") < position(&html, ALLOW));
}

#[test]
fn hostile_client_name_and_scope_are_escaped() {
    let view = ConsentView {
        client_name: HOSTILE.to_owned(),
        scopes: vec![ScopeRow::describe(en(), HOSTILE)],
        redirect_host: HOSTILE.to_owned(),
        ..consent(en())
    };
    let html = view.render().unwrap();
    assert_lacks(&html, "<script");
    assert_lacks(&html, "<img src=x");
    assert_contains(
        &html,
        &format!(r#"<span class="client">{HOSTILE_ESCAPED}</span>"#),
    );
    assert_contains(
        &html,
        &format!("<li>Access to {HOSTILE_ESCAPED} <code>{HOSTILE_ESCAPED}</code></li>"),
    );
    assert_contains(&html, &format!("<strong>{HOSTILE_ESCAPED}</strong>"));
}

#[test]
fn french() {
    let t = Locale::Fr.strings();
    let html = consent(t).render().unwrap();
    assert_contains(&html, r#"<html lang="fr">"#);
    assert_contains(
        &html,
        r#"<button name="decision" value="allow">Autoriser</button>"#,
    );
    assert_contains(
        &html,
        r#"<button name="decision" value="deny">Refuser</button>"#,
    );
    assert_contains(
        &html,
        "<li>Voir votre adresse e-mail <code>email</code></li>",
    );
}
