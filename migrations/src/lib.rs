//! # charter-migrations: Charter's schema
//!
//! One set of migrations, written with sea-orm-migration's schema builder, that produces the same schema on
//! SQLite and PostgreSQL. Conventions every migration keeps:
//!
//! - Times are `BIGINT` Unix seconds (charter-core's `Timestamp`), never the database's own time types, so both
//!   backends store and compare the same numbers and "now" always comes from the application's clock.
//! - Identifiers are `TEXT`; booleans are `BOOLEAN NOT NULL` with a default.
//! - Structured values (client metadata, addresses, parked requests) are JSON in `TEXT` columns: portable, and
//!   only ever read back whole.
//! - Rows hanging off a user, a client or a session are deleted with it (`ON DELETE CASCADE`); the audit trail
//!   has no foreign keys so that it outlives what it describes.
//!
//! Migrations are append-only: a released migration is never edited, a change is a new file.
//! `charter-storage` runs [`Migrator`] at start-up (`SeaStore::migrate`).

pub use sea_orm_migration::prelude::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261127_000001_initial_schema;
mod m20261127_000002_login_throttle;
mod m20261127_000003_code_binding;
mod m20261127_000004_grant_auth_time;
mod m20261127_000005_access_token_deny_list;
mod m20261127_000006_client_assertion_jti;
mod m20261127_000007_claims_request;
mod m20261127_000008_device_codes;
mod m20261127_000009_logout_outbox;
mod m20261127_000010_registration;
mod m20261127_000011_revocation_feed;
mod m20261127_000012_audit_events;

/// Every migration, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_initial_schema::Migration),
            Box::new(m20261127_000002_login_throttle::Migration),
            Box::new(m20261127_000003_code_binding::Migration),
            Box::new(m20261127_000004_grant_auth_time::Migration),
            Box::new(m20261127_000005_access_token_deny_list::Migration),
            Box::new(m20261127_000006_client_assertion_jti::Migration),
            Box::new(m20261127_000007_claims_request::Migration),
            Box::new(m20261127_000008_device_codes::Migration),
            Box::new(m20261127_000009_logout_outbox::Migration),
            Box::new(m20261127_000010_registration::Migration),
            Box::new(m20261127_000011_revocation_feed::Migration),
            Box::new(m20261127_000012_audit_events::Migration),
        ]
    }
}
