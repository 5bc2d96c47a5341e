//! The one client-authentication step of every endpoint that authenticates clients (token, introspection,
//! revocation): RFC 6749 §2.3, OpenID Connect Core §9. The rules are `charter_registry::auth`; this module reads
//! them off the request and answers failures as RFC 6749 §5.2 JSON (401 with a Basic challenge when Basic was
//! tried).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use charter_core::client::ClientRecord;
use charter_core::token::TokenError;
use charter_registry::auth::{CredentialFields, PresentedCredentials, authenticate};

use crate::error::ApiError;
use crate::state::AppState;
use crate::token::token_error;

/// The first non-empty value of a form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A form body (`application/x-www-form-urlencoded`) as pairs, or the error response when the request is not
/// one, or carries client credentials in the URL (they leak into logs and histories, RFC 6749 §2.3.1).
pub fn form_params(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Vec<(String, String)>, Box<HttpResponse>> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(Box::new(token_error(
            &TokenError::invalid_request("the body must be application/x-www-form-urlencoded"),
            None,
        )));
    }
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| k == "client_secret" || k == "client_assertion")
    {
        return Err(Box::new(token_error(
            &TokenError::invalid_request("client credentials are not accepted in the query"),
            None,
        )));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

/// A client-authentication failure as a token error.
fn as_token_error(code: &str, description: &str) -> TokenError {
    if code == "invalid_request" {
        TokenError::invalid_request(description)
    } else {
        TokenError::invalid_client(description)
    }
}

/// Authenticates the calling client. `Ok(Err(response))` is a refusal to send as is.
pub async fn authenticate_client(
    req: &HttpRequest,
    state: &AppState,
    params: &[(String, String)],
) -> Result<Result<Arc<ClientRecord>, HttpResponse>, ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let fields = CredentialFields {
        client_id: param(params, "client_id"),
        client_secret: param(params, "client_secret"),
        client_assertion_type: param(params, "client_assertion_type"),
        client_assertion: param(params, "client_assertion"),
    };
    let presented = match PresentedCredentials::extract(authorization, fields) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Err(token_error(
                &as_token_error(e.as_str(), e.description()),
                e.www_authenticate(),
            )));
        }
    };
    let record = match presented.client_id() {
        Some(id) => state.clients.get(&id).await?,
        None => None,
    };
    let now = state.clock.now();
    match authenticate(&presented, record.as_deref(), &state.secret_hasher, now) {
        Ok(_) => match record {
            Some(r) => Ok(Ok(r)),
            None => Err(ApiError::Internal(
                "an authenticated client without its record".into(),
            )),
        },
        Err(e) => {
            tracing::info!(failure = ?e.failure(), "client authentication failed");
            Ok(Err(token_error(
                &as_token_error(e.as_str(), e.description()),
                e.www_authenticate(),
            )))
        }
    }
}
