//! Client authentication at the endpoints that authenticate clients: token, introspection and revocation
//! (RFC 6749 §2.3.1 and §3.2.1, OpenID Connect Core §9, RFC 7521 §4.2 for the assertion fields).
//!
//! Two pure steps, so that the rules are tested without HTTP:
//!
//! 1. [`PresentedCredentials::extract`] reads what the request carried — the `Authorization` header and the
//!    body's `client_id`, `client_secret`, `client_assertion_type` and `client_assertion` — and decides which
//!    single method the client used. Basic credentials are base64 of `id:secret`, split at the first `:`, and
//!    each half is form-url-decoded (RFC 6749 §2.3.1), so `%3A` and `+` decode. Two methods at once is an
//!    `invalid_request` (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request").
//! 2. [`authenticate`] checks them against the stored [`ClientRecord`]: the method must be the one the client
//!    registered (`client_secret_basic` and `client_secret_post` are distinct), secrets are compared in constant
//!    time against the current keyed hash and, while its rotation window is open, the previous one.
//! 3. `private_key_jwt` (RFC 7523 §2.2, §3) needs the client's keys, which may have to be fetched, so it is two
//!    calls around that: [`assertion_client`] (the named client, registered for `private_key_jwt`), then
//!    [`authenticate_assertion`] with its [`ClientJwks`] (inline `jwks`, or its `jwks_uri` through a
//!    [`ClientKeyCache`]). The rules are in [`assertion`]; refusing a replayed `jti` is the caller's store.
//!
//! Unknown clients, wrong secrets and method mismatches all answer `invalid_client` with one description, and
//! each spends one HMAC, so neither the body nor the timing tells them apart. The log line can
//! ([`ClientAuthError::failure`]).
//!
//! At the endpoint:
//!
//! ```ignore
//! let presented = PresentedCredentials::extract(authorization_header, fields)?;
//! let record = match presented.client_id() {
//!     Some(id) => clients.get(&id).await?, // a ClientCache
//!     None => None,
//! };
//! let client = authenticate(&presented, record.as_deref(), &hasher, clock.now())?;
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use charter_core::client::{AuthMethod, Client, ClientRecord, SecretHashes};
use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::secret::SecretHasher;

pub mod assertion;
mod error;
pub mod jwks;
pub mod key_cache;
mod private_key_jwt;
#[cfg(test)]
mod test_keys;

pub use assertion::{AssertionExpectation, AssertionFailure, AssertionHeader, VerifiedAssertion};
pub use error::{AuthFailure, ClientAuthError};
pub use jwks::ClientJwks;
pub use key_cache::{ClientKeyCache, FetchedJwks, JwksFetcher, KeyCachePolicy, KeysUnavailable};
pub use private_key_jwt::{KeySource, assertion_client, authenticate_assertion, key_source};

/// The only `client_assertion_type` Charter knows (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `WWW-Authenticate` value of a 401 answering a failed Basic authentication (RFC 6749 §5.2).
pub const BASIC_CHALLENGE: &str = "Basic realm=\"charter\"";

/// A well-formed stored hash no secret matches in practice: verifying against it costs the same HMAC as a real
/// check, so an unknown client takes as long as a wrong secret.
const DUMMY_HASH: &str = "hmac-sha256$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The credential fields of a request body, as sent. Empty values count as absent (SPEC-CHECKLIST A29).
/// `Debug` leaves the secret and the assertion out.
#[derive(Clone, Copy, Default)]
pub struct CredentialFields<'a> {
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub client_assertion_type: Option<&'a str>,
    pub client_assertion: Option<&'a str>,
}

impl fmt::Debug for CredentialFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialFields")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.map(|_| ".."))
            .field("client_assertion_type", &self.client_assertion_type)
            .field("client_assertion", &self.client_assertion.map(|_| ".."))
            .finish()
    }
}

/// What a client presented, one method per request. Client ids are as sent (decoded, not yet parsed).
/// `Debug` leaves secrets and assertions out.
#[derive(Clone, PartialEq, Eq)]
pub enum PresentedCredentials {
    /// `client_secret_basic`: HTTP Basic with the form-url-decoded id and secret.
    Basic { client_id: String, secret: String },
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post { client_id: String, secret: String },
    /// `private_key_jwt`: a signed JWT. The body's `client_id` is optional; without it, `client_id` is the
    /// assertion's unverified `sub` (used to look the client up, nothing more).
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    /// `none`: a public client sends its `client_id` only.
    None { client_id: String },
}

