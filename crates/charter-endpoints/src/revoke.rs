//! `POST /revoke` (RFC 7009): a client ends one of its own tokens.
//!
//! - A refresh token: its whole grant is revoked, so every access token issued from it stops working too
//!   (RFC 7009 §2.1 allows it; RFC 9700 recommends it).
//! - An access token: its `jti` goes on a deny-list until the token would have expired anyway.
//! - Unknown, expired or malformed tokens, and tokens of another client, change nothing; the answer is 200 in
//!   every case (RFC 7009 §2.2), so the endpoint reveals nothing about other clients' tokens.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::secret::token_digest;
use charter_core::token::TokenError;

use crate::access;
use crate::client_auth::{authenticate_client, form_params, param};
use crate::error::ApiError;
use crate::state::AppState;
use crate::token::token_error;

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = match form_params(&req, &body) {
        Ok(p) => p,
        Err(res) => return Ok(*res),
    };
    let record = match authenticate_client(&req, &state, &params).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    let Some(token) = param(&params, "token") else {
        return Ok(token_error(
            &TokenError::invalid_request("token is required"),
            None,
        ));
    };
    let client = &record.client;
    let now = state.clock.now();
    if let Some(stored) = state.store.find_refresh(&token_digest(token)).await? {
        if stored.client_id == client.id {
            state.store.revoke_grant(&stored.grant_id, now).await?;
            state.revoked().await;
            tracing::info!(client_id = %client.id, grant = %stored.grant_id, "refresh token revoked; grant revoked");
        }
    } else if let Some(claims) = access::signed_claims(&state, token)
        && claims.client_id == client.id
        && !claims.exp.has_passed(now)
    {
        state
            .store
            .deny_access_token(&claims.jti, claims.exp, now)
            .await?;
        state.revoked().await;
        tracing::info!(client_id = %client.id, jti = %claims.jti, "access token revoked");
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
