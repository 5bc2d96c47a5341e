//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core §3.1.3).
//!
//! Order matters for replay (RFC 9700 §4.2.4, SPEC-CHECKLIST A14/A15): the code's client, redirect URI and PKCE
//! verifier are checked first, so a replay with wrong parameters revokes nothing; only then is a used code a
//! replay, and revokes everything issued from it.

use actix_web::HttpResponse;
use charter_core::client::Client;
use charter_core::secret::token_digest;
use charter_core::token::{TokenError, check_code};

use super::issue::{self, IdTokenExtras, Issue};
use super::token_error;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn exchange(
    req: &actix_web::HttpRequest,
    state: &AppState,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let hash = token_digest(code);
    let invalid = || {
        Ok(token_error(
            &TokenError::invalid_grant(
                "the code is invalid, expired, or was issued to another client",
            ),
            None,
        ))
    };
    let Some(stored) = state.store.find_code(&hash).await? else {
        return invalid();
    };
    if let Err(e) = check_code(&stored, &client.id, redirect_uri, verifier, now) {
        return Ok(token_error(&e, None));
    }
    if stored.used_at.is_some() || !state.store.consume_code(&hash, now).await? {
        state.store.revoke_grant(&stored.grant_id, now).await?;
        state.revoked().await;
        tracing::warn!(client_id = %client.id, grant = %stored.grant_id, "authorization code replayed; grant revoked");
        state.metrics.code_replay();
        let event = crate::audit::event(state, charter_core::audit::AuditKind::CodeReplayDetected)
            .actor(client.id.as_str())
            .client(client.id.as_str())
            .user(stored.user_sub.as_str())
            .detail("grant", stored.grant_id.as_str())
            .detail("grant_revoked", true);
        crate::audit::record(state, req, event).await;
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
    let Some(user) = state
        .store
        .find_user(&stored.user_sub)
        .await?
        .filter(|u| !u.disabled)
    else {
        return invalid();
    };
    let refresh_token = if issue::refresh_allowed(client, &stored.scope) {
        let (value, row) = issue::new_refresh(state, client, &grant, &stored.scope, None);
        state.store.create_refresh(&row).await?;
        Some(value)
    } else {
        None
    };
    tracing::info!(client_id = %client.id, sub = %user.sub, "tokens issued for an authorization code");
    issue::respond(
        state,
        Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &stored.scope,
            auth_time: stored.auth_time,
            resource: stored.resource.as_deref(),
            id: IdTokenExtras {
                nonce: stored.nonce.clone(),
                amr: stored.amr.clone(),
                sid: stored.session_sid.clone(),
            },
            refresh_token,
        },
    )
}
