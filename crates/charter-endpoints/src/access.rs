//! Is this access token good right now? One answer for userinfo and introspection: Charter signed it with a
//! published key, it is an access token (`typ: at+jwt`) of this issuer, it has not expired (by Charter's clock),
//! it was not revoked (RFC 7009 deny-list), its client still exists, and — for tokens about a user — its grant
//! is active and its user enabled. Revocation, a disabled user, a deleted client or a revoked key therefore take
//! effect at once.

use charter_core::ids::Subject;
use charter_core::token::claims::{ACCESS_TOKEN_TYP, AccessTokenClaims};
use charter_core::user::User;
use jsonwebtoken::Validation;

use crate::error::ApiError;
use crate::state::AppState;

/// A live access token and, for tokens about a user, that user.
#[derive(Debug)]
pub struct LiveToken {
    pub claims: AccessTokenClaims,
    pub user: Option<User>,
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

/// The token if it is live now.
pub async fn live(state: &AppState, token: &str) -> Result<Option<LiveToken>, ApiError> {
    let Some(claims) = signed_claims(state, token) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let leeway = i64::try_from(state.tokens.clock_skew.as_secs()).unwrap_or(0);
    if claims.exp.unix() + leeway <= now.unix() {
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
            (claims.sub == claims.client_id.as_str()).then_some(LiveToken { claims, user: None })
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
    Ok(Some(LiveToken { claims, user }))
}
