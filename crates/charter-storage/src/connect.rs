//! Opening the database: [`ConnectOptions`], the [`SeaStore`] handle, and running migrations.
//!
//! One URL chooses the backend: `sqlite://relative/path.db`, `sqlite:///abs/path.db?mode=rwc`, or
//! `postgres://user@host:5432/db`. Driver options in the URL keep working; on top of them every SQLite
//! connection gets WAL journaling, enforced foreign keys (the schema relies on `ON DELETE CASCADE`), the
//! configured busy timeout and `synchronous = NORMAL` (durable with WAL, without an fsync per commit).
//!
//! The pool's state ([`PoolStats`]) is read from its own counters, for `/metrics`.

use std::fmt;
use std::time::Duration;

use charter_core::StoreError;
use charter_core::store::{PoolStats, PoolUsage};
use charter_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseConnectionType, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::error::db_err;

/// How to reach the database.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `sqlite:` or `postgres:` URL; may carry credentials, so it is never logged in full.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a connection, new or pooled, before answering [`StoreError::Unavailable`].
    pub connect_timeout: Duration,
    /// How long a SQLite statement waits for another writer before giving up (`PRAGMA busy_timeout`).
    pub sqlite_busy_timeout: Duration,
}

impl ConnectOptions {
    /// Options with defaults that suit a small deployment: 10 connections, 5 s timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &redacted(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("sqlite_busy_timeout", &self.sqlite_busy_timeout)
            .finish()
    }
}

/// The URL with its password replaced, for logs and `Debug`.
pub(crate) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                // Only fails for URLs that cannot have a password, and this one has one.
                let _ = u.set_password(Some("redacted"));
            }
            u.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

/// Which database a [`SeaStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names, from its scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The database behind every store trait of charter-core. Cheap to clone: clones share one pool.
#[derive(Clone, Debug)]
pub struct SeaStore {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
}

impl SeaStore {
    /// Opens a pool. Fails with [`StoreError::Unavailable`] when the database cannot be reached.
    pub async fn connect(opts: &ConnectOptions) -> Result<SeaStore, StoreError> {
        let backend = Backend::from_url(&opts.url).ok_or_else(|| {
            StoreError::Backend(format!(
                "unsupported database URL {}: expected sqlite: or postgres:",
                redacted(&opts.url)
            ))
        })?;
        let mut sea = sea_orm::ConnectOptions::new(opts.url.clone());
        sea.max_connections(opts.max_connections.max(1))
            .connect_timeout(opts.connect_timeout)
            .acquire_timeout(opts.connect_timeout)
            // Statement logging at INFO would drown the server's own logs; tracing spans still carry timings.
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            let busy_timeout = opts.sqlite_busy_timeout;
            // An explicit `mode=` (ro, rw, rwc, memory) is the operator's choice; otherwise create the file,
            // so that a fresh install needs no preparation.
            let create = !sqlite_url_sets_mode(&opts.url);
            sea.map_sqlx_sqlite_opts(move |o| {
                let o = o
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(busy_timeout)
                    .synchronous(SqliteSynchronous::Normal);
                // Leave what the URL's `mode=` decided untouched.
                if create { o.create_if_missing(true) } else { o }
            });
        }
        let db = sea_orm::Database::connect(sea).await.map_err(db_err)?;
        tracing::debug!(url = %redacted(&opts.url), %backend, "connected to the database");
        Ok(SeaStore { db, backend })
    }

    /// Applies pending migrations, all in one transaction. Safe when several nodes (or a node and the CLI)
    /// start at once: they take turns, and all but the first find nothing to do.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let txn = match self.backend {
            Backend::Postgres => {
                let txn = self.db.begin().await.map_err(db_err)?;
                // Held until commit or rollback; the key is "charter" in ASCII.
                txn.execute_unprepared("SELECT pg_advisory_xact_lock(x'63686172746572'::bigint)")
                    .await
                    .map_err(db_err)?;
                txn
            }
            // IMMEDIATE takes the write lock up front, so a second migrator waits (up to the busy timeout)
            // instead of reading a stale list of pending migrations.
            Backend::Sqlite => self
                .db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await
                .map_err(db_err)?,
        };
        // Each migration runs in a savepoint of this transaction.
        Migrator::up(&txn, None).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(self) {
        if let Err(err) = self.db.close().await {
            tracing::debug!(error = %err, "closing the database pool");
        }
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// A transaction that will write. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE), so a
    /// concurrent writer waits for it (up to the busy timeout) rather than failing on a stale snapshot;
    /// PostgreSQL ignores the option.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(db_err)
    }
}

impl PoolStats for SeaStore {
    fn pool_usage(&self) -> Option<PoolUsage> {
        // Matching the variant first: sea-orm's pool getters panic on the other backend.
        match &self.db.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                Some(usage(self.db.get_postgres_connection_pool()))
            }
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
                Some(usage(self.db.get_sqlite_connection_pool()))
            }
            _ => None,
        }
    }
}

fn usage<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUsage {
    PoolUsage {
        open: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}

/// Rolls back a transaction whose work failed; the original error is what the caller reports.
pub(crate) async fn rollback_after_error(txn: DatabaseTransaction) {
    if let Err(err) = txn.rollback().await {
        tracing::debug!(error = %err, "rolling back a failed transaction");
    }
}

/// True when a SQLite URL's query string has a `mode` parameter.
fn sqlite_url_sets_mode(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split_once('=').map_or(pair, |(k, _)| k) == "mode")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_from_urls() {
        assert_eq!(Backend::from_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://u@h:5432/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://u@h/db"), None);
    }

    #[test]
    fn mode_detection() {
        assert!(!sqlite_url_sets_mode("sqlite://data/charter.db"));
        assert!(sqlite_url_sets_mode("sqlite:///abs/c.db?mode=rwc"));
        assert!(sqlite_url_sets_mode(
            "sqlite:///abs/c.db?cache=shared&mode=ro"
        ));
        assert!(!sqlite_url_sets_mode("sqlite:///abs/c.db?cache=shared"));
        assert!(!sqlite_url_sets_mode("sqlite:///abs/c.db?model=x"));
    }

    #[test]
    fn debug_hides_passwords() {
        let opts = ConnectOptions::new("postgres://charter:hunter2@db:5432/charter");
        let shown = format!("{opts:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("@db:5432/charter"), "{shown}");
    }
}
