//! The consent page: which application asks, for what, and where the browser goes next (RFC 9700 §4.15,
//! SPEC-CHECKLIST A.42 and C.24).
//!
//! Everything the client chose (its name, logo and scopes) is escaped. A logo is shown only when it is an
//! `https` URL and the client is verified: a dynamically registered client gets the "Unverified application"
//! warning instead, so it cannot borrow a trusted brand. The buttons are
//! `<button name="decision" value="allow">` then `value="deny"`.

use askama::Template;

use super::inherent_render;
use crate::{Strings, describe_scope};

/// One requested scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRow {
    /// The scope as requested, e.g. `email`.
    pub name: String,
    /// What it allows, in plain words.
    pub description: String,
}

impl ScopeRow {
    /// A row with the standard description of `name` (see [`describe_scope`]).
    pub fn describe(t: &Strings, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: describe_scope(t, name),
        }
    }
}

/// "Allow {client} to use your account?" with Allow / Deny.
#[derive(Debug, Template)]
#[template(path = "consent.html")]
pub struct ConsentView<'a> {
    pub t: &'a Strings,
    /// The form's CSRF token.
    pub csrf: String,
    /// The opaque id of the pending authorization request kept server-side.
    pub request_id: String,
    pub client_name: String,
    /// The client's `logo_uri`; shown only if `https` and the client is verified.
    pub logo_uri: Option<String>,
    /// The host of the `redirect_uri` the browser will be sent to.
    pub redirect_host: String,
    pub scopes: Vec<ScopeRow>,
    /// A dynamically registered client nobody has vetted.
    pub unverified: bool,
    /// Who is signed in, so a user on a shared computer notices the wrong account.
    pub username: String,
}

impl ConsentView<'_> {
    /// The logo to show: none for unverified clients, and only `https` URLs.
    pub fn logo(&self) -> Option<&str> {
        let logo = self.logo_uri.as_deref().filter(|_| !self.unverified)?;
        let scheme = logo.get(..8)?;
        scheme.eq_ignore_ascii_case("https://").then_some(logo)
    }
}

inherent_render!(ConsentView);
