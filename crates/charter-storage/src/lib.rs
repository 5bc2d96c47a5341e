//! # charter-storage: charter-core's stores on SQLite and PostgreSQL
//!
//! The only crate that names `sea_orm`. It turns the store traits of [`charter_core::store`] into SQL on either
//! backend, and nothing above it sees a driver type or error.
//!
//! ```no_run
//! # async fn run() -> Result<(), charter_core::StoreError> {
//! use charter_core::store::Health;
//! use charter_storage::{ConnectOptions, SeaStore};
//!
//! let store = SeaStore::connect(&ConnectOptions::new("sqlite://data/charter.db")).await?;
//! store.migrate().await?;
//! store.ping().await?;
//! # Ok(()) }
//! ```
//!
//! How it is put together:
//!
//! - [`SeaStore`] (module `connect`) owns the connection pool; `migrate` applies `charter-migrations`.
//! - One module per aggregate implements one trait: `users` ([`charter_core::store::UserStore`]), `clients`
//!   ([`charter_core::store::ClientStore`]), `keys` ([`charter_core::store::KeyStore`]), `sessions`
//!   ([`charter_core::store::SessionStore`]), `throttle` ([`charter_core::store::ThrottleStore`]), `pending`
//!   ([`charter_core::store::PendingStore`]), `grants` with `consents`
//!   ([`charter_core::store::GrantStore`]), `refresh` ([`charter_core::store::RefreshStore`]), `deny_list`
//!   ([`charter_core::store::DenyListStore`]), `device` ([`charter_core::store::DeviceStore`]), `outbox`
//!   ([`charter_core::store::OutboxStore`]: ending sessions, the back-channel logout outbox), `origins`
//!   ([`charter_core::store::RedirectOriginStore`]: every redirect URI, for CORS), `ops` (health, leases,
//!   housekeeping), `audit` ([`charter_core::store::AuditStore`]: the audit trail).
//! - [`entity`] mirrors the schema as sea-orm entities; rows are converted to domain types at the edge, and a
//!   row that does not convert is [`StoreError::Corrupt`](charter_core::StoreError::Corrupt), never a panic.
//!   The entities are public for tests and tools that need rows no store trait writes yet; application code
//!   goes through the store traits.
//! - `error` maps every `DbErr` to a [`charter_core::StoreError`] in one place.
//! - Times are the caller's [`charter_core::Timestamp`]s stored as Unix seconds; the database clock is never
//!   asked, so every node and every test agree on "now".
//! - Lists page by primary key (`after` exclusive, ascending, at most [`charter_core::store::Page::MAX_LIMIT`]).
//!
//! With the `test-support` feature, [`testing::TestDatabase`] hands out fresh SQLite or PostgreSQL databases.

mod assertions;
mod audit;
mod clients;
mod connect;
mod consents;
mod deny_list;
mod device;
mod error;
mod grants;
mod keys;
mod ops;
mod origins;
mod outbox;
mod pending;
mod refresh;
mod registration;
mod sessions;
mod throttle;
mod user_profiles;
mod users;

pub mod entity;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use connect::{Backend, ConnectOptions, SeaStore};

use charter_core::store::Page;

/// The row limit for a page: what was asked, up to [`Page::MAX_LIMIT`].
pub(crate) fn page_limit(page: &Page) -> u64 {
    page.limit.min(Page::MAX_LIMIT)
}
