//! What every handler can reach: the stores, the issuer, time and randomness. Passed through `web::Data`,
//! never a global.

use std::fmt;
use std::sync::Arc;

use charter_core::Clock;
use charter_core::csrf::CsrfKey;
use charter_core::issuer::Issuer;
use charter_core::net::TrustedProxies;
use charter_core::password::PasswordPolicy;
use charter_core::random::TokenGenerator;
use charter_core::secret::SecretHasher;
use charter_core::session::SessionPolicy;
use charter_core::store::Store;
use charter_keys::{SharedKeyring, SigningAlg};
use charter_registry::ClientCache;

/// Shared, read-only application state. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Client lookups on hot paths: from memory, at most `ClientCache::DEFAULT_TTL` old (the bound on how long
    /// a change made on another node or by the CLI takes to be seen); a miss reads the database.
    pub clients: Arc<ClientCache>,
    pub issuer: Issuer,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn TokenGenerator>,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Checks client secrets (HMAC-SHA-256 under the server pepper).
    pub secret_hasher: Arc<SecretHasher>,
    /// The signing keys this node serves from (swapped whole when the key set changes).
    pub keys: Arc<SharedKeyring>,
    /// Algorithms that must have an active key before the node is ready.
    pub signing_algs: Arc<[SigningAlg]>,
    /// Documents computed once at start-up: discovery metadata.
    pub documents: Arc<Documents>,
    /// `Cache-Control: max-age` of the JWKS, seconds (shorter than key pre-publication).
    pub jwks_max_age_secs: u64,
    /// Computes and checks the CSRF tokens of Charter's own forms.
    pub csrf: Arc<CsrfKey>,
    pub session_policy: SessionPolicy,
    pub password_policy: PasswordPolicy,
    /// Argon2 work, off the async workers and capped.
    pub hash_pool: Arc<crate::hashing::HashPool>,
    /// A valid hash of a random password, verified against for unknown users (equal timing).
    pub dummy_hash: Arc<str>,
    /// Token lifetimes and algorithms.
    pub tokens: TokenConfig,
}

/// How tokens are issued.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    pub id_token_alg: SigningAlg,
    pub access_token_alg: SigningAlg,
    pub id_token_lifetime: std::time::Duration,
    pub access_token_lifetime: std::time::Duration,
    pub max_access_token_lifetime: std::time::Duration,
    pub clock_skew: std::time::Duration,
    pub refresh_token_idle_lifetime: std::time::Duration,
    pub refresh_token_absolute_lifetime: std::time::Duration,
}

impl TokenConfig {
    /// A client's access-token lifetime: its own setting or the default, never above the maximum (which is
    /// what keeps retired signing keys published long enough).
    pub fn access_token_lifetime_for(
        &self,
        client: &charter_core::client::Client,
    ) -> std::time::Duration {
        client
            .settings
            .access_token_lifetime()
            .unwrap_or(self.access_token_lifetime)
            .min(self.max_access_token_lifetime)
    }
}

/// A JSON document serialised once, with its ETag.
#[derive(Debug)]
pub struct Precomputed {
    pub body: Arc<str>,
    pub etag: Arc<str>,
}

impl Precomputed {
    pub fn new<T: serde::Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        use base64::Engine;
        let body = serde_json::to_string(value)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, body.as_bytes());
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        Ok(Self {
            etag: format!("\"{}\"", &tag[..22]).into(),
            body: body.into(),
        })
    }
}

/// The metadata documents (OpenID Connect Discovery §4, RFC 8414 §3).
#[derive(Debug)]
pub struct Documents {
    pub openid_configuration: Precomputed,
    pub oauth_authorization_server: Precomputed,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("issuer", &self.issuer)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
