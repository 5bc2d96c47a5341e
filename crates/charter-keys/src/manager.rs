//! Applying the lifecycle to the database.
//!
//! Every node loads the key set from the database and rebuilds its [`Keyring`] when the set changed, so nodes
//! sharing PostgreSQL converge within the refresh interval. Scheduled maintenance (generation, rotation,
//! removal) runs on the node holding the `keys` lease; and every change is applied with its preconditions in
//! one transaction, so even two nodes acting on the same stale view cannot rotate twice.
//!
//! Charter never generates keys over keys it cannot decrypt: a key-encryption key that does not match the
//! stored keys stops everything with [`KeyError::WrongKek`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use charter_core::keys::{KeyChange, KeyState, RewrappedKey, StoredKey};
use charter_core::random::TokenGenerator;
use charter_core::store::Store;
use charter_core::{Clock, StoreError, Timestamp};
use thiserror::Error;

use crate::alg::SigningAlg;
use crate::kek::{self, Kek, KekError};
use crate::keyring::{Keyring, KeyringError};
use crate::lifecycle::{self, Policy, RevokeError, Step};
use crate::material::{self, KeyPairMaterial, MaterialError};
use crate::report::{self, KeyReport};

fn humanize(d: Duration) -> String {
    let m = d.as_secs().div_ceil(60);
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

/// The lease that elects the node doing scheduled key maintenance.
pub const LEASE: &str = "keys";

#[derive(Debug, Error)]
pub enum KeyError {
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Material(#[from] MaterialError),
    #[error(transparent)]
    Kek(#[from] KekError),
    #[error("no key {0}")]
    NoSuchKey(String),
    #[error("key {0} is already {1}")]
    AlreadyGone(String, KeyState),
    #[error("another change to the keys happened at the same time; try again")]
    Conflict,
    #[error(
        "the next {alg} key has not been published long enough for relying parties to know it; wait {} or \
         use --force",
        humanize(*wait)
    )]
    TooEarly { alg: SigningAlg, wait: Duration },
    #[error("the keys were not ready in time: {0}")]
    NotReady(String),
}

/// Produces private keys (PKCS#8). Tests hand out pre-generated RSA keys; production generates fresh ones.
pub trait KeyGenerator: Send + Sync + fmt::Debug {
    fn generate(&self, alg: SigningAlg, rsa_bits: usize) -> Result<Vec<u8>, MaterialError>;
}

/// Fresh keys from the operating system's randomness.
#[derive(Debug, Clone)]
pub struct FreshKeys(pub Arc<dyn TokenGenerator>);

impl KeyGenerator for FreshKeys {
    fn generate(&self, alg: SigningAlg, rsa_bits: usize) -> Result<Vec<u8>, MaterialError> {
        material::generate(alg, rsa_bits, self.0.as_ref())
    }
}

/// What the key manager needs to know from configuration.
#[derive(Debug, Clone)]
pub struct KeySettings {
    /// Algorithms with an active key.
    pub algorithms: Vec<SigningAlg>,
    pub rsa_bits: usize,
    pub policy: Policy,
    /// How long the maintenance lease lasts (a few refresh intervals).
    pub lease_ttl: Duration,
}

/// Applies the lifecycle to the stored keys.
#[derive(Debug, Clone)]
pub struct KeyManager {
    pub store: Arc<dyn Store>,
    pub kek: Arc<Kek>,
    pub keygen: Arc<dyn KeyGenerator>,
    pub clock: Arc<dyn Clock>,
    pub settings: KeySettings,
    pub node_id: String,
}

/// One line of `charter keys list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeySummary {
    pub kid: String,
    pub alg: String,
    pub state: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub remove_after: Option<i64>,
    pub kek_id: String,
}

impl From<&StoredKey> for KeySummary {
    fn from(k: &StoredKey) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            state: k.state.to_string(),
            created_at: k.created_at.unix(),
            activated_at: k.activated_at.map(Timestamp::unix),
            retired_at: k.retired_at.map(Timestamp::unix),
            remove_after: k.remove_after.map(Timestamp::unix),
            kek_id: k.kek_id.clone(),
        }
    }
}

