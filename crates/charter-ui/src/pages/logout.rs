//! The sign-out confirmation (OpenID Connect RP-Initiated Logout §2: the OP asks the user before signing out
//! when the request cannot be trusted alone, e.g. without a valid `id_token_hint`).
//!
//! The form re-posts the logout request's parameters as hidden fields, with the CSRF token and the decision:
//! `logout` first, `cancel` second.

use askama::Template;

use super::inherent_render;
use crate::Strings;

/// "Sign out of Charter?" with Sign out / Cancel.
#[derive(Debug, Template)]
#[template(path = "logout.html")]
pub struct LogoutConfirmView<'a> {
    pub t: &'a Strings,
    /// The form's CSRF token.
    pub csrf: String,
    /// `(name, value)` pairs carried through the form, e.g. `post_logout_redirect_uri` and `state`.
    pub hidden: Vec<(String, String)>,
}

inherent_render!(LogoutConfirmView);
