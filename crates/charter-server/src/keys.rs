//! Keeping each node's keyring current: scheduled key maintenance (on the node holding the `keys` lease) and a
//! reload whenever the stored key set changed, every `keys.refresh_interval`. That interval is the bound on how
//! long a rotation or revocation — including one made by `charter keys` from another process — takes to reach
//! every node.
//!
//! What maintenance did is recorded here, by the node that did it: a `key_rotated` audit event per algorithm
//! whose signing key changed hands (actor `system`) and `charter_key_rotations_total{trigger="scheduled"}`.
//! The changes are applied once across nodes (lease plus conditional updates), so the event is written once.
//! `charter keys rotate` builds its events with the same [`rotation_event`].

use std::sync::Arc;

use charter_core::Timestamp;
use charter_core::audit::{AuditEvent, AuditKind, actor};
use charter_endpoints::metrics::Metrics;
use charter_keys::SharedKeyring;
use charter_keys::keyring::{Keyring, fingerprint};
use charter_keys::manager::{KeyError, KeyManager};
use charter_keys::report::{KeyReport, Rotation, Withdrawal};
use tokio::task::JoinHandle;

/// What caused a rotation (the `trigger` of the audit event and of the rotation counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The key task: the rotation interval elapsed (or an algorithm was dropped from the configuration).
    Scheduled,
    /// An operator (`charter keys rotate`).
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
        }
    }
}

/// The `key_rotated` event of one rotation, without an actor (the caller knows who it is).
pub fn rotation_event(rotation: &Rotation, trigger: Trigger, at: Timestamp) -> AuditEvent {
    let mut event = AuditEvent::new(AuditKind::KeyRotated, at)
        .detail("alg", rotation.alg.as_str())
        .detail("kid", rotation.activated.clone())
        .detail("retired", rotation.retired.clone())
        .detail("trigger", trigger.as_str());
    if let Some(t) = rotation.remove_after {
        event = event.detail("remove_after", t.unix());
    }
    event
}

/// The `key_revoked` event of a key maintenance withdrew (a `next` key of an algorithm no longer configured).
pub fn withdrawal_event(w: &Withdrawal, at: Timestamp) -> AuditEvent {
    AuditEvent::new(AuditKind::KeyRevoked, at)
        .detail("kid", w.kid.as_str())
        .detail("alg", w.alg.as_str())
        .detail("was", w.was.to_string())
        .detail("reason", "algorithm_not_configured")
}

/// One node's key task: the manager, the keyring it serves from, and the metrics it counts rotations in.
#[derive(Debug, Clone)]
pub struct KeyTask {
    pub manager: KeyManager,
    pub keyring: Arc<SharedKeyring>,
    pub metrics: Arc<Metrics>,
}

impl KeyTask {
    /// One round: maintenance if this node holds the lease (recording what it did), then a reload if
    /// anything changed.
    pub async fn tick(&self) {
        match self.manager.maintain().await {
            Ok(report) => self.record(&report).await,
            Err(e) => tracing::warn!(error = %e, "key maintenance failed; retrying next round"),
        }
        if let Err(e) = refresh(&self.manager, &self.keyring).await {
            tracing::error!(error = %e, "cannot reload the signing keys; still serving the previous set");
        }
    }

    /// The audit events and counter of a maintenance round. A failed audit write does not undo the
    /// rotation: it is logged with the event and counted, like any other.
    async fn record(&self, report: &KeyReport) {
        let at = self.manager.clock.now();
        let events = report
            .rotations
            .iter()
            .map(|r| rotation_event(r, Trigger::Scheduled, at))
            .chain(report.withdrawn.iter().map(|w| withdrawal_event(w, at)));
        for event in events {
            let event = event.actor(actor::SYSTEM);
            if let Err(e) = self.manager.store.record_audit(&event).await {
                self.metrics.audit_write_failed();
                tracing::error!(error = %e, kind = %event.kind, detail = %event.detail, "could not write an audit event");
            }
        }
        self.metrics
            .key_rotations(Trigger::Scheduled.as_str(), report.rotations.len() as u64);
    }
}

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

pub fn spawn(
    manager: KeyManager,
    shared: Arc<SharedKeyring>,
    metrics: Arc<Metrics>,
    interval: std::time::Duration,
) -> JoinHandle<()> {
    let task = KeyTask {
        manager,
        keyring: shared,
        metrics,
    };
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            task.tick().await;
        }
    })
}
