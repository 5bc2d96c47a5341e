//! An application state whose database is gone: every store call fails (and is counted). Endpoints that
//! must be served from memory are driven against it to prove they never touch the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use charter_core::client::{ClientRecord, SecretHashes};
use charter_core::clock::SystemClock;
use charter_core::csrf::CsrfKey;
use charter_core::discovery::{Capabilities, ProviderMetadata};
use charter_core::grant::{AuthorizationCode, Consent, Grant, PendingAuthorization, RefreshToken};
use charter_core::ids::{ClientId, Subject, Username};
use charter_core::issuer::Issuer;
use charter_core::keys::{KeyChange, KeyState, RewrappedKey, StoredKey};
use charter_core::net::TrustedProxies;
use charter_core::password::PasswordPolicy;
use charter_core::random::SystemTokenGenerator;
use charter_core::secret::{Pepper, SecretHasher};
use charter_core::session::{Session, SessionPolicy};
use charter_core::store::*;
use charter_core::throttle::Failures;
use charter_core::user::{User, UserCredentials};
use charter_core::{StoreError, Timestamp};
use charter_endpoints::{AppState, Documents, Precomputed};
use charter_keys::keyring::Keyring;
use charter_keys::material::{KeyPairMaterial, generate};
use charter_keys::{Kek, SharedKeyring, SigningAlg};
use charter_registry::ClientCache;

/// Fails every call, counting them — except the two a test may switch on: one known client, and an empty
/// revocation feed (both still counted).
#[derive(Debug, Default)]
pub struct OfflineStore {
    pub calls: AtomicUsize,
    pub client: std::sync::Mutex<Option<ClientRecord>>,
    pub empty_feed: std::sync::atomic::AtomicBool,
}

impl OfflineStore {
    fn fail<T>(&self) -> Result<T, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::Unavailable("offline".into()))
    }
}

