//! `/admin/v1/users/{sub}` changes to an account: its profile (PATCH, a JSON merge patch of the standard claims)
//! and its password (POST `.../password`), through `charter_core::accounts`, the functions the CLI calls.
//!
//! - **Profile**: RFC 7396 semantics ([`charter_core::accounts::patch_profile`]): a claim set to `null` is
//!   cleared, an absent one unchanged; an unknown claim (or `sub`, `username`, `disabled`: not profile claims)
//!   is 400 `invalid_request`; a malformed `email` 400 `invalid_email`. A new email or phone number is
//!   unverified unless the same patch says otherwise. Recorded as `admin_action` `user.update` with the names
//!   (never the values) of the claims changed.
//! - **Password**: the password policy (400 `weak_password`), Argon2id. By default (`end_sessions: true`) every
//!   session of the user ends, as in sign-out (back-channel logout messages to the relying parties), and every
//!   grant is revoked, refresh tokens included: whoever knew the old password may hold them. Recorded as
//!   `password_changed`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::accounts::{self, AccountError};
use charter_core::audit::AuditKind;
use secrecy::SecretString;
use serde::Deserialize;

use super::users::{find, parse_sub};
use super::{Admin, AdminError, json, json_object, json_request};
use crate::error::ApiError;
use crate::state::AppState;

/// The admin API's answer to a refused account change.
pub(super) fn account_error(e: AccountError) -> AdminError {
    match e {
        AccountError::InvalidUsername(e) => AdminError::Invalid("invalid_username", e.to_string()),
        AccountError::InvalidEmail => {
            AdminError::Invalid("invalid_email", "invalid email address".to_owned())
        }
        AccountError::InvalidProfile(message) => AdminError::Invalid("invalid_request", message),
        AccountError::Password(e) => AdminError::Invalid("weak_password", e.to_string()),
        AccountError::UsernameTaken => AdminError::Conflict("the username is taken".to_owned()),
        AccountError::NoSuchUser => AdminError::NotFound("user"),
        AccountError::Hash(e) => AdminError::Api(ApiError::Internal(e.to_string())),
        AccountError::Store(e) => e.into(),
    }
}

/// Change a user's profile: a JSON merge patch (RFC 7396) of the OpenID Connect standard claims.
#[utoipa::path(patch, operation_id = "users_update_profile", path = "/admin/v1/users/{sub}", tag = "users", params(("sub" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json",
        description = "Claims to change: name, given_name, family_name, email, email_verified, phone_number, \
                       phone_number_verified, address, locale, zoneinfo, picture; null clears one"),
    responses((status = 200, description = "The user", body = serde_json::Value),
        (status = 400, description = "invalid_request (not an object, unknown claim, wrong type) or invalid_email", body = super::ErrorBody),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_profile(
    http: HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let sub = parse_sub(&path)?;
    let patch = json_object(&body)?;
    let user = accounts::update_profile(state.store.as_ref(), state.clock.as_ref(), &sub, &patch)
        .await
        .map_err(account_error)?;
    let fields: Vec<&str> = patch.keys().map(String::as_str).collect();
    let event = admin
        .action(&state, "user.update")
        .user(sub.as_str())
        .detail("fields", fields);
    crate::audit::record(&state, &http, event).await;
    tracing::info!(%sub, "user profile changed through the admin API");
    Ok(json(StatusCode::OK, &user))
}

/// A new password for a user. (`Debug` shows the password as `[REDACTED]`.)
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// Checked against the password policy; stored as an Argon2id hash.
    #[schema(value_type = String)]
    pub password: SecretString,
    /// End every session of the user and revoke every grant (refresh tokens included). Default true.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub end_sessions: bool,
}

fn yes() -> bool {
    true
}

/// Set a user's password; by default also end their sessions and revoke their grants.
#[utoipa::path(post, operation_id = "users_set_password", path = "/admin/v1/users/{sub}/password", tag = "users", params(("sub" = String, Path)),
    request_body = SetPassword,
    responses((status = 200, description = "{sessions_ended, grants_revoked}", body = serde_json::Value),
        (status = 400, description = "invalid_request or weak_password", body = super::ErrorBody),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_password(
    http: HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let user = find(&state, &path).await?;
    let req: SetPassword = json_request(&body)?;
    let reset = accounts::reset_password(
        state.store.as_ref(),
        state.rng.as_ref(),
        state.clock.as_ref(),
        &state.password_policy,
        &user.sub,
        &req.password,
        req.end_sessions,
    )
    .await
    .map_err(account_error)?;
    if reset.ended.messages > 0 {
        state.logout_outbox.notify_one();
    }
    let grants_revoked = reset.ended.grants_revoked + reset.grants_revoked;
    if grants_revoked > 0 {
        state.revoked().await;
    }
    let event = admin
        .event(&state, AuditKind::PasswordChanged)
        .user(user.sub.as_str())
        .detail("end_sessions", req.end_sessions)
        .detail("sessions", reset.ended.sessions)
        .detail("grants_revoked", grants_revoked);
    crate::audit::record(&state, &http, event).await;
    tracing::info!(sub = %user.sub, end_sessions = req.end_sessions, "password set through the admin API");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "sessions_ended": reset.ended.sessions,
            "grants_revoked": grants_revoked,
        }),
    ))
}
