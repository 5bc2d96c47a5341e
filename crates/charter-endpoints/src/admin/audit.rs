//! `GET /admin/v1/audit`: the audit trail ([`charter_core::audit`]), newest first, filtered and paged.
//!
//! The filters are those of `charter audit list`, parsed by the same [`AuditFilter`]: `since` and `until` as
//! RFC 3339 or a duration ago (`24h`, `7d`), `user` (a `sub`), `client` (a `client_id`), `kind` (an event
//! kind's name). Paging follows the other lists, by event id: `next_after` is the id of a full page's last
//! (oldest) event, and `after` lists the events older than it. A malformed filter is 400 `invalid_request`.
//! Items have the shape of the CLI's `--json` output ([`charter_core::audit::AuditRecord::to_json`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::audit::AuditFilter;
use charter_core::store::Page;
use serde::Deserialize;

use super::{Admin, AdminError, Paged, json};
use crate::state::AppState;

/// The query parameters of `GET /admin/v1/audit`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Events at or after: RFC 3339 (`2026-11-27T08:00:00Z`) or a duration ago (`24h`, `7d`).
    pub since: Option<String>,
    /// Events before (same forms as `since`).
    pub until: Option<String>,
    /// Only events about this user (their `sub`).
    pub user: Option<String>,
    /// Only events naming this client.
    pub client: Option<String>,
    /// Only events of this kind (`sign_in_failed`, `admin_action`, ...).
    pub kind: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// The `next_after` of the previous page (an event id).
    pub after: Option<String>,
}

fn invalid(message: String) -> AdminError {
    AdminError::Invalid("invalid_request", message)
}

/// List audit events, newest first.
#[utoipa::path(get, operation_id = "audit_list", path = "/admin/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, description = "A page of events: {items: [{id, time, kind, actor, user, client_id, ip, request_id, detail}], next_after}", body = serde_json::Value),
        (status = 400, description = "invalid_request: a malformed since, until, kind, limit or after", body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    http: HttpRequest,
    _: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let params = web::Query::<AuditParams>::from_query(http.query_string())
        .map_err(|e| invalid(e.to_string()))?
        .into_inner();
    let before = params
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| invalid(format!("after {a:?} is not an event id")))
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(100).clamp(1, Page::MAX_LIMIT);
    let query = AuditFilter {
        since: params.since.as_deref(),
        until: params.until.as_deref(),
        user: params.user.as_deref(),
        client_id: params.client.as_deref(),
        kind: params.kind.as_deref(),
        before,
        limit,
    }
    .query(state.clock.now())
    .map_err(|e| invalid(e.to_string()))?;
    let records = state.store.list_audit(&query).await?;
    let items: Vec<serde_json::Value> = records.iter().map(|r| r.to_json()).collect();
    let body = Paged::new(items, &Page::first(limit), |item| item["id"].to_string());
    Ok(json(StatusCode::OK, &body))
}
