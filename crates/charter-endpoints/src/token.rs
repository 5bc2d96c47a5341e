//! `POST /token` (RFC 6749 §3.2, §4.1.3, §5; OpenID Connect Core §3.1.3).
//!
//! One client-authentication step for every grant (`charter_registry::auth`); the request and code rules are
//! pure functions in `charter_core::token`. Order matters for replay (RFC 9700 §4.2.4, SPEC-CHECKLIST A14/A15):
//! the client, the redirect URI and the PKCE verifier are checked first, so a replay with wrong parameters
//! revokes nothing; only then is a used code a replay, and revokes everything issued from it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::{ClientRecord, GrantType};
use charter_core::secret::token_digest;
use charter_core::token::TokenError;
use charter_core::token::check_code;
use charter_core::token::claims::{
    ACCESS_TOKEN_TYP, AccessTokenClaims, Audience, IdTokenClaims, access_token_audience,
};
use charter_core::token::request::{Grant as GrantRequest, TokenRequest};
use charter_keys::SigningAlg;
use charter_registry::auth::{CredentialFields, PresentedCredentials, authenticate};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// A token-endpoint error (RFC 6749 §5.2) as HTTP: JSON, `no-store`, 401 with a Basic challenge for a failed
/// Basic authentication.
pub fn token_error(error: &TokenError, www_authenticate: Option<&'static str>) -> HttpResponse {
    let status = if error.as_str() == "invalid_client" && www_authenticate.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if let Some(challenge) = www_authenticate {
        res.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    res.json(serde_json::json!({
        "error": error.as_str(),
        "error_description": error.description,
    }))
}

/// A client-authentication failure as a token error.
fn client_auth_error(code: &str, description: &str) -> TokenError {
    if code == "invalid_request" {
        TokenError::invalid_request(description)
    } else {
        TokenError::invalid_client(description)
    }
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// `POST /token`.
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(token_error(
            &TokenError::invalid_request("the body must be application/x-www-form-urlencoded"),
            None,
        ));
    }
    // Credentials in the URL leak into logs and histories (RFC 6749 §2.3.1).
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| k == "client_secret" || k == "client_assertion")
    {
        return Ok(token_error(
            &TokenError::invalid_request("client credentials are not accepted in the query"),
            None,
        ));
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let request = match TokenRequest::parse(&params) {
        Ok(r) => r,
        Err(e) => return Ok(token_error(&e, None)),
    };

    // Client authentication, one step for every grant.
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let fields = CredentialFields {
        client_id: param(&params, "client_id"),
        client_secret: param(&params, "client_secret"),
        client_assertion_type: param(&params, "client_assertion_type"),
        client_assertion: param(&params, "client_assertion"),
    };
    let presented = match PresentedCredentials::extract(authorization, fields) {
        Ok(p) => p,
        Err(e) => {
            return Ok(token_error(
                &client_auth_error(e.as_str(), e.description()),
                e.www_authenticate(),
            ));
        }
    };
    let record: Option<std::sync::Arc<ClientRecord>> = match presented.client_id() {
        Some(id) => state.clients.get(&id).await?,
        None => None,
    };
    let now = state.clock.now();
    let authenticated = match authenticate(&presented, record.as_deref(), &state.secret_hasher, now)
    {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(failure = ?e.failure(), "client authentication failed");
            return Ok(token_error(
                &client_auth_error(e.as_str(), e.description()),
                e.www_authenticate(),
            ));
        }
    };
    let client = authenticated.client();

    match request.grant {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            if !client.allows_grant(GrantType::AuthorizationCode) {
                return Ok(token_error(
                    &TokenError::unauthorized_client("the client may not use authorization_code"),
                    None,
                ));
            }
            exchange_code(
                &state,
                client,
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_deref(),
            )
            .await
        }
        _ => Ok(token_error(
            &TokenError::unsupported_grant_type("this grant type is not supported yet"),
            None,
        )),
    }
}

async fn exchange_code(
    state: &AppState,
    client: &charter_core::client::Client,
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
    // Only a request that passed every check above can be a replay: a second redemption revokes everything
    // issued from the first.
    if stored.used_at.is_some() || !state.store.consume_code(&hash, now).await? {
        state.store.revoke_grant(&stored.grant_id, now).await?;
        tracing::warn!(client_id = %client.id, grant = %stored.grant_id, "authorization code replayed; grant revoked");
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

    let lifetime = client
        .settings
        .access_token_lifetime()
        .unwrap_or(state.tokens.access_token_lifetime)
        .min(state.tokens.max_access_token_lifetime);
    let openid = stored.scope.contains("openid");
    let audience = match access_token_audience(
        stored.resource.as_deref(),
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
        user.sub.to_string(),
        Audience::new(audience),
        client.id.clone(),
        now,
        lifetime,
        state.rng.token(16),
    )
    .with_scope(stored.scope.clone())
    .with_grant(grant.id.clone())
    .with_auth_time(stored.auth_time);
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
        let claims = IdTokenClaims::for_code(
            state.issuer.as_str(),
            &stored,
            now,
            state.tokens.id_token_lifetime,
        )
        .with_access_token(&access_token, alg.as_str());
        Some(
            signer
                .sign_jwt("JWT", &claims)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        )
    } else {
        None
    };
    tracing::info!(client_id = %client.id, sub = %user.sub, "tokens issued for an authorization code");
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
        id_token,
        scope: stored.scope.to_string(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(body))
}
