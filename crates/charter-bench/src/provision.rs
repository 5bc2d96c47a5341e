//! Setting Charter up for a run: secrets, users and clients through the `charter` CLI, the 100,000 clients of
//! the many-clients scenario through the registry service, and the Argon2 cost the sign-in target is judged by.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use charter_core::SystemClock;
use charter_core::random::SystemTokenGenerator;
use charter_core::secret::{Pepper, SecretHasher};
use charter_registry::metadata::{ClientRequest, RegistrationPolicy};
use charter_registry::service::register_client;
use charter_storage::{ConnectOptions, SeaStore};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::SecretString;

use crate::process::Charter;
use crate::scenarios::{ClientCreds, PASSWORD};

pub fn random_key() -> anyhow::Result<String> {
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| anyhow!("no randomness"))?;
    Ok(STANDARD.encode(key))
}

pub fn creds(v: &serde_json::Value) -> anyhow::Result<ClientCreds> {
    Ok(ClientCreds {
        id: v["client_id"]
            .as_str()
            .context("client_id in the CLI output")?
            .to_owned(),
        secret: v["client_secret"]
            .as_str()
            .context("client_secret in the CLI output")?
            .to_owned(),
    })
}

pub fn api_client(charter: &Charter, name: &str) -> anyhow::Result<ClientCreds> {
    creds(&charter.cli(
        &[
            "clients",
            "create",
            "--name",
            name,
            "--grant-type",
            "client_credentials",
            "--scope",
            "read write",
        ],
        None,
    )?)
}

/// Mean time of one Argon2id hash at Charter's parameters, on this machine, in seconds.
pub fn argon2_seconds() -> anyhow::Result<f64> {
    let rng = SystemTokenGenerator::new();
    let password = SecretString::from(PASSWORD.to_owned());
    let n = 10;
    let start = Instant::now();
    for _ in 0..n {
        charter_core::password::hash_password(&password, &rng).map_err(|e| anyhow!("{e}"))?;
    }
    Ok(start.elapsed().as_secs_f64() / f64::from(n))
}

/// Registers `n` confidential client_credentials clients straight through the registry service (the layer the
/// CLI uses): 100,000 CLI processes would take longer than the benchmark itself.
pub async fn bulk_clients(url: &str, pepper: &str, n: usize) -> anyhow::Result<Vec<ClientCreds>> {
    let store = Arc::new(SeaStore::connect(&ConnectOptions::new(url)).await?);
    let hasher = Arc::new(SecretHasher::new(
        Pepper::from_base64(pepper).map_err(|e| anyhow!("pepper: {e}"))?,
    ));
    let tasks = 8;
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let (store, hasher) = (store.clone(), hasher.clone());
        let count = n / tasks + usize::from(t < n % tasks);
        set.spawn(async move {
            let rng = SystemTokenGenerator::new();
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let req = ClientRequest {
                    client_name: Some(format!("bulk-{t}-{i}")),
                    grant_types: Some(vec!["client_credentials".to_owned()]),
                    scope: Some("read".to_owned()),
                    ..ClientRequest::default()
                };
                let c = register_client(
                    store.as_ref(),
                    &hasher,
                    &rng,
                    &SystemClock,
                    req,
                    &RegistrationPolicy::operator(),
                )
                .await
                .map_err(|e| anyhow!("register a client: {e}"))?;
                out.push(ClientCreds {
                    id: c.record.client.id.as_str().to_owned(),
                    secret: c.secret.context("a secret")?,
                });
            }
            anyhow::Ok(out)
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(done) = set.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}