impl fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedCredentials")
            .field("method", &self.method())
            .field("client_id", &self.raw_client_id())
            .finish_non_exhaustive()
    }
}

impl PresentedCredentials {
    /// Reads the credentials of a request: `authorization` is the `Authorization` header's value, if any.
    pub fn extract(
        authorization: Option<&str>,
        fields: CredentialFields<'_>,
    ) -> Result<Self, ClientAuthError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.filter(|s| !s.is_empty())
        }
        let body_id = present(fields.client_id);
        let secret = present(fields.client_secret);
        let assertion_type = present(fields.client_assertion_type);
        let assertion = present(fields.client_assertion);
        let tried_basic = authorization.is_some();
        let fail = |failure| ClientAuthError::new(failure, tried_basic);

        let methods = [
            authorization.is_some(),
            secret.is_some(),
            assertion.is_some(),
        ];
        if methods.iter().filter(|m| **m).count() > 1 {
            return Err(fail(AuthFailure::MultipleMethods));
        }
        if assertion_type.is_some() && assertion.is_none() {
            return Err(fail(AuthFailure::AssertionTypeWithoutAssertion));
        }

        if let Some(header) = authorization {
            let (client_id, secret) = parse_basic(header).map_err(fail)?;
            if body_id.is_some_and(|id| id != client_id) {
                return Err(fail(AuthFailure::ClientIdMismatch));
            }
            return Ok(Self::Basic { client_id, secret });
        }
        if let Some(assertion) = assertion {
            return match assertion_type {
                None => Err(fail(AuthFailure::AssertionWithoutType)),
                // Without a body client_id, the assertion's (unverified) sub names the client to look up;
                // verification then requires iss = sub = that client.
                Some(JWT_BEARER_ASSERTION_TYPE) => Ok(Self::Assertion {
                    client_id: body_id
                        .map(str::to_owned)
                        .or_else(|| assertion::claimed_client_id(assertion)),
                    assertion: assertion.to_owned(),
                }),
                Some(_) => Err(fail(AuthFailure::UnsupportedAssertionType)),
            };
        }
        match (body_id, secret) {
            (Some(id), Some(secret)) => Ok(Self::Post {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            (None, Some(_)) => Err(fail(AuthFailure::SecretWithoutClientId)),
            (Some(id), None) => Ok(Self::None {
                client_id: id.to_owned(),
            }),
            (None, None) => Err(fail(AuthFailure::NoCredentials)),
        }
    }

    /// The method the client used.
    pub fn method(&self) -> AuthMethod {
        match self {
            Self::Basic { .. } => AuthMethod::ClientSecretBasic,
            Self::Post { .. } => AuthMethod::ClientSecretPost,
            Self::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Self::None { .. } => AuthMethod::None,
        }
    }

    /// The client id as sent, if the request named one.
    pub fn raw_client_id(&self) -> Option<&str> {
        match self {
            Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::None { client_id } => Some(client_id),
            Self::Assertion { client_id, .. } => client_id.as_deref(),
        }
    }

    /// The client id to look the client up by; `None` when absent or not a valid client id (then there is no
    /// such client, and [`authenticate`] answers `invalid_client`).
    pub fn client_id(&self) -> Option<ClientId> {
        self.raw_client_id().and_then(|s| ClientId::parse(s).ok())
    }

    /// Did the client use HTTP authentication? Then a failure is a 401 with [`BASIC_CHALLENGE`].
    pub fn tried_basic(&self) -> bool {
        matches!(self, Self::Basic { .. })
    }

    fn secret(&self) -> Option<&str> {
        match self {
            Self::Basic { secret, .. } | Self::Post { secret, .. } => Some(secret),
            Self::Assertion { .. } | Self::None { .. } => None,
        }
    }
}

/// Which stored hash a secret matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUsed {
    Current,
    /// The previous secret, inside its rotation window: the client has not rolled over yet.
    Previous,
}

/// A client that proved who it is. Only [`authenticate`] makes one, so a function taking it knows
/// authentication happened.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedClient<'r> {
    client: &'r Client,
    method: AuthMethod,
    secret: Option<SecretUsed>,
}

