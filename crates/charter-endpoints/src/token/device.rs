//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5): the device polls until the
//! user has decided.
//!
//! The answer is `charter_core::device::decide_poll`'s: `authorization_pending` (the poll is recorded),
//! `slow_down` (polled before the interval passed: the interval grows by 5 s and is stored, so the next poll
//! is measured against it), `access_denied`, `expired_token`, or tokens — issued exactly as for an
//! authorization code (`issue`), from a grant stored in the same transaction that marks the device code used,
//! so a device code yields tokens once. A device code that is unknown, used, or another client's is
//! `invalid_grant`.
//!
//! The grant has no browser session: the device is not part of the session the user approved it from, so
//! signing out of that browser does not sign the device out (revoking the application does).

use actix_web::HttpResponse;
use charter_core::client::Client;
use charter_core::device::{PollOutcome, decide_poll};
use charter_core::grant::Grant;
use charter_core::secret::token_digest;
use charter_core::token::{TokenError, TokenErrorCode};

use super::issue::{self, IdTokenExtras, Issue};
use super::token_error;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn exchange(
    state: &AppState,
    client: &Client,
    device_code: &str,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let hash = token_digest(device_code);
    let invalid = || {
        Ok(token_error(
            &TokenError::invalid_grant(
                "the device code is invalid, was already used, or was issued to another client",
            ),
            None,
        ))
    };
    let poll_error =
        |code, description: &str| Ok(token_error(&TokenError::device(code, description), None));
    let Some(auth) = state.store.find_device_authorization(&hash).await? else {
        return invalid();
    };
    if auth.client_id != client.id {
        return invalid();
    }
    let approval = match decide_poll(&auth, now) {
        PollOutcome::Used => return invalid(),
        PollOutcome::Expired => {
            return poll_error(
                TokenErrorCode::ExpiredToken,
                "the device code has expired; start again",
            );
        }
        PollOutcome::Denied => {
            return poll_error(TokenErrorCode::AccessDenied, "the user denied the request");
        }
        PollOutcome::SlowDown { interval } => {
            state
                .store
                .record_device_poll(&hash, auth.last_polled_at, now, interval)
                .await?;
            return poll_error(
                TokenErrorCode::SlowDown,
                "polling too fast; wait 5 seconds more between requests",
            );
        }
        PollOutcome::Pending => {
            let recorded = state
                .store
                .record_device_poll(&hash, auth.last_polled_at, now, auth.interval)
                .await?;
            // Another poll with the same device code got there first: that is polling too fast too.
            return if recorded {
                poll_error(
                    TokenErrorCode::AuthorizationPending,
                    "the user has not yet approved the request",
                )
            } else {
                poll_error(
                    TokenErrorCode::SlowDown,
                    "polling too fast; wait 5 seconds more between requests",
                )
            };
        }
        PollOutcome::Approved(approval) => approval,
    };
    let Some(user) = state
        .store
        .find_user(&approval.user_sub)
        .await?
        .filter(|u| !u.disabled)
    else {
        return invalid();
    };
    let grant = Grant {
        id: state.rng.token(16),
        user_sub: Some(user.sub.clone()),
        client_id: client.id.clone(),
        scope: auth.scope.clone(),
        session_sid: None,
        offline_access: auth.scope.contains("offline_access"),
        created_at: now,
        revoked_at: None,
        auth_time: Some(approval.auth_time),
        claims: None,
    };
    if !state
        .store
        .redeem_device_authorization(&hash, &grant, now)
        .await?
    {
        tracing::warn!(client_id = %client.id, "device code redeemed twice at once; the second refused");
        return invalid();
    }
    let refresh_token = if issue::refresh_allowed(client, &auth.scope) {
        let (value, row) = issue::new_refresh(state, client, &grant, &auth.scope, None);
        state.store.create_refresh(&row).await?;
        Some(value)
    } else {
        None
    };
    tracing::info!(client_id = %client.id, sub = %user.sub, "tokens issued for a device code");
    issue::respond(
        state,
        Issue {
            client,
            user: &user,
            grant: &grant,
            scope: &auth.scope,
            auth_time: approval.auth_time,
            resource: None,
            id: IdTokenExtras {
                nonce: None,
                amr: approval.amr.clone(),
                sid: None,
            },
            refresh_token,
        },
    )
}
