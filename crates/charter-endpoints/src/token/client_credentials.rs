//! `grant_type=client_credentials` (RFC 6749 §4.4, RFC 9068 §2.2, RFC 8707): a confidential client acting on
//! its own behalf. The hot path — client authenticated from the cache, one signature — writes nothing to the
//! database and, with a warm client cache, reads nothing either. The token's `sub` is the `client_id`; there is
//! no user and no refresh token.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use charter_core::client::Client;
use charter_core::scope::ScopeSet;
use charter_core::token::TokenError;
use charter_core::token::claims::{
    ACCESS_TOKEN_TYP, AccessTokenClaims, Audience, access_token_audience,
};
use serde_json::json;

use super::token_error;
use crate::error::ApiError;
use crate::state::AppState;

pub fn exchange(
    state: &AppState,
    client: &Client,
    requested: Option<&ScopeSet>,
    resource: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    if client.is_public() {
        return Ok(token_error(
            &TokenError::unauthorized_client("a public client cannot use client_credentials"),
            None,
        ));
    }
    let allowed = &client.metadata.scope;
    let scope = match requested {
        Some(s) if s.contains("openid") || s.contains("offline_access") => {
            return Ok(token_error(
                &TokenError::invalid_scope("openid and offline_access need a user"),
                None,
            ));
        }
        Some(s) if !s.is_subset_of(allowed) => {
            return Ok(token_error(
                &TokenError::invalid_scope("the client may not ask for this scope"),
                None,
            ));
        }
        Some(s) => s.clone(),
        None => allowed
            .iter()
            .filter(|s| !matches!(s.as_str(), "openid" | "offline_access"))
            .cloned()
            .collect(),
    };
    let audience = match access_token_audience(
        resource,
        &client.settings.audiences,
        state.issuer.as_str(),
        false,
    ) {
        Ok(a) => a,
        Err(e) => return Ok(token_error(&e, None)),
    };
    let now = state.clock.now();
    let lifetime = state.tokens.access_token_lifetime_for(client);
    let Some(signer) = state.keys.current().signer(state.tokens.access_token_alg) else {
        return Err(ApiError::Unavailable(
            "no active access-token signing key".into(),
        ));
    };
    let claims = AccessTokenClaims::new(
        state.issuer.as_str(),
        client.id.to_string(),
        Audience::new(audience),
        client.id.clone(),
        now,
        lifetime,
        state.rng.token(16),
    )
    .with_scope(scope.clone());
    let token = signer
        .sign_jwt(ACCESS_TOKEN_TYP, &claims)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::debug!(client_id = %client.id, "client credentials token issued");
    let mut body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
    });
    if !scope.is_empty()
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert("scope".into(), json!(scope.to_string()));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(body))
}
