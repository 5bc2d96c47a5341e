//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14, OpenID Connect Core §12).
//!
//! Refresh tokens are opaque, stored as SHA-256 digests, bound to their client and rotated at every use: the
//! old one is marked used and a new one stored in one conditional transaction, so of concurrent uses exactly
//! one wins. A token presented after it was used is a replay — the attacker's or the legitimate client's, the
//! server cannot tell — so the whole grant is revoked: every refresh and access token issued from it.

use actix_web::HttpResponse;
use charter_core::client::Client;
use charter_core::scope::ScopeSet;
use charter_core::secret::token_digest;
use charter_core::token::TokenError;

use super::issue::{self, IdTokenExtras, Issue};
use super::token_error;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn exchange(
    req: &actix_web::HttpRequest,
    state: &AppState,
    client: &Client,
    token: &str,
    requested_scope: Option<&ScopeSet>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let hash = token_digest(token);
    let invalid = || {
        Ok(token_error(
            &TokenError::invalid_grant("the refresh token is invalid, expired or revoked"),
            None,
        ))
    };
    let Some(stored) = state.store.find_refresh(&hash).await? else {
        return invalid();
    };
    if stored.client_id != client.id {
        return invalid();
    }
    if stored.used_at.is_some() {
        state.store.revoke_grant(&stored.grant_id, now).await?;
        state.revoked().await;
        tracing::warn!(client_id = %client.id, grant = %stored.grant_id, "refresh token reused; grant revoked");
        reuse_detected(req, state, client, &stored.grant_id, "reused").await;
        return invalid();
    }
    if !stored.is_live(now) {
        return invalid();
    }
    let Some(grant) = state
        .store
        .find_grant(&stored.grant_id)
        .await?
        .filter(|g| g.is_active())
    else {
        return invalid();
    };
    let user = match &grant.user_sub {
        Some(sub) => state.store.find_user(sub).await?.filter(|u| !u.disabled),
        None => None,
    };
    let Some(user) = user else {
        return invalid();
    };
    // Down-scoping is allowed, up-scoping is not (RFC 6749 §6).
    let scope = match requested_scope {
        Some(s) if !s.is_subset_of(&stored.scope) => {
            return Ok(token_error(
                &TokenError::invalid_scope("the requested scope exceeds the original grant"),
                None,
            ));
        }
        Some(s) => s.clone(),
        None => stored.scope.clone(),
    };
    // The new token keeps the original scope, so a later refresh may ask for it again.
    let (value, row) = issue::new_refresh(
        state,
        client,
        &grant,
        &stored.scope,
        Some(stored.expires_at),
    );
    if !state.store.rotate_refresh(&hash, &row, now).await? {
        state.store.revoke_grant(&stored.grant_id, now).await?;
        state.revoked().await;
        tracing::warn!(client_id = %client.id, grant = %stored.grant_id, "refresh token used twice at once; grant revoked");
        reuse_detected(req, state, client, &stored.grant_id, "concurrent_use").await;
        return invalid();
    }
    tracing::info!(client_id = %client.id, sub = %user.sub, "refresh token rotated");
    issue::respond(
        state,
        Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &scope,
            auth_time: grant.auth_time.unwrap_or(grant.created_at),
            resource: None,
            id: IdTokenExtras {
                nonce: None,
                amr: Vec::new(),
                sid: grant.session_sid.clone(),
            },
            refresh_token: Some(value),
        },
    )
}

/// A rotated refresh token came back (RFC 9700 §4.14.2): counted, and audited with the grant's user.
async fn reuse_detected(
    req: &actix_web::HttpRequest,
    state: &AppState,
    client: &Client,
    grant_id: &str,
    how: &str,
) {
    state.metrics.refresh_reuse();
    let user = match state.store.find_grant(grant_id).await {
        Ok(grant) => grant.and_then(|g| g.user_sub),
        Err(_) => None,
    };
    let mut event =
        crate::audit::event(state, charter_core::audit::AuditKind::RefreshReuseDetected)
            .actor(client.id.as_str())
            .client(client.id.as_str())
            .detail("grant", grant_id)
            .detail("how", how)
            .detail("family_revoked", true);
    if let Some(sub) = user {
        event = event.user(sub.as_str());
    }
    crate::audit::record(state, req, event).await;
}
