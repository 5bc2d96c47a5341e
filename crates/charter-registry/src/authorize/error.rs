//! Authorization request errors, in the two kinds RFC 6749 §4.1.2.1 separates: the ones shown on an error page
//! because the redirect URI cannot be trusted ([`PageError`]), and the ones sent back to the client's redirect
//! URI ([`RedirectError`], with the codes of RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6).

use std::fmt;

use charter_core::client::RedirectUri;
use charter_core::grant::ResponseMode;
use thiserror::Error;

/// Why an authorization request gets an error page and no redirect: the client or the redirect URI is missing,
/// unknown, repeated or not registered (RFC 6749 §4.1.2.1 first paragraph, SPEC-CHECKLIST A1, A4, A5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("{}", self.description())]
pub enum PageError {
    MissingClientId,
    UnknownClient,
    RepeatedClientId,
    InvalidRedirectUri,
    MissingRedirectUri,
    RepeatedRedirectUri,
}

impl PageError {
    /// The sentence for the error page, for the user and the client's developer. It names no registered URI.
    pub fn description(self) -> &'static str {
        match self {
            Self::MissingClientId => {
                "The request does not say which application is asking (no client_id)."
            }
            Self::UnknownClient => {
                "The application that sent you here is not registered (unknown client_id)."
            }
            Self::RepeatedClientId => "The request sends client_id more than once.",
            Self::InvalidRedirectUri => {
                "The redirect_uri is not one the application registered, so you were not sent back to it."
            }
            Self::MissingRedirectUri => {
                "The request has no redirect_uri, and the application did not register exactly one."
            }
            Self::RepeatedRedirectUri => "The request sends redirect_uri more than once.",
        }
    }
}

/// Errors sent back to the redirect URI: RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6 codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedirectError {
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedResponseType,
    InvalidScope,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
}

impl RedirectError {
    pub const ALL: &'static [RedirectError] = &[
        Self::InvalidRequest,
        Self::UnauthorizedClient,
        Self::UnsupportedResponseType,
        Self::InvalidScope,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::InteractionRequired,
        Self::RequestNotSupported,
        Self::RequestUriNotSupported,
        Self::AccessDenied,
        Self::ServerError,
        Self::TemporarilyUnavailable,
    ];

    /// The `error` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an authorization request was refused, and how to answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorizeError {
    /// Show an error page; never redirect.
    #[error("{0}")]
    Page(PageError),
    /// Send `error`, `error_description`, `state` and `iss` to `redirect_uri` (see
    /// [`redirect_params`](super::redirect_params)) in `response_mode`: the requested one when it was valid,
    /// else the query. `state` is the request's, byte for byte, unless it was repeated.
    #[error("{error}: {description}")]
    Redirect {
        redirect_uri: RedirectUri,
        response_mode: ResponseMode,
        state: Option<String>,
        error: RedirectError,
        /// ASCII without `"` and `\`, as RFC 6749 §4.1.2.1 requires of `error_description`.
        description: &'static str,
    },
}

impl From<PageError> for AuthorizeError {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}
