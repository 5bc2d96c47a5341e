//! `charter audit list`: the audit trail, newest first, filtered by time, user, client and kind.

use charter_core::audit::{
    AuditEvent, AuditFilter, AuditFilterError, AuditKind, AuditRecord, rfc3339,
};
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
            // The admin API's `GET /admin/v1/audit` parses its parameters with the same `AuditFilter`.
            let query = AuditFilter {
                since: since.as_deref(),
                until: until.as_deref(),
                user: user.as_deref(),
                client_id: client.as_deref(),
                kind: kind.as_deref(),
                before: None,
                limit,
            }
            .query(ctx.now())
            .map_err(|e| Failure::config(flag_error(&e)))?;
            let records = ctx
                .store
                .list_audit(&query)
                .await
                .map_err(Failure::runtime)?;
            let json: Vec<serde_json::Value> = records.iter().map(AuditRecord::to_json).collect();
            output::print(ctx.json, &json, |_| human(&records))
        }
    }
}

/// A filter error in the flags' words (`--since ...`).
fn flag_error(e: &AuditFilterError) -> String {
    match e {
        AuditFilterError::Time { which, value } => format!(
            "--{which} {value:?} is neither a time like 2026-11-27T08:00:00Z nor a duration like 24h"
        ),
        AuditFilterError::Kind(k) => {
            let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("--kind {k:?} is not one of: {}", known.join(", "))
        }
        AuditFilterError::Limit => "--limit must be between 1 and 1000".to_owned(),
    }
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
