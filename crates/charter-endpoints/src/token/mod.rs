//! `POST /token` (RFC 6749 §3.2, §5; OpenID Connect Core §3.1.3).
//!
//! One client-authentication step for every grant (`charter_registry::auth`), then one module per grant:
//! [`code`] (authorization code), [`refresh`] (refresh token), [`client_credentials`] and [`device`] (RFC
//! 8628 device code); [`issue`] signs and answers for all of them.
//! The request and binding rules are pure functions in `charter_core::token`.

pub mod client_credentials;
pub mod code;
pub mod device;
pub mod issue;
pub mod refresh;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::GrantType;
use charter_core::token::TokenError;
use charter_core::token::request::{Grant as GrantRequest, TokenRequest};

use crate::client_auth::{authenticate_client, form_params};
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

/// `POST /token`.
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = match form_params(&req, &body) {
        Ok(p) => p,
        Err(res) => return Ok(*res),
    };
    let request = match TokenRequest::parse(&params) {
        Ok(r) => r,
        Err(e) => return Ok(token_error(&e, None)),
    };
    // Client authentication, one step for every grant.
    let record = match authenticate_client(&req, &state, &params).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    let client = &record.client;
    let grant_type = match &request.grant {
        GrantRequest::AuthorizationCode { .. } => "authorization_code",
        GrantRequest::RefreshToken { .. } => "refresh_token",
        GrantRequest::ClientCredentials { .. } => "client_credentials",
        GrantRequest::DeviceCode { .. } => "urn:ietf:params:oauth:grant-type:device_code",
    };

    let res = match request.grant {
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
            code::exchange(
                &req,
                &state,
                client,
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_deref(),
            )
            .await
        }
        GrantRequest::RefreshToken {
            refresh_token,
            scope,
        } => {
            if !client.allows_grant(GrantType::RefreshToken) {
                return Ok(token_error(
                    &TokenError::unauthorized_client("the client may not use refresh_token"),
                    None,
                ));
            }
            refresh::exchange(&req, &state, client, &refresh_token, scope.as_ref()).await
        }
        GrantRequest::ClientCredentials { scope } => {
            if !client.allows_grant(GrantType::ClientCredentials) {
                return Ok(token_error(
                    &TokenError::unauthorized_client("the client may not use client_credentials"),
                    None,
                ));
            }
            client_credentials::exchange(
                &state,
                client,
                scope.as_ref(),
                request.resource.as_deref(),
            )
        }
        GrantRequest::DeviceCode { device_code } => {
            if !client.allows_grant(GrantType::DeviceCode) {
                return Ok(token_error(
                    &TokenError::unauthorized_client("the client may not use the device grant"),
                    None,
                ));
            }
            device::exchange(&state, client, &device_code).await
        }
    };
    // Each token issued is counted, never audited (too many).
    if let Ok(r) = &res
        && r.status().is_success()
    {
        state.metrics.token_issued(grant_type);
    }
    res
}
