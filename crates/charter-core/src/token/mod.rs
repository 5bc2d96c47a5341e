//! The token and userinfo endpoints' protocol rules, as pure functions.
//!
//! - [`request`]: the token request form body (RFC 6749 §3.2, §4.1.3, §4.4.2, §6; RFC 8628 §3.4; RFC 8707 §2).
//! - [`code`]: redeeming an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.8.2).
//! - [`pkce`]: the S256 code verifier check (RFC 7636 §4.1, §4.6), through oxide-auth (ADR 0001).
//! - [`claims`]: ID token claims (OpenID Connect Core §2, §3.1.3.6) and JWT access token claims (RFC 9068 §2.2),
//!   with the access token audience rule (RFC 8707).
//! - [`userinfo`]: which claims the userinfo endpoint releases for which scopes (OpenID Connect Core §5.3, §5.4).
//!
//! Every refusal is a [`TokenError`], whose code is the RFC 6749 §5.2 (or RFC 8707 §2, RFC 8628 §3.5) `error`
//! value. Turning it
//! into a status, headers and a JSON body is the endpoint layer's job, done in one place.

use std::fmt;

use thiserror::Error;

pub mod claims;
pub mod code;
pub mod pkce;
pub mod request;
pub mod userinfo;

pub use claims::{AccessTokenClaims, Audience, IdTokenClaims, access_token_audience, at_hash};
pub use code::check_code;
pub use pkce::verify_s256;
pub use request::{Grant, TokenRequest};
pub use userinfo::userinfo_claims;

/// The `error` codes of a token endpoint error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenErrorCode {
    /// RFC 6749 §5.2: missing or repeated parameter, malformed request, PKCE downgrade (RFC 9700 §2.1.1).
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: the code, refresh token or device code is invalid, expired, revoked, or was issued to
    /// another client or for another redirect URI; or the PKCE verifier does not match.
    InvalidGrant,
    /// RFC 6749 §5.2: the client may not use this grant type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: the grant type is not supported (including `password` and `implicit`).
    UnsupportedGrantType,
    /// RFC 6749 §5.2: the scope is malformed or exceeds what was granted.
    InvalidScope,
    /// RFC 8707 §2: the `resource` is malformed or not allowed for this client.
    InvalidTarget,
    /// RFC 8628 §3.5: the user has not yet approved or denied the device; poll again after the interval.
    AuthorizationPending,
    /// RFC 8628 §3.5: polled too fast; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the user denied the device.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired; start over.
    ExpiredToken,
}

impl TokenErrorCode {
    pub const ALL: [TokenErrorCode; 11] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::InvalidTarget,
        Self::AuthorizationPending,
        Self::SlowDown,
        Self::AccessDenied,
        Self::ExpiredToken,
    ];

    /// The `error` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
        }
    }
}

impl fmt::Display for TokenErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused token request: the `error` code and a human-readable `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {description}")]
pub struct TokenError {
    pub code: TokenErrorCode,
    /// Safe to send: restricted to the characters RFC 6749 §5.2 allows in `error_description`.
    pub description: String,
}

impl TokenError {
    /// Characters outside `%x20-21 / %x23-5B / %x5D-7E` (RFC 6749 §5.2) become `?`, so a description can be
    /// sent as is whatever went into it.
    pub fn new(code: TokenErrorCode, description: impl Into<String>) -> Self {
        let description = description
            .into()
            .chars()
            .map(|c| if is_description_char(c) { c } else { '?' })
            .collect();
        Self { code, description }
    }

    /// The `error` value on the wire.
    pub fn as_str(&self) -> &'static str {
        self.code.as_str()
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidGrant, description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::UnauthorizedClient, description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::UnsupportedGrantType, description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidScope, description)
    }

    pub fn invalid_target(description: impl Into<String>) -> Self {
        Self::new(TokenErrorCode::InvalidTarget, description)
    }

    /// One of the RFC 8628 §3.5 polling answers (`authorization_pending`, `slow_down`, `access_denied`,
    /// `expired_token`).
    pub fn device(code: TokenErrorCode, description: impl Into<String>) -> Self {
        Self::new(code, description)
    }
}

fn is_description_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_the_rfc_names() {
        let names: Vec<_> = TokenErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "invalid_target",
                "authorization_pending",
                "slow_down",
                "access_denied",
                "expired_token",
            ]
        );
        assert_eq!(TokenError::invalid_target("x").as_str(), "invalid_target");
        assert_eq!(
            TokenError::invalid_grant("code expired").to_string(),
            "invalid_grant: code expired"
        );
    }

    #[test]
    fn descriptions_keep_to_the_allowed_characters() {
        let e = TokenError::invalid_request("a \"quoted\" back\\slash\nnewline é ok");
        assert_eq!(e.description, "a ?quoted? back?slash?newline ? ok");
    }
}
