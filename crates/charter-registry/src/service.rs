//! Registering, updating and deleting clients and rotating their secrets: validation, identifiers, secrets and
//! storage in one step. The CLI, the admin API and dynamic registration (RFC 7591 §3, RFC 7592 §2) call these,
//! so they all behave alike — and a change to how clients are stored has one place to hook into.

use std::time::Duration;

use charter_core::client::{Client, ClientRecord, Registration, SecretHashes};
use charter_core::clock::Clock;
use charter_core::ids::ClientId;
use charter_core::random::{TokenGenerator, sizes};
use charter_core::registration::InitialAccessToken;
use charter_core::secret::{SecretHasher, token_digest};
use charter_core::store::{ClientRegistrationStore, ClientStore, StoreError};
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
    let registered = new_client(hasher, rng, clock, req, policy)?;
    store.create_client(&registered.record).await?;
    Ok(registered)
}

/// A client registered through RFC 7591, with the registration access token (RFC 7592 §1) it manages itself
/// with: shown once, only its digest stored.
#[derive(Debug, Clone)]
pub struct DynamicClient {
    pub client: RegisteredClient,
    pub registration_access_token: String,
}

/// Dynamic registration (RFC 7591 §3): like [`register_client`], under a non-operator `policy`, and with a
/// registration access token stored (as its digest) in the same transaction.
pub async fn register_dynamic_client(
    store: &dyn ClientRegistrationStore,
    hasher: &SecretHasher,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    req: ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<DynamicClient, RegisterError> {
    let client = new_client(hasher, rng, clock, req, policy)?;
    let token = rng.token(sizes::CLIENT_SECRET);
    store
        .create_registered_client(&client.record, &token_digest(&token))
        .await?;
    Ok(DynamicClient {
        client,
        registration_access_token: token,
    })
}

fn new_client(
    hasher: &SecretHasher,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    req: ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<RegisteredClient, RegistrationError> {
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
    Ok(RegisteredClient { record, secret })
}

#[derive(Debug, Error)]
pub enum UpdateError {
    #[error("no such client")]
    NoSuchClient,
    #[error("{0}")]
    Invalid(#[from] RegistrationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replaces a client's metadata with `req`, validated under `policy` exactly like a registration (RFC 7592
/// §2.2: fields left out take their defaults). The id, how it was registered and when stay; under a
/// non-operator policy, so do the operator settings. The secret stays
/// while the client keeps authenticating with one; a client that starts to gets a new one (returned in clear,
/// once); a client that stops loses it.
pub async fn update_client<S>(
    store: &S,
    hasher: &SecretHasher,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    id: &ClientId,
    req: ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<RegisteredClient, UpdateError>
where
    S: ClientStore + ClientRegistrationStore + ?Sized,
{
    let current = store
        .find_client(id)
        .await?
        .ok_or(UpdateError::NoSuchClient)?;
    let (metadata, mut settings) = validate(req, policy)?;
    if !policy.operator {
        // A client updating itself (RFC 7592) cannot set operator settings, and does not lose what an
        // operator set for it either.
        settings = current.client.settings.clone();
        if !settings.require_pkce && metadata.token_endpoint_auth_method.is_public() {
            return Err(RegistrationError::InvalidClientMetadata(
                "a public client cannot turn PKCE off".to_owned(),
            )
            .into());
        }
    }
    let uses_secret = metadata.token_endpoint_auth_method.uses_secret();
    let (hashes, secret) = match (uses_secret, current.secret) {
        (true, Some(kept)) => (Some(kept), None),
        (true, None) => {
            let s = rng.token(sizes::CLIENT_SECRET);
            let hashes = SecretHashes {
                current: hasher.hash(&s),
                previous: None,
            };
            (Some(hashes), Some(s))
        }
        (false, _) => (None, None),
    };
    let record = ClientRecord {
        client: Client {
            id: current.client.id,
            metadata,
            settings,
            registration: current.client.registration,
            created_at: current.client.created_at,
            updated_at: clock.now(),
        },
        secret: hashes,
    };
    if store.update_client(&record).await? {
        Ok(RegisteredClient { record, secret })
    } else {
        Err(UpdateError::NoSuchClient)
    }
}

/// Deletes a client and everything issued to it (grants, codes, refresh tokens, consents, its registration
/// access token); its access tokens stop being accepted because their client no longer exists. Returns false
/// when there was no such client.
pub async fn delete_client(store: &dyn ClientStore, id: &ClientId) -> Result<bool, StoreError> {
    store.delete_client(id).await
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

/// Mints an initial access token for dynamic registration (RFC 7591 §3): 256 bits, returned in clear once;
/// the store keeps its digest, the expiry (`expires_in` from now) and the number of registrations it allows
/// (`uses`; None: unlimited until it expires).
pub async fn mint_initial_access_token(
    store: &dyn ClientRegistrationStore,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    expires_in: Option<Duration>,
    uses: Option<u32>,
) -> Result<(String, InitialAccessToken), StoreError> {
    let now = clock.now();
    let token = rng.token(sizes::CLIENT_SECRET);
    let stored = InitialAccessToken {
        token_hash: token_digest(&token),
        created_at: now,
        expires_at: expires_in.map(|d| now.plus(d)),
        uses_remaining: uses,
    };
    store.create_initial_access_token(&stored).await?;
    Ok((token, stored))
}

#[cfg(test)]
mod tests;
