//! Connecting: URLs, SQLite pragmas, and errors when the database is out of reach.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::store::Health;
use charter_storage::testing::TestDatabase;
use charter_storage::{Backend, ConnectOptions, SeaStore};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn pragma(store: &SeaStore, name: &str) -> String {
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .unwrap()
}

#[tokio::test]
async fn sqlite_creates_the_file_and_sets_its_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let opts = ConnectOptions {
        sqlite_busy_timeout: Duration::from_millis(1234),
        ..ConnectOptions::new(format!("sqlite://{}", path.display()))
    };
    let store = SeaStore::connect(&opts).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
    assert_eq!(pragma(&store, "journal_mode").await, "wal");
    assert_eq!(pragma(&store, "foreign_keys").await, "1");
    assert_eq!(pragma(&store, "busy_timeout").await, "1234");
    assert_eq!(pragma(&store, "synchronous").await, "1"); // NORMAL
    store.close().await;
}

#[tokio::test]
async fn sqlite_url_options_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("explicit.db");
    let rwc = format!("sqlite://{}?mode=rwc", path.display());
    let store = SeaStore::connect(&ConnectOptions::new(rwc)).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;

    // mode=rw never creates: a missing file is an error, and it is "unavailable", not a panic.
    let missing = format!(
        "sqlite://{}?mode=rw",
        dir.path().join("missing.db").display()
    );
    let err = SeaStore::connect(&ConnectOptions::new(missing))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!dir.path().join("missing.db").exists());
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = SeaStore::connect(&ConnectOptions::new(
        "mysql://root:secret@localhost/charter",
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable() {
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        ..ConnectOptions::new("postgres://postgres@127.0.0.1:1/charter")
    };
    let err = SeaStore::connect(&opts).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_closed_pool_is_unavailable() {
    let db = TestDatabase::sqlite();
    let store = db.store().await;
    let clone = store.clone();
    store.close().await;
    let err = clone.ping().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

/// The pool's state, as `/metrics` reads it: the configured maximum, and a connection in use is not idle.
async fn pool_usage_follows_the_pool(store: SeaStore) {
    use charter_core::store::PoolStats;
    use sea_orm::TransactionTrait;

    let before = store.pool_usage().unwrap();
    assert_eq!(before.max, 5, "the test database's max_connections");
    assert!(
        before.idle <= before.open && before.open <= before.max,
        "{before:?}"
    );

    let txn = store.connection().begin().await.unwrap();
    let busy = store.pool_usage().unwrap();
    assert!(busy.open >= 1, "{busy:?}");
    assert!(
        busy.idle < busy.open,
        "the connection in use is not idle: {busy:?}"
    );
    txn.rollback().await.unwrap();
    // The driver hands a connection back to the pool on a task of its own: give it a moment.
    let mut after = store.pool_usage().unwrap();
    for _ in 0..50 {
        if after.idle == after.open {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        after = store.pool_usage().unwrap();
    }
    assert_eq!(after.idle, after.open, "returned to the pool: {after:?}");
}

on_both_backends!(pool_usage_follows_the_pool);
