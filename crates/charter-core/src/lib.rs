//! # charter-core: the protocol rules, with no HTTP and no database
//!
//! Everything Charter decides lives here, as plain functions and types that can be tested without a server:
//!
//! - **Identifiers as newtypes** ([`ids`], [`scope`]): a `ClientId`, `Subject` or `Scope` is parsed once at the
//!   edge and is valid from then on ("parse, don't validate").
//! - **Time and randomness are passed in** ([`clock`], [`random`]): decisions take a `Timestamp`, so tests pin the
//!   clock and check expiry without sleeping.
//! - **Secrets** ([`secret`], [`password`]): high-entropy tokens are stored as SHA-256 digests, client secrets as
//!   HMAC-SHA-256 under a server pepper, passwords with Argon2id at the OWASP parameters.
//! - **Store traits** ([`store`]): one trait per aggregate. `charter-storage` implements them on SQLite and
//!   PostgreSQL; the in-memory implementations in tests implement them on a `HashMap`.
//! - **Network facts** ([`net`]): which client address and scheme to believe behind trusted proxies.
//!
//! This crate must never depend on actix-web or sea-orm: a test in `tests/purity.rs` keeps it that way.

pub mod accounts;
pub mod audit;
pub mod claims_request;
pub mod client;
pub mod clock;
pub mod csrf;
pub mod device;
pub mod discovery;
pub mod flow;
pub mod grant;
pub mod ids;
pub mod issuer;
pub mod keys;
pub mod logout;
pub mod navigation;
pub mod net;
pub mod password;
pub mod random;
pub mod registration;
pub mod scope;
pub mod secret;
pub mod session;
pub mod store;
pub mod throttle;
pub mod token;
pub mod user;

pub use clock::{Clock, SystemClock, Timestamp};
pub use store::StoreError;
