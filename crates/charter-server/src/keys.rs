//! Keeping each node's keyring current: scheduled key maintenance (on the node holding the `keys` lease) and a
//! reload whenever the stored key set changed, every `keys.refresh_interval`. That interval is the bound on how
//! long a rotation or revocation — including one made by `charter keys` from another process — takes to reach
//! every node.

use std::sync::Arc;

use charter_keys::SharedKeyring;
use charter_keys::keyring::{Keyring, fingerprint};
use charter_keys::manager::{KeyError, KeyManager};
use tokio::task::JoinHandle;

/// Rebuilds the shared keyring if the stored key set differs from the one it was built from.
pub async fn refresh(manager: &KeyManager, shared: &SharedKeyring) -> Result<bool, KeyError> {
    let stored = manager.store.list_keys().await?;
    if fingerprint(&stored) == shared.current().fingerprint() {
        return Ok(false);
    }
    let keyring = Keyring::build(&stored, &manager.kek)?;
    shared.replace(keyring);
    tracing::info!("signing keys reloaded");
    Ok(true)
}

/// One round: maintenance if this node holds the lease, then a reload if anything changed.
pub async fn tick(manager: &KeyManager, shared: &SharedKeyring) {
    if let Err(e) = manager.maintain().await {
        tracing::warn!(error = %e, "key maintenance failed; retrying next round");
    }
    if let Err(e) = refresh(manager, shared).await {
        tracing::error!(error = %e, "cannot reload the signing keys; still serving the previous set");
    }
}

pub fn spawn(
    manager: KeyManager,
    shared: Arc<SharedKeyring>,
    interval: std::time::Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            tick(&manager, &shared).await;
        }
    })
}
