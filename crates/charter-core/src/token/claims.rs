//! The claims of the tokens the token endpoint issues. Signing is `charter-keys`' job; these are the payloads.
//!
//! - **ID token** (OpenID Connect Core §2, §3.1.3.6, §3.1.3.7): who signed in, when and how, for one client.
//!   Minimal: profile claims go to userinfo, unless the `claims` request parameter asked for them in the ID
//!   token (Core §5.5), and then only those ([`IdTokenClaims::with_user_claims`]).
//! - **Access token** (RFC 9068 §2.2, JOSE header `typ: at+jwt`): which client may do what, on whose behalf,
//!   at which resource (`aud`, RFC 8707). No roles, no permissions: identity travels, permissions stay
//!   server-side. `grant` names the grant it came from, so a resource server asking Charter (userinfo,
//!   introspection) sees at once when that grant has been revoked.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::TokenError;
use crate::clock::Timestamp;
use crate::grant::AuthorizationCode;
use crate::ids::{ClientId, Subject};
use crate::scope::ScopeSet;

/// The JOSE `typ` of a JWT access token (RFC 9068 §2.1). Never accepted where an ID token is expected.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: Subject,
    /// Exactly one audience, the client, as a single string.
    pub aud: ClientId,
    pub exp: Timestamp,
    pub iat: Timestamp,
    /// Always present: Charter always knows it, and `max_age` requests require it (Core §3.1.2.1).
    pub auth_time: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Core §3.1.3.6, see [`at_hash`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Authentication methods (RFC 8176 values such as `pwd`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// The browser session's random id (OpenID Connect Front-/Back-Channel Logout), never the cookie value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Only needed when there are several audiences (Core §2); Charter issues one, so normally absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<ClientId>,
    /// User claims requested for the ID token with the `claims` parameter (Core §5.5), such as `email`.
    #[serde(flatten)]
    pub user_claims: Map<String, Value>,
}

impl IdTokenClaims {
    /// An ID token for `client_id`, valid for `lifetime` from `now`.
    pub fn new(
        issuer: &str,
        sub: Subject,
        client_id: ClientId,
        auth_time: Timestamp,
        now: Timestamp,
        lifetime: Duration,
    ) -> Self {
        Self {
            iss: issuer.to_owned(),
            sub,
            aud: client_id,
            exp: now.plus(lifetime),
            iat: now,
            auth_time,
            nonce: None,
            at_hash: None,
            amr: Vec::new(),
            sid: None,
            azp: None,
            user_claims: Map::new(),
        }
    }

    /// The ID token for a redeemed authorization code: user, client, `auth_time`, `nonce`, `amr` and `sid`
    /// all come from the code, which recorded them at authorization.
    pub fn for_code(
        issuer: &str,
        code: &AuthorizationCode,
        now: Timestamp,
        lifetime: Duration,
    ) -> Self {
        Self {
            nonce: code.nonce.clone(),
            amr: code.amr.clone(),
            sid: code.session_sid.clone(),
            ..Self::new(
                issuer,
                code.user_sub.clone(),
                code.client_id.clone(),
                code.auth_time,
                now,
                lifetime,
            )
        }
    }

    pub fn with_nonce(mut self, nonce: Option<String>) -> Self {
        self.nonce = nonce;
        self
    }

    pub fn with_amr(mut self, amr: Vec<String>) -> Self {
        self.amr = amr;
        self
    }

    pub fn with_sid(mut self, sid: Option<String>) -> Self {
        self.sid = sid;
        self
    }

    /// Adds user claims (from [`crate::token::userinfo::requested_id_token_claims`]). A name the ID token
    /// already uses for a protocol claim is never overwritten.
    pub fn with_user_claims(mut self, claims: Map<String, Value>) -> Self {
        const PROTOCOL: &[&str] = &[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "amr",
            "sid",
            "azp",
            "acr",
            "jti",
        ];
        self.user_claims = claims
            .into_iter()
            .filter(|(name, _)| !PROTOCOL.contains(&name.as_str()))
            .collect();
        self
    }

    /// Binds the ID token to the access token issued with it; `alg` is the ID token's signing algorithm. An
    /// algorithm [`at_hash`] does not know leaves `at_hash` out (it is optional in the code flow) rather than
    /// guessing a hash.
    pub fn with_access_token(mut self, access_token: &str, alg: &str) -> Self {
        self.at_hash = at_hash(access_token, alg);
        self
    }
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the ASCII access token,
/// base64url-encoded, where the hash is the one of the ID token's `alg`.
///
/// - `RS256`, `PS256`, `ES256`: SHA-256 (16 bytes kept); the 384 and 512 variants: SHA-384, SHA-512.
/// - `EdDSA`: the JWS `alg` names no hash and no published spec says which to use. Charter signs EdDSA with
///   Ed25519 only and uses SHA-512 (32 bytes kept), the hash inside Ed25519 (RFC 8032 §5.1): the consensus of the
///   OpenID Connect working group (connect issue 1125), and what the OpenID Foundation's conformance suite and
///   most libraries (openidconnect-rs, go-oidc, zitadel/oidc) compute. An Ed448 key would need SHAKE256.
///
/// `None` for any other `alg` (`none`, HMAC, unknown).
pub fn at_hash(access_token: &str, alg: &str) -> Option<String> {
    let hash = match alg {
        "RS256" | "PS256" | "ES256" => &digest::SHA256,
        "RS384" | "PS384" | "ES384" => &digest::SHA384,
        "RS512" | "PS512" | "ES512" | "EdDSA" => &digest::SHA512,
        _ => return None,
    };
    let d = digest::digest(hash, access_token.as_bytes());
    let bytes = d.as_ref();
    Some(URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2]))
}

