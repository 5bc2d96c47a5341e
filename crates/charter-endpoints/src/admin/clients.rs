//! `/admin/v1/clients`: register, read, list, replace (PUT), change (PATCH), delete clients and rotate their
//! secrets, through `charter_registry::service` with the operator policy (RFC 7591 metadata plus Charter's
//! operator settings).
//!
//! A client's secret appears in an answer only when it was just generated (creation, rotation, or an update
//! that made the client need one). PATCH merges the given fields into the client's current metadata (`null`
//! removes a field, giving it its default) and validates the result like a registration.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use charter_core::client::ClientRecord;
use charter_core::ids::ClientId;
use charter_registry::{
    ClientRequest, ClientView, RegisterError, RegistrationPolicy, RotateError, UpdateError,
    delete_client, register_client, rotate_secret, update_client,
};
use serde::Deserialize;

use super::{Admin, AdminError, PageQuery, Paged, json, json_object, json_request};
use crate::state::AppState;

fn parse_id(raw: &str) -> Result<ClientId, AdminError> {
    ClientId::parse(raw).map_err(|_| AdminError::NotFound("client"))
}

fn request(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<ClientRequest, AdminError> {
    serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| {
        AdminError::Invalid(
            "invalid_client_metadata",
            format!("malformed client metadata: {e}"),
        )
    })
}

fn invalid(e: &charter_registry::RegistrationError) -> AdminError {
    AdminError::Invalid(e.as_str(), e.description().to_owned())
}

/// An audit event about client `id`, by `admin`.
fn admin_event(
    admin: &Admin,
    state: &AppState,
    kind: charter_core::audit::AuditKind,
    id: &ClientId,
) -> charter_core::audit::AuditEvent {
    admin.event(state, kind).client(id.as_str())
}

fn view(status: StatusCode, record: &ClientRecord, secret: Option<&str>) -> HttpResponse {
    json(status, &ClientView::new(&record.client, secret))
}

/// List clients, ordered by client_id.
#[utoipa::path(get, operation_id = "clients_list", path = "/admin/v1/clients", tag = "clients", params(PageQuery),
    responses((status = 200, description = "A page of clients: {items, next_after}", body = serde_json::Value)),
    security(("bearer" = [])))]
pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AdminError> {
    let page = query.page();
    let records = state.store.list_clients(&page).await?;
    let views: Vec<ClientView<'_>> = records
        .iter()
        .map(|r| ClientView::new(&r.client, None))
        .collect();
    let body = Paged::new(views, &page, |v| v.client_id.to_owned());
    Ok(json(StatusCode::OK, &body))
}

/// Register a client (RFC 7591 metadata and Charter's operator settings). Its secret is shown once.
#[utoipa::path(post, operation_id = "clients_create", path = "/admin/v1/clients", tag = "clients",
    request_body(content = serde_json::Value, description = "Client metadata (RFC 7591 names)"),
    responses((status = 201, description = "The client, with its secret", body = serde_json::Value),
        (status = 400, description = "invalid_redirect_uri or invalid_client_metadata", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let req = request(json_object(&body)?)?;
    let registered = register_client(
        state.clients.as_ref(),
        &state.secret_hasher,
        state.rng.as_ref(),
        state.clock.as_ref(),
        req,
        &RegistrationPolicy::operator(),
    )
    .await
    .map_err(|e| match e {
        RegisterError::Invalid(e) => invalid(&e),
        RegisterError::Store(e) => e.into(),
    })?;
    state.cors.invalidate();
    let event = admin_event(
        &admin,
        &state,
        charter_core::audit::AuditKind::ClientCreated,
        &registered.record.client.id,
    );
    crate::audit::record(&state, &http, event).await;
    Ok(view(
        StatusCode::CREATED,
        &registered.record,
        registered.secret.as_deref(),
    ))
}

async fn find(state: &AppState, raw: &str) -> Result<ClientRecord, AdminError> {
    let id = parse_id(raw)?;
    state
        .store
        .find_client(&id)
        .await?
        .ok_or(AdminError::NotFound("client"))
}

/// Read a client.
#[utoipa::path(get, operation_id = "clients_show", path = "/admin/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "The client", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    _: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let record = find(&state, &path).await?;
    Ok(view(StatusCode::OK, &record, None))
}

