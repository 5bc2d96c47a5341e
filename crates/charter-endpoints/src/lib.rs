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
//! - [`cors`]: CORS for discovery, the JWKS, token, userinfo and revocation, for the origins of registered
//!   redirect URIs; never on `/authorize` or the pages.
//! - [`pages`]: Charter's own pages — sign-in and the account page — with their security headers and CSRF.
//! - [`hashing`]: password hashing off the async workers, concurrency capped.
//! - [`admin`]: the admin API under `/admin/v1` (clients, users, sessions, consents; OpenAPI document).
//! - [`registration`]: dynamic client registration (RFC 7591) and client self-management (RFC 7592).
//! - [`limits`]: rate limits per client address and per authenticated client (429 with `Retry-After`);
//!   [`panics`]: a panicking handler is a 500 for its request only.
//! - [`metrics`]: Prometheus metrics at `GET /metrics`; [`audit`]: writing audit events from handlers.
//!
//! [`configure`] registers every route for a node with one listener; with an admin listener (`admin_listen`),
//! [`configure_public`] is the main listener's share and [`configure_admin_listener`] the admin API, `/metrics`
//! and the health checks.

pub mod access;
pub mod admin;
pub mod audit;
pub mod authorize;
pub mod client_auth;
pub mod cors;
pub mod device;
pub mod error;
pub mod hashing;
pub mod health;
pub mod introspect;
pub mod limits;
pub mod logout;
pub mod metrics;
pub mod origin;
pub mod pages;
pub mod panics;
pub mod registration;
pub mod request_id;
pub mod revocations;
pub mod revoke;
pub mod state;
pub mod token;
pub mod userinfo;
pub mod well_known;

use actix_web::web;

pub use state::{AppState, Documents, Precomputed};

/// Registers every route, for a node with one listener.
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_operator(cfg);
    configure_public(cfg);
}

/// The routes of a separate admin listener (`admin_listen`): the operator's routes plus the health checks, so
/// a probe of that port sees the same process state.
pub fn configure_admin_listener(cfg: &mut web::ServiceConfig) {
    configure_operator(cfg);
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz));
}

/// The operator's routes: the admin API under `/admin/v1` and `GET /metrics`. With a separate admin listener
/// they are not registered on the main listener at all, so a proxy mistake cannot expose them.
fn configure_operator(cfg: &mut web::ServiceConfig) {
    admin::configure(cfg);
    cfg.route("/metrics", web::get().to(metrics::scrape));
}

/// Every route but the operator's: the protocol endpoints, the pages and the health checks.
pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(
            cors::resource("/.well-known/openid-configuration", "GET")
                .route(web::get().to(well_known::openid_configuration)),
        )
        .service(
            cors::resource("/.well-known/oauth-authorization-server", "GET")
                .route(web::get().to(well_known::oauth_authorization_server)),
        )
        .service(cors::resource("/jwks", "GET").route(web::get().to(well_known::jwks)))
        .route(
            charter_ui::CSS_PATH,
            web::get().to(pages::assets::stylesheet),
        )
        .route("/login", web::get().to(pages::login::show))
        .route("/login", web::post().to(pages::login::submit))
        .route("/authorize", web::get().to(authorize::authorize))
        .route("/authorize", web::post().to(authorize::authorize))
        .route("/authorize/resume", web::get().to(authorize::resume))
        .service(cors::resource("/token", "POST").route(web::post().to(token::token)))
        .route(
            "/device_authorization",
            web::post().to(device::device_authorization),
        )
        .route("/device", web::get().to(pages::device::show))
        .route("/device", web::post().to(pages::device::enter))
        .route("/device/consent", web::get().to(pages::device::consent))
        .route("/device/consent", web::post().to(pages::device::decide))
        .route("/introspect", web::post().to(introspect::introspect))
        .service(cors::resource("/revoke", "POST").route(web::post().to(revoke::revoke)))
        .route("/register", web::post().to(registration::register))
        .route(
            "/register/{client_id}",
            web::get().to(registration::manage::read),
        )
        .route(
            "/register/{client_id}",
            web::put().to(registration::manage::replace),
        )
        .route(
            "/register/{client_id}",
            web::delete().to(registration::manage::remove),
        )
        .service(
            cors::resource("/userinfo", "GET, POST")
                .route(web::get().to(userinfo::userinfo))
                .route(web::post().to(userinfo::userinfo)),
        )
        .route("/logout", web::get().to(logout::logout))
        .route("/logout", web::post().to(logout::logout))
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