impl KeyManager {
    /// The stored keys, after checking that the configured KEK is the one they were encrypted under.
    async fn keys(&self) -> Result<Vec<StoredKey>, KeyError> {
        let keys = self.store.list_keys().await?;
        if let Some(k) = keys
            .iter()
            .find(|k| !k.private_key.is_empty() && k.kek_id != self.kek.id())
        {
            return Err(KeyringError::WrongKek {
                kid: k.kid.clone(),
                stored: k.kek_id.clone(),
                configured: self.kek.id().to_owned(),
            }
            .into());
        }
        Ok(keys)
    }

    /// Builds the keyring of the stored keys.
    pub async fn load(&self) -> Result<Keyring, KeyError> {
        let keys = self.keys().await?;
        Ok(Keyring::build(&keys, &self.kek)?)
    }

    /// Every key, for operators.
    pub async fn list(&self) -> Result<Vec<KeySummary>, KeyError> {
        Ok(self
            .store
            .list_keys()
            .await?
            .iter()
            .map(KeySummary::from)
            .collect())
    }

    /// Scheduled maintenance, if this node holds the lease. Returns what it did that operators audit (empty
    /// when it did nothing, did only routine work, or another node holds the lease): the caller that ran the
    /// round — and only it, since the changes are applied once — records it.
    pub async fn maintain(&self) -> Result<KeyReport, KeyError> {
        let now = self.clock.now();
        // The KEK check comes first: a misconfigured node must not take the lease from healthy ones.
        let keys = self.keys().await?;
        if !self
            .store
            .try_acquire_lease(LEASE, &self.node_id, now, self.settings.lease_ttl)
            .await?
        {
            return Ok(KeyReport::default());
        }
        let steps = lifecycle::plan(&keys, &self.settings.algorithms, now, &self.settings.policy);
        Ok(self.apply(&keys, steps, now).await?.unwrap_or_default())
    }

    /// An operator's rotation of `alg`: the published `next` key signs from now on. Refused while that key has
    /// been published for less than `prepublish`, unless `force`. Without a published `next` key nothing
    /// rotates (one is generated) and the report is empty.
    pub async fn rotate(&self, alg: SigningAlg, force: bool) -> Result<KeyReport, KeyError> {
        let now = self.clock.now();
        let keys = self.keys().await?;
        let steps = lifecycle::rotate(&keys, alg, now, &self.settings.policy, force)
            .map_err(|lifecycle::RotateError::TooEarly(wait)| KeyError::TooEarly { alg, wait })?;
        self.apply(&keys, steps, now)
            .await?
            .ok_or(KeyError::Conflict)
    }

    /// Withdraws a compromised key at once.
    pub async fn revoke(&self, kid: &str) -> Result<(), KeyError> {
        let now = self.clock.now();
        let keys = self.keys().await?;
        let steps = lifecycle::revoke(&keys, kid).map_err(|e| match e {
            RevokeError::NoSuchKey => KeyError::NoSuchKey(kid.to_owned()),
            RevokeError::AlreadyGone(s) => KeyError::AlreadyGone(kid.to_owned(), s),
        })?;
        match self.apply(&keys, steps, now).await? {
            Some(_) => Ok(()),
            None => Err(KeyError::Conflict),
        }
    }

    /// Re-encrypts every stored private key under `new`. Returns how many keys were rewrapped.
    pub async fn rewrap(&self, new: &Kek) -> Result<usize, KeyError> {
        let keys = self.keys().await?;
        let mut out = Vec::new();
        for k in keys.iter().filter(|k| !k.private_key.is_empty()) {
            let aad = kek::aad(&k.kid, &k.alg);
            let plain = self
                .kek
                .open(&k.private_key, &aad)
                .map_err(|_| KeyringError::Decrypt {
                    kid: k.kid.clone(),
                    kek: self.kek.id().to_owned(),
                })?;
            out.push(RewrappedKey {
                kid: k.kid.clone(),
                private_key: new.seal(&plain, &aad)?,
                kek_id: new.id().to_owned(),
            });
        }
        self.store.rewrap_keys(&out).await?;
        Ok(out.len())
    }

