//! The black-box suite. Each module is one area of Charter's HTTP contract; every test runs on SQLite and, when
//! `CHARTER_TEST_DATABASE_URL` is set, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod admin_listener;
mod admin_openapi;
mod admin_resources;
mod admin_users;
mod audit;
mod backchannel;
mod claims_parameter;
mod client_credentials;
mod code_flow;
mod cors;
mod db_faults;
mod device;
mod health;
mod introspection;
mod keys;
mod limits;
mod login;
mod logout;
mod metrics;
mod nodes;
mod nodes_background;
mod observability_events;
mod private_key_jwt;
mod refresh;
mod registration;
mod registration_manage;
mod registration_rp;
mod relying_party;
mod rp_library;
mod session_security;
mod sweeper;
mod well_known;
