//! charter-storage's integration tests: every store trait method, on SQLite always and on PostgreSQL when
//! `CHARTER_TEST_DATABASE_URL` is set. Each test body is written once, as an async fn taking a fresh, migrated
//! `SeaStore`, and `on_both_backends!` runs it on each backend.

// Test bodies are plain async fns called from the generated #[tokio::test]s, which clippy's
// allow-*-in-tests settings do not see as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

mod assertions;
mod audit;
mod clients;
mod connect;
mod consents;
mod deny_list;
mod device;
mod grants;
mod keys;
mod migrations;
mod ops;
mod origins;
mod outbox;
mod pending;
mod refresh;
mod registration;
mod sessions;
mod sweep;
mod throttle;
mod users;