    /// At start-up: maintenance until a signer exists for every configured algorithm (another node may be
    /// generating them), then the keyring.
    pub async fn bootstrap(&self, timeout: Duration) -> Result<Keyring, KeyError> {
        let started = std::time::Instant::now();
        loop {
            self.maintain().await?;
            let keyring = self.load().await?;
            if keyring.can_sign(&self.settings.algorithms) {
                return Ok(keyring);
            }
            if started.elapsed() > timeout {
                return Err(KeyError::NotReady(
                    "no signing key for every configured algorithm; is another node holding the keys lease?"
                        .into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Turns planned steps into stored changes (generating and encrypting new keys) and applies them. `None`
    /// when nothing was applied (no steps, or another change got there first).
    async fn apply(
        &self,
        keys: &[StoredKey],
        steps: Vec<Step>,
        now: Timestamp,
    ) -> Result<Option<KeyReport>, KeyError> {
        if steps.is_empty() {
            return Ok(None);
        }
        let mut changes = Vec::with_capacity(steps.len());
        for step in steps {
            changes.push(match step {
                Step::Generate { alg, active } => {
                    KeyChange::Insert(self.new_key(alg, active, now)?)
                }
                Step::Activate { kid } => KeyChange::Activate { kid, at: now },
                Step::Retire { kid, remove_after } => KeyChange::Retire {
                    kid,
                    at: now,
                    remove_after,
                },
                Step::Revoke { kid } => KeyChange::Revoke { kid, at: now },
                Step::Remove { kid } => KeyChange::Remove { kid },
            });
        }
        if !self.store.apply_key_changes(&changes).await? {
            return Ok(None);
        }
        for c in &changes {
            log_change(c, keys);
        }
        Ok(Some(report::summarize(&changes, keys)))
    }

    fn new_key(
        &self,
        alg: SigningAlg,
        active: bool,
        now: Timestamp,
    ) -> Result<StoredKey, KeyError> {
        let der = self.keygen.generate(alg, self.settings.rsa_bits)?;
        let material = KeyPairMaterial::from_pkcs8(alg, &der)?;
        let kid = material.kid().to_owned();
        let public_jwk = serde_json::to_string(material.jwk())
            .map_err(|e| MaterialError::Generate(e.to_string()))?;
        let sealed = self.kek.seal(&der, &kek::aad(&kid, alg.as_str()))?;
        Ok(StoredKey {
            kid,
            alg: alg.as_str().to_owned(),
            state: if active {
                KeyState::Active
            } else {
                KeyState::Next
            },
            public_jwk,
            private_key: sealed,
            kek_id: self.kek.id().to_owned(),
            created_at: now,
            activated_at: active.then_some(now),
            retired_at: None,
            remove_after: None,
        })
    }
}

fn log_change(change: &KeyChange, before: &[StoredKey]) {
    let alg_of = |kid: &str| {
        before
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| k.alg.clone())
            .unwrap_or_default()
    };
    match change {
        KeyChange::Insert(k) => {
            tracing::info!(kid = %k.kid, alg = %k.alg, state = %k.state, "signing key generated")
        }
        KeyChange::Activate { kid, .. } => {
            tracing::info!(%kid, alg = %alg_of(kid), "signing key activated")
        }
        KeyChange::Retire {
            kid, remove_after, ..
        } => {
            tracing::info!(%kid, alg = %alg_of(kid), remove_after = remove_after.unix(), "signing key retired")
        }
        KeyChange::Revoke { kid, .. } => {
            tracing::warn!(%kid, alg = %alg_of(kid), "signing key revoked")
        }
        KeyChange::Remove { kid } => {
            tracing::info!(%kid, alg = %alg_of(kid), "signing key removed")
        }
    }
}
