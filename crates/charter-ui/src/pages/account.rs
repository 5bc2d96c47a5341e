//! The account page (`/account`): every trust the user has granted, each with a way to end it — browser
//! sessions, connected applications (consents and their refresh tokens), and the password.
//!
//! Every form posts to Charter with the CSRF token. Path segments (`sid`, `client_id`) are escaped like any value.

use askama::Template;

use super::inherent_render;
use crate::{Strings, describe_scope};

/// One browser session of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session's public id, used in `/account/sessions/{sid}/end` (never the cookie value).
    pub sid: String,
    /// A short description of the browser and system.
    pub device: String,
    pub ip: String,
    /// When the user signed in, formatted for display.
    pub signed_in: String,
    /// When the session was last used, formatted for display.
    pub last_active: String,
    /// The session this page is being viewed from.
    pub current: bool,
}

/// One application the user has granted access to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    /// The granted scopes, by name; shown in plain words.
    pub scopes: Vec<String>,
    pub unverified: bool,
}

/// The signed-in user's sessions, applications and password form.
#[derive(Debug, Template)]
#[template(path = "account.html")]
pub struct AccountView<'a> {
    pub t: &'a Strings,
    /// The CSRF token for every form on the page.
    pub csrf: String,
    pub username: String,
    pub name: Option<String>,
    pub sessions: Vec<SessionRow>,
    pub apps: Vec<AppRow>,
    /// A confirmation from a fixed set of phrases, e.g. [`Strings::password_changed`].
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

impl AccountView<'_> {
    /// The user's name if known, else the username.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.username)
    }

    fn describe(&self, scope: &str) -> String {
        describe_scope(self.t, scope)
    }
}

inherent_render!(AccountView);
