//! # charter-testkit: the real Charter, on port 0, with a fresh database
//!
//! [`spawn_app`] starts the same `Application` that `charter serve` runs — same configuration path, same
//! wiring — on an ephemeral port, with a fresh SQLite file or a fresh PostgreSQL database, a pinned
//! [`ManualClock`], and an HTTP client that keeps cookies and never follows redirects (tests look at each
//! `Location` themselves). [`TestApp::spawn_peer`] starts a second node on the same database;
//! [`TestApp::restart`] stops a node and starts it again on the same database and data directory.
//!
//! Every black-box test runs on both backends with [`backend_tests!`]; the PostgreSQL variant needs
//! `CHARTER_TEST_DATABASE_URL` and is skipped (with a note) without it. CI sets it, so there it always runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod browser;
pub mod keys;
pub mod webdriver;

use std::collections::HashMap;
use std::sync::Arc;

use charter_core::Timestamp;
use charter_core::clock::ManualClock;
use charter_core::issuer::Issuer;
use charter_core::random::SystemTokenGenerator;
use charter_keys::SharedKeyring;
use charter_keys::manager::KeyManager;
use charter_server::settings::Settings;
use charter_server::startup::{Application, Deps, Shutdown, StartupError};
use charter_storage::testing::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use browser::hidden_input;
pub use keys::PooledKeys;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fixed pepper for tests, base64 of 32 bytes.
pub const TEST_PEPPER: &str = "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA=";
/// A fixed key-encryption key for PostgreSQL tests (SQLite tests let Charter generate one in the data dir).
pub const TEST_KEK: &str = "a2VrLWtlay1rZWsta2VrLWtlay1rZWsta2VrLWtlay0=";

/// 2026-01-01T00:00:00Z: where the pinned clock starts.
pub const T0: i64 = 1_767_225_600;

/// A database for a test: None for PostgreSQL without `CHARTER_TEST_DATABASE_URL`.
pub async fn test_database(backend: Backend) -> Option<TestDatabase> {
    match backend {
        Backend::Sqlite => Some(TestDatabase::sqlite()),
        Backend::Postgres => {
            let db = TestDatabase::postgres().await;
            if db.is_none() {
                eprintln!("skipped: set CHARTER_TEST_DATABASE_URL to run this test on PostgreSQL");
            }
            db
        }
    }
}

/// What nodes of one test share: the database, the data directory, the key pool.
#[derive(Debug)]
struct Shared {
    // Dropped last: the database outlives every node.
    data_dir: tempfile::TempDir,
    keygen: Arc<PooledKeys>,
    db: TestDatabase,
}

/// A running Charter node.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// `http://127.0.0.1:PORT` of the admin listener, when `CHARTER_ADMIN_LISTEN` is configured.
    pub admin_address: Option<String>,
    pub issuer: Issuer,
    /// Cookie jar, no redirects.
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    /// The configuration environment of this node (also what a `charter` CLI process needs).
    pub env: HashMap<String, String>,
    pub keys: Arc<SharedKeyring>,
    pub key_manager: KeyManager,
    /// This node's back-channel logout delivery, for [`TestApp::tick_logout`].
    pub logout_delivery: charter_server::backchannel::Delivery,
    /// This node's key task, for [`TestApp::tick_keys`].
    key_task: charter_server::keys::KeyTask,
    /// This node's sweeper settings, for [`TestApp::tick_sweeper`] (the background sweeper is off in tests).
    sweeper: charter_server::settings::SweeperSettings,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    shared: Arc<Shared>,
}

/// The configuration environment for a test database and data directory.
pub fn test_env(db: &TestDatabase, data_dir: &std::path::Path) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("CHARTER_LISTEN", "127.0.0.1:0".to_owned()),
        ("CHARTER_DATABASE_URL", db.url.clone()),
        ("CHARTER_DATA_DIR", data_dir.display().to_string()),
        ("CHARTER_SECRET_PEPPER", TEST_PEPPER.to_owned()),
        ("CHARTER_SERVER__WORKERS", "1".to_owned()),
        ("CHARTER_SERVER__SHUTDOWN_TIMEOUT", "2s".to_owned()),
        ("CHARTER_SWEEPER__ENABLED", "false".to_owned()),
        ("CHARTER_DATABASE__MAX_CONNECTIONS", "4".to_owned()),
        // Tests serve jwks_uri documents and back-channel logout endpoints on loopback ports.
        ("CHARTER_OUTBOUND__ALLOW_LOOPBACK", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if db.url.starts_with("postgres") {
        env.insert("CHARTER_KEY_ENCRYPTION_KEY".into(), TEST_KEK.into());
    }
    env
}

