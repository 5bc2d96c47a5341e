//! The device pages (RFC 8628 §3.3): entering the code a device shows, then confirming it.
//!
//! The entry form's field is `<input name="user_code">` labelled with [`crate::Strings::device_code_label`]
//! ("Code") and its button says [`crate::Strings::continue_button`] ("Continue"). The confirmation page shows the
//! client and, large, the code itself, asking the user to check it against their device (RFC 8628 §5.4:
//! remote phishing), with `<button name="decision" value="allow">` then `value="deny"`. Both forms carry the
//! CSRF token and post to Charter only.

use askama::Template;

use super::inherent_render;
use crate::{ScopeRow, Strings};

/// "Enter the code shown on your device."
#[derive(Debug, Template)]
#[template(path = "device_entry.html")]
pub struct DeviceEntryView<'a> {
    pub t: &'a Strings,
    /// The form's CSRF token.
    pub csrf: String,
    /// Prefilled code (from `verification_uri_complete`, or what the user typed last).
    pub user_code: String,
    /// Why the last entry failed, shown as an alert.
    pub error: Option<&'a str>,
}

/// "Allow {client} to use your account?" for a device, with the code to compare.
#[derive(Debug, Template)]
#[template(path = "device_consent.html")]
pub struct DeviceConsentView<'a> {
    pub t: &'a Strings,
    /// The form's CSRF token.
    pub csrf: String,
    /// The user code as shown on the device (`XXXX-XXXX`).
    pub user_code: String,
    pub client_name: String,
    /// The client's `logo_uri`; shown only if `https` and the client is verified.
    pub logo_uri: Option<String>,
    pub scopes: Vec<ScopeRow>,
    /// A dynamically registered client nobody has vetted.
    pub unverified: bool,
    /// Who is signed in, so a user on a shared computer notices the wrong account.
    pub username: String,
}

impl DeviceConsentView<'_> {
    /// The logo to show: none for unverified clients, and only `https` URLs.
    pub fn logo(&self) -> Option<&str> {
        let logo = self.logo_uri.as_deref().filter(|_| !self.unverified)?;
        let scheme = logo.get(..8)?;
        scheme.eq_ignore_ascii_case("https://").then_some(logo)
    }
}

inherent_render!(DeviceEntryView, DeviceConsentView);
