//! Shared fixtures and the `on_both_backends!` macro.

use charter_core::client::{
    ApplicationType, AuthMethod, Client, ClientMetadata, ClientRecord, GrantType, OperatorSettings,
    RedirectUri, Registration, ResponseType,
};
use charter_core::clock::Timestamp;
use charter_core::ids::{ClientId, Subject, Username};
use charter_core::random::SystemTokenGenerator;
use charter_core::scope::ScopeSet;
use charter_core::store::{NewUser, UserStore};
use charter_core::user::{Profile, User};
use charter_storage::SeaStore;

pub const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

/// For each named `async fn name(store: SeaStore)`, a module `name` with a `sqlite` and a `postgres` test.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = charter_storage::testing::TestDatabase::sqlite();
                let store = db.store().await;
                super::$name(store.clone()).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = charter_storage::testing::TestDatabase::postgres().await else {
                    eprintln!("skipped: CHARTER_TEST_DATABASE_URL is not set");
                    return;
                };
                let store = db.store().await;
                super::$name(store.clone()).await;
                store.close().await;
            }
        }
    )+};
}

pub fn new_user(username: &str) -> NewUser {
    NewUser {
        sub: Subject::generate(&SystemTokenGenerator::new()),
        username: Username::parse(username).unwrap(),
        profile: Profile::default(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-of-{username}$hash"),
        now: T0,
    }
}

pub async fn create_user(store: &SeaStore, username: &str) -> User {
    store.create_user(new_user(username)).await.unwrap()
}

pub fn uri(s: &str) -> RedirectUri {
    RedirectUri::parse(s).unwrap()
}

/// A confidential operator-registered client with one redirect URI and no secret.
pub fn client(id: &str) -> ClientRecord {
    ClientRecord {
        client: Client {
            id: ClientId::parse(id).unwrap(),
            metadata: ClientMetadata {
                client_name: format!("Client {id}"),
                redirect_uris: vec![uri(&format!("https://{id}.example/cb"))],
                post_logout_redirect_uris: Vec::new(),
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                response_types: vec![ResponseType::Code],
                token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
                scope: ScopeSet::parse("openid profile").unwrap(),
                application_type: ApplicationType::Web,
                contacts: Vec::new(),
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
            created_at: T0,
            updated_at: T0,
        },
        secret: None,
    }
}
