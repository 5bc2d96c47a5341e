//! `charter audit list`: the audit trail, newest first, filtered by time, user, client and kind.

use std::time::{Duration, UNIX_EPOCH};

use charter_core::Timestamp;
use charter_core::audit::{AuditEvent, AuditKind, AuditQuery, AuditRecord};
use charter_core::store::AuditStore;
use clap::Subcommand;

use super::Context;
use super::output::{self, Failure};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit events, newest first.
    List {
        /// Events at or after T: RFC 3339 (`2026-11-27T08:00:00Z`) or a duration ago (`24h`, `7d`).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// Events before T (same forms as --since).
        #[arg(long, value_name = "T")]
        until: Option<String>,
        /// Only events about this user (their `sub`).
        #[arg(long, value_name = "SUB")]
        user: Option<String>,
        /// Only events naming this client.
        #[arg(long, value_name = "CLIENT_ID")]
        client: Option<String>,
        /// Only events of this kind (e.g. sign_in_failed, refresh_reuse_detected).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// At most this many events (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}

pub(crate) async fn run(ctx: &Context, cmd: AuditCommand) -> Result<(), Failure> {
    match cmd {
        AuditCommand::List {
            since,
            until,
            user,
            client,
            kind,
            limit,
        } => {
            let now = ctx.now();
            let kind = kind
                .map(|k| {
                    AuditKind::parse(&k).ok_or_else(|| {
                        let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                        Failure::config(format!("--kind {k:?} is not one of: {}", known.join(", ")))
                    })
                })
                .transpose()?;
            if !(1..=1000).contains(&limit) {
                return Err(Failure::config("--limit must be between 1 and 1000"));
            }
            let query = AuditQuery {
                since: since.map(|t| parse_time("--since", &t, now)).transpose()?,
                until: until.map(|t| parse_time("--until", &t, now)).transpose()?,
                user,
                client_id: client,
                kind,
                before: None,
                limit,
            };
            let records = ctx
                .store
                .list_audit(&query)
                .await
                .map_err(Failure::runtime)?;
            let json: Vec<serde_json::Value> = records.iter().map(to_json).collect();
            output::print(ctx.json, &json, |_| human(&records))
        }
    }
}

/// RFC 3339, or a duration before `now`.
fn parse_time(flag: &str, value: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    if let Ok(t) = humantime::parse_rfc3339_weak(value) {
        let secs = t
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Failure::config(format!("{flag} {value:?} is before 1970")))?
            .as_secs();
        return Ok(Timestamp::from_unix(
            i64::try_from(secs).unwrap_or(i64::MAX),
        ));
    }
    humantime::parse_duration(value)
        .map(|ago: Duration| now.minus(ago))
        .map_err(|_| {
            Failure::config(format!(
                "{flag} {value:?} is neither a time like 2026-11-27T08:00:00Z nor a duration like 24h"
            ))
        })
}

fn rfc3339(t: Timestamp) -> String {
    let secs = u64::try_from(t.unix()).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

fn to_json(r: &AuditRecord) -> serde_json::Value {
    let e = &r.event;
    serde_json::json!({
        "id": r.id,
        "time": rfc3339(e.at),
        "kind": e.kind.as_str(),
        "actor": e.actor,
        "user": e.user,
        "client_id": e.client_id,
        "ip": e.ip,
        "request_id": e.request_id,
        "detail": e.detail,
    })
}

/// One line per event: time, kind, then the fields it has.
fn human(records: &[AuditRecord]) -> String {
    if records.is_empty() {
        return "no audit events".to_owned();
    }
    records
        .iter()
        .map(|r| {
            let e = &r.event;
            let mut line = format!("{}  {}", rfc3339(e.at), e.kind);
            for (name, value) in [
                ("actor", &e.actor),
                ("user", &e.user),
                ("client", &e.client_id),
                ("ip", &e.ip),
                ("request", &e.request_id),
            ] {
                if let Some(v) = value {
                    line.push_str(&format!("  {name}={v}"));
                }
            }
            if e.detail.as_object().is_some_and(|m| !m.is_empty()) {
                line.push_str(&format!("  {}", e.detail));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Records an event of a change the CLI made (actor `cli`). The change is done: a failed write is reported
/// on standard error and in the log, and the command still succeeds.
pub(crate) async fn record(ctx: &Context, event: AuditEvent) {
    let event = event.actor(charter_core::audit::actor::CLI);
    if let Err(e) = ctx.store.record_audit(&event).await {
        tracing::error!(error = %e, kind = %event.kind, detail = %event.detail, "could not write an audit event");
        eprintln!(
            "warning: could not write the audit event {}: {e}",
            event.kind
        );
    }
}

/// A new event of `kind` now.
pub(crate) fn event(ctx: &Context, kind: AuditKind) -> AuditEvent {
    AuditEvent::new(kind, ctx.now())
}
