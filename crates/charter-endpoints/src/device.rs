//! `POST /device_authorization`: the device authorization request and response (RFC 8628 §3.1, §3.2).
//!
//! The client authenticates exactly as at the token endpoint (a public client sends only `client_id`), must be
//! registered for `urn:ietf:params:oauth:grant-type:device_code`, and may ask for the scopes it is registered
//! for. The answer carries a 256-bit `device_code` (only its digest is stored), a `user_code` shown as
//! `XXXX-XXXX` (only its keyed hash is stored), where the user goes (`/device`, and the same with the code
//! filled in), how long all this lasts and how often to poll. Errors are RFC 6749 §5.2 JSON, as at `/token`.
//! Polling is `token::device`; the pages the user sees are `pages::device`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::StoreError;
use charter_core::client::GrantType;
use charter_core::device::{DEVICE_CODE_BYTES, DeviceAuthorization, DeviceStatus, UserCode};
use charter_core::scope::ScopeSet;
use charter_core::secret::token_digest;
use charter_core::token::TokenError;
use serde::Serialize;
use url::Url;

use crate::client_auth::{authenticate_client, form_params, param};
use crate::error::ApiError;
use crate::state::AppState;
use crate::token::token_error;

/// Fresh user codes tried before giving up: a collision with a stored code is already one in billions.
const USER_CODE_ATTEMPTS: usize = 5;

/// Parameters that may appear at most once (RFC 6749 §3.2 applies to this endpoint too, RFC 8628 §3.1).
const SINGLE: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "scope",
];

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
struct DeviceAuthorizationResponse {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: u64,
    interval: u64,
}

/// `POST /device_authorization`.
#[tracing::instrument(skip_all)]
pub async fn device_authorization(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = match form_params(&req, &body) {
        Ok(p) => p,
        Err(res) => return Ok(*res),
    };
    if let Some(name) = SINGLE.iter().find(|name| {
        params
            .iter()
            .filter(|(k, v)| k == *name && !v.is_empty())
            .count()
            > 1
    }) {
        return Ok(token_error(
            &TokenError::invalid_request(format!("{name} is repeated")),
            None,
        ));
    }
    let record = match authenticate_client(&req, &state, &params).await? {
        Ok(r) => r,
        Err(res) => return Ok(res),
    };
    let client = &record.client;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Ok(token_error(
            &TokenError::unauthorized_client("the client is not registered for the device grant"),
            None,
        ));
    }
    let scope = match param(&params, "scope").map(ScopeSet::parse).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(_) => {
            return Ok(token_error(
                &TokenError::invalid_scope("scope is malformed"),
                None,
            ));
        }
    };
    if !scope.is_subset_of(&client.metadata.scope) {
        return Ok(token_error(
            &TokenError::invalid_scope("the client may not ask for some of the requested scopes"),
            None,
        ));
    }

    let now = state.clock.now();
    let policy = state.device;
    let device_code = state.rng.token(DEVICE_CODE_BYTES);
    let mut issued = None;
    for _ in 0..USER_CODE_ATTEMPTS {
        let user_code = UserCode::generate(state.rng.as_ref());
        let auth = DeviceAuthorization {
            device_code_hash: token_digest(&device_code),
            user_code_key: user_code.lookup_key(&state.secret_hasher),
            client_id: client.id.clone(),
            scope: scope.clone(),
            status: DeviceStatus::Pending,
            interval: policy.interval,
            last_polled_at: None,
            created_at: now,
            expires_at: now.plus(policy.code_lifetime),
            used_at: None,
        };
        match state.store.create_device_authorization(&auth).await {
            Ok(()) => {
                issued = Some(user_code);
                break;
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let Some(user_code) = issued else {
        return Err(ApiError::Unavailable(
            "no free user code could be drawn".into(),
        ));
    };
    let verification_uri = state.issuer.endpoint("/device");
    let mut complete =
        Url::parse(&verification_uri).map_err(|e| ApiError::Internal(e.to_string()))?;
    complete
        .query_pairs_mut()
        .append_pair("user_code", &user_code.display());
    tracing::info!(client_id = %client.id, "device authorization started");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(DeviceAuthorizationResponse {
            device_code,
            user_code: user_code.display(),
            verification_uri,
            verification_uri_complete: complete.to_string(),
            expires_in: policy.code_lifetime.as_secs(),
            interval: policy.interval.as_secs(),
        }))
}
