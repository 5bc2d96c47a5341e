//! A page that only says something: an expired or refused request, too many attempts, signed out.
//!
//! Invalid authorization requests (bad `client_id` or `redirect_uri`, RFC 6749 §4.1.2.1) are shown here
//! instead of being redirected.

use askama::Template;

use super::inherent_render;
use crate::Strings;

/// A title, a sentence and an optional link onward.
#[derive(Debug, Template)]
#[template(path = "message.html")]
pub struct MessageView<'a> {
    pub t: &'a Strings,
    pub title: String,
    pub message: String,
    /// `(href, text)` of a link: a path on Charter, never a URL taken from the request.
    pub link: Option<(String, String)>,
}

inherent_render!(MessageView);
