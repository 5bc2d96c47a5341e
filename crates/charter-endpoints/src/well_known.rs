//! `/.well-known/openid-configuration` (OpenID Connect Discovery §4) and
//! `/.well-known/oauth-authorization-server` (RFC 8414 §3), and `/jwks` (the `jwks_uri`).
//!
//! All three are served from memory: the metadata is serialised once at start-up, the JWKS whenever the key
//! set changes. A request costs a pointer copy, no database query and no serialisation; `If-None-Match` with
//! the current ETag answers 304.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::{AppState, Precomputed};

/// How long relying parties may cache the metadata documents.
const METADATA_MAX_AGE_SECS: u64 = 3600;

fn cached_json(req: &HttpRequest, body: Arc<str>, etag: Arc<str>, max_age: u64) -> HttpResponse {
    let cache = format!("public, max-age={max_age}");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == &*etag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag.as_ref()));
    if matches {
        return res.finish();
    }
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ))
    .body(body.as_bytes().to_vec())
}

fn document(req: &HttpRequest, doc: &Precomputed) -> HttpResponse {
    cached_json(
        req,
        doc.body.clone(),
        doc.etag.clone(),
        METADATA_MAX_AGE_SECS,
    )
}

pub async fn openid_configuration(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    document(&req, &state.documents.openid_configuration)
}

pub async fn oauth_authorization_server(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    document(&req, &state.documents.oauth_authorization_server)
}

/// The public keys of the `next`, `active` and `retired` signing keys.
pub async fn jwks(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let keyring = state.keys.current();
    cached_json(
        &req,
        keyring.jwks(),
        keyring.etag(),
        state.jwks_max_age_secs,
    )
}
