//! Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0 §2.5–§2.8): the task that empties the
//! logout outbox.
//!
//! Every node runs it. Each round claims due messages with a per-row lease (`OutboxStore::
//! claim_logout_messages`), so exactly one node attempts a message at a time, and a node that dies mid-round
//! loses its claims when they run out. Each attempt signs a fresh logout token — `typ: logout+jwt`, `iat` now,
//! `exp` two minutes later, the message's fixed `jti` — with the client's ID-token algorithm, and POSTs it
//! form-encoded through the outbound client (its address policy and time limit apply). 200 or 204: delivered
//! and deleted; 400: refused for good (logged, kept as `failed`); anything else, or no answer: tried again
//! 10 s, 20 s, 40 s ... up to an hour later, and given up after 24 hours.
//!
//! Rounds run every `logout.delivery_interval` and whenever ending a session wakes the task; sessions end
//! without waiting for any of this.

use std::sync::Arc;

use charter_core::Clock;
use charter_core::issuer::Issuer;
use charter_core::logout::delivery::{
    Answer, LOGOUT_TOKEN_TYP, LogoutMessage, LogoutTokenClaims, next_attempt,
};
use charter_core::logout::outbox::AttemptResult;
use charter_core::store::Store;
use charter_keys::{SharedKeyring, SigningAlg};
use charter_outbound::Outbound;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::settings::LogoutSettings;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub claimed: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Everything delivery needs. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    pub store: Arc<dyn Store>,
    pub keys: Arc<SharedKeyring>,
    pub issuer: Issuer,
    pub clock: Arc<dyn Clock>,
    pub outbound: Outbound,
    /// The ID-token algorithm of clients that did not register one.
    pub default_alg: SigningAlg,
    pub node_id: String,
    pub settings: LogoutSettings,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("node_id", &self.node_id)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Claims the messages due now and attempts each once.
    pub async fn round(&self) -> Result<RoundReport, charter_core::StoreError> {
        let now = self.clock.now();
        let messages = self
            .store
            .claim_logout_messages(
                &self.node_id,
                now,
                self.settings.delivery_lease,
                self.settings.delivery_batch,
            )
            .await?;
        let mut report = RoundReport {
            claimed: messages.len(),
            ..RoundReport::default()
        };
        for message in messages {
            let result = self.attempt(&message).await;
            match &result {
                AttemptResult::Delivered => report.delivered += 1,
                AttemptResult::Retry { .. } => report.retrying += 1,
                AttemptResult::Failed { .. } => report.failed += 1,
            }
            let finished = self
                .store
                .finish_logout_attempt(&message.id, &self.node_id, &result, self.clock.now())
                .await?;
            if !finished {
                tracing::warn!(
                    client_id = %message.client_id,
                    "back-channel logout: the claim ran out before the attempt finished"
                );
            } else if let AttemptResult::Failed { error } = &result {
                let event = charter_core::audit::AuditEvent::new(
                    charter_core::audit::AuditKind::BackchannelDeliveryFailed,
                    self.clock.now(),
                )
                .actor(charter_core::audit::actor::SYSTEM)
                .user(message.sub.as_str())
                .client(message.client_id.as_str())
                .detail("sid", message.sid.as_str())
                .detail("attempts", message.attempts + 1)
                .detail("error", error.as_str());
                if let Err(e) = self.store.record_audit(&event).await {
                    tracing::error!(error = %e, detail = %event.detail, "could not write an audit event");
                }
            }
        }
        Ok(report)
    }

    /// One attempt: sign, POST, judge the answer.
    async fn attempt(&self, message: &LogoutMessage) -> AttemptResult {
        let client_id = &message.client_id;
        let client = match self.store.find_client(client_id).await {
            Ok(Some(record)) => record.client,
            Ok(None) => return self.failed(message, "the client no longer exists".into()),
            Err(e) => return self.retry(message, format!("cannot read the client: {e}")),
        };
        let Some(uri) = client.metadata.backchannel_logout_uri.clone() else {
            return self.failed(message, "the client has no backchannel_logout_uri".into());
        };
        let keyring = self.keys.current();
        let alg = client
            .metadata
            .id_token_signed_response_alg
            .as_deref()
            .and_then(|a| a.parse::<SigningAlg>().ok())
            .filter(|a| keyring.signer(*a).is_some())
            .unwrap_or(self.default_alg);
        let Some(signer) = keyring.signer(alg) else {
            return self.retry(message, format!("no active {} signing key", alg.as_str()));
        };
        let claims = LogoutTokenClaims::new(self.issuer.as_str(), message, self.clock.now());
        let token = match signer.sign_jwt(LOGOUT_TOKEN_TYP, &claims) {
            Ok(t) => t,
            Err(e) => return self.retry(message, format!("cannot sign the logout token: {e}")),
        };
        match self
            .outbound
            .post_form(&uri, &[("logout_token", token.as_str())])
            .await
        {
            Ok(answer) => match Answer::of_status(answer.status) {
                Answer::Delivered => {
                    tracing::info!(%client_id, attempts = message.attempts + 1, "back-channel logout delivered");
                    AttemptResult::Delivered
                }
                Answer::Refused => self.failed(message, "the relying party answered 400".into()),
                Answer::TryAgain => self.retry(
                    message,
                    format!("the relying party answered {}", answer.status),
                ),
            },
            Err(e) if e.is_retryable() => self.retry(message, e.to_string()),
            Err(e) => self.failed(message, e.to_string()),
        }
    }

    fn retry(&self, message: &LogoutMessage, error: String) -> AttemptResult {
        let attempts = message.attempts.saturating_add(1);
        match next_attempt(attempts, message.created_at, self.clock.now()) {
            Some(next_attempt_at) => {
                tracing::info!(
                    client_id = %message.client_id,
                    attempts,
                    retry_at = next_attempt_at.unix(),
                    %error,
                    "back-channel logout not delivered; will retry"
                );
                AttemptResult::Retry {
                    next_attempt_at,
                    error,
                }
            }
            None => self.failed(
                message,
                format!("given up after {attempts} attempts: {error}"),
            ),
        }
    }

    fn failed(&self, message: &LogoutMessage, error: String) -> AttemptResult {
        tracing::warn!(
            client_id = %message.client_id,
            attempts = message.attempts + 1,
            %error,
            "back-channel logout failed for good"
        );
        AttemptResult::Failed { error }
    }
}

/// Starts the delivery loop: a round every `delivery_interval`, and one as soon as `wake` is notified. A round
/// that claimed a full batch is followed at once by another.
pub fn spawn(delivery: Delivery, wake: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(delivery.settings.delivery_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = wake.notified() => {}
            }
            loop {
                match delivery.round().await {
                    Ok(r) if r.claimed as u64 >= delivery.settings.delivery_batch => {
                        tokio::task::yield_now().await;
                    }
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "back-channel logout round failed; retrying next round");
                        break;
                    }
                }
            }
        }
    })
}
