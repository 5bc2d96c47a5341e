//! The service layer's rules for updates: what happens to secrets and operator settings.

use std::sync::Mutex;

use async_trait::async_trait;
use charter_core::clock::ManualClock;
use charter_core::random::SystemTokenGenerator;
use serde_json::json;

use super::*;
use crate::test_support::{MemoryClients, hasher};

/// The in-memory client store plus what updates need.
#[derive(Debug, Default)]
struct Store {
    clients: MemoryClients,
    tokens: Mutex<Vec<(ClientId, String)>>,
}

#[async_trait]
impl ClientStore for Store {
    async fn create_client(&self, c: &ClientRecord) -> Result<(), StoreError> {
        self.clients.create_client(c).await
    }
    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        self.clients.find_client(id).await
    }
    async fn list_clients(
        &self,
        p: &charter_core::store::Page,
    ) -> Result<Vec<ClientRecord>, StoreError> {
        self.clients.list_clients(p).await
    }
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        self.clients.delete_client(id).await
    }
    async fn set_client_secret(
        &self,
        id: &ClientId,
        s: &SecretHashes,
        now: charter_core::Timestamp,
    ) -> Result<bool, StoreError> {
        self.clients.set_client_secret(id, s, now).await
    }
}

#[async_trait]
impl ClientRegistrationStore for Store {
    async fn create_registered_client(&self, c: &ClientRecord, h: &str) -> Result<(), StoreError> {
        self.clients.create_client(c).await?;
        self.tokens
            .lock()
            .unwrap()
            .push((c.client.id.clone(), h.to_owned()));
        Ok(())
    }
    async fn update_client(&self, c: &ClientRecord) -> Result<bool, StoreError> {
        if self.clients.find_client(&c.client.id).await?.is_none() {
            return Ok(false);
        }
        self.clients.put(c.clone());
        Ok(true)
    }
    async fn registration_token_hash(&self, id: &ClientId) -> Result<Option<String>, StoreError> {
        let tokens = self.tokens.lock().unwrap();
        Ok(tokens.iter().find(|(c, _)| c == id).map(|(_, h)| h.clone()))
    }
    async fn create_initial_access_token(&self, _: &InitialAccessToken) -> Result<(), StoreError> {
        Ok(())
    }
    async fn find_initial_access_token(
        &self,
        _: &str,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        Ok(None)
    }
    async fn spend_initial_access_token(
        &self,
        _: &str,
        _: charter_core::Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
}

fn request(v: serde_json::Value) -> ClientRequest {
    serde_json::from_value(v).unwrap()
}

fn web(extra: serde_json::Value) -> ClientRequest {
    let mut v = json!({"client_name": "App", "redirect_uris": ["https://app.example/cb"]});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    request(v)
}

struct Env {
    store: Store,
    rng: SystemTokenGenerator,
    clock: ManualClock,
}

impl Env {
    fn new() -> Self {
        Self {
            store: Store::default(),
            rng: SystemTokenGenerator::new(),
            clock: ManualClock::new(charter_core::Timestamp::from_unix(100)),
        }
    }

    async fn update(
        &self,
        id: &ClientId,
        req: ClientRequest,
        policy: &RegistrationPolicy,
    ) -> Result<RegisteredClient, UpdateError> {
        update_client(
            &self.store,
            &hasher(),
            &self.rng,
            &self.clock,
            id,
            req,
            policy,
        )
        .await
    }
}

#[tokio::test]
async fn secrets_follow_the_authentication_method() {
    let env = Env::new();
    let op = RegistrationPolicy::operator();
    let c = register_client(
        &env.store,
        &hasher(),
        &env.rng,
        &env.clock,
        web(json!({})),
        &op,
    )
    .await
    .unwrap();
    let id = c.record.client.id.clone();
    let first = c.record.secret.clone().unwrap();

    // Still a secret method: the secret stays, nothing new is shown.
    env.clock.advance(std::time::Duration::from_secs(5));
    let u = env
        .update(
            &id,
            web(json!({"token_endpoint_auth_method": "client_secret_post"})),
            &op,
        )
        .await
        .unwrap();
    assert_eq!(u.secret, None);
    assert_eq!(u.record.secret.as_ref(), Some(&first));
    assert_eq!(u.record.client.created_at.unix(), 100);
    assert_eq!(u.record.client.updated_at.unix(), 105);

    // Public: the secret goes.
    let u = env
        .update(&id, web(json!({"token_endpoint_auth_method": "none"})), &op)
        .await
        .unwrap();
    assert_eq!(u.record.secret, None);

    // Back to a secret method: a new secret, shown once, its hash stored.
    let u = env.update(&id, web(json!({})), &op).await.unwrap();
    let s = u.secret.unwrap();
    assert!(hasher().verify(&s, &u.record.secret.unwrap().current));

    let unknown = ClientId::parse("nobody").unwrap();
    assert!(matches!(
        env.update(&unknown, web(json!({})), &op).await,
        Err(UpdateError::NoSuchClient)
    ));
    assert!(matches!(
        env.update(
            &id,
            web(json!({"redirect_uris": ["http://app.example/cb"]})),
            &op
        )
        .await,
        Err(UpdateError::Invalid(RegistrationError::InvalidRedirectUri(
            _
        )))
    ));
}

#[tokio::test]
async fn clients_updating_themselves_keep_the_operator_settings() {
    let env = Env::new();
    let dynamic = RegistrationPolicy {
        operator: false,
        allowed_scopes: None,
    };
    let c = register_dynamic_client(
        &env.store,
        &hasher(),
        &env.rng,
        &env.clock,
        web(json!({})),
        &dynamic,
    )
    .await
    .unwrap();
    let id = c.client.record.client.id.clone();
    assert_eq!(c.client.record.client.registration, Registration::Dynamic);
    assert_eq!(
        env.store.registration_token_hash(&id).await.unwrap(),
        Some(token_digest(&c.registration_access_token))
    );

    // An operator trusts it: skip_consent, PKCE off.
    let op = RegistrationPolicy::operator();
    env.update(
        &id,
        web(json!({"skip_consent": true, "require_pkce": false})),
        &op,
    )
    .await
    .unwrap();
    // The client renames itself: what the operator set stays, and it stays dynamic.
    let u = env
        .update(&id, web(json!({"client_name": "Renamed"})), &dynamic)
        .await
        .unwrap();
    assert_eq!(u.record.client.metadata.client_name, "Renamed");
    assert!(u.record.client.settings.skip_consent);
    assert!(!u.record.client.settings.require_pkce);
    assert_eq!(u.record.client.registration, Registration::Dynamic);
    // It cannot become public with PKCE off.
    assert!(matches!(
        env.update(
            &id,
            web(json!({"token_endpoint_auth_method": "none"})),
            &dynamic
        )
        .await,
        Err(UpdateError::Invalid(_))
    ));
    // Nor set operator settings itself.
    assert!(matches!(
        env.update(&id, web(json!({"skip_consent": false})), &dynamic)
            .await,
        Err(UpdateError::Invalid(_))
    ));
}
