//! Dynamic client registration: `POST /register` (RFC 7591 §3) here, and the client configuration endpoint
//! `GET|PUT|DELETE /register/{client_id}` (RFC 7592 §2) in [`manage`].
//!
//! Who may register depends on `registration.mode`: `off` answers 404 (and discovery names no
//! `registration_endpoint`); `initial_access_token` wants `Authorization: Bearer <token>` with a token minted
//! by `charter registration token create` (RFC 7591 §3, a wrong one is 401 `invalid_token`); `open` takes
//! anyone, at most `registration.rate_limit` registrations per client address until it has been quiet for
//! `registration.rate_limit_window` (429 with `Retry-After` beyond).
//!
//! Requests are validated by the registry exactly like an operator's, under a policy that refuses Charter's
//! operator-only settings (`require_pkce`, `audiences`, `skip_consent`, lifetimes) and any scope outside
//! `registration.allowed_scopes` (`invalid_client_metadata`: refused rather than silently dropped, so a
//! client never believes it holds a scope it does not). Unknown fields are ignored (RFC 7591 §2).
//! Success is 201 with the client's metadata, its `client_id`, its secret (if any, `client_secret_expires_at`
//! 0: it does not expire), `registration_client_uri` and `registration_access_token` (RFC 7591 §3.2.1, RFC
//! 7592 §3); errors are 400 `invalid_redirect_uri` / `invalid_client_metadata` (RFC 7591 §3.2.2). Every answer
//! carries `Cache-Control: no-store`.

pub mod manage;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::Client;
use charter_core::registration::{RateLimit, RegistrationMode};
use charter_core::scope::ScopeSet;
use charter_core::secret::token_digest;
use charter_registry::{
    ClientRequest, ClientView, RegisterError, RegistrationError, RegistrationPolicy,
    register_dynamic_client, validate,
};
use serde::Serialize;

use crate::error::ApiError;
use crate::origin::ClientOrigin;
use crate::state::AppState;

/// Dynamic client registration as configured.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    pub mode: RegistrationMode,
    /// The scopes a dynamically registered client may ask for.
    pub allowed_scopes: ScopeSet,
    /// Open mode's limit per client address.
    pub rate_limit: RateLimit,
}

impl RegistrationConfig {
    /// What dynamically registered clients may set.
    pub fn policy(&self) -> RegistrationPolicy {
        RegistrationPolicy {
            operator: false,
            allowed_scopes: Some(self.allowed_scopes.clone()),
        }
    }
}

/// The RFC 7591 §3.2.1 / RFC 7592 §3 response: the client as it sees itself, and how to manage it.
#[derive(Debug, Serialize)]
struct ClientInformation<'a> {
    #[serde(flatten)]
    client: ClientView<'a>,
    registration_client_uri: String,
    /// Only in the registration response: only its digest is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_access_token: Option<&'a str>,
}

fn client_information(
    state: &AppState,
    status: StatusCode,
    client: &Client,
    secret: Option<&str>,
    registration_access_token: Option<&str>,
) -> HttpResponse {
    let body = ClientInformation {
        client: ClientView::for_client(client, secret),
        registration_client_uri: registration_client_uri(state, client),
        registration_access_token,
    };
    no_store(HttpResponse::build(status)).json(body)
}

fn registration_client_uri(state: &AppState, client: &Client) -> String {
    // Client ids are base64url characters only: safe as a path segment as they are.
    state
        .issuer
        .endpoint(&format!("/register/{}", client.id.as_str()))
}

fn no_store(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    res
}

/// An RFC 7591 §3.2.2 error: 400 with JSON.
fn registration_error(e: &RegistrationError) -> HttpResponse {
    no_store(HttpResponse::BadRequest()).json(serde_json::json!({
        "error": e.as_str(),
        "error_description": e.description(),
    }))
}

/// RFC 6750 §3.1 `invalid_token`: 401 with a Bearer challenge.
fn invalid_token(description: &'static str) -> HttpResponse {
    let challenge = format!(
        r#"Bearer realm="charter", error="invalid_token", error_description="{description}""#
    );
    no_store(HttpResponse::Unauthorized())
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .json(serde_json::json!({
            "error": "invalid_token",
            "error_description": description,
        }))
}

