//! Fresh, throw-away databases for tests (feature `test-support`).
//!
//! - [`TestDatabase::sqlite`]: a new SQLite file in a temporary directory that lives as long as the value.
//! - [`TestDatabase::postgres`]: when `CHARTER_TEST_DATABASE_URL` names a PostgreSQL server (for example
//!   `postgres://postgres@127.0.0.1:5432/postgres`), a new database `charter_test_<random hex>` on it, dropped
//!   again when the value is dropped. Without the variable it returns `None` and the caller skips.
//!
//! Setup failures panic: this is test scaffolding, and a test that cannot get its database must fail loudly
//! rather than pass by testing nothing. Dropping never panics.

// Scaffolding for tests: failing to set up is a test failure, reported by panicking.
#![allow(clippy::expect_used, clippy::panic)]

use std::fmt;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{Backend, ConnectOptions, SeaStore, connect::redacted};

/// The environment variable naming the PostgreSQL server tests may create databases on.
pub const POSTGRES_URL_VAR: &str = "CHARTER_TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    /// Connection URL of the fresh database.
    pub url: String,
    backend: Backend,
    /// Keeps the SQLite file's directory alive; removed on drop.
    _dir: Option<tempfile::TempDir>,
    /// Set for PostgreSQL: the database to drop, and where to connect to drop it.
    cleanup: Option<DropDatabase>,
}

impl TestDatabase {
    /// A new, empty SQLite database file in its own temporary directory.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::Builder::new()
            .prefix("charter-test-")
            .tempdir()
            .expect("create a temporary directory for a test database");
        // No `mode=`: the store creates the file, as it would on a fresh install.
        let url = format!("sqlite://{}", dir.path().join("charter.db").display());
        TestDatabase {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            cleanup: None,
        }
    }

    /// A new, empty PostgreSQL database, or `None` when `CHARTER_TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin_url = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(Self::postgres_on(&admin_url).await)
    }

    /// A new, empty PostgreSQL database on the server `admin_url` connects to (the benchmark harness's
    /// `--postgres URL`), dropped again when the value is dropped.
    pub async fn postgres_on(admin_url: &str) -> TestDatabase {
        let admin_url = admin_url.to_owned();
        let name = format!("charter_test_{}", uuid::Uuid::new_v4().simple());
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is not a URL: {e}"));
        url.set_path(&name);

        let admin = admin_connection(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", redacted(&admin_url)));
        // Identifiers cannot be bound as parameters; the name is generated here from hex digits only.
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = admin.close().await;

        TestDatabase {
            url: url.to_string(),
            backend: Backend::Postgres,
            _dir: None,
            cleanup: Some(DropDatabase { admin_url, name }),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Options for this database with small pools and short timeouts, suited to tests.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            max_connections: 5,
            ..ConnectOptions::new(self.url.clone())
        }
    }

    /// A store on this database with every migration applied.
    pub async fn store(&self) -> SeaStore {
        let store = SeaStore::connect(&self.connect_options())
            .await
            .unwrap_or_else(|e| panic!("connect to the {} test database: {e}", self.backend));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("migrate the {} test database: {e}", self.backend));
        store
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("url", &redacted(&self.url))
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            // A thread with its own runtime: `drop` may run inside a runtime (where blocking on another
            // future would panic) or outside any (where there is nothing to block on).
            let _ = std::thread::spawn(move || cleanup.run()).join();
        }
    }
}

impl SeaStore {
    /// The underlying connection, for tests that set up rows no store trait writes yet.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

struct DropDatabase {
    admin_url: String,
    name: String,
}

impl DropDatabase {
    /// Best effort: a database left behind is clutter, not a failure.
    fn run(self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            let Ok(admin) = admin_connection(&self.admin_url).await else {
                return;
            };
            // FORCE ends the pools tests may have left open (PostgreSQL 13+).
            let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            if let Err(e) = admin.execute_unprepared(&sql).await {
                eprintln!("could not drop test database {}: {e}", self.name);
            }
            let _ = admin.close().await;
        });
    }
}

async fn admin_connection(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
    opts.max_connections(1).sqlx_logging(false);
    sea_orm::Database::connect(opts).await
}
