//! Clients (RFC 6749 §2) and their registered metadata (RFC 7591 §2), with the operator-only settings Charter
//! adds. Validation of metadata is the registry's business (`charter-registry`); these are the shapes.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::Url;

use crate::clock::Timestamp;
use crate::ids::ClientId;
use crate::scope::ScopeSet;

/// An unknown value of an enumerated metadata field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unsupported {field} {value:?}")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownValue { field: $field, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// OAuth grant types Charter implements (no implicit, no password: RFC 9700, OAuth 2.1).
    GrantType, "grant_type", {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        ClientCredentials => "client_credentials",
        DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
    }
);

wire_enum!(
    /// Response types: `code` only.
    ResponseType, "response_type", {
        Code => "code",
    }
);

wire_enum!(
    /// How a client proves who it is at the token endpoint (RFC 7591 §2, OpenID Core §9).
    AuthMethod, "token_endpoint_auth_method", {
        ClientSecretBasic => "client_secret_basic",
        ClientSecretPost => "client_secret_post",
        PrivateKeyJwt => "private_key_jwt",
        None => "none",
    }
);

impl AuthMethod {
    /// Clients that hold a secret Charter generated.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }

    /// A public client cannot keep a credential (RFC 6749 §2.1).
    pub fn is_public(self) -> bool {
        self == Self::None
    }
}

wire_enum!(
    /// `application_type` (OpenID Connect Registration §2): web apps on servers, native apps on devices.
    ApplicationType, "application_type", {
        Web => "web",
        Native => "native",
    }
);

/// A redirect or logout URI exactly as registered. Matching compares strings, never "equivalent" URLs:
/// `https://a/cb` and `https://a:443/cb` are different (RFC 9700 §4.1.3).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri {
    raw: String,
    url: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidRedirectUri {
    #[error("{0:?} is not an absolute URI")]
    NotAbsolute(String),
    #[error("{0:?} has a fragment")]
    Fragment(String),
    #[error("a redirect URI has at most 2048 characters")]
    TooLong,
}

impl RedirectUri {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(s: &str) -> Result<Self, InvalidRedirectUri> {
        if s.len() > Self::MAX_LEN {
            return Err(InvalidRedirectUri::TooLong);
        }
        let url = Url::parse(s).map_err(|_| InvalidRedirectUri::NotAbsolute(s.to_owned()))?;
        if url.fragment().is_some() || s.contains('#') {
            return Err(InvalidRedirectUri::Fragment(s.to_owned()));
        }
        Ok(Self {
            raw: s.to_owned(),
            url,
        })
    }

    /// The string as registered.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed form, for inspecting scheme and host. Never compare these.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({:?})", self.raw)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = InvalidRedirectUri;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(r: RedirectUri) -> String {
        r.raw
    }
}

/// Registered client metadata, with RFC 7591 names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub client_name: String,
    #[serde(default)]
    pub redirect_uris: Vec<RedirectUri>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub token_endpoint_auth_method: AuthMethod,
    /// The scopes the client may ask for.
    pub scope: ScopeSet,
    pub application_type: ApplicationType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<Url>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

/// Settings only an operator may set (never through dynamic registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSettings {
    /// PKCE for every authorization request. Only confidential clients may turn it off, and then must send a
    /// `nonce` with OpenID requests.
    pub require_pkce: bool,
    /// Audiences (RFC 8707 resource indicators) this client may request access tokens for.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// First-party apps an operator trusts may skip the consent page.
    #[serde(default)]
    pub skip_consent: bool,
    /// Per-client access token lifetime, in seconds; the server default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_secs: Option<u64>,
    /// Per-client refresh token idle lifetime, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_idle_lifetime_secs: Option<u64>,
    /// Per-client refresh token absolute lifetime, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_absolute_lifetime_secs: Option<u64>,
}

impl Default for OperatorSettings {
    fn default() -> Self {
        Self {
            require_pkce: true,
            audiences: Vec::new(),
            skip_consent: false,
            access_token_lifetime_secs: None,
            refresh_token_idle_lifetime_secs: None,
            refresh_token_absolute_lifetime_secs: None,
        }
    }
}

impl OperatorSettings {
    pub fn access_token_lifetime(&self) -> Option<Duration> {
        self.access_token_lifetime_secs.map(Duration::from_secs)
    }
}

/// How a client came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// By an operator, through the CLI or the admin API.
    Operator,
    /// By itself, through dynamic client registration (RFC 7591). Shown as "unverified" to users.
    Dynamic,
}

/// A registered client.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: ClientId,
    pub metadata: ClientMetadata,
    pub settings: OperatorSettings,
    pub registration: Registration,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.metadata.token_endpoint_auth_method.is_public()
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.metadata.grant_types.contains(&grant)
    }
}

/// The stored keyed hashes of a client's secret. During a rotation the previous one stays valid until
/// `previous_expires_at`. `Debug` leaves the hashes out.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHashes {
    pub current: String,
    pub previous: Option<(String, Timestamp)>,
}

impl fmt::Debug for SecretHashes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretHashes")
            .field("previous_until", &self.previous.as_ref().map(|(_, t)| t))
            .finish_non_exhaustive()
    }
}

impl SecretHashes {
    /// The hashes a presented secret may match at `now`.
    pub fn valid_at(&self, now: Timestamp) -> impl Iterator<Item = &str> {
        let previous = self
            .previous
            .as_ref()
            .filter(|(_, until)| !until.has_passed(now))
            .map(|(h, _)| h.as_str());
        std::iter::once(self.current.as_str()).chain(previous)
    }
}

/// A client with its secret hashes, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRecord {
    pub client: Client,
    pub secret: Option<SecretHashes>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for g in GrantType::ALL {
            assert_eq!(g.as_str().parse::<GrantType>(), Ok(*g));
        }
        for m in AuthMethod::ALL {
            assert_eq!(m.as_str().parse::<AuthMethod>(), Ok(*m));
        }
        assert!("implicit".parse::<GrantType>().is_err());
        assert!("password".parse::<GrantType>().is_err());
        assert_eq!(
            serde_json::to_string(&GrantType::DeviceCode).unwrap(),
            "\"urn:ietf:params:oauth:grant-type:device_code\""
        );
    }

    #[test]
    fn redirect_uris_keep_their_exact_spelling() {
        let a = RedirectUri::parse("https://a.example:443/cb").unwrap();
        let b = RedirectUri::parse("https://a.example/cb").unwrap();
        assert_eq!(a.as_str(), "https://a.example:443/cb");
        assert_ne!(a, b);
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("https://a.example/cb#x").is_err());
        assert!(RedirectUri::parse("https://a.example/cb#").is_err());
        assert!(RedirectUri::parse("com.example.app:/cb").is_ok());
    }

    #[test]
    fn previous_secret_valid_only_until_its_deadline() {
        let h = SecretHashes {
            current: "new".into(),
            previous: Some(("old".into(), Timestamp::from_unix(100))),
        };
        let at = |t| h.valid_at(Timestamp::from_unix(t)).collect::<Vec<_>>();
        assert_eq!(at(99), ["new", "old"]);
        assert_eq!(at(100), ["new"]);
    }
}