impl<'r> AuthenticatedClient<'r> {
    pub fn client(&self) -> &'r Client {
        self.client
    }

    pub fn id(&self) -> &'r ClientId {
        &self.client.id
    }

    /// How it authenticated; `none` for a public client (which proved nothing but its id).
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// Which secret matched, for clients that authenticate with one.
    pub fn secret_used(&self) -> Option<SecretUsed> {
        self.secret
    }
}

/// Checks presented credentials against the stored client (`None`: no such client). `now` decides whether
/// the previous secret of a rotation is still valid.
pub fn authenticate<'r>(
    presented: &PresentedCredentials,
    record: Option<&'r ClientRecord>,
    hasher: &SecretHasher,
    now: Timestamp,
) -> Result<AuthenticatedClient<'r>, ClientAuthError> {
    let fail = |failure| ClientAuthError::new(failure, presented.tried_basic());
    if let PresentedCredentials::Assertion { .. } = presented {
        return Err(fail(AuthFailure::AssertionNeedsKeys));
    }
    let secret = presented.secret();
    // Every failure below spends exactly one HMAC when a secret was sent, as a real check would.
    let burn = || {
        if let Some(secret) = secret {
            std::hint::black_box(hasher.verify(secret, DUMMY_HASH));
        }
    };

    // The caller looked the record up by `presented.client_id()`; checking the id again here means a caller
    // that passes the wrong record fails closed.
    let Some(record) = record.filter(|r| presented.client_id().is_some_and(|id| id == r.client.id))
    else {
        burn();
        return Err(fail(AuthFailure::UnknownClient));
    };
    let registered = record.client.metadata.token_endpoint_auth_method;
    let used = presented.method();
    if registered != used {
        burn();
        return Err(fail(AuthFailure::MethodMismatch { registered, used }));
    }
    let secret_used = match (secret, &record.secret) {
        // `used == registered == none`: a public client sends no secret (a secret would have been `post`).
        (None, _) => None,
        (Some(secret), Some(hashes)) => match verify(hasher, secret, hashes, now) {
            Some(which) => Some(which),
            None => return Err(fail(AuthFailure::WrongSecret)),
        },
        (Some(_), None) => {
            burn();
            return Err(fail(AuthFailure::WrongSecret));
        }
    };
    Ok(AuthenticatedClient {
        client: &record.client,
        method: used,
        secret: secret_used,
    })
}

/// Constant-time comparison against every hash valid at `now`, all of them checked so the time taken does not
/// depend on which one matched.
fn verify(
    hasher: &SecretHasher,
    secret: &str,
    hashes: &SecretHashes,
    now: Timestamp,
) -> Option<SecretUsed> {
    let mut matched = None;
    for (i, stored) in hashes.valid_at(now).enumerate() {
        if hasher.verify(secret, stored) && matched.is_none() {
            matched = Some(if i == 0 {
                SecretUsed::Current
            } else {
                SecretUsed::Previous
            });
        }
    }
    matched
}

/// `Basic base64(form-urlencode(id) ":" form-urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617 §2). The scheme
/// name is case-insensitive (RFC 9110 §11.1).
fn parse_basic(header: &str) -> Result<(String, String), AuthFailure> {
    let header = header.trim();
    let (scheme, rest) = header.split_once([' ', '\t']).unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthFailure::UnsupportedScheme);
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| AuthFailure::MalformedBasic)?;
    let decoded = String::from_utf8(decoded).map_err(|_| AuthFailure::MalformedBasic)?;
    let (id, secret) = decoded.split_once(':').ok_or(AuthFailure::MalformedBasic)?;
    let id = form_urldecode(id).ok_or(AuthFailure::MalformedBasic)?;
    let secret = form_urldecode(secret).ok_or(AuthFailure::MalformedBasic)?;
    if id.is_empty() || secret.is_empty() {
        return Err(AuthFailure::MalformedBasic);
    }
    Ok((id, secret))
}

/// application/x-www-form-urlencoded decoding of one value: `+` is a space, `%XX` a byte. Strict where
/// `form_urlencoded::parse` is lenient: a broken escape or a result that is not UTF-8 is refused rather than
/// passed through, so two spellings can never reach the comparison as the same secret by accident.
fn form_urldecode(s: &str) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(hex)?;
                let lo = bytes.next().and_then(hex)?;
                out.push((hi << 4) | lo);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
