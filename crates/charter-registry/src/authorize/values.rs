//! The rules for the values of single parameters: PKCE (RFC 7636 §4.2, §4.3), `prompt` and `max_age` (OpenID
//! Connect Core §3.1.2.1), `resource` (RFC 8707 §2), `claims` (OpenID Connect Core §5.5). Each failure is a
//! redirected `invalid_request`, except an `acr` that can never be met (`access_denied`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_core::claims_request::{ClaimsError, ClaimsRequest};
use charter_core::client::Client;
use charter_core::grant::Prompt;
use url::Url;

use super::{Params, RedirectError};

/// A redirected error: its code and its `error_description`.
pub(super) type Reject = (RedirectError, &'static str);

/// PKCE (RFC 7636 §4.3, S256 only). A request may go without it only from a confidential client that opted out
/// (`require_pkce: false`), and then only as an OpenID request with a `nonce`.
pub(super) fn pkce(
    params: &Params<'_>,
    client: &Client,
    openid_with_nonce: bool,
) -> Result<Option<String>, Reject> {
    use RedirectError::InvalidRequest;
    match (
        params.one("code_challenge_method"),
        params.one("code_challenge"),
    ) {
        (Some("plain"), _) => Err((
            InvalidRequest,
            "code_challenge_method plain is not supported; use S256",
        )),
        (Some(method), _) if method != "S256" => {
            Err((InvalidRequest, "code_challenge_method must be S256"))
        }
        (Some(_), None) => Err((
            InvalidRequest,
            "code_challenge_method without code_challenge",
        )),
        (None, Some(_)) => Err((
            InvalidRequest,
            "code_challenge_method=S256 is required with code_challenge (the default, plain, is not supported)",
        )),
        (Some(_), Some(challenge)) => {
            s256_challenge(challenge).map(|()| Some(challenge.to_owned()))
        }
        (None, None) if client.is_public() || client.settings.require_pkce => Err((
            InvalidRequest,
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        )),
        (None, None) if !openid_with_nonce => Err((
            InvalidRequest,
            "without PKCE, only OpenID Connect requests with a nonce are accepted from this client",
        )),
        (None, None) => Ok(None),
    }
}

fn s256_challenge(challenge: &str) -> Result<(), Reject> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&challenge.len()) || !challenge.bytes().all(unreserved) {
        return Err((
            RedirectError::InvalidRequest,
            "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 section 4.2)",
        ));
    }
    // Strict decoding also refuses a last character with stray low bits: a real digest never has them.
    match URL_SAFE_NO_PAD.decode(challenge) {
        Ok(digest) if digest.len() == 32 => Ok(()),
        _ => Err((
            RedirectError::InvalidRequest,
            "an S256 code_challenge is the base64url SHA-256 digest of the code_verifier, 43 characters",
        )),
    }
}

/// `prompt` (OpenID Connect Core §3.1.2.1): a space-separated set; `none` stands alone.
pub(super) fn prompt(raw: Option<&str>) -> Result<Prompt, Reject> {
    let mut prompt = Prompt::default();
    for value in raw.unwrap_or_default().split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            _ => {
                return Err((
                    RedirectError::InvalidRequest,
                    "prompt values are none, login, consent and select_account",
                ));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err((
            RedirectError::InvalidRequest,
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

/// `max_age`: seconds, as a non-negative decimal integer (no sign, no fraction).
pub(super) fn max_age(raw: &str) -> Result<u64, Reject> {
    let digits = raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse() {
        Ok(seconds) if digits => Ok(seconds),
        _ => Err((
            RedirectError::InvalidRequest,
            "max_age must be a non-negative integer number of seconds",
        )),
    }
}

/// `resource` (RFC 8707 §2): an absolute URI without a fragment. Whether the client may have a token for it is
/// decided when the token is issued.
pub(super) fn resource(raw: &str) -> Result<String, Reject> {
    if Url::parse(raw).is_err() || raw.contains('#') {
        return Err((
            RedirectError::InvalidRequest,
            "resource must be an absolute URI without a fragment (RFC 8707 section 2)",
        ));
    }
    Ok(raw.to_owned())
}

/// `claims` (OpenID Connect Core §5.5): parsed by [`ClaimsRequest::parse`]; a malformed value is `invalid_request`.
/// A request whose claims Charter does not know comes out empty, and then as if it had not been sent. An
/// essential `acr` with values can never be met (Charter has one authentication level and issues no `acr`):
/// Core §5.5.1.1 makes that a failed authentication, answered `access_denied` before anyone signs in.
pub(super) fn claims(raw: &str) -> Result<Option<ClaimsRequest>, Reject> {
    let claims = ClaimsRequest::parse(raw).map_err(|e| {
        let description = match e {
            ClaimsError::TooLong => "claims is too long",
            ClaimsError::NotAnObject => {
                "claims must be a JSON object (OpenID Connect Core section 5.5)"
            }
            ClaimsError::MemberNotAnObject => "claims userinfo and id_token must be JSON objects",
            ClaimsError::ClaimNotAnObject => "each requested claim must be null or a JSON object",
            ClaimsError::Essential => "essential must be true or false",
            ClaimsError::Values => "values must be a JSON array",
            ClaimsError::SubjectValue => "a requested sub value must be a string",
        };
        (RedirectError::InvalidRequest, description)
    })?;
    if claims.demands_unmet_acr() {
        return Err((
            RedirectError::AccessDenied,
            "the essential acr values requested cannot be met: Charter has one authentication level",
        ));
    }
    Ok((!claims.is_empty()).then_some(claims))
}
