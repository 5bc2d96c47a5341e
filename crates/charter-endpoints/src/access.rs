//! Is this access token good right now? One answer for userinfo and introspection: Charter signed it with a
//! published key, it is an access token (`typ: at+jwt`) of this issuer, it has not expired (by Charter's clock),
//! it was not revoked (RFC 7009 deny-list), its client still exists, and — for tokens about a user — its grant
//! is active and its user enabled. Revocation, a disabled user, a deleted client or a revoked key therefore take
//! effect at once.
//!
//! Introspection, which needs nothing about the user, asks [`live_claims`]: the same checks answered from this
//! node's in-memory revocation view ([`crate::revocations`]) while it is fresh, so the hot path reads no
//! database.

use charter_core::claims_request::ClaimsRequest;
use charter_core::ids::Subject;
use charter_core::token::claims::{ACCESS_TOKEN_TYP, AccessTokenClaims};
use charter_core::user::User;
use jsonwebtoken::Validation;

use crate::error::ApiError;
use crate::state::AppState;

/// A live access token and, for tokens about a user, that user and the `claims` request parameter of its grant.
#[derive(Debug)]
pub struct LiveToken {
    pub claims: AccessTokenClaims,
    pub user: Option<User>,
    pub requested: Option<ClaimsRequest>,
}

/// The claims of a token Charter signed, without checking whether it is still live (revocation wants expired
/// tokens too).
pub fn signed_claims(state: &AppState, token: &str) -> Option<AccessTokenClaims> {
    let mut v = Validation {
        validate_exp: false,
        validate_aud: false,
        ..Validation::default()
    };
    v.set_issuer(&[state.issuer.as_str()]);
    state.keys.current().verify(token, ACCESS_TOKEN_TYP, v).ok()
}

fn expired(state: &AppState, claims: &AccessTokenClaims) -> bool {
    let leeway = i64::try_from(state.tokens.clock_skew.as_secs()).unwrap_or(0);
    claims.exp.unix() + leeway <= state.clock.now().unix()
}

/// The claims of a live token, for callers that need nothing about the user (introspection). With this node's
/// revocation view fresh, no database round-trip: the signature, the expiry, the view (deny list, revoked
/// grants, disabled users) and the client cache. Otherwise the database decides, as [`live`].
pub async fn live_claims(
    state: &AppState,
    token: &str,
) -> Result<Option<AccessTokenClaims>, ApiError> {
    let Some(claims) = signed_claims(state, token) else {
        return Ok(None);
    };
    if expired(state, &claims) {
        return Ok(None);
    }
    let sub = claims
        .grant
        .as_ref()
        .and_then(|_| Subject::parse(&claims.sub).ok());
    match state
        .revocations
        .check(&claims.jti, claims.grant.as_deref(), sub.as_ref())
    {
        Some(true) => Ok(None),
        Some(false) => {
            if state.clients.get(&claims.client_id).await?.is_none() {
                return Ok(None);
            }
            // Without a grant, only a client's token about itself exists (client credentials).
            if claims.grant.is_none() && claims.sub != claims.client_id.as_str() {
                return Ok(None);
            }
            Ok(Some(claims))
        }
        None => Ok(live(state, token).await?.map(|l| l.claims)),
    }
}

/// The token if it is live now, with its user: every check against the database.
pub async fn live(state: &AppState, token: &str) -> Result<Option<LiveToken>, ApiError> {
    let Some(claims) = signed_claims(state, token) else {
        return Ok(None);
    };
    if expired(state, &claims) {
        return Ok(None);
    }
    if state.store.is_access_token_denied(&claims.jti).await? {
        return Ok(None);
    }
    if state.clients.get(&claims.client_id).await?.is_none() {
        return Ok(None);
    }
    let Some(grant_id) = &claims.grant else {
        // A client's token about itself (client credentials): nothing more to check.
        return Ok(
            (claims.sub == claims.client_id.as_str()).then_some(LiveToken {
                claims,
                user: None,
                requested: None,
            }),
        );
    };
    let Some(grant) = state
        .store
        .find_grant(grant_id)
        .await?
        .filter(|g| g.is_active())
    else {
        return Ok(None);
    };
    let requested = grant.claims;
    let user = match grant.user_sub {
        Some(sub) => {
            if Subject::parse(&claims.sub).ok().as_ref() != Some(&sub) {
                return Ok(None);
            }
            match state.store.find_user(&sub).await?.filter(|u| !u.disabled) {
                Some(u) => Some(u),
                None => return Ok(None),
            }
        }
        None => None,
    };
    Ok(Some(LiveToken {
        claims,
        user,
        requested,
    }))
}
