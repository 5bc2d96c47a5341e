//! `private_key_jwt` client assertions: RFC 7523 §2.2 (the parameters) and §3 (the JWT's rules), OpenID
//! Connect Core §9, with the audience rule of the 2025 audience-injection advisory.
//!
//! The rules, all pure (the caller passes the keys and "now"):
//! - **Header** ([`read_header`]): `alg` is RS256, PS256, ES256 or EdDSA. `none` and HMAC are refused before
//!   any key is looked at (and Charter's ring provider refuses HMAC again).
//! - **Signature** ([`verify_assertion`]): by a key of the client's JWK Set that fits `alg` and, when the
//!   header names one, `kid`. No fitting key is [`AssertionFailure::UnknownKey`], which tells a caller with a
//!   `jwks_uri` to re-fetch once.
//! - **Claims** ([`check_claims`]): `iss` and `sub` are the client id; `aud` is the issuer identifier as a
//!   single string — not an array, not the token endpoint URL (an assertion made for one server must not be
//!   replayable at another that shares an endpoint URL); `exp` is present, not passed, and at most
//!   [`MAX_LIFETIME`] ahead (plus skew); `nbf` and `iat`, when present, are not in the future; `jti` is
//!   present. Time is the caller's clock, never the wall clock (jsonwebtoken's own `exp` check is off).
//!
//! What the signature and claims checks return, [`VerifiedAssertion`], carries the `jti` and how long it must
//! be remembered; refusing a replay is the caller's store ([`charter_core::store::AssertionReplayStore`]).

use std::time::Duration;

use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_keys::SigningAlg;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::Value;
use thiserror::Error;

use super::jwks::ClientJwks;

/// The longest an assertion may still be valid when it arrives: a client makes a fresh one per request.
pub const MAX_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The longest `jti` remembered.
pub const MAX_JTI_LEN: usize = 256;

/// Why an assertion was refused (all answered `invalid_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AssertionFailure {
    #[error("the assertion is not a JWS compact serialization")]
    Malformed,
    #[error("the assertion's alg is not RS256, PS256, ES256 or EdDSA")]
    UnsupportedAlgorithm,
    #[error("no key of the client fits the assertion's alg and kid")]
    UnknownKey,
    #[error("the client's keys could not be obtained")]
    KeysUnavailable,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the assertion lacks the {0} claim")]
    MissingClaim(&'static str),
    #[error("the assertion's {0} claim has the wrong type")]
    InvalidClaim(&'static str),
    #[error("iss is not the client id")]
    WrongIssuer,
    #[error("sub is not the client id")]
    WrongSubject,
    #[error("aud is an array")]
    AudienceNotSingle,
    #[error("aud is not the issuer identifier")]
    WrongAudience,
    #[error("the assertion has expired")]
    Expired,
    #[error("exp is too far in the future")]
    LifetimeTooLong,
    #[error("the assertion is not valid yet (nbf)")]
    NotYetValid,
    #[error("iat is in the future")]
    IssuedInFuture,
    #[error("jti is longer than 256 characters")]
    JtiTooLong,
    #[error("the assertion was used before (jti)")]
    Replayed,
}

impl AssertionFailure {
    /// The `error_description`. Key and signature failures all read alike (they come before anything proves
    /// the sender is the client); claim failures come after the signature verified, so they may help the
    /// client's developer.
    pub fn description(self) -> &'static str {
        use AssertionFailure::*;
        match self {
            Malformed | UnknownKey | KeysUnavailable | BadSignature => {
                "client authentication failed"
            }
            UnsupportedAlgorithm => {
                "client assertions are signed with RS256, PS256, ES256 or EdDSA"
            }
            MissingClaim(_) | InvalidClaim(_) => {
                "the client assertion needs iss, sub, aud, exp and jti, with their JWT types"
            }
            WrongIssuer | WrongSubject => {
                "the client assertion's iss and sub must be the client_id"
            }
            AudienceNotSingle | WrongAudience => {
                "the client assertion's aud must be the issuer identifier, as a single string"
            }
            Expired => "the client assertion has expired",
            LifetimeTooLong => "the client assertion's exp must be at most 5 minutes ahead",
            NotYetValid | IssuedInFuture => "the client assertion is not valid yet",
            JtiTooLong => "the client assertion's jti is too long",
            Replayed => "the client assertion was already used",
        }
    }
}

/// What an assertion must satisfy besides its signature.
#[derive(Debug, Clone, Copy)]
pub struct AssertionExpectation<'a> {
    pub client_id: &'a ClientId,
    /// The issuer identifier, exactly as in discovery.
    pub issuer: &'a str,
    pub now: Timestamp,
    /// Tolerance for the client's clock.
    pub skew: Duration,
}

/// The parts of the JOSE header that choose the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionHeader {
    pub alg: SigningAlg,
    pub kid: Option<String>,
}

/// A verified assertion: its `jti`, to remember until `remember_until` so a replay is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub jti: String,
    /// `exp` plus the skew: until then the assertion would still be accepted.
    pub remember_until: Timestamp,
}

