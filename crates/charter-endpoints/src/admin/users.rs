//! `/admin/v1/users`: create, read, list, disable and enable users; list and end a user's sessions; list and
//! revoke a user's consents. Profile and password changes are in [`super::accounts`].
//!
//! Accounts are created by `charter_core::accounts` (the CLI's rules: username syntax, email shape, password
//! policy, Argon2id). Users are disabled, not deleted (the store keeps the account so its `sub` is never
//! reused); disabling ends every session of the user, through the same step as sign-out
//! ([`crate::logout::end_sessions`]: back-channel logout messages to the relying parties that received ID tokens
//! in them). Revoking a consent also revokes every grant of the user to that client, so its codes and tokens
//! stop working at once, as on the account page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use charter_core::accounts::{NewAccount, create_account};
use charter_core::audit::AuditKind;
use charter_core::clock::Timestamp;
use charter_core::ids::{ClientId, Subject};
use charter_core::logout::outbox::EndSessions;
use charter_core::user::{Profile, User};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{Admin, AdminError, PageQuery, Paged, json, json_request, no_content};
use crate::state::AppState;

pub(super) fn parse_sub(raw: &str) -> Result<Subject, AdminError> {
    Subject::parse(raw).map_err(|_| AdminError::NotFound("user"))
}

pub(super) async fn find(state: &AppState, raw: &str) -> Result<User, AdminError> {
    let sub = parse_sub(raw)?;
    state
        .store
        .find_user(&sub)
        .await?
        .ok_or(AdminError::NotFound("user"))
}

/// List users, ordered by `sub`.
#[utoipa::path(get, operation_id = "users_list", path = "/admin/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, description = "A page of users: {items, next_after}", body = serde_json::Value)),
    security(("bearer" = [])))]
pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AdminError> {
    let page = query.page();
    let users = state.store.list_users(&page).await?;
    let body = Paged::new(users, &page, |u| u.sub.to_string());
    Ok(json(StatusCode::OK, &body))
}

/// A new user. (`Debug` shows the password as `[REDACTED]`.)
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    pub username: String,
    /// Checked against the password policy; stored as an Argon2id hash.
    #[schema(value_type = String)]
    pub password: SecretString,
    /// OpenID Connect standard claims (name, email, ...).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub profile: Profile,
}

/// Create a user.
#[utoipa::path(post, operation_id = "users_create", path = "/admin/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, description = "The user", body = serde_json::Value),
        (status = 400, description = "invalid_request, invalid_username, invalid_email or weak_password", body = super::ErrorBody),
        (status = 409, description = "conflict: the username is taken", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let req: CreateUser = json_request(&body)?;
    let user = create_account(
        state.store.as_ref(),
        state.rng.as_ref(),
        state.clock.as_ref(),
        &state.password_policy,
        NewAccount {
            username: req.username,
            password: req.password,
            profile: req.profile,
        },
    )
    .await
    .map_err(super::accounts::account_error)?;
    let event = admin
        .action(&state, "user.create")
        .user(user.sub.as_str())
        .detail("username", user.username.as_str());
    crate::audit::record(&state, &http, event).await;
    tracing::info!(sub = %user.sub, "user created through the admin API");
    Ok(json(StatusCode::CREATED, &user))
}

/// Read a user.
#[utoipa::path(get, operation_id = "users_show", path = "/admin/v1/users/{sub}", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "The user", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    Ok(json(StatusCode::OK, &find(&state, &path).await?))
}

async fn set_disabled(
    state: &AppState,
    raw: &str,
    disabled: bool,
) -> Result<HttpResponse, AdminError> {
    let sub = parse_sub(raw)?;
    let now = state.clock.now();
    if !state.store.set_user_disabled(&sub, disabled, now).await? {
        return Err(AdminError::NotFound("user"));
    }
    state.revoked().await;
    if disabled {
        let which = EndSessions::AllOfUser {
            user: &sub,
            keep: None,
        };
        crate::logout::end_sessions(state, which).await?;
    }
    tracing::info!(%sub, disabled, "user changed through the admin API");
    Ok(json(StatusCode::OK, &find(state, raw).await?))
}

/// Disable a user: they cannot sign in, their tokens stop working, their sessions end.
#[utoipa::path(post, operation_id = "users_disable", path = "/admin/v1/users/{sub}/disable", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "The user", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn disable(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let res = set_disabled(&state, &path, true).await?;
    let event = admin
        .event(&state, AuditKind::UserDisabled)
        .user(path.as_str());
    crate::audit::record(&state, &http, event).await;
    Ok(res)
}