/// Starts Charter on `backend`; None when that backend is not available (PostgreSQL without its URL).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with extra configuration (environment-variable names and values).
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut HashMap<String, String>),
) -> Option<TestApp> {
    let db = test_database(backend).await?;
    let data_dir = tempfile::tempdir().unwrap();
    let mut env = test_env(&db, data_dir.path());
    configure(&mut env);
    let shared = Arc::new(Shared {
        data_dir,
        keygen: Arc::new(PooledKeys::default()),
        db,
    });
    Some(start(shared, env).await.expect("the application starts"))
}

async fn start(shared: Arc<Shared>, env: HashMap<String, String>) -> Result<TestApp, StartupError> {
    // reqwest is built without a bundled TLS provider (charter-outbound's choice, unified across the workspace):
    // the test clients need one installed, once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = Settings::load_from(None, env.clone())?;
    let sweeper = settings.sweeper.clone();
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix(T0)));
    let deps = Deps {
        clock: clock.clone(),
        rng: Arc::new(SystemTokenGenerator::new()),
        keygen: Some(shared.keygen.clone()),
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let shutdown = Shutdown::Custom(Box::pin(async move {
        let _ = stop_rx.await;
    }));
    let app = Application::build(settings, deps, shutdown).await?;
    let address = format!("http://{}", app.local_addr());
    let admin_address = app.admin_addr().map(|a| format!("http://{a}"));
    let issuer = app.issuer().clone();
    let keys = app.keyring();
    let key_manager = app.key_manager().clone();
    let logout_delivery = app.logout_delivery();
    let key_task = app.key_task();
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    Ok(TestApp {
        address,
        admin_address,
        issuer,
        client,
        clock,
        env,
        keys,
        key_manager,
        logout_delivery,
        key_task,
        sweeper,
        stop: Some(stop_tx),
        server: Some(server),
        shared,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `path` on the admin listener, or on the main one when there is no admin listener (where the admin API
    /// and `/metrics` then are).
    pub fn admin_url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.admin_address.as_deref().unwrap_or(&self.address),
            path
        )
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub fn database_url(&self) -> &str {
        &self.shared.db.url
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.shared.data_dir.path()
    }

    /// Starts a second node on the same database, data directory and configuration (plus `configure`).
    pub async fn spawn_peer_with(
        &self,
        configure: impl FnOnce(&mut HashMap<String, String>),
    ) -> Result<TestApp, StartupError> {
        let mut env = self.env.clone();
        configure(&mut env);
        start(self.shared.clone(), env).await
    }

    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(|_| {}).await.expect("the peer starts")
    }

    /// Stops this node and starts it again on the same database and data directory.
    pub async fn restart(mut self) -> TestApp {
        let shared = self.shared.clone();
        let env = self.env.clone();
        self.shutdown().await;
        start(shared, env).await.expect("the application restarts")
    }

    /// One round of key maintenance and reload, as the background task does every refresh interval, with this
    /// node's pinned clock (audit events and the rotation counter included).
    pub async fn tick_keys(&self) {
        self.key_task.tick().await;
    }

    /// One round of back-channel logout delivery, as the background task runs every
    /// `logout.delivery_interval` and after every logout, with this node's pinned clock.
    pub async fn tick_logout(&self) -> charter_server::backchannel::RoundReport {
        self.logout_delivery
            .round()
            .await
            .expect("a delivery round")
    }

    /// One sweeper round, as the background task runs every `sweeper.interval`, with this node's pinned clock
    /// and node id: the rows deleted, or None when another node holds the sweeper lease.
    pub async fn tick_sweeper(&self) -> Option<u64> {
        charter_server::sweeper::sweep_once(
            self.key_manager.store.as_ref(),
            self.clock.as_ref(),
            &self.sweeper,
            &self.key_manager.node_id,
        )
        .await
        .expect("a sweep round")
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Generates one `#[tokio::test]` per backend for each named `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await
                }
            }
        )*
    };
}