/// Reads the header, refusing `none`, HMAC and anything else outside RS256, PS256, ES256, EdDSA.
pub fn read_header(assertion: &str) -> Result<AssertionHeader, AssertionFailure> {
    if assertion.split('.').count() != 3 {
        return Err(AssertionFailure::Malformed);
    }
    // jsonwebtoken has no `none` algorithm: such a header does not parse, and is refused here.
    let header = decode_header(assertion).map_err(|_| AssertionFailure::Malformed)?;
    let alg = match header.alg {
        Algorithm::RS256 => SigningAlg::RS256,
        Algorithm::PS256 => SigningAlg::PS256,
        Algorithm::ES256 => SigningAlg::ES256,
        Algorithm::EdDSA => SigningAlg::EdDSA,
        _ => return Err(AssertionFailure::UnsupportedAlgorithm),
    };
    Ok(AssertionHeader {
        alg,
        kid: header.kid,
    })
}

/// The unverified `sub` (or `iss`) of an assertion: which client it claims to come from, to look the client
/// up when the body has no `client_id`. Nothing is believed until [`verify_assertion`] succeeds.
pub fn claimed_client_id(assertion: &str) -> Option<String> {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(assertion).ok()?;
    ["sub", "iss"]
        .into_iter()
        .find_map(|c| claims.get(c).and_then(Value::as_str).map(str::to_owned))
}

/// Verifies the signature with the client's keys, then the claims.
pub fn verify_assertion(
    assertion: &str,
    header: &AssertionHeader,
    keys: &ClientJwks,
    expect: &AssertionExpectation<'_>,
) -> Result<VerifiedAssertion, AssertionFailure> {
    charter_keys::provider::install();
    let mut validation = Validation::new(header.alg.jwt());
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let mut candidates = keys
        .candidates(header.alg, header.kid.as_deref())
        .peekable();
    if candidates.peek().is_none() {
        return Err(AssertionFailure::UnknownKey);
    }
    let claims = candidates
        .find_map(|key| decode::<Value>(assertion, &key.decoding_key(), &validation).ok())
        .ok_or(AssertionFailure::BadSignature)?
        .claims;
    check_claims(&claims, expect)
}

/// The claim rules of RFC 7523 §3 on already verified claims.
pub fn check_claims(
    claims: &Value,
    expect: &AssertionExpectation<'_>,
) -> Result<VerifiedAssertion, AssertionFailure> {
    use AssertionFailure::*;
    let string = |name: &'static str| -> Result<&str, AssertionFailure> {
        match claims.get(name) {
            None | Some(Value::Null) => Err(MissingClaim(name)),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(_) => Err(InvalidClaim(name)),
        }
    };
    let time = |name: &'static str| -> Result<Option<i64>, AssertionFailure> {
        match claims.get(name) {
            None | Some(Value::Null) => Ok(None),
            // NumericDate may have a fraction (RFC 7519 §2); whole seconds are what Charter compares.
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite())
                        .map(|f| f.floor() as i64)
                })
                .map(Some)
                .ok_or(InvalidClaim(name)),
            Some(_) => Err(InvalidClaim(name)),
        }
    };

    let client = expect.client_id.as_ref();
    if string("iss")? != client {
        return Err(WrongIssuer);
    }
    if string("sub")? != client {
        return Err(WrongSubject);
    }
    match claims.get("aud") {
        None | Some(Value::Null) => return Err(MissingClaim("aud")),
        Some(Value::Array(_)) => return Err(AudienceNotSingle),
        Some(Value::String(aud)) if aud == expect.issuer => {}
        Some(Value::String(_)) => return Err(WrongAudience),
        Some(_) => return Err(InvalidClaim("aud")),
    }

    let now = expect.now.unix();
    let skew = i64::try_from(expect.skew.as_secs()).unwrap_or(i64::MAX);
    let max_lifetime = i64::try_from(MAX_LIFETIME.as_secs()).unwrap_or(i64::MAX);
    let exp = time("exp")?.ok_or(MissingClaim("exp"))?;
    // Valid strictly before exp (RFC 7519 §4.1.4), give or take the skew.
    if exp.saturating_add(skew) <= now {
        return Err(Expired);
    }
    if exp > now.saturating_add(max_lifetime).saturating_add(skew) {
        return Err(LifetimeTooLong);
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now.saturating_add(skew)) {
        return Err(NotYetValid);
    }
    if time("iat")?.is_some_and(|iat| iat > now.saturating_add(skew)) {
        return Err(IssuedInFuture);
    }

    let jti = string("jti")?;
    if jti.is_empty() {
        return Err(MissingClaim("jti"));
    }
    if jti.chars().count() > MAX_JTI_LEN {
        return Err(JtiTooLong);
    }
    Ok(VerifiedAssertion {
        jti: jti.to_owned(),
        remember_until: Timestamp::from_unix(exp.saturating_add(skew)),
    })
}

#[cfg(test)]
mod tests;