/// 404 when registration is off: there is no such endpoint.
fn not_found() -> HttpResponse {
    no_store(HttpResponse::NotFound()).json(serde_json::json!({
        "error": "not_found",
        "error_description": "dynamic client registration is not enabled",
    }))
}

/// The bearer token of the `Authorization` header (RFC 6750 §2.1), if any.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The request body as a JSON object and as requested metadata (unknown fields ignored).
fn parse_body(
    body: &[u8],
) -> Result<(serde_json::Map<String, serde_json::Value>, ClientRequest), RegistrationError> {
    let bad = |d: String| RegistrationError::InvalidClientMetadata(d);
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(bad("the body must be a JSON object".to_owned()));
    };
    let request = serde_json::from_value(serde_json::Value::Object(fields.clone()))
        .map_err(|e| bad(format!("malformed client metadata: {e}")))?;
    Ok((fields, request))
}

/// `POST /register` (RFC 7591 §3).
#[tracing::instrument(skip_all, fields(mode = %state.registration.mode))]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let config = &state.registration;
    let now = state.clock.now();
    // Who may register, decided before the request is looked at.
    let initial_token = match config.mode {
        RegistrationMode::Off => return Ok(not_found()),
        RegistrationMode::InitialAccessToken => {
            let Some(token) = bearer_token(&req) else {
                return Ok(invalid_token("an initial access token is required"));
            };
            let hash = token_digest(token);
            let usable = state
                .store
                .find_initial_access_token(&hash)
                .await?
                .is_some_and(|t| t.is_usable(now));
            if !usable {
                return Ok(invalid_token(
                    "the initial access token is invalid, expired or used up",
                ));
            }
            Some(hash)
        }
        RegistrationMode::Open => {
            let key = RateLimit::key(&ClientOrigin::of(&req).0.client_ip.to_string());
            let seen = state.store.failures(&key).await?;
            match config.rate_limit.check(seen, now) {
                Err(wait) => {
                    return Ok(no_store(HttpResponse::TooManyRequests())
                        .insert_header((header::RETRY_AFTER, wait.as_secs().to_string()))
                        .json(serde_json::json!({
                            "error": "too_many_requests",
                            "error_description": "too many registrations from this address; retry later",
                        })));
                }
                // Every attempt counts, valid or not: a flood of bad requests is still a flood.
                Ok(restart) => {
                    state.store.record_failure(&key, now, restart).await?;
                }
            }
            None
        }
    };

    let request = match parse_body(&body) {
        Ok((_, r)) => r,
        Err(e) => return Ok(registration_error(&e)),
    };
    let policy = config.policy();
    // Validation is pure: check before an initial access token's use is spent on a request that fails.
    if let Err(e) = validate(request.clone(), &policy) {
        return Ok(registration_error(&e));
    }
    if let Some(hash) = initial_token
        && !state.store.spend_initial_access_token(&hash, now).await?
    {
        return Ok(invalid_token(
            "the initial access token is invalid, expired or used up",
        ));
    }
    let registered = match register_dynamic_client(
        state.store.as_ref(),
        &state.secret_hasher,
        state.rng.as_ref(),
        state.clock.as_ref(),
        request,
        &policy,
    )
    .await
    {
        Ok(r) => r,
        Err(RegisterError::Invalid(e)) => return Ok(registration_error(&e)),
        Err(RegisterError::Store(e)) => return Err(e.into()),
    };
    state.cors.invalidate();
    let client = &registered.client.record.client;
    tracing::info!(client_id = %client.id, "client registered dynamically");
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::ClientCreated)
        .actor(client.id.as_str())
        .client(client.id.as_str())
        .detail("via", "dynamic_registration");
    crate::audit::record(&state, &req, event).await;
    Ok(client_information(
        &state,
        StatusCode::CREATED,
        client,
        registered.client.secret.as_deref(),
        Some(&registered.registration_access_token),
    ))
}
