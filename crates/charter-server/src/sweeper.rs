//! Housekeeping: deletes expired codes, sessions, tokens and pending requests in small batches, on one node at
//! a time (a database lease, renewed each round, so a second node takes over if the first one dies).

use std::sync::Arc;
use std::time::Duration;

use charter_core::Clock;
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
    let lease_ttl = settings.interval * 3;
    if !store
        .try_acquire_lease(LEASE, node_id, clock.now(), lease_ttl)
        .await?
    {
        return Ok(None);
    }
    let mut total = 0;
    for _ in 0..MAX_BATCHES_PER_ROUND {
        let report = store
            .sweep_expired(clock.now(), settings.batch_size)
            .await?;
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

/// Starts the background loop.
pub fn spawn(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: SweeperSettings,
    node_id: String,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(settings.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep_once(store.as_ref(), clock.as_ref(), &settings, &node_id).await {
                Ok(Some(0)) => tracing::trace!("sweep: nothing expired"),
                Ok(Some(n)) => tracing::info!(deleted = n, "sweep: deleted expired rows"),
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
