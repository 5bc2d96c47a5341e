//! Every page together (the document skeleton, CSP-relevant guarantees, French), then the message and
//! sign-out confirmation pages.

use super::*;

#[test]
fn every_page_renders_the_skeleton() {
    for locale in Locale::ALL {
        for (name, html) in every_page(locale) {
            assert!(html.starts_with("<!doctype html>\n"), "{name}");
            assert_eq!(
                count(&html, &format!(r#"<html lang="{}">"#, locale.tag())),
                1,
                "{name}"
            );
            assert_contains(&html, r#"<meta charset="utf-8">"#);
            assert_contains(
                &html,
                r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            );
            assert_contains(
                &html,
                &format!(r#"<link rel="stylesheet" href="{}">"#, crate::CSS_PATH),
            );
            assert_eq!(count(&html, "<title>"), 1, "{name}");
            assert_eq!(count(&html, "<main>"), 1, "{name}");
            assert_eq!(count(&html, "<h1>"), 1, "{name}");
            assert!(html.trim_end().ends_with("</html>"), "{name}");
        }
    }
}

/// The attribute names of every tag. Escaped text holds no raw `<`, so each `<` opens a real tag; quoted values
/// are skipped, so escaped hostile text inside a value is not mistaken for an attribute.
fn attribute_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    for tag in html.split('<').skip(1) {
        let mut rest =
            tag.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '/' || c == '!');
        loop {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let end = rest
                .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                .unwrap_or(rest.len());
            names.push(rest[..end].to_ascii_lowercase());
            rest = &rest[end..];
            if let Some(value) = rest.strip_prefix('=') {
                let quote = value.chars().next().unwrap_or('"');
                assert!(quote == '"', "unquoted attribute value in <{tag}");
                let close = value[1..].find('"').expect("closing quote") + 2;
                rest = &value[close..];
            }
        }
    }
    names
}

#[test]
fn no_inline_style_script_or_event_handler_anywhere() {
    for locale in Locale::ALL {
        for (name, html) in every_page(locale) {
            let lower = html.to_ascii_lowercase();
            for forbidden in ["<style", "<script", "javascript:", "<img src=x"] {
                assert!(
                    !lower.contains(forbidden),
                    "{name} contains {forbidden}:\n{html}"
                );
            }
            let attributes = attribute_names(&html);
            assert!(
                attributes.contains(&"name".to_owned()),
                "{name}: the attribute scan found nothing"
            );
            for attribute in attributes {
                assert!(
                    attribute != "style" && !attribute.starts_with("on"),
                    "{name}: {attribute}="
                );
            }
            if name != "account-empty" {
                assert_contains(&html, HOSTILE_ESCAPED);
            }
        }
    }
}

#[test]
fn no_style_attribute_even_in_text() {
    // Stricter than the scan above, on pages without hostile values: the substring never appears.
    for html in [
        login(en()).render().unwrap(),
        account(en()).render().unwrap(),
        consent(en()).render().unwrap(),
        message(en()).render().unwrap(),
        logout(en()).render().unwrap(),
    ] {
        assert_lacks(&html, "style=");
        assert_lacks(&html, "<script");
    }
}

#[test]
fn no_third_party_resources() {
    for (name, html) in every_page(Locale::En) {
        assert_eq!(count(&html, "<link"), 1, "{name}");
        assert_lacks(&html, "http://");
        assert_lacks(&html, "https://");
        assert_lacks(&html, "<iframe");
        assert_lacks(&html, "<object");
    }
}

#[test]
fn every_form_posts_with_a_csrf_token() {
    for (name, html) in every_page(Locale::En) {
        let forms = count(&html, "<form");
        assert_eq!(
            forms,
            count(&html, r#"<form method="post" action="/"#),
            "{name}: post to Charter only"
        );
        assert_eq!(
            forms,
            count(
                &html,
                r#"<input type="hidden" name="csrf" value="csrf-token">"#
            ),
            "{name}"
        );
    }
}

#[test]
fn every_input_has_a_label() {
    for (name, html) in every_page(Locale::Fr) {
        for chunk in html.split("<input id=\"").skip(1) {
            let id = chunk.split('"').next().unwrap_or_default();
            assert_contains(&html, &format!(r#"<label for="{id}">"#));
            assert!(!id.is_empty(), "{name}");
        }
    }
}

#[test]
fn message_page() {
    let html = message(en()).render().unwrap();
    assert_contains(&html, "<title>Request expired – Charter</title>");
    assert_contains(&html, "<h1>Request expired</h1>");
    assert_contains(
        &html,
        "<p>This sign-in request has expired. Return to the application and try again.</p>",
    );
    assert_contains(&html, r#"<a class="button" href="/account">Back</a>"#);
    let html = MessageView {
        link: None,
        ..message(en())
    }
    .render()
    .unwrap();
    assert_lacks(&html, "<a ");
}

#[test]
fn message_values_are_escaped() {
    let view = MessageView {
        title: HOSTILE.to_owned(),
        message: HOSTILE.to_owned(),
        link: Some((HOSTILE.to_owned(), HOSTILE.to_owned())),
        ..message(en())
    };
    let html = view.render().unwrap();
    assert_lacks(&html, "<script");
    assert_contains(
        &html,
        &format!("<title>{HOSTILE_ESCAPED} – Charter</title>"),
    );
    assert_contains(
        &html,
        &format!(r#"<a class="button" href="{HOSTILE_ESCAPED}">{HOSTILE_ESCAPED}</a>"#),
    );
}

#[test]
fn logout_confirmation() {
    let html = logout(en()).render().unwrap();
    assert_contains(&html, "<h1>Sign out of Charter?</h1>");
    let form = position(&html, r#"<form method="post" action="/logout">"#);
    assert!(form < position(&html, r#"<input type="hidden" name="state" value="xyz">"#));
    let sign_out = position(
        &html,
        r#"<button name="decision" value="logout">Sign out</button>"#,
    );
    let cancel = position(
        &html,
        r#"<button name="decision" value="cancel">Cancel</button>"#,
    );
    assert!(form < sign_out && sign_out < cancel);
    assert_eq!(count(&html, "<button"), 2);
}

#[test]
fn logout_hidden_fields_are_escaped() {
    let view = LogoutConfirmView {
        hidden: vec![(HOSTILE.to_owned(), HOSTILE.to_owned())],
        ..logout(en())
    };
    let html = view.render().unwrap();
    assert_lacks(&html, "<script");
    assert_contains(
        &html,
        &format!(r#"<input type="hidden" name="{HOSTILE_ESCAPED}" value="{HOSTILE_ESCAPED}">"#),
    );
}

#[test]
fn french_pages() {
    let t = Locale::Fr.strings();
    let html = logout(t).render().unwrap();
    assert_contains(&html, r#"<html lang="fr">"#);
    assert_contains(
        &html,
        r#"<button name="decision" value="logout">Se déconnecter</button>"#,
    );
    assert_contains(
        &html,
        r#"<button name="decision" value="cancel">Annuler</button>"#,
    );
    let html = message(t).render().unwrap();
    assert_contains(&html, "Cette demande de connexion a expiré.");
}
