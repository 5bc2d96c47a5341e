//! Registering clients and rotating their secrets: validation, identifiers, secrets and storage in one step.
//! The CLI, the admin API and dynamic registration call these, so they all behave alike.

use std::time::Duration;

use charter_core::client::{Client, ClientRecord, Registration, SecretHashes};
use charter_core::clock::Clock;
use charter_core::ids::ClientId;
use charter_core::random::{TokenGenerator, sizes};
use charter_core::secret::SecretHasher;
use charter_core::store::{ClientStore, StoreError};
use thiserror::Error;

use crate::metadata::{ClientRequest, RegistrationError, RegistrationPolicy, validate};

#[derive(Debug, Error)]
pub enum RegisterError {
    #[error("{0}")]
    Invalid(#[from] RegistrationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A newly registered client with its secret in clear: shown once, never stored.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub record: ClientRecord,
    pub secret: Option<String>,
}

/// Validates `req` and stores the client. Confidential clients that authenticate with a secret get one
/// generated here (256 bits); the store only ever sees its keyed hash.
pub async fn register_client(
    store: &dyn ClientStore,
    hasher: &SecretHasher,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    req: ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<RegisteredClient, RegisterError> {
    let (metadata, settings) = validate(req, policy)?;
    let now = clock.now();
    let secret = metadata
        .token_endpoint_auth_method
        .uses_secret()
        .then(|| rng.token(sizes::CLIENT_SECRET));
    let record = ClientRecord {
        client: Client {
            id: ClientId::generate(rng),
            metadata,
            settings,
            registration: if policy.operator {
                Registration::Operator
            } else {
                Registration::Dynamic
            },
            created_at: now,
            updated_at: now,
        },
        secret: secret.as_ref().map(|s| SecretHashes {
            current: hasher.hash(s),
            previous: None,
        }),
    };
    store.create_client(&record).await?;
    Ok(RegisteredClient { record, secret })
}

#[derive(Debug, Error)]
pub enum RotateError {
    #[error("no such client")]
    NoSuchClient,
    #[error("the client does not authenticate with a secret")]
    NoSecret,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Issues a new secret. With `keep_old_for`, the current secret stays valid that long, so deployments can roll
/// over without downtime; without it, the old secret stops working at once.
pub async fn rotate_secret(
    store: &dyn ClientStore,
    hasher: &SecretHasher,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    id: &ClientId,
    keep_old_for: Option<Duration>,
) -> Result<String, RotateError> {
    let record = store
        .find_client(id)
        .await?
        .ok_or(RotateError::NoSuchClient)?;
    let old = record.secret.ok_or(RotateError::NoSecret)?;
    let now = clock.now();
    let secret = rng.token(sizes::CLIENT_SECRET);
    let hashes = SecretHashes {
        current: hasher.hash(&secret),
        previous: keep_old_for
            .filter(|d| !d.is_zero())
            .map(|d| (old.current, now.plus(d))),
    };
    if store.set_client_secret(id, &hashes, now).await? {
        Ok(secret)
    } else {
        Err(RotateError::NoSuchClient)
    }
}
