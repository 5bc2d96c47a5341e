//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4).
//!
//! - [`track`] (middleware) counts every request and its latency by route pattern (`/register/{client_id}`,
//!   never the raw path, so a scanner cannot blow up the series), method and status code.
//! - Handlers count what they decide ([`Metrics::login`], [`Metrics::token_issued`], ...): events too frequent
//!   for the audit trail, and the security events an operator alerts on.
//! - Gauges are read at scrape time: the database answering, its connection pool (open, idle, maximum:
//!   [`charter_core::store::PoolStats`]), the back-channel logout outbox (its `failed` count is the messages
//!   given up on), the signing keys by state and the age of each algorithm's active key, the revocation view.
//! - Key rotations: the key task counts the scheduled ones it made ([`Metrics::key_rotations`]). A rotation
//!   by `charter keys rotate` runs in another process and cannot move this counter; it shows as a `key_rotated`
//!   audit event and as `charter_signing_key_active_age_seconds` starting again from 0 — the gauge an alert on
//!   a missed rotation watches, whoever rotates.
//!
//! The registry is per application ([`registry::Registry`]), not process-global, so several applications in
//! one process (the test suite) each count their own.

pub mod registry;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::state::AppState;
use registry::{Registry, header as family, sample};

pub const REQUESTS: &str = "charter_http_requests_total";
pub const LATENCY: &str = "charter_http_request_duration_seconds";
pub const TOKENS_ISSUED: &str = "charter_tokens_issued_total";
pub const LOGINS: &str = "charter_logins_total";
pub const REFRESH_REUSE: &str = "charter_refresh_token_reuse_detected_total";
pub const CODE_REPLAY: &str = "charter_authorization_code_replay_detected_total";
pub const SWEPT: &str = "charter_sweeper_deleted_rows_total";
pub const AUDIT_WRITE_FAILURES: &str = "charter_audit_write_failures_total";
pub const KEY_ROTATIONS: &str = "charter_key_rotations_total";

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Succeeded,
    Failed,
    Throttled,
}

impl LoginOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Throttled => "throttled",
        }
    }
}

/// This application's metrics, and whether `/metrics` serves them.
#[derive(Debug)]
pub struct Metrics {
    enabled: bool,
    registry: Registry,
}

impl Metrics {
    pub fn new(enabled: bool) -> Self {
        let registry = Registry::default();
        for (name, help) in [
            (
                REQUESTS,
                "HTTP requests by route pattern, method and status code.",
            ),
            (
                LATENCY,
                "HTTP request latency by route pattern and method, in seconds.",
            ),
            (TOKENS_ISSUED, "Access tokens issued, by grant type."),
            (
                LOGINS,
                "Sign-in attempts by outcome (succeeded, failed, throttled).",
            ),
            (
                REFRESH_REUSE,
                "Rotated refresh tokens presented again (their family was revoked).",
            ),
            (
                CODE_REPLAY,
                "Authorization codes redeemed twice (their grant was revoked).",
            ),
            (
                SWEPT,
                "Expired rows deleted by the sweeper (including audit events past retention).",
            ),
            (
                AUDIT_WRITE_FAILURES,
                "Audit events that could not be written.",
            ),
            (
                KEY_ROTATIONS,
                "Signing keys that changed hands on this node, one per algorithm, by trigger (scheduled).",
            ),
        ] {
            registry.describe(name, help);
        }
        // Series an operator alerts on exist from the start, at 0.
        for outcome in [
            LoginOutcome::Succeeded,
            LoginOutcome::Failed,
            LoginOutcome::Throttled,
        ] {
            registry.add(LOGINS, vec![("outcome", outcome.as_str().into())], 0);
        }
        for name in [REFRESH_REUSE, CODE_REPLAY, AUDIT_WRITE_FAILURES, SWEPT] {
            registry.add(name, Vec::new(), 0);
        }
        registry.add(KEY_ROTATIONS, vec![("trigger", "scheduled".into())], 0);
        Self { enabled, registry }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The registry, for counters without a helper here and for tests.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn login(&self, outcome: LoginOutcome) {
        self.registry
            .add(LOGINS, vec![("outcome", outcome.as_str().into())], 1);
    }

    /// One access token issued under `grant_type` (a token request's `grant_type`).
    pub fn token_issued(&self, grant_type: &str) {
        self.registry
            .add(TOKENS_ISSUED, vec![("grant_type", grant_type.into())], 1);
    }

    pub fn refresh_reuse(&self) {
        self.registry.add(REFRESH_REUSE, Vec::new(), 1);
    }

    pub fn code_replay(&self) {
        self.registry.add(CODE_REPLAY, Vec::new(), 1);
    }

    pub fn audit_write_failed(&self) {
        self.registry.add(AUDIT_WRITE_FAILURES, Vec::new(), 1);
    }

    /// `n` signing keys changed hands (one per algorithm), caused by `trigger` (`scheduled`).
    pub fn key_rotations(&self, trigger: &str, n: u64) {
        if n > 0 {
            self.registry
                .add(KEY_ROTATIONS, vec![("trigger", trigger.into())], n);
        }
    }

    fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.registry.add(
            REQUESTS,
            vec![
                ("route", route.into()),
                ("method", method.into()),
                ("status", status.to_string()),
            ],
            1,
        );
        self.registry.observe(
            LATENCY,
            vec![("route", route.into()), ("method", method.into())],
            seconds,
        );
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(true)
    }
}

