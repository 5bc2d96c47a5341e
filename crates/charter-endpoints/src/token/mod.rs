//! `POST /token` (RFC 6749 §3.2, §5; OpenID Connect Core §3.1.3).
//!
//! One client-authentication step for every grant (`charter_registry::auth`), then one module per grant:
//! [`code`] (authorization code), [`refresh`] (refresh token) and [`client_credentials`]; [`issue`] signs and answers for all of them.
//! The request and binding rules are pure functions in `charter_core::token`.

pub mod client_credentials;
pub mod code;
pub mod issue;
pub mod refresh;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::{ClientRecord, GrantType};
use charter_core::token::TokenError;
use charter_core::token::request::{Grant as GrantRequest, TokenRequest};
use charter_registry::auth::{CredentialFields, PresentedCredentials, authenticate};

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
            code::exchange(
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
            refresh::exchange(&state, client, &refresh_token, scope.as_ref()).await
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
        _ => Ok(token_error(
            &TokenError::unsupported_grant_type("this grant type is not supported yet"),
            None,
        )),
    }
}
