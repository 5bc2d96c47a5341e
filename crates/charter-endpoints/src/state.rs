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
    /// The origins allowed to call the CORS-enabled endpoints (those of registered redirect URIs), from memory
    /// and at most `AllowedOrigins::DEFAULT_TTL` old. Call `invalidate` after changing a client on this node.
    pub cors: Arc<crate::cors::AllowedOrigins>,
    /// Device authorization grant (RFC 8628): code lifetime and polling interval.
    pub device: charter_core::device::DevicePolicy,
    /// Woken whenever ending a session wrote back-channel logout messages, so the delivery task sends them
    /// at once instead of at its next interval.
    pub logout_outbox: Arc<tokio::sync::Notify>,
    /// Dynamic client registration (RFC 7591): mode, allowed scopes, rate limit.
    pub registration: crate::registration::RegistrationConfig,
    /// SHA-256 digest of the admin API token; None when none is configured.
    pub admin_token_hash: Option<Arc<str>>,
    /// The one outbound HTTP client (client `jwks_uri`, back-channel logout): https only, public addresses
    /// only, no redirects, bounded time and size.
    pub outbound: charter_outbound::Outbound,
    /// Keys of `private_key_jwt` clients that registered a `jwks_uri`, fetched through `outbound`
    /// ([`crate::client_auth::client_key_cache`]).
    pub client_keys: Arc<charter_registry::auth::ClientKeyCache>,
    /// Recent revocations in memory, so introspection needs no database round-trip ([`crate::revocations`]).
    /// Call [`AppState::revoked`] after revoking anything on this node.
    pub revocations: Arc<crate::revocations::RevocationView>,
    /// This application's Prometheus metrics ([`crate::metrics`]).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// Brings this node's revocation view up to date after a revocation written here, so this node's own
    /// introspection is exact. If that fails the view stops answering until its next successful poll (callers
    /// then ask the database): the write itself succeeded, so the request does not fail.
    pub async fn revoked(&self) {
        if let Err(e) = self
            .revocations
            .refresh(self.store.as_ref(), self.clock.now())
            .await
        {
            tracing::warn!(error = %e, "could not refresh the revocation view after a revocation");
            self.revocations.mark_stale();
        }
    }
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