/// Middleware (for `actix_web::middleware::from_fn`): counts the request and its latency. A request that
/// matched no route is counted under `route="unmatched"`.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.request(
            &route,
            &method,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// `GET /metrics`: 404 when metrics are disabled.
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    if !state.metrics.enabled() {
        return HttpResponse::NotFound().finish();
    }
    let mut out = String::new();
    state.metrics.registry.render(&mut out);
    gauges(&state, &mut out).await;
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out)
}

/// Values read now: the database and its pool, the outbox backlog, the keys, the revocation view.
async fn gauges(state: &AppState, out: &mut String) {
    let gauge = |out: &mut String, name: &str, help: &str, value: String| {
        family(out, name, Some(help), "gauge");
        sample(out, name, &Vec::new(), None, &value);
    };
    // Read before the ping below takes a connection, and without waiting for one: a saturated pool is what
    // these gauges must be able to show.
    if let Some(pool) = state.store.pool_usage() {
        gauge(
            out,
            "charter_db_pool_connections",
            "Database connections open (in use or idle).",
            pool.open.to_string(),
        );
        gauge(
            out,
            "charter_db_pool_idle",
            "Open database connections not in use.",
            pool.idle.to_string(),
        );
        gauge(
            out,
            "charter_db_pool_max",
            "The most database connections the pool opens (database.max_connections).",
            pool.max.to_string(),
        );
    }
    let up = state.store.ping().await.is_ok();
    gauge(
        out,
        "charter_database_up",
        "1 when the database answered this scrape.",
        u8::from(up).to_string(),
    );
    if up {
        let now = state.clock.now();
        match state.store.outbox_summary(now).await {
            Ok(s) => {
                gauge(
                    out,
                    "charter_backchannel_outbox_pending",
                    "Back-channel logout messages waiting for delivery.",
                    s.pending.to_string(),
                );
                gauge(
                    out,
                    "charter_backchannel_outbox_due",
                    "Pending back-channel logout messages due now.",
                    s.due.to_string(),
                );
                gauge(
                    out,
                    "charter_backchannel_outbox_failed",
                    "Back-channel logout messages given up on (kept for audit).",
                    s.failed.to_string(),
                );
                let age = s
                    .oldest_pending
                    .map_or(0, |t| now.unix().saturating_sub(t.unix()).max(0));
                gauge(
                    out,
                    "charter_backchannel_outbox_oldest_pending_seconds",
                    "Age of the oldest pending back-channel logout message (0 when none).",
                    age.to_string(),
                );
            }
            Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox summary"),
        }
        active_key_ages(state, now, out).await;
    }
    let mut by_state = std::collections::BTreeMap::new();
    for (_, key_state) in state.keys.current().fingerprint() {
        *by_state.entry(key_state.as_str()).or_insert(0u64) += 1;
    }
    family(
        out,
        "charter_signing_keys",
        Some("Signing keys this node serves from, by state."),
        "gauge",
    );
    for key_state in ["next", "active", "retired"] {
        let n = by_state.get(key_state).copied().unwrap_or(0);
        sample(
            out,
            "charter_signing_keys",
            &vec![("state", key_state.to_owned())],
            None,
            &n.to_string(),
        );
    }
    gauge(
        out,
        "charter_revocation_view_entries",
        "Entries in this node's in-memory revocation view.",
        state.revocations.len().to_string(),
    );
}

/// How long each algorithm's signing key has been signing, from the database (so a rotation made by
/// `charter keys rotate` in another process shows at once). An alert on this gauge catches a missed rotation
/// whoever was meant to make it.
async fn active_key_ages(state: &AppState, now: charter_core::Timestamp, out: &mut String) {
    let keys = match state.store.list_keys().await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: could not read the signing keys");
            return;
        }
    };
    // The newest active key of an algorithm is the one that signs.
    let mut since = std::collections::BTreeMap::new();
    for k in keys
        .iter()
        .filter(|k| k.state == charter_core::keys::KeyState::Active)
    {
        let at = k.activated_at.unwrap_or(k.created_at);
        let entry = since.entry(k.alg.as_str()).or_insert(at);
        *entry = (*entry).max(at);
    }
    let name = "charter_signing_key_active_age_seconds";
    family(
        out,
        name,
        Some("Seconds since each algorithm's signing key became active."),
        "gauge",
    );
    for (alg, at) in since {
        let age = now.unix().saturating_sub(at.unix()).max(0);
        sample(
            out,
            name,
            &vec![("alg", alg.to_owned())],
            None,
            &age.to_string(),
        );
    }
}
