//! Redeeming an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §2.1.1 and §4.8.2): is this
//! token request entitled to this code?
//!
//! Replay is deliberately not decided here. The endpoint looks at `used_at` only after these checks pass, so a
//! replayed code sent with a wrong verifier or by another client is refused without revoking the legitimate
//! tokens (SPEC-CHECKLIST A15), while a replay that passes them revokes the grant (A14).

use super::TokenError;
use super::pkce::verify_s256;
use crate::clock::Timestamp;
use crate::grant::AuthorizationCode;
use crate::ids::ClientId;

/// Checks a code against the authenticated client and the token request's `redirect_uri` and `code_verifier`.
///
/// - expired (`now >= expires_at`) or issued to another client: `invalid_grant` (A17);
/// - the authorization request carried `redirect_uri`: the token request must repeat it byte for byte
///   (RFC 6749 §4.1.3), else `invalid_grant` (A18); it did not: a `redirect_uri` sent anyway must still be the
///   code's;
/// - the code has a PKCE challenge: the verifier is required and must match, else `invalid_grant` (A11);
/// - it has none but a verifier is sent: `invalid_request`, a PKCE downgrade attempt (RFC 9700 §2.1.1, A12).
pub fn check_code(
    code: &AuthorizationCode,
    client: &ClientId,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: Timestamp,
) -> Result<(), TokenError> {
    if code.expires_at.has_passed(now) {
        return Err(TokenError::invalid_grant("the code has expired"));
    }
    if &code.client_id != client {
        return Err(TokenError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    let redirect_ok = match redirect_uri {
        Some(sent) => sent == code.redirect_uri,
        None => !code.redirect_uri_sent,
    };
    if !redirect_ok {
        return Err(TokenError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (code.code_challenge.as_deref(), verifier) {
        (Some(_), None) => Err(TokenError::invalid_grant("code_verifier is missing")),
        (Some(challenge), Some(verifier)) if !verify_s256(challenge, verifier) => Err(
            TokenError::invalid_grant("code_verifier does not match the code_challenge"),
        ),
        (Some(_), Some(_)) | (None, None) => Ok(()),
        (None, Some(_)) => Err(TokenError::invalid_request(
            "code_verifier sent, but the authorization request had no code_challenge",
        )),
    }
}

#[cfg(test)]
mod tests;
