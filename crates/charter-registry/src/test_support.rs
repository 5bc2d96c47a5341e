//! Fixtures shared by the unit tests: clients as stored, a hasher, an in-memory [`ClientStore`] that counts
//! its reads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use charter_core::Timestamp;
use charter_core::client::{
    ApplicationType, AuthMethod, Client, ClientMetadata, ClientRecord, GrantType, OperatorSettings,
    RedirectUri, Registration, ResponseType, SecretHashes,
};
use charter_core::ids::ClientId;
use charter_core::scope::ScopeSet;
use charter_core::secret::{Pepper, SecretHasher};
use charter_core::store::{ClientStore, Page, StoreError};

pub fn hasher() -> SecretHasher {
    SecretHasher::new(Pepper::from_bytes(&[7; 32]))
}

/// A client registered for `method`, with `secret` (hashed) when given.
pub fn record(id: &str, method: AuthMethod, secret: Option<&str>) -> ClientRecord {
    ClientRecord {
        client: Client {
            id: ClientId::parse(id).unwrap(),
            metadata: ClientMetadata {
                client_name: format!("client {id}"),
                redirect_uris: vec![RedirectUri::parse("https://app.example/cb").unwrap()],
                post_logout_redirect_uris: vec![],
                grant_types: vec![GrantType::AuthorizationCode],
                response_types: vec![ResponseType::Code],
                token_endpoint_auth_method: method,
                scope: ScopeSet::parse("openid").unwrap(),
                application_type: ApplicationType::Web,
                contacts: vec![],
                logo_uri: None,
                client_uri: None,
                policy_uri: None,
                tos_uri: None,
                jwks_uri: None,
                jwks: None,
                id_token_signed_response_alg: None,
                backchannel_logout_uri: None,
                backchannel_logout_session_required: false,
            },
            settings: OperatorSettings::default(),
            registration: Registration::Operator,
            created_at: Timestamp::from_unix(0),
            updated_at: Timestamp::from_unix(0),
        },
        secret: secret.map(|s| SecretHashes {
            current: hasher().hash(s),
            previous: None,
        }),
    }
}

/// A `HashMap` behind a mutex, counting `find_client` calls.
#[derive(Debug, Default)]
pub struct MemoryClients {
    clients: Mutex<HashMap<ClientId, ClientRecord>>,
    finds: AtomicUsize,
}

impl MemoryClients {
    pub fn finds(&self) -> usize {
        self.finds.load(Ordering::SeqCst)
    }

    /// Changes a client behind the cache's back, as another node would.
    pub fn put(&self, record: ClientRecord) {
        self.clients
            .lock()
            .unwrap()
            .insert(record.client.id.clone(), record);
    }

    pub fn remove(&self, id: &ClientId) {
        self.clients.lock().unwrap().remove(id);
    }
}

#[async_trait]
impl ClientStore for MemoryClients {
    async fn create_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let mut clients = self.clients.lock().unwrap();
        if clients.contains_key(&client.client.id) {
            return Err(StoreError::Conflict("client"));
        }
        clients.insert(client.client.id.clone(), client.clone());
        Ok(())
    }

    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        self.finds.fetch_add(1, Ordering::SeqCst);
        Ok(self.clients.lock().unwrap().get(id).cloned())
    }

    async fn list_clients(&self, page: &Page) -> Result<Vec<ClientRecord>, StoreError> {
        let clients = self.clients.lock().unwrap();
        let mut all: Vec<_> = clients
            .values()
            .filter(|r| {
                page.after
                    .as_deref()
                    .is_none_or(|a| r.client.id.as_str() > a)
            })
            .cloned()
            .collect();
        all.sort_by(|a, b| a.client.id.cmp(&b.client.id));
        all.truncate(usize::try_from(page.limit).unwrap());
        Ok(all)
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        Ok(self.clients.lock().unwrap().remove(id).is_some())
    }

    async fn set_client_secret(
        &self,
        id: &ClientId,
        secret: &SecretHashes,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut clients = self.clients.lock().unwrap();
        let Some(r) = clients.get_mut(id) else {
            return Ok(false);
        };
        r.secret = Some(secret.clone());
        r.client.updated_at = now;
        Ok(true)
    }
}
