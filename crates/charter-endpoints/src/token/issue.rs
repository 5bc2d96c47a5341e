//! Issuing tokens, shared by every grant: the RFC 9068 access token, the ID token (OpenID Connect Core
//! §3.1.3.3, §12.2 for refreshes) and, when the client may refresh, a new opaque refresh token.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use charter_core::Timestamp;
use charter_core::client::{Client, GrantType};
use charter_core::grant::{Grant, RefreshToken};
use charter_core::random::sizes;
use charter_core::scope::ScopeSet;
use charter_core::secret::token_digest;
use charter_core::token::claims::{
    ACCESS_TOKEN_TYP, AccessTokenClaims, Audience, IdTokenClaims, access_token_audience,
};
use charter_core::token::userinfo::requested_id_token_claims;
use charter_core::user::User;
use charter_keys::SigningAlg;
use serde::Serialize;

use super::token_error;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
}

/// What the ID token carries beyond the user and client.
#[derive(Debug, Default)]
pub struct IdTokenExtras {
    /// Only on the response to the authorization code (never on a refresh, OpenID Core §12.2).
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    pub sid: Option<String>,
}

/// Everything one token response is made of.
#[derive(Debug)]
pub struct Issue<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub grant: &'a Grant,
    pub scope: &'a ScopeSet,
    pub auth_time: Timestamp,
    pub resource: Option<&'a str>,
    pub id: IdTokenExtras,
    /// A refresh token to hand out (already stored), if any.
    pub refresh_token: Option<String>,
}

/// Whether a refresh token goes with this response: the client may refresh, and an OpenID request was granted
/// `offline_access` (OpenID Connect Core §11).
pub fn refresh_allowed(client: &Client, scope: &ScopeSet) -> bool {
    client.allows_grant(GrantType::RefreshToken)
        && (!scope.contains("openid") || scope.contains("offline_access"))
}

/// A new refresh token for `grant`: the value to hand out and the row to store. `expires_at` is carried over
/// from the token it replaces; a first token gets the absolute lifetime.
pub fn new_refresh(
    state: &AppState,
    client: &Client,
    grant: &Grant,
    scope: &ScopeSet,
    expires_at: Option<Timestamp>,
) -> (String, RefreshToken) {
    let now = state.clock.now();
    let s = &client.settings;
    let idle = s
        .refresh_token_idle_lifetime_secs
        .map(Duration::from_secs)
        .unwrap_or(state.tokens.refresh_token_idle_lifetime);
    let absolute = s
        .refresh_token_absolute_lifetime_secs
        .map(Duration::from_secs)
        .unwrap_or(state.tokens.refresh_token_absolute_lifetime);
    let expires_at = expires_at.unwrap_or_else(|| now.plus(absolute));
    let value = state.rng.token(sizes::SESSION_ID);
    let row = RefreshToken {
        token_hash: token_digest(&value),
        grant_id: grant.id.clone(),
        client_id: client.id.clone(),
        scope: scope.clone(),
        created_at: now,
        idle_expires_at: now.plus(idle).min(expires_at),
        expires_at,
        used_at: None,
    };
    (value, row)
}

/// Signs the access token (and the ID token for OpenID requests) and answers with them.
pub fn respond(state: &AppState, issue: Issue<'_>) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let client = issue.client;
    let lifetime = state.tokens.access_token_lifetime_for(client);
    let openid = issue.scope.contains("openid");
    let audience = match access_token_audience(
        issue.resource,
        &client.settings.audiences,
        state.issuer.as_str(),
        openid,
    ) {
        Ok(a) => a,
        Err(e) => return Ok(token_error(&e, None)),
    };
    let keyring = state.keys.current();
    let Some(at_signer) = keyring.signer(state.tokens.access_token_alg) else {
        return Err(ApiError::Unavailable(
            "no active access-token signing key".into(),
        ));
    };
    let access = AccessTokenClaims::new(
        state.issuer.as_str(),
        issue.user.sub.to_string(),
        Audience::new(audience),
        client.id.clone(),
        now,
        lifetime,
        state.rng.token(16),
    )
    .with_scope(issue.scope.clone())
    .with_grant(issue.grant.id.clone())
    .with_auth_time(issue.auth_time);
    let access_token = at_signer
        .sign_jwt(ACCESS_TOKEN_TYP, &access)
        .map_err(|e| ApiError::Internal(e.to_string()))?;

    let id_token = if openid {
        let alg = client
            .metadata
            .id_token_signed_response_alg
            .as_deref()
            .and_then(|a| a.parse::<SigningAlg>().ok())
            .filter(|a| keyring.signer(*a).is_some())
            .unwrap_or(state.tokens.id_token_alg);
        let Some(signer) = keyring.signer(alg) else {
            return Err(ApiError::Unavailable(
                "no active ID-token signing key".into(),
            ));
        };
        let claims = IdTokenClaims::new(
            state.issuer.as_str(),
            issue.user.sub.clone(),
            client.id.clone(),
            issue.auth_time,
            now,
            state.tokens.id_token_lifetime,
        )
        .with_nonce(issue.id.nonce)
        .with_amr(issue.id.amr)
        .with_sid(issue.id.sid)
        .with_user_claims(requested_id_token_claims(
            issue.user,
            issue.grant.claims.as_ref(),
        ))
        .with_access_token(&access_token, alg.as_str());
        Some(
            signer
                .sign_jwt("JWT", &claims)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        )
    } else {
        None
    };
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        refresh_token: issue.refresh_token,
        id_token,
        scope: issue.scope.to_string(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(body))
}