#[async_trait]
impl UserStore for OfflineStore {
    async fn create_user(&self, _: NewUser) -> Result<User, StoreError> {
        self.fail()
    }
    async fn find_user(&self, _: &Subject) -> Result<Option<User>, StoreError> {
        self.fail()
    }
    async fn find_user_by_username(&self, _: &Username) -> Result<Option<User>, StoreError> {
        self.fail()
    }
    async fn find_credentials(&self, _: &Username) -> Result<Option<UserCredentials>, StoreError> {
        self.fail()
    }
    async fn list_users(&self, _: &Page) -> Result<Vec<User>, StoreError> {
        self.fail()
    }
    async fn set_user_disabled(
        &self,
        _: &Subject,
        _: bool,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn set_password_hash(
        &self,
        _: &Subject,
        _: &str,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl ClientStore for OfflineStore {
    async fn create_client(&self, _: &ClientRecord) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        let known = self.client.lock().unwrap().clone();
        match known {
            Some(c) => {
                self.calls.fetch_add(1, Ordering::SeqCst);
                Ok((&c.client.id == id).then_some(c))
            }
            None => self.fail(),
        }
    }
    async fn list_clients(&self, _: &Page) -> Result<Vec<ClientRecord>, StoreError> {
        self.fail()
    }
    async fn delete_client(&self, _: &ClientId) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn set_client_secret(
        &self,
        _: &ClientId,
        _: &SecretHashes,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl ClientRegistrationStore for OfflineStore {
    async fn create_registered_client(&self, _: &ClientRecord, _: &str) -> Result<(), StoreError> {
        self.fail()
    }
    async fn update_client(&self, _: &ClientRecord) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn registration_token_hash(&self, _: &ClientId) -> Result<Option<String>, StoreError> {
        self.fail()
    }
    async fn create_initial_access_token(
        &self,
        _: &charter_core::registration::InitialAccessToken,
    ) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_initial_access_token(
        &self,
        _: &str,
    ) -> Result<Option<charter_core::registration::InitialAccessToken>, StoreError> {
        self.fail()
    }
    async fn spend_initial_access_token(&self, _: &str, _: Timestamp) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl KeyStore for OfflineStore {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.fail()
    }
    async fn apply_key_changes(&self, _: &[KeyChange]) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn rewrap_keys(&self, _: &[RewrappedKey]) -> Result<(), StoreError> {
        self.fail()
    }
}

#[async_trait]
impl SessionStore for OfflineStore {
    async fn create_session(&self, _: &Session) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_session(&self, _: &str) -> Result<Option<Session>, StoreError> {
        self.fail()
    }
    async fn touch_session(&self, _: &str, _: Timestamp, _: Timestamp) -> Result<(), StoreError> {
        self.fail()
    }
    async fn delete_session(&self, _: &str) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn delete_session_by_sid(&self, _: &Subject, _: &str) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn list_sessions(&self, _: &Subject) -> Result<Vec<Session>, StoreError> {
        self.fail()
    }
    async fn delete_user_sessions(&self, _: &Subject, _: Option<&str>) -> Result<u64, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl ThrottleStore for OfflineStore {
    async fn failures(&self, _: &str) -> Result<Failures, StoreError> {
        self.fail()
    }
    async fn record_failure(&self, _: &str, _: Timestamp, _: bool) -> Result<Failures, StoreError> {
        self.fail()
    }
    async fn clear_failures(&self, _: &str) -> Result<(), StoreError> {
        self.fail()
    }
}

#[async_trait]
impl PendingStore for OfflineStore {
    async fn create_pending(&self, _: &PendingAuthorization) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_pending(&self, _: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        self.fail()
    }
    async fn delete_pending(&self, _: &str) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl GrantStore for OfflineStore {
    async fn create_grant(&self, _: &Grant) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_grant(&self, _: &str) -> Result<Option<Grant>, StoreError> {
        self.fail()
    }
    async fn revoke_grant(&self, _: &str, _: Timestamp) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn revoke_client_grants(
        &self,
        _: &Subject,
        _: &ClientId,
        _: Timestamp,
    ) -> Result<u64, StoreError> {
        self.fail()
    }
    async fn revoke_user_grants(&self, _: &Subject, _: Timestamp) -> Result<u64, StoreError> {
        self.fail()
    }
    async fn create_code(&self, _: &Grant, _: &AuthorizationCode) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_code(&self, _: &str) -> Result<Option<AuthorizationCode>, StoreError> {
        self.fail()
    }
    async fn consume_code(&self, _: &str, _: Timestamp) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn find_consent(&self, _: &Subject, _: &ClientId) -> Result<Option<Consent>, StoreError> {
        self.fail()
    }
    async fn save_consent(&self, _: &Consent) -> Result<(), StoreError> {
        self.fail()
    }
    async fn delete_consent(&self, _: &Subject, _: &ClientId) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn list_consents(&self, _: &Subject) -> Result<Vec<Consent>, StoreError> {
        self.fail()
    }
    async fn record_session_client(
        &self,
        _: &str,
        _: &ClientId,
        _: Timestamp,
    ) -> Result<(), StoreError> {
        self.fail()
    }
}

#[async_trait]
impl RefreshStore for OfflineStore {
    async fn create_refresh(&self, _: &RefreshToken) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_refresh(&self, _: &str) -> Result<Option<RefreshToken>, StoreError> {
        self.fail()
    }
    async fn rotate_refresh(
        &self,
        _: &str,
        _: &RefreshToken,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl DenyListStore for OfflineStore {
    async fn deny_access_token(
        &self,
        _: &str,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<(), StoreError> {
        self.fail()
    }
    async fn is_access_token_denied(&self, _: &str) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl AuditStore for OfflineStore {
    async fn record_audit(&self, _: &charter_core::audit::AuditEvent) -> Result<(), StoreError> {
        self.fail()
    }
    async fn list_audit(
        &self,
        _: &charter_core::audit::AuditQuery,
    ) -> Result<Vec<charter_core::audit::AuditRecord>, StoreError> {
        self.fail()
    }
    async fn delete_audit_before(&self, _: Timestamp, _: u64) -> Result<u64, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl UserProfileStore for OfflineStore {
    async fn update_user_profile(
        &self,
        _: &Subject,
        _: &charter_core::user::Profile,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl RevocationFeed for OfflineStore {
    async fn revocations_since(&self, _: Timestamp) -> Result<Revocations, StoreError> {
        if self.empty_feed.load(Ordering::SeqCst) {
            self.calls.fetch_add(1, Ordering::SeqCst);
            return Ok(Revocations::default());
        }
        self.fail()
    }
}

#[async_trait]
impl DeviceStore for OfflineStore {
    async fn create_device_authorization(
        &self,
        _: &charter_core::device::DeviceAuthorization,
    ) -> Result<(), StoreError> {
        self.fail()
    }
    async fn find_device_authorization(
        &self,
        _: &str,
    ) -> Result<Option<charter_core::device::DeviceAuthorization>, StoreError> {
        self.fail()
    }
    async fn find_device_authorization_by_user_code(
        &self,
        _: &str,
    ) -> Result<Option<charter_core::device::DeviceAuthorization>, StoreError> {
        self.fail()
    }
    async fn decide_device_authorization(
        &self,
        _: &str,
        _: &charter_core::device::DeviceStatus,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn record_device_poll(
        &self,
        _: &str,
        _: Option<Timestamp>,
        _: Timestamp,
        _: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn redeem_device_authorization(
        &self,
        _: &str,
        _: &Grant,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl Health for OfflineStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.fail()
    }
}

#[async_trait]
impl Leases for OfflineStore {
    async fn try_acquire_lease(
        &self,
        _: &str,
        _: &str,
        _: Timestamp,
        _: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn release_lease(&self, _: &str, _: &str) -> Result<(), StoreError> {
        self.fail()
    }
}

#[async_trait]
impl RedirectOriginStore for OfflineStore {
    async fn all_redirect_uris(&self) -> Result<Vec<String>, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl AssertionReplayStore for OfflineStore {
    async fn remember_assertion(
        &self,
        _: &ClientId,
        _: &str,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
}

#[async_trait]
impl Housekeeping for OfflineStore {
    async fn sweep_expired(&self, _: Timestamp, _: u64) -> Result<SweepReport, StoreError> {
        self.fail()
    }
}

/// No pool: `/metrics` leaves the pool gauges out.
impl PoolStats for OfflineStore {}

#[async_trait]
impl OutboxStore for OfflineStore {
    async fn end_sessions(
        &self,
        _: charter_core::logout::outbox::EndSessions<'_>,
        _: Timestamp,
        _: &dyn charter_core::random::TokenGenerator,
    ) -> Result<charter_core::logout::outbox::SessionsEnded, StoreError> {
        self.fail()
    }
    async fn claim_logout_messages(
        &self,
        _: &str,
        _: Timestamp,
        _: std::time::Duration,
        _: u64,
    ) -> Result<Vec<charter_core::logout::delivery::LogoutMessage>, StoreError> {
        self.fail()
    }
    async fn finish_logout_attempt(
        &self,
        _: &str,
        _: &str,
        _: &charter_core::logout::outbox::AttemptResult,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        self.fail()
    }
    async fn outbox_summary(
        &self,
        _: Timestamp,
    ) -> Result<charter_core::logout::outbox::OutboxSummary, StoreError> {
        self.fail()
    }
}

fn stored(alg: SigningAlg, state: KeyState, kek: &Kek) -> StoredKey {
    let rng = SystemTokenGenerator::new();
    let der = generate(alg, 2048, &rng).unwrap();
    let material = KeyPairMaterial::from_pkcs8(alg, &der).unwrap();
    let kid = material.kid().to_owned();
    StoredKey {
        private_key: kek
            .seal(&der, &charter_keys::kek::aad(&kid, alg.as_str()))
            .unwrap(),
        public_jwk: serde_json::to_string(material.jwk()).unwrap(),
        kid,
        alg: alg.as_str().into(),
        state,
        kek_id: kek.id().into(),
        created_at: Timestamp::from_unix(0),
        activated_at: (state == KeyState::Active).then(|| Timestamp::from_unix(0)),
        retired_at: None,
        remove_after: None,
    }
}

/// State with an ES256 and an EdDSA key set (active + next each) over the offline store.
pub fn offline_state() -> (AppState, Arc<OfflineStore>) {
    let store = Arc::new(OfflineStore::default());
    let kek = Kek::from_bytes(&[3; 32]).unwrap();
    let keys: Vec<StoredKey> = [SigningAlg::ES256, SigningAlg::EdDSA]
        .into_iter()
        .flat_map(|a| {
            [
                stored(a, KeyState::Active, &kek),
                stored(a, KeyState::Next, &kek),
            ]
        })
        .collect();
    let keyring = Keyring::build(&keys, &kek).unwrap();
    let issuer = Issuer::parse("https://id.example", false).unwrap();
    let caps = Capabilities {
        id_token_signing_algs: vec!["ES256".into()],
        ..Capabilities::default()
    };
    let metadata = ProviderMetadata::new(&issuer, &caps);
    let outbound = charter_outbound::Outbound::new(charter_outbound::OutboundPolicy::default())
        .expect("the outbound client builds");
    let state = AppState {
        metrics: Arc::new(charter_endpoints::metrics::Metrics::default()),
        revocations: Arc::new(charter_endpoints::revocations::RevocationView::new(
            std::time::Duration::from_secs(3720),
            std::time::Duration::from_secs(120),
            std::time::Duration::from_secs(3600),
        )),
        cors: Arc::new(charter_endpoints::cors::AllowedOrigins::new(
            store.clone(),
            Arc::new(SystemClock),
            charter_endpoints::cors::AllowedOrigins::DEFAULT_TTL,
        )),
        store: store.clone(),
        clients: Arc::new(ClientCache::new(
            store.clone(),
            Arc::new(SystemClock),
            ClientCache::DEFAULT_TTL,
            ClientCache::DEFAULT_CAPACITY,
        )),
        issuer,
        clock: Arc::new(SystemClock),
        rng: Arc::new(SystemTokenGenerator::new()),
        trusted_proxies: Arc::new(TrustedProxies::default()),
        secret_hasher: Arc::new(SecretHasher::new(Pepper::from_bytes(&[1; 32]))),
        keys: Arc::new(SharedKeyring::new(keyring)),
        signing_algs: vec![SigningAlg::ES256, SigningAlg::EdDSA].into(),
        documents: Arc::new(Documents {
            openid_configuration: Precomputed::new(&metadata).unwrap(),
            oauth_authorization_server: Precomputed::new(&metadata).unwrap(),
        }),
        jwks_max_age_secs: 900,
        csrf: Arc::new(CsrfKey::derive(&Pepper::from_bytes(&[1; 32]))),
        session_policy: SessionPolicy::default(),
        password_policy: PasswordPolicy::default(),
        hash_pool: Arc::new(charter_endpoints::hashing::HashPool::new(1, 1)),
        dummy_hash: Arc::from("$argon2id$dummy"),
        tokens: charter_endpoints::state::TokenConfig {
            id_token_alg: SigningAlg::ES256,
            access_token_alg: SigningAlg::ES256,
            id_token_lifetime: std::time::Duration::from_secs(600),
            access_token_lifetime: std::time::Duration::from_secs(600),
            max_access_token_lifetime: std::time::Duration::from_secs(3600),
            clock_skew: std::time::Duration::from_secs(120),
            refresh_token_idle_lifetime: std::time::Duration::from_secs(30 * 86_400),
            refresh_token_absolute_lifetime: std::time::Duration::from_secs(180 * 86_400),
        },
        device: charter_core::device::DevicePolicy::default(),
        logout_outbox: Arc::new(tokio::sync::Notify::new()),
        registration: charter_endpoints::registration::RegistrationConfig {
            mode: charter_core::registration::RegistrationMode::Off,
            allowed_scopes: charter_core::scope::ScopeSet::default(),
            rate_limit: charter_core::registration::RateLimit {
                max: 1,
                window: std::time::Duration::from_secs(60),
            },
        },
        admin_token_hash: None,
        outbound: outbound.clone(),
        client_keys: charter_endpoints::client_auth::client_key_cache(&outbound),
    };
    (state, store)
}
