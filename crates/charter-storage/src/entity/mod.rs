//! sea-orm entities, one module per table of the schema in `charter-migrations`.
//!
//! These mirror the migrations column for column; the migrations are the source of truth for the schema
//! (types, defaults, indexes, foreign keys). Rows are converted to and from charter-core's domain types in
//! the store modules, never handed out.

pub mod audit_events;
pub mod authorization_codes;
pub mod browser_sessions;
pub mod client_assertion_jtis;
pub mod client_redirect_uris;
pub mod client_registration_tokens;
pub mod clients;
pub mod consents;
pub mod device_codes;
pub mod grants;
pub mod initial_access_tokens;
pub mod leases;
pub mod login_throttle;
pub mod logout_outbox;
pub mod pending_authorizations;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod session_clients;
pub mod signing_keys;
pub mod users;
