//! Writing audit events ([`charter_core::audit`]) from handlers: the event gets the request's client address
//! (per the trusted-proxy setting, [`crate::origin`]) and request id ([`crate::request_id`]).
//!
//! Recording never fails the user's request: a failed write is logged at error (with the event, so the log
//! keeps what the table could not) and counted in `charter_audit_write_failures_total`.

use actix_web::{HttpMessage, HttpRequest};
use charter_core::audit::{AuditEvent, AuditKind};
use tracing_actix_web::RequestId;

use crate::origin::ClientOrigin;
use crate::state::AppState;

/// A new event of `kind` at the state's clock's now.
pub fn event(state: &AppState, kind: AuditKind) -> AuditEvent {
    AuditEvent::new(kind, state.clock.now())
}

/// Records `event` with `req`'s address and request id.
pub async fn record(state: &AppState, req: &HttpRequest, mut event: AuditEvent) {
    event.ip = Some(ClientOrigin::of(req).0.client_ip.to_string());
    event.request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    write(state, event).await;
}

/// Records `event` as it is (no request: background work).
pub async fn write(state: &AppState, event: AuditEvent) {
    if let Err(e) = state.store.record_audit(&event).await {
        state.metrics.audit_write_failed();
        tracing::error!(
            error = %e,
            kind = %event.kind,
            actor = event.actor.as_deref(),
            user = event.user.as_deref(),
            client_id = event.client_id.as_deref(),
            ip = event.ip.as_deref(),
            request_id = event.request_id.as_deref(),
            detail = %event.detail,
            "could not write an audit event"
        );
    }
}
