//! The schema migrates up on a fresh database, down to nothing, and up again, on both backends.

use charter_migrations::{Migrator, MigratorTrait};
use charter_storage::SeaStore;
use charter_storage::testing::TestDatabase;
use sea_orm_migration::SchemaManager;

on_both_backends!(
    migrations_go_down_and_up_again,
    migrating_twice_changes_nothing
);

const TABLES: [&str; 14] = [
    "users",
    "clients",
    "client_redirect_uris",
    "browser_sessions",
    "session_clients",
    "consents",
    "grants",
    "authorization_codes",
    "refresh_tokens",
    "pending_authorizations",
    "signing_keys",
    "audit_events",
    "leases",
    "login_throttle",
];

async fn tables_present(store: &SeaStore) -> Vec<&'static str> {
    let manager = SchemaManager::new(store.connection());
    let mut present = Vec::new();
    for table in TABLES {
        if manager.has_table(table).await.unwrap() {
            present.push(table);
        }
    }
    present
}

async fn migrations_go_down_and_up_again(store: SeaStore) {
    // The harness already migrated this fresh database up.
    assert_eq!(tables_present(&store).await, TABLES);

    // The latest migration alone: only its table goes, and it comes back.
    Migrator::down(store.connection(), Some(1)).await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES[..TABLES.len() - 1]);
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES);

    Migrator::down(store.connection(), None).await.unwrap();
    assert!(tables_present(&store).await.is_empty());

    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES);
    assert!(
        Migrator::get_pending_migrations(store.connection())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn migrating_twice_changes_nothing(store: SeaStore) {
    store.migrate().await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES);
}

/// Two nodes starting at once on a fresh database: both succeed, and the schema is there once.
async fn concurrent_migrations(db: &TestDatabase) {
    let a = SeaStore::connect(&db.connect_options()).await.unwrap();
    let b = SeaStore::connect(&db.connect_options()).await.unwrap();
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(tables_present(&a).await, TABLES);
    assert!(
        Migrator::get_pending_migrations(a.connection())
            .await
            .unwrap()
            .is_empty()
    );
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_sqlite() {
    concurrent_migrations(&TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_postgres() {
    let Some(db) = TestDatabase::postgres().await else {
        eprintln!("skipped: CHARTER_TEST_DATABASE_URL is not set");
        return;
    };
    concurrent_migrations(&db).await;
}
