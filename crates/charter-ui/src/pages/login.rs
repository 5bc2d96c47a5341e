//! The sign-in page (`GET/POST /login`).
//!
//! Labels, names and `autocomplete` follow the OWASP Authentication cheat sheet and the HTML autofill spec so
//! password managers work: `username` / `current-password`, and nothing blocks pasting. The form carries the
//! CSRF token and, when the sign-in continues somewhere, a `return_to` relative path (the endpoint checks it).

use askama::Template;

use super::inherent_render;
use crate::Strings;

/// The sign-in form.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginView<'a> {
    pub t: &'a Strings,
    /// The form's CSRF token.
    pub csrf: String,
    /// Prefilled username: what the user typed last, or the client's `login_hint`.
    pub username: String,
    /// Where to continue after signing in: a relative path on Charter, already checked by the caller.
    pub return_to: Option<String>,
    /// Why the last attempt failed, shown as an alert.
    pub error: Option<&'a str>,
    /// The application the user is signing in for, if any.
    pub client_name: Option<String>,
}

inherent_render!(LoginView);