/// Enable a disabled user again.
#[utoipa::path(post, operation_id = "users_enable", path = "/admin/v1/users/{sub}/enable", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "The user", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let res = set_disabled(&state, &path, false).await?;
    let event = admin.action(&state, "user.enable").user(path.as_str());
    crate::audit::record(&state, &http, event).await;
    Ok(res)
}

/// A session as operators see it: never its cookie or the cookie's digest.
#[derive(Debug, Serialize)]
struct SessionView<'a> {
    sid: &'a str,
    auth_time: Timestamp,
    amr: &'a [String],
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    created_at: Timestamp,
    last_seen_at: Timestamp,
    expires_at: Timestamp,
}

/// A user's browser sessions, newest first.
#[utoipa::path(get, operation_id = "users_sessions", path = "/admin/v1/users/{sub}/sessions", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "{items: [{sid, auth_time, amr, ip, user_agent, ...}]}", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn sessions(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let user = find(&state, &path).await?;
    let sessions = state.store.list_sessions(&user.sub).await?;
    let items: Vec<SessionView<'_>> = sessions
        .iter()
        .map(|s| SessionView {
            sid: &s.sid,
            auth_time: s.auth_time,
            amr: &s.amr,
            ip: s.ip.as_deref(),
            user_agent: s.user_agent.as_deref(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect();
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": items })))
}

/// End every session of a user.
#[utoipa::path(delete, operation_id = "users_end_all_sessions", path = "/admin/v1/users/{sub}/sessions", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "{ended: <sessions ended>}", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn end_all_sessions(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let user = find(&state, &path).await?;
    let which = EndSessions::AllOfUser {
        user: &user.sub,
        keep: None,
    };
    let ended = crate::logout::end_sessions(&state, which).await?;
    let event = admin
        .event(&state, AuditKind::SessionsEnded)
        .user(user.sub.as_str())
        .detail("sessions", ended.sessions)
        .detail("via", "admin_api");
    crate::audit::record(&state, &http, event).await;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "ended": ended.sessions }),
    ))
}

/// End one session of a user, by its `sid`.
#[utoipa::path(delete, operation_id = "users_end_session", path = "/admin/v1/users/{sub}/sessions/{sid}", tag = "users",
    params(("sub" = String, Path), ("sid" = String, Path)),
    responses((status = 204, description = "Ended"),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn end_session(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (raw_sub, sid) = path.into_inner();
    let sub = parse_sub(&raw_sub)?;
    let which = EndSessions::BySid {
        user: &sub,
        sid: &sid,
    };
    let ended = crate::logout::end_sessions(&state, which).await?;
    if ended.sessions == 0 {
        return Err(AdminError::NotFound("session"));
    }
    let event = admin
        .action(&state, "session.end")
        .user(sub.as_str())
        .detail("sid", sid.as_str());
    crate::audit::record(&state, &http, event).await;
    Ok(no_content())
}

/// The consents a user has given, by client.
#[utoipa::path(get, operation_id = "users_consents", path = "/admin/v1/users/{sub}/consents", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "{items: [{client_id, scope, created_at, updated_at}]}", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn consents(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let user = find(&state, &path).await?;
    let consents = state.store.list_consents(&user.sub).await?;
    let items: Vec<serde_json::Value> = consents
        .iter()
        .map(|c| {
            serde_json::json!({
                "client_id": c.client_id.as_str(),
                "scope": c.scope.to_string(),
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            })
        })
        .collect();
    Ok(json(StatusCode::OK, &serde_json::json!({ "items": items })))
}

/// Revoke a user's consent to a client, and every grant (codes, tokens) the user gave it.
#[utoipa::path(delete, operation_id = "users_revoke_consent", path = "/admin/v1/users/{sub}/consents/{client_id}", tag = "users",
    params(("sub" = String, Path), ("client_id" = String, Path)),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "not_found: no consent and no active grant", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_consent(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (raw_sub, raw_client) = path.into_inner();
    let sub = parse_sub(&raw_sub)?;
    let client = ClientId::parse(&raw_client).map_err(|_| AdminError::NotFound("consent"))?;
    let now = state.clock.now();
    let forgotten = state.store.delete_consent(&sub, &client).await?;
    let revoked = state.store.revoke_client_grants(&sub, &client, now).await?;
    state.revoked().await;
    if !forgotten && revoked == 0 {
        return Err(AdminError::NotFound("consent"));
    }
    tracing::info!(%sub, client_id = %client, revoked, "consent revoked through the admin API");
    let event = admin
        .event(&state, AuditKind::ConsentRevoked)
        .user(sub.as_str())
        .client(client.as_str())
        .detail("grants_revoked", revoked);
    crate::audit::record(&state, &http, event).await;
    Ok(no_content())
}
