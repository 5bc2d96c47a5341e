//! Liveness and readiness for orchestrators and load balancers.
//!
//! `/healthz` answers 200 while the process runs. `/readyz` answers 200 only when Charter can serve requests —
//! the database answers and a signing key exists for every configured algorithm — and 503 otherwise, so a load balancer takes the node out instead of sending it
//! traffic it would fail.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::RETRY_AFTER_SECS;
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.store.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed: database");
            false
        }
    };
    let keys = state.keys.current().can_sign(&state.signing_algs);
    let checks = json!({
        "database": if database { "ok" } else { "unreachable" },
        "keys": if keys { "ok" } else { "missing" },
    });
    if database && keys {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({ "status": "ready", "checks": checks }))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS))
            .json(json!({ "status": "unavailable", "checks": checks }))
    }
}
