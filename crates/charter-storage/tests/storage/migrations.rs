//! The schema migrates up on a fresh database, down to nothing, and up again, on both backends.

use charter_core::store::ClientStore;
use charter_migrations::{Migrator, MigratorTrait};
use charter_storage::SeaStore;
use charter_storage::entity::{authorization_codes, grants};
use charter_storage::testing::TestDatabase;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use sea_orm_migration::SchemaManager;

use crate::support::{T0, client, create_user};

on_both_backends!(
    migrations_go_down_and_up_again,
    migrating_twice_changes_nothing,
    codes_from_before_the_code_binding_get_its_defaults,
);

const TABLES: [&str; 15] = [
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
    "revoked_access_tokens",
];

/// Tables of migrations after 000005 (each adds its own here).
const LATER_TABLES: &[&str] = &["client_registration_tokens", "initial_access_tokens"];

async fn later_tables_present(store: &SeaStore) -> usize {
    let manager = SchemaManager::new(store.connection());
    let mut n = 0;
    for table in LATER_TABLES {
        if manager.has_table(table).await.unwrap() {
            n += 1;
        }
    }
    n
}

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

/// Whether `authorization_codes` has the columns of `m20261127_000003_code_binding`.
async fn code_binding_columns(store: &SeaStore) -> [bool; 2] {
    let manager = SchemaManager::new(store.connection());
    let mut present = [false; 2];
    for (i, column) in ["redirect_uri_sent", "resource"].into_iter().enumerate() {
        present[i] = manager
            .has_column("authorization_codes", column)
            .await
            .unwrap();
    }
    present
}

async fn migrations_go_down_and_up_again(store: SeaStore) {
    // The harness already migrated this fresh database up.
    assert_eq!(tables_present(&store).await, TABLES);
    assert_eq!(code_binding_columns(&store).await, [true, true]);
    assert_eq!(later_tables_present(&store).await, LATER_TABLES.len());

    // Migrations after the deny list (000005) are stepped over: `later` of them.
    let later = u32::try_from(Migrator::migrations().len() - 5).unwrap();

    // Down to before the deny list: its table goes, and comes back.
    Migrator::down(store.connection(), Some(later + 1))
        .await
        .unwrap();
    assert_eq!(tables_present(&store).await, TABLES[..TABLES.len() - 1]);
    assert_eq!(code_binding_columns(&store).await, [true, true]);
    assert_eq!(later_tables_present(&store).await, 0);
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES);
    assert_eq!(later_tables_present(&store).await, LATER_TABLES.len());

    // grants.auth_time too: the code-binding columns stay.
    Migrator::down(store.connection(), Some(later + 2))
        .await
        .unwrap();
    assert_eq!(tables_present(&store).await, TABLES[..TABLES.len() - 1]);
    assert_eq!(code_binding_columns(&store).await, [true, true]);
    Migrator::up(store.connection(), None).await.unwrap();

    // The code binding too: its columns go, and they come back.
    Migrator::down(store.connection(), Some(later + 3))
        .await
        .unwrap();
    assert_eq!(tables_present(&store).await, TABLES[..TABLES.len() - 1]);
    assert_eq!(code_binding_columns(&store).await, [false, false]);
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(code_binding_columns(&store).await, [true, true]);

    // The throttle table too.
    Migrator::down(store.connection(), Some(later + 4))
        .await
        .unwrap();
    assert_eq!(tables_present(&store).await, TABLES[..TABLES.len() - 2]);
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables_present(&store).await, TABLES);

    Migrator::down(store.connection(), None).await.unwrap();
    assert!(tables_present(&store).await.is_empty());
    assert_eq!(later_tables_present(&store).await, 0);

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

/// A code stored before `m20261127_000003_code_binding` reads as "redirect_uri not sent, no resource".
async fn codes_from_before_the_code_binding_get_its_defaults(store: SeaStore) {
    let db = store.connection();
    let user = create_user(&store, "alice").await;
    store.create_client(&client("app")).await.unwrap();
    grants::Entity::insert(grants::ActiveModel {
        id: Set("grant-1".into()),
        user_sub: Set(Some(user.sub.to_string())),
        client_id: Set("app".into()),
        scope: Set("openid".into()),
        session_sid: Set(None),
        offline_access: Set(false),
        created_at: Set(T0.unix()),
        revoked_at: Set(None),
        auth_time: Set(None),
        claims: Set(None),
    })
    .exec_without_returning(db)
    .await
    .unwrap();

    // Down to before the code binding (it and every migration after it).
    let later = u32::try_from(Migrator::migrations().len() - 3).unwrap();
    Migrator::down(db, Some(later + 1)).await.unwrap();
    // The entity has the new columns, so the old-shaped row is written by hand.
    let sql = format!(
        "INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_sub, redirect_uri, scope, \
         auth_time, created_at, expires_at) VALUES ('code-1', 'grant-1', 'app', '{}', \
         'https://app.example/cb', 'openid', {t}, {t}, {t})",
        user.sub,
        t = T0.unix(),
    );
    db.execute_unprepared(&sql).await.unwrap();
    Migrator::up(db, None).await.unwrap();

    let row = authorization_codes::Entity::find_by_id("code-1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(!row.redirect_uri_sent);
    assert_eq!(row.resource, None);
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
