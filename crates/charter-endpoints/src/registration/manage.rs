//! The client configuration endpoint `GET|PUT|DELETE /register/{client_id}` (RFC 7592 §2).
//!
//! Every request carries the client's registration access token as a bearer token (RFC 7592 §1). It is
//! compared in constant time with the digest stored at registration; a missing or wrong token, a token of
//! another client, or a client that no longer exists are all the same 401 `invalid_token` (§2.1: nothing is
//! revealed about which client ids exist). The token is not rotated, so it does not appear in these answers.
//!
//! - GET (§2.1): the client's current metadata.
//! - PUT (§2.2): replaces the metadata, validated with the same policy as the registration. `client_id` must be
//!   the client's; a `client_secret`, if sent, must be its current secret; fields left out take their
//!   defaults. 200 with the new metadata (and a new secret only when the client starts to need one).
//! - DELETE (§2.3): 204; the client and everything issued to it (grants, codes, refresh tokens, consents) are
//!   deleted, its access tokens stop working, and its registration access token with it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::ClientRecord;
use charter_core::ids::ClientId;
use charter_core::registration::token_matches;
use charter_registry::{RegistrationError, UpdateError, delete_client, update_client};

use super::{
    client_information, invalid_token, no_store, not_found, parse_body, registration_error,
};
use crate::error::ApiError;
use crate::state::AppState;

const BAD_TOKEN: &str = "the registration access token is invalid";

/// The client the request's registration access token belongs to, or the response to send instead.
async fn authorized(
    req: &HttpRequest,
    state: &AppState,
    client_id: &str,
) -> Result<Result<ClientRecord, HttpResponse>, ApiError> {
    if !state.registration.mode.is_enabled() {
        return Ok(Err(not_found()));
    }
    let Some(token) = super::bearer_token(req) else {
        return Ok(Err(invalid_token(BAD_TOKEN)));
    };
    let Ok(id) = ClientId::parse(client_id) else {
        return Ok(Err(invalid_token(BAD_TOKEN)));
    };
    let Some(stored) = state.store.registration_token_hash(&id).await? else {
        return Ok(Err(invalid_token(BAD_TOKEN)));
    };
    if !token_matches(token, &stored) {
        return Ok(Err(invalid_token(BAD_TOKEN)));
    }
    // The database, not the cache: a client reading itself right after a change must see it.
    match state.store.find_client(&id).await? {
        Some(record) => Ok(Ok(record)),
        None => Ok(Err(invalid_token(BAD_TOKEN))),
    }
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = match authorized(&req, &state, &path).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    Ok(client_information(
        &state,
        StatusCode::OK,
        &record.client,
        None,
        None,
    ))
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2).
pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let record = match authorized(&req, &state, &path).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    let (fields, request) = match parse_body(&body) {
        Ok(parsed) => parsed,
        Err(e) => return Ok(registration_error(&e)),
    };
    let bad = |d: &str| registration_error(&RegistrationError::InvalidClientMetadata(d.to_owned()));
    if fields.get("client_id").and_then(|v| v.as_str()) != Some(record.client.id.as_str()) {
        return Ok(bad("client_id must be the client's own"));
    }
    if let Some(sent) = fields.get("client_secret") {
        let matches = match (sent.as_str(), &record.secret) {
            (Some(s), Some(hashes)) => state.secret_hasher.verify(s, &hashes.current),
            _ => false,
        };
        if !matches {
            return Ok(bad("client_secret does not match the client's secret"));
        }
    }
    let id = record.client.id.clone();
    let result = update_client(
        state.store.as_ref(),
        &state.secret_hasher,
        state.rng.as_ref(),
        state.clock.as_ref(),
        &id,
        request,
        &state.registration.policy(),
    )
    .await;
    // Whatever happened, this node's caches must not serve the old client.
    state.clients.invalidate(&id);
    state.cors.invalidate();
    if result.is_ok() {
        let event = crate::audit::event(&state, charter_core::audit::AuditKind::ClientUpdated)
            .actor(id.as_str())
            .client(id.as_str())
            .detail("via", "dynamic_registration");
        crate::audit::record(&state, &req, event).await;
    }
    match result {
        Ok(updated) => Ok(client_information(
            &state,
            StatusCode::OK,
            &updated.record.client,
            updated.secret.as_deref(),
            None,
        )),
        Err(UpdateError::Invalid(e)) => Ok(registration_error(&e)),
        Err(UpdateError::NoSuchClient) => Ok(invalid_token(BAD_TOKEN)),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3).
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = match authorized(&req, &state, &path).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    // Through the cache, which forgets the client on this node at once.
    delete_client(state.clients.as_ref(), &record.client.id).await?;
    state.cors.invalidate();
    tracing::info!(client_id = %record.client.id, "dynamically registered client deleted itself");
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::ClientDeleted)
        .actor(record.client.id.as_str())
        .client(record.client.id.as_str())
        .detail("via", "dynamic_registration");
    crate::audit::record(&state, &req, event).await;
    Ok(no_store(HttpResponse::NoContent()).finish())
}
