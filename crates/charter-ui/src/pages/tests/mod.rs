//! Rendering tests for every page: structure, escaping, the exact strings browser tests rely on, and the
//! guarantees the Content-Security-Policy depends on (no inline style or script, no third-party URL).

mod account;
mod consent;
mod device;
mod login;
mod other;

use crate::{
    AccountView, AppRow, ConsentView, Locale, LoginView, LogoutConfirmView, MessageView, ScopeRow,
    SessionRow, Strings,
};

/// A value a hostile client or user might choose for a name.
const HOSTILE: &str = r#""><script>alert(1)</script><img src=x onerror=alert(1)>"#;
/// How askama escapes [`HOSTILE`] (numeric character references).
const HOSTILE_ESCAPED: &str =
    "&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;";

fn en() -> &'static Strings {
    Locale::En.strings()
}

fn login(t: &Strings) -> LoginView<'_> {
    LoginView {
        t,
        csrf: "csrf-token".to_owned(),
        username: String::new(),
        return_to: None,
        error: None,
        client_name: None,
    }
}

fn session(sid: &str, current: bool) -> SessionRow {
    SessionRow {
        sid: sid.to_owned(),
        device: "Firefox on Linux".to_owned(),
        ip: "192.0.2.7".to_owned(),
        signed_in: "2026-01-01 12:00 UTC".to_owned(),
        last_active: "2026-01-01 12:30 UTC".to_owned(),
        current,
    }
}

fn app(client_id: &str, name: &str) -> AppRow {
    AppRow {
        client_id: client_id.to_owned(),
        name: name.to_owned(),
        scopes: vec!["openid".to_owned(), "email".to_owned()],
        unverified: false,
    }
}

fn account(t: &Strings) -> AccountView<'_> {
    AccountView {
        t,
        csrf: "csrf-token".to_owned(),
        username: "alice".to_owned(),
        name: Some("Alice Liddell".to_owned()),
        sessions: vec![session("c2lkLTE", true), session("c2lkLTI", false)],
        apps: vec![app("Y2xpZW50", "Photo Printer")],
        notice: None,
        error: None,
    }
}

fn consent(t: &Strings) -> ConsentView<'_> {
    ConsentView {
        t,
        csrf: "csrf-token".to_owned(),
        request_id: "cmVxLTE".to_owned(),
        client_name: "Photo Printer".to_owned(),
        logo_uri: Some("https://printer.example/logo.png".to_owned()),
        redirect_host: "printer.example".to_owned(),
        scopes: ["openid", "email"]
            .iter()
            .map(|s| ScopeRow::describe(t, s))
            .collect(),
        unverified: false,
        username: "alice".to_owned(),
    }
}

fn message(t: &Strings) -> MessageView<'_> {
    MessageView {
        t,
        title: t.expired_title.to_owned(),
        message: t.expired_text.to_owned(),
        link: Some(("/account".to_owned(), t.back.to_owned())),
    }
}

fn logout(t: &Strings) -> LogoutConfirmView<'_> {
    LogoutConfirmView {
        t,
        csrf: "csrf-token".to_owned(),
        hidden: vec![("state".to_owned(), "xyz".to_owned())],
    }
}

/// Every page in `locale`, each with hostile values wherever a client or user chooses the text.
fn every_page(locale: Locale) -> Vec<(&'static str, String)> {
    let t = locale.strings();
    let hostile = HOSTILE.to_owned();
    let rendered = [
        (
            "login",
            LoginView {
                username: hostile.clone(),
                client_name: Some(hostile.clone()),
                ..login(t)
            }
            .render(),
        ),
        (
            "account",
            AccountView {
                name: Some(hostile.clone()),
                sessions: vec![SessionRow {
                    device: hostile.clone(),
                    ..session("c2lk", true)
                }],
                apps: vec![AppRow {
                    scopes: vec![hostile.clone()],
                    ..app("Y2xp", HOSTILE)
                }],
                ..account(t)
            }
            .render(),
        ),
        (
            "account-empty",
            AccountView {
                sessions: vec![],
                apps: vec![],
                ..account(t)
            }
            .render(),
        ),
        (
            "consent",
            ConsentView {
                client_name: hostile.clone(),
                scopes: vec![ScopeRow::describe(t, HOSTILE)],
                unverified: true,
                ..consent(t)
            }
            .render(),
        ),
        (
            "message",
            MessageView {
                title: hostile.clone(),
                message: hostile.clone(),
                ..message(t)
            }
            .render(),
        ),
        (
            "logout",
            LogoutConfirmView {
                hidden: vec![("state".to_owned(), hostile)],
                ..logout(t)
            }
            .render(),
        ),
    ];
    rendered
        .into_iter()
        .map(|(name, html)| match html {
            Ok(html) => (name, html),
            Err(e) => panic!("{name} failed to render: {e}"),
        })
        .collect()
}

/// How many times `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The byte offset of `needle`, failing the test if it is missing.
fn position(haystack: &str, needle: &str) -> usize {
    match haystack.find(needle) {
        Some(i) => i,
        None => panic!("{needle:?} not found in:\n{haystack}"),
    }
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "{needle:?} not found in:\n{haystack}"
    );
}

#[track_caller]
fn assert_lacks(haystack: &str, needle: &str) {
    assert!(
        !haystack.contains(needle),
        "{needle:?} unexpectedly found in:\n{haystack}"
    );
}
