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
//! - [`pages`]: Charter's own pages — sign-in and the account page — with their security headers and CSRF.
//! - [`hashing`]: password hashing off the async workers, concurrency capped.

pub mod access;
pub mod authorize;
pub mod client_auth;
pub mod error;
pub mod hashing;
pub mod health;
pub mod introspect;
pub mod origin;
pub mod pages;
pub mod request_id;
pub mod revoke;
pub mod state;
pub mod token;
pub mod userinfo;
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
        .route("/jwks", web::get().to(well_known::jwks))
        .route(
            charter_ui::CSS_PATH,
            web::get().to(pages::assets::stylesheet),
        )
        .route("/login", web::get().to(pages::login::show))
        .route("/login", web::post().to(pages::login::submit))
        .route("/authorize", web::get().to(authorize::authorize))
        .route("/authorize", web::post().to(authorize::authorize))
        .route("/authorize/resume", web::get().to(authorize::resume))
        .route("/token", web::post().to(token::token))
        .route("/introspect", web::post().to(introspect::introspect))
        .route("/revoke", web::post().to(revoke::revoke))
        .route("/userinfo", web::get().to(userinfo::userinfo))
        .route("/userinfo", web::post().to(userinfo::userinfo))
        .route("/consent", web::get().to(pages::consent::show))
        .route("/consent", web::post().to(pages::consent::submit))
        .route("/account", web::get().to(pages::account::show))
        .route(
            "/account/sessions/{sid}/end",
            web::post().to(pages::account::end_session),
        )
        .route(
            "/account/sign-out-everywhere",
            web::post().to(pages::account::sign_out_everywhere),
        )
        .route(
            "/account/apps/{client_id}/revoke",
            web::post().to(pages::account::revoke_app),
        )
        .route(
            "/account/password",
            web::post().to(pages::account::change_password),
        );
}
