//! # charter-demo: "Login with Charter" in five minutes
//!
//! A small relying-party web app that signs users in through a running Charter and explains what just
//! happened: who signed in, the ID token claim by claim, the access token and its remaining lifetime, the
//! rotating refresh token, revocation seen through introspection, and logout through Charter's end-session
//! endpoint. It uses a real relying-party library (the `openidconnect` crate) and keeps its own server-side
//! session: the tokens never reach the browser.
//!
//! The binary (`cargo run -p charter-demo`) registers the demo with Charter ([`register`]) and calls [`start`];
//! the browser test calls [`start`] with a client registered in its own test instance.

mod explain;
mod pages;
pub mod register;
mod rp;
mod sessions;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;

use crate::pages::Demo;
pub use crate::register::Registration;

const CSS: &str = include_str!("../static.css");

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "max-age=300"))
        .body(CSS)
}

/// Where the demo sends users back to, for a demo served at `base` (e.g. `http://127.0.0.1:3000`).
pub fn redirect_uri(base: &str) -> String {
    format!("{base}/callback")
}

/// Where Charter sends users after logout.
pub fn post_logout_uri(base: &str) -> String {
    format!("{base}/logged-out")
}

/// Discovers Charter at `issuer` and serves the demo on `listener` as the client `registration` (registered
/// with [`redirect_uri`] and [`post_logout_uri`] of the listener's address). Returns the running server.
pub async fn start(
    listener: TcpListener,
    issuer: &str,
    registration: Registration,
) -> anyhow::Result<(SocketAddr, Server)> {
    // For an https issuer: reqwest's TLS runs on rustls with ring (no other provider is built in). Whoever
    // installed one first wins; any is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let rp = rp::Rp::discover(
        issuer,
        registration,
        &redirect_uri(&base),
        &post_logout_uri(&base),
    )
    .await
    .context("is `charter serve` running? (discovery failed)")?;
    let demo = Arc::new(Demo {
        rp,
        sessions: sessions::Sessions::default(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(demo.clone()))
            .route("/", web::get().to(pages::home))
            .route("/demo.css", web::get().to(css))
            .route("/login", web::post().to(pages::login))
            .route("/callback", web::get().to(pages::callback))
            .route("/userinfo", web::post().to(pages::userinfo))
            .route("/refresh", web::post().to(pages::refresh))
            .route("/revoke", web::post().to(pages::revoke))
            .route("/logout", web::post().to(pages::logout))
            .route("/logged-out", web::get().to(pages::logged_out))
    })
    .workers(2)
    .listen(listener)?
    .run();
    Ok((addr, server))
}
