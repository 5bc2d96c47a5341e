//! What every handler can reach: the stores, the issuer, time and randomness. Passed through `web::Data`,
//! never a global.

use std::fmt;
use std::sync::Arc;

use charter_core::Clock;
use charter_core::issuer::Issuer;
use charter_core::net::TrustedProxies;
use charter_core::random::TokenGenerator;
use charter_core::secret::SecretHasher;
use charter_core::store::Store;

/// Shared, read-only application state. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub issuer: Issuer,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn TokenGenerator>,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Checks client secrets (HMAC-SHA-256 under the server pepper).
    pub secret_hasher: Arc<SecretHasher>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("issuer", &self.issuer)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
