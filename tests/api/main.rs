//! The black-box suite. Each module is one area of Charter's HTTP contract; every test runs on SQLite and, when
//! `CHARTER_TEST_DATABASE_URL` is set, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client_credentials;
mod code_flow;
mod health;
mod introspection;
mod keys;
mod login;
mod refresh;
mod relying_party;
mod sweeper;
mod well_known;
