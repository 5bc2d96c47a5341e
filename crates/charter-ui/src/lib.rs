//! Charter's server-rendered pages: sign-in, consent, account, sign-out confirmation and messages.
//!
//! This crate knows nothing of HTTP or databases. An endpoint fills a view struct and renders it to a `String`;
//! the endpoints crate then builds the response (status, `Content-Security-Policy`, `Cache-Control: no-store`):
//!
//! ```
//! use charter_ui::{Locale, LoginView};
//!
//! let t = Locale::negotiate(Some("fr-CA en"), None).strings();
//! let page = LoginView {
//!     t,
//!     csrf: "token".to_owned(),
//!     username: String::new(),
//!     return_to: None,
//!     error: None,
//!     client_name: Some("<Example>".to_owned()),
//! }
//! .render()?;
//! assert!(page.contains(r#"<html lang="fr">"#));
//! // askama escapes with numeric character references.
//! assert!(page.contains("&#60;Example&#62;"));
//! # Ok::<(), askama::Error>(())
//! ```
//!
//! # What every page guarantees
//!
//! - Templates are compiled with askama and every value is HTML-escaped; nothing is assembled with `format!`.
//! - No JavaScript, no inline style, no third-party resource: the one stylesheet is [`CSS`], served by Charter at
//!   [`CSS_PATH`], so a Content-Security-Policy without `unsafe-inline` holds (Mozilla web security guidelines).
//! - Every form posts to Charter and carries the hidden `csrf` input (OWASP CSRF cheat sheet).
//! - Accessibility: `lang` on `<html>`, a `<main>` landmark, labelled inputs with `autocomplete`, errors in a
//!   `role="alert"` element, visible keyboard focus, contrast of at least WCAG AA, targets large enough to tap.
//! - Language: [`Locale::negotiate`] honours `ui_locales` (OpenID Connect Core §3.1.2.1), then
//!   `Accept-Language`; English is the default and every language is complete ([`Strings`]).

mod i18n;
mod pages;
mod scope;

pub use askama::Error;
pub use i18n::{Locale, Strings};
pub use pages::account::{AccountView, AppRow, SessionRow};
pub use pages::consent::{ConsentView, ScopeRow};
pub use pages::device::{DeviceConsentView, DeviceEntryView};
pub use pages::form_post::FormPostView;
pub use pages::login::LoginView;
pub use pages::logout::LogoutConfirmView;
pub use pages::message::MessageView;
pub use scope::describe_scope;

/// Charter's one stylesheet. Serve it at [`CSS_PATH`] as `text/css`.
pub const CSS: &str = include_str!("../static/charter.css");

/// Where every page links the stylesheet from.
pub const CSS_PATH: &str = "/static/charter.css";

#[cfg(test)]
mod tests;
