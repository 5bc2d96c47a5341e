//! # charter-endpoints: Charter's HTTP surface
//!
//! Thin actix-web handlers, one module per endpoint: extract, parse, call the core, map the outcome. Protocol
//! decisions are made in `charter-core` and `charter-registry`; this crate only translates between HTTP and
//! those decisions, and owns the single place where errors become HTTP responses ([`error`]).
//!
//! - [`health`]: `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: database reachable).
//! - [`origin`]: the client address and scheme of a request, believing forwarding headers only from trusted
//!   proxies.
//! - [`request_id`]: every response carries the id its log lines carry (`X-Request-Id`).
//! - [`well_known`]: discovery metadata and the JWKS, served from memory.

pub mod error;
pub mod health;
pub mod origin;
pub mod request_id;
pub mod state;
pub mod well_known;

use actix_web::web;

pub use state::{AppState, Documents, Precomputed};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(well_known::openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(well_known::oauth_authorization_server),
        )
        .route("/jwks", web::get().to(well_known::jwks));
}
