//! The words of one language, one field per phrase. Templates read them as `t.sign_in`; endpoints pass them to
//! [`crate::MessageView`] and as form errors and notices.
//!
//! Phrases that surround a value (a client name, a host) are split around it, so the value can be escaped and
//! emphasised on its own: `continue_to` is followed by the client's name.

/// Every phrase shown on Charter's pages, in one language.
#[derive(Debug)]
pub struct Strings {
    /// BCP 47 tag for `<html lang>`.
    pub lang: &'static str,
    /// The product name shown in the page header.
    pub brand: &'static str,
    /// Separator between a page title and the brand in `<title>`.
    pub title_separator: &'static str,

    // Sign-in page.
    pub sign_in: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    /// Followed by the client's name.
    pub continue_to: &'static str,
    pub sign_in_failed: &'static str,
    pub password_too_long: &'static str,

    // Messages (status pages and errors).
    pub back: &'static str,
    pub busy_title: &'static str,
    pub busy_text: &'static str,
    pub too_many_title: &'static str,
    pub too_many_text: &'static str,
    pub refused_title: &'static str,
    pub refused_text: &'static str,
    pub expired_title: &'static str,
    pub expired_text: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_text: &'static str,
    pub signed_out_everywhere_text: &'static str,
    pub denied_title: &'static str,
    pub denied_text: &'static str,

    // Account page.
    pub account_title: &'static str,
    /// Followed by the user's name or username.
    pub signed_in_as: &'static str,
    pub sessions_heading: &'static str,
    pub this_device: &'static str,
    pub ip_address: &'static str,
    pub signed_in_at: &'static str,
    pub last_active: &'static str,
    pub sign_out: &'static str,
    pub no_sessions: &'static str,
    pub sign_out_everywhere: &'static str,
    pub sign_out_everywhere_hint: &'static str,
    pub session_ended: &'static str,
    pub apps_heading: &'static str,
    pub apps_intro: &'static str,
    pub no_apps: &'static str,
    pub app_can: &'static str,
    pub revoke_access: &'static str,
    pub app_revoked: &'static str,
    pub unverified_badge: &'static str,
    pub password_heading: &'static str,
    pub password_hint: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub password_not_changed: &'static str,
    pub current_password_wrong: &'static str,
    pub password_too_short: &'static str,

    // Consent page.
    pub consent_title: &'static str,
    /// Before the client's name in the consent heading.
    pub consent_heading_before: &'static str,
    /// After the client's name in the consent heading.
    pub consent_heading_after: &'static str,
    pub consent_scopes_intro: &'static str,
    /// Followed by the redirect host.
    pub redirected_to: &'static str,
    pub unverified_title: &'static str,
    pub unverified_text: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,

    // Device pages (RFC 8628): entering the code shown on a device, confirming it, the outcome.
    pub device_title: &'static str,
    pub device_intro: &'static str,
    /// The label of the code field ("Code"; browser tests rely on it).
    pub device_code_label: &'static str,
    /// The button that submits the code ("Continue"; browser tests rely on it).
    pub continue_button: &'static str,
    pub device_code_invalid: &'static str,
    /// Followed by the code the device should show.
    pub device_confirm_code: &'static str,
    pub device_warning: &'static str,
    pub device_done_title: &'static str,
    pub device_done_text: &'static str,
    pub device_denied_text: &'static str,
    pub device_expired_title: &'static str,
    pub device_expired_text: &'static str,

    // Scope descriptions (see [`crate::describe_scope`]).
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_address: &'static str,
    pub scope_phone: &'static str,
    pub scope_offline_access: &'static str,
    /// For a scope Charter has no words for; `{scope}` is replaced by its name.
    pub scope_other: &'static str,

    // Sign-out confirmation.
    pub logout_title: &'static str,
    pub logout_text: &'static str,
    pub cancel: &'static str,
    /// After a logout request when this browser had no session.
    pub not_signed_in_text: &'static str,
    /// After "Cancel" on the sign-out confirmation.
    pub still_signed_in_text: &'static str,
}
