//! Housekeeping: deletes expired codes, sessions, tokens and pending requests in small batches, on one node at
//! a time (a database lease, renewed each round, so a second node takes over if the first one dies).
//!
//! Expired browser sessions are ended first, through `OutboxStore::end_sessions`, like a logout: the clients
//! that received ID tokens in them get back-channel logout messages and their session-bound grants are
//! revoked. Every step of a round uses the same `now`, so the plain expiry sweep after it finds no session
//! that was not ended this way.
//!
//! Audit events older than `[audit] retention` are deleted by [`sweep_audit`] in the same round, under the same
//! lease.

use std::sync::Arc;
use std::time::Duration;

use charter_core::Clock;
use charter_core::logout::outbox::EndSessions;
use charter_core::random::{SystemTokenGenerator, TokenGenerator};
use charter_core::store::Store;
use tokio::task::JoinHandle;

use crate::settings::SweeperSettings;

/// The lease that elects the sweeping node.
pub const LEASE: &str = "sweeper";

/// At most this many batches per round, so one round cannot run forever behind a flood of expiries.
const MAX_BATCHES_PER_ROUND: usize = 100;

/// Runs one round if this node holds (or gets) the lease. Returns the rows deleted, or None when another node
/// holds the lease.
pub async fn sweep_once(
    store: &dyn Store,
    clock: &dyn Clock,
    settings: &SweeperSettings,
    node_id: &str,
) -> Result<Option<u64>, charter_core::StoreError> {
    sweep_once_with(
        store,
        clock,
        &SystemTokenGenerator::new(),
        settings,
        node_id,
    )
    .await
}

/// [`sweep_once`], drawing outbox ids from `ids`.
pub async fn sweep_once_with(
    store: &dyn Store,
    clock: &dyn Clock,
    ids: &dyn TokenGenerator,
    settings: &SweeperSettings,
    node_id: &str,
) -> Result<Option<u64>, charter_core::StoreError> {
    let lease_ttl = settings.interval * 3;
    let now = clock.now();
    if !store
        .try_acquire_lease(LEASE, node_id, now, lease_ttl)
        .await?
    {
        return Ok(None);
    }
    let mut total = 0;
    for _ in 0..MAX_BATCHES_PER_ROUND {
        let batch = EndSessions::Expired {
            batch: settings.batch_size,
        };
        let ended = store.end_sessions(batch, now, ids).await?;
        total += ended.sessions;
        if ended.messages > 0 {
            tracing::info!(
                sessions = ended.sessions,
                messages = ended.messages,
                "sweep: expired sessions ended with back-channel logout"
            );
        }
        if ended.sessions < settings.batch_size {
            break;
        }
        tokio::task::yield_now().await;
    }
    for _ in 0..MAX_BATCHES_PER_ROUND {
        let report = store.sweep_expired(now, settings.batch_size).await?;
        total += report.total();
        // Keep going only while some table still had a full batch to delete.
        if !report
            .deleted
            .iter()
            .any(|(_, n)| *n >= settings.batch_size)
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(Some(total))
}

/// Deletes audit events recorded before `now - retention`, in batches of `batch`; returns how many.
pub async fn sweep_audit(
    store: &dyn Store,
    now: charter_core::Timestamp,
    retention: Duration,
    batch: u64,
) -> Result<u64, charter_core::StoreError> {
    let cutoff = now.minus(retention);
    let mut total = 0;
    for _ in 0..MAX_BATCHES_PER_ROUND {
        let n = store.delete_audit_before(cutoff, batch).await?;
        total += n;
        if n < batch {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// What the background loop needs besides the store, clock and ids.
#[derive(Debug, Clone)]
pub struct Sweeping {
    pub settings: SweeperSettings,
    pub node_id: String,
    /// How long audit events are kept.
    pub audit_retention: Duration,
    /// Counts the rows deleted (`charter_sweeper_deleted_rows_total`).
    pub metrics: Arc<charter_endpoints::metrics::Metrics>,
}

/// Starts the background loop.
pub fn spawn(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn TokenGenerator>,
    sweeping: Sweeping,
) -> JoinHandle<()> {
    let Sweeping {
        settings,
        node_id,
        audit_retention,
        metrics,
    } = sweeping;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(settings.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let round = sweep_once_with(
                store.as_ref(),
                clock.as_ref(),
                ids.as_ref(),
                &settings,
                &node_id,
            );
            let round = match round.await {
                Ok(Some(n)) => {
                    let old = sweep_audit(
                        store.as_ref(),
                        clock.now(),
                        audit_retention,
                        settings.batch_size,
                    )
                    .await;
                    old.map(|old| Some(n + old))
                }
                other => other,
            };
            match round {
                Ok(Some(0)) => tracing::trace!("sweep: nothing expired"),
                Ok(Some(n)) => {
                    metrics
                        .registry()
                        .add(charter_endpoints::metrics::SWEPT, Vec::new(), n);
                    tracing::info!(deleted = n, "sweep: deleted expired rows");
                }
                Ok(None) => tracing::trace!("sweep: another node holds the lease"),
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying next round"),
            }
        }
    })
}

/// Gives the lease up on shutdown so another node can take over at once.
pub async fn release(store: &dyn Store, node_id: &str) {
    let _ = tokio::time::timeout(Duration::from_secs(2), store.release_lease(LEASE, node_id)).await;
}
