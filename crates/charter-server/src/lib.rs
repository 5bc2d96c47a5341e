//! # charter-server: the `charter` binary
//!
//! - [`settings`]: configuration layers into a validated `Settings`.
//! - [`telemetry`]: `tracing` subscriber, human or JSON.
//! - [`database`]: data directory, connection with retry, migrations.
//! - [`secrets`]: the client-secret pepper (and later the key-encryption key) kept outside the database.
//! - [`keys`]: keeping each node's signing keys current (maintenance and reload).
//! - [`startup`]: wiring stores, state and endpoints into an actix-web server.
//! - [`sweeper`]: background deletion of expired rows, on one node at a time.
//! - [`backchannel`]: back-channel logout delivery from the outbox, each message on one node at a time.
//! - [`cli`]: `charter serve` and the administrative subcommands.

pub mod backchannel;
pub mod cli;
pub mod database;
pub mod keys;
pub mod secrets;
pub mod settings;
pub mod startup;
pub mod sweeper;
pub mod telemetry;
