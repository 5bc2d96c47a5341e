//! Charter's own pages: sign-in and the account page (and, with the code flow, consent).
//!
//! Every page is server-rendered (charter-ui), works without JavaScript and is sent with the headers
//! SPEC-CHECKLIST part C asks for: a CSP without `unsafe-inline` and with `frame-ancestors 'none'`,
//! `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `Cache-Control: no-store`, and HSTS when the issuer
//! is https. Every form carries a CSRF token bound to the browser ([`charter_core::csrf`]).

pub mod account;
pub mod assets;
pub mod browser;
pub mod consent;
pub mod device;
pub mod errors;
pub mod login;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};
use charter_ui::MessageView;

use crate::state::AppState;
use browser::Browser;

/// Which Content-Security-Policy a page gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csp {
    /// Pages whose forms post only to Charter and never end in a redirect to a client.
    Strict,
    /// Pages whose form post may end in a redirect to a client: no `form-action` (Chromium applies it to the
    /// redirect chain of the submission).
    NoFormAction,
    /// The consent page: like `NoFormAction`, and client logos over https.
    Consent,
}

impl Csp {
    fn header(self) -> &'static str {
        match self {
            Csp::Strict => {
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            }
            Csp::NoFormAction => {
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
            }
            Csp::Consent => {
                "default-src 'none'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'"
            }
        }
    }
}

/// The security headers every page carries, and the CSRF cookie when the browser has none yet.
pub fn page_headers(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    csp: Csp,
) -> HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_SECURITY_POLICY, csp.header()))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, browser.locale.tag()));
    if state.issuer.is_https() {
        res.insert_header((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    if let Some(cookie) = browser.new_binding_cookie(state) {
        res.cookie(cookie);
    }
    res
}

/// A rendered page.
pub fn html(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    csp: Csp,
    body: String,
) -> HttpResponse {
    page_headers(state, browser, status, csp)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A plain message page (errors, "signed out", "too many attempts").
pub fn message(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> HttpResponse {
    let view = MessageView {
        t: browser.locale.strings(),
        title: title.to_owned(),
        message: text.to_owned(),
        link: link.map(|(h, t)| (h.to_owned(), t.to_owned())),
    };
    match view.render() {
        Ok(body) => html(state, browser, status, Csp::Strict, body),
        Err(e) => render_failed(e),
    }
}

/// A template failed to render: a programming error, answered with an opaque 500.
pub fn render_failed(e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "page rendering failed");
    HttpResponse::InternalServerError()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body("An unexpected error occurred.")
}

/// 403 for a failed CSRF or origin check.
pub fn forbidden(state: &AppState, browser: &Browser) -> HttpResponse {
    let t = browser.locale.strings();
    message(
        state,
        browser,
        StatusCode::FORBIDDEN,
        t.refused_title,
        t.refused_text,
        Some(("/account", t.back)),
    )
}