async fn apply(
    http: &actix_web::HttpRequest,
    admin: &Admin,
    state: &AppState,
    id: &ClientId,
    req: ClientRequest,
) -> Result<HttpResponse, AdminError> {
    let result = update_client(
        state.store.as_ref(),
        &state.secret_hasher,
        state.rng.as_ref(),
        state.clock.as_ref(),
        id,
        req,
        &RegistrationPolicy::operator(),
    )
    .await;
    state.clients.invalidate(id);
    state.cors.invalidate();
    if result.is_ok() {
        let event = admin_event(
            admin,
            state,
            charter_core::audit::AuditKind::ClientUpdated,
            id,
        );
        crate::audit::record(state, http, event).await;
    }
    match result {
        Ok(updated) => Ok(view(
            StatusCode::OK,
            &updated.record,
            updated.secret.as_deref(),
        )),
        Err(UpdateError::NoSuchClient) => Err(AdminError::NotFound("client")),
        Err(UpdateError::Invalid(e)) => Err(invalid(&e)),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}

/// Replace a client's metadata and settings (fields left out take their defaults).
#[utoipa::path(put, operation_id = "clients_replace", path = "/admin/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    request_body(content = serde_json::Value, description = "Client metadata (RFC 7591 names)"),
    responses((status = 200, description = "The client", body = serde_json::Value),
        (status = 400, description = "invalid_redirect_uri or invalid_client_metadata", body = super::ErrorBody),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn replace(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let id = parse_id(&path)?;
    let req = request(json_object(&body)?)?;
    apply(&http, &admin, &state, &id, req).await
}

/// Change some fields of a client (`null` resets a field to its default).
#[utoipa::path(patch, operation_id = "clients_patch", path = "/admin/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    request_body(content = serde_json::Value, description = "The fields to change"),
    responses((status = 200, description = "The client", body = serde_json::Value),
        (status = 400, description = "invalid_redirect_uri or invalid_client_metadata", body = super::ErrorBody),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let changes = json_object(&body)?;
    let current = find(&state, &path).await?;
    let serde_json::Value::Object(mut merged) =
        serde_json::to_value(ClientView::new(&current.client, None))
            .map_err(|e| AdminError::Api(crate::error::ApiError::Internal(e.to_string())))?
    else {
        return Err(AdminError::Api(crate::error::ApiError::Internal(
            "a client view is not an object".to_owned(),
        )));
    };
    for (k, v) in changes {
        if v.is_null() {
            merged.remove(&k);
        } else {
            merged.insert(k, v);
        }
    }
    apply(&http, &admin, &state, &current.client.id, request(merged)?).await
}

/// Delete a client and everything issued to it.
#[utoipa::path(delete, operation_id = "clients_remove", path = "/admin/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "not_found", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let id = parse_id(&path)?;
    if delete_client(state.clients.as_ref(), &id).await? {
        let event = admin_event(
            &admin,
            &state,
            charter_core::audit::AuditKind::ClientDeleted,
            &id,
        );
        crate::audit::record(&state, &http, event).await;
        state.cors.invalidate();
        Ok(super::no_content())
    } else {
        Err(AdminError::NotFound("client"))
    }
}

/// The body of a secret rotation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RotateRequest {
    /// Seconds the old secret keeps working (for rolling deployments); 0 or absent: it stops at once.
    pub keep_old_for_secs: u64,
}

/// Issue a new client secret (shown once).
#[utoipa::path(post, operation_id = "clients_rotate", path = "/admin/v1/clients/{client_id}/secret", tag = "clients",
    params(("client_id" = String, Path)),
    request_body(content = RotateRequest, description = "Optional"),
    responses((status = 200, description = "The client, with its new secret", body = serde_json::Value),
        (status = 404, description = "not_found", body = super::ErrorBody),
        (status = 409, description = "no_secret: the client does not authenticate with a secret", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate(
    http: actix_web::HttpRequest,
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let id = parse_id(&path)?;
    let req: RotateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotateRequest::default()
    } else {
        json_request(&body)?
    };
    let keep = Some(Duration::from_secs(req.keep_old_for_secs)).filter(|d| !d.is_zero());
    let secret = rotate_secret(
        state.clients.as_ref(),
        &state.secret_hasher,
        state.rng.as_ref(),
        state.clock.as_ref(),
        &id,
        keep,
    )
    .await
    .map_err(|e| match e {
        RotateError::NoSuchClient => AdminError::NotFound("client"),
        RotateError::NoSecret => AdminError::Refused(
            "no_secret",
            "the client does not authenticate with a secret".to_owned(),
        ),
        RotateError::Store(e) => e.into(),
    })?;
    let event = admin_event(
        &admin,
        &state,
        charter_core::audit::AuditKind::ClientSecretRotated,
        &id,
    )
    .detail("keep_old_for_secs", req.keep_old_for_secs);
    crate::audit::record(&state, &http, event).await;
    let record = find(&state, id.as_str()).await?;
    Ok(view(StatusCode::OK, &record, Some(&secret)))
}