/// A JWT `aud`: one audience serializes as a string, several as an array (RFC 7519 §4.1.3). Both forms are
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience(Vec<String>);

impl Audience {
    pub fn new(audiences: Vec<String>) -> Self {
        Self(audiences)
    }

    pub fn single(audience: impl Into<String>) -> Self {
        Self(vec![audience.into()])
    }

    pub fn contains(&self, audience: &str) -> bool {
        self.0.iter().any(|a| a == audience)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl From<Vec<String>> for Audience {
    fn from(v: Vec<String>) -> Self {
        Self(v)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(a) => Self(vec![a]),
            OneOrMany::Many(v) => Self(v),
        })
    }
}

/// The claims of a JWT access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user's `sub`; for grants without a user (client credentials), the `client_id` (RFC 9068 §2.2).
    pub sub: String,
    pub aud: Audience,
    pub exp: Timestamp,
    pub iat: Timestamp,
    pub jti: String,
    pub client_id: ClientId,
    /// Space-separated (RFC 9068 §2.2.3, RFC 8693 §4.2).
    #[serde(default, skip_serializing_if = "ScopeSet::is_empty")]
    pub scope: ScopeSet,
    /// Charter's grant id: an opaque reference, so revoking the grant ends the token at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<Timestamp>,
}

impl AccessTokenClaims {
    /// An access token valid for `lifetime` from `now`. `jti` is a fresh random value (randomness is passed in).
    pub fn new(
        issuer: &str,
        sub: impl Into<String>,
        aud: Audience,
        client_id: ClientId,
        now: Timestamp,
        lifetime: Duration,
        jti: String,
    ) -> Self {
        Self {
            iss: issuer.to_owned(),
            sub: sub.into(),
            aud,
            exp: now.plus(lifetime),
            iat: now,
            jti,
            client_id,
            scope: ScopeSet::default(),
            grant: None,
            auth_time: None,
        }
    }

    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = scope;
        self
    }

    pub fn with_grant(mut self, grant_id: impl Into<String>) -> Self {
        self.grant = Some(grant_id.into());
        self
    }

    pub fn with_auth_time(mut self, auth_time: Timestamp) -> Self {
        self.auth_time = Some(auth_time);
        self
    }
}

/// The `aud` of an access token (RFC 8707 §2, RFC 9068 §3):
///
/// - a requested `resource` must be one of the client's audiences (compared as strings), else `invalid_target`;
/// - without one, the client's first (default) audience, or the issuer when it has none;
/// - with `openid` in scope the issuer is always an audience, so that userinfo accepts the token.
///
/// Never empty, never a duplicate.
pub fn access_token_audience(
    requested_resource: Option<&str>,
    client_audiences: &[String],
    issuer: &str,
    openid: bool,
) -> Result<Vec<String>, TokenError> {
    let first = match requested_resource {
        Some(resource) if client_audiences.iter().any(|a| a == resource) => resource,
        Some(_) => {
            return Err(TokenError::invalid_target(
                "resource is not allowed for this client",
            ));
        }
        None => client_audiences.first().map_or(issuer, String::as_str),
    };
    let mut aud = vec![first.to_owned()];
    if openid && first != issuer {
        aud.push(issuer.to_owned());
    }
    Ok(aud)
}

#[cfg(test)]
mod tests;
