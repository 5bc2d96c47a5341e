//! `POST /introspect` (RFC 7662): a resource server (any authenticated confidential client) asks whether a token
//! is live. The answer is the truth at this moment — revocation, grant revocation, code replay, refresh reuse, a
//! disabled user, a deleted client and a revoked key all make it inactive at once — and an inactive token is
//! exactly `{"active": false}`, saying nothing about why. Refresh tokens are disclosed only to their own client.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::secret::token_digest;
use charter_core::token::TokenError;
use serde_json::{Value, json};

use crate::access;
use crate::client_auth::{authenticate_client, form_params, param};
use crate::error::ApiError;
use crate::state::AppState;
use crate::token::token_error;

fn answer(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

pub async fn introspect(
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
    if record.client.is_public() {
        return Ok(token_error(
            &TokenError::invalid_client("public clients cannot introspect tokens"),
            None,
        ));
    }
    let Some(token) = param(&params, "token") else {
        return Ok(token_error(
            &TokenError::invalid_request("token is required"),
            None,
        ));
    };
    let inactive = || Ok(answer(json!({ "active": false })));
    // The hint only orders the lookups (RFC 7662 §2.1); a wrong hint still finds the token.
    let refresh_first = param(&params, "token_type_hint") == Some("refresh_token");
    for kind in if refresh_first {
        ["refresh", "access"]
    } else {
        ["access", "refresh"]
    } {
        if kind == "access" {
            if let Some(c) = access::live_claims(&state, token).await? {
                return Ok(answer(json!({
                    "active": true,
                    "scope": c.scope.to_string(),
                    "client_id": c.client_id.as_str(),
                    "sub": c.sub,
                    "exp": c.exp.unix(),
                    "iat": c.iat.unix(),
                    "iss": c.iss,
                    "aud": c.aud,
                    "jti": c.jti,
                    "token_type": "Bearer",
                })));
            }
            continue;
        }
        let Some(stored) = state.store.find_refresh(&token_digest(token)).await? else {
            continue;
        };
        let now = state.clock.now();
        if stored.client_id != record.client.id || stored.used_at.is_some() || !stored.is_live(now)
        {
            return inactive();
        }
        let Some(grant) = state
            .store
            .find_grant(&stored.grant_id)
            .await?
            .filter(|g| g.is_active())
        else {
            return inactive();
        };
        let user = match &grant.user_sub {
            Some(sub) => state.store.find_user(sub).await?.filter(|u| !u.disabled),
            None => None,
        };
        let Some(user) = user else {
            return inactive();
        };
        return Ok(answer(json!({
            "active": true,
            "scope": stored.scope.to_string(),
            "client_id": stored.client_id.as_str(),
            "sub": user.sub.as_str(),
            "exp": stored.idle_expires_at.min(stored.expires_at).unix(),
            "iat": stored.created_at.unix(),
            "iss": state.issuer.as_str(),
            "token_type": "refresh_token",
        })));
    }
    inactive()
}
