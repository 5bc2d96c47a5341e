//! Setting Charter up for a run: a fresh installation (data directory, secrets, database), users and clients
//! through the `charter` CLI, the 100,000 clients of the many-clients scenario through the registry service,
//! and the Argon2 cost the sign-in target is judged by.

use std::path::Path;
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
use charter_storage::testing::TestDatabase;
use charter_storage::{ConnectOptions, SeaStore};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::SecretString;

use crate::process::Charter;
use crate::scenarios::{ClientCreds, PASSWORD, REDIRECT_URI};

/// A fresh Charter installation: a new data directory, generated secrets and, with PostgreSQL, a new database
/// that is dropped with this value (stop the servers first).
#[derive(Debug)]
pub struct Installation {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub charter: Charter,
    pub db_url: String,
    pub pepper: String,
    _data: tempfile::TempDir,
    _pg: Option<TestDatabase>,
}

/// A new data directory and secrets, and a new database on the PostgreSQL server `postgres` (SQLite in the
/// data directory without it).
pub async fn install(
    bin: &Path,
    logs: &Path,
    postgres: Option<&str>,
) -> anyhow::Result<Installation> {
    let data = tempfile::tempdir()?;
    let pepper = random_key()?;
    let mut env = vec![
        (
            "CHARTER_DATA_DIR".to_owned(),
            data.path().display().to_string(),
        ),
        ("CHARTER_SECRET_PEPPER".to_owned(), pepper.clone()),
        ("CHARTER_KEY_ENCRYPTION_KEY".to_owned(), random_key()?),
        ("CHARTER_LOG_LEVEL".to_owned(), "warn".to_owned()),
        // The load comes from one address and a handful of clients: per-address and per-client rate limits
        // would measure the limiter, not Charter.
        (
            "CHARTER_LIMITS__PER_IP_PER_SECOND".to_owned(),
            "0".to_owned(),
        ),
        (
            "CHARTER_LIMITS__PER_CLIENT_PER_SECOND".to_owned(),
            "0".to_owned(),
        ),
    ];
    let pg = match postgres {
        Some(admin) => Some(TestDatabase::postgres_on(admin).await),
        None => None,
    };
    let db_url = match &pg {
        Some(db) => {
            env.push(("CHARTER_DATABASE_URL".to_owned(), db.url.clone()));
            db.url.clone()
        }
        None => format!("sqlite://{}/charter.db", data.path().display()),
    };
    Ok(Installation {
        backend: if pg.is_some() { "postgres" } else { "sqlite" },
        charter: Charter {
            bin: bin.to_owned(),
            env,
            log_dir: logs.to_owned(),
        },
        db_url,
        pepper,
        _data: data,
        _pg: pg,
    })
}

/// The name of the `i`th provisioned user.
pub fn username(i: usize) -> String {
    format!("bench{i}")
}

/// Creates users `bench0` .. `bench{n-1}` through the CLI, each with the password [`PASSWORD`].
pub fn users(charter: &Charter, n: usize) -> anyhow::Result<()> {
    for i in 0..n {
        let name = username(i);
        charter.cli(
            &[
                "users",
                "create",
                "--username",
                &name,
                "--email",
                &format!("{name}@example.com"),
                "--password-stdin",
            ],
            Some(PASSWORD),
        )?;
    }
    Ok(())
}

/// A confidential relying party (code + refresh grants, ES256 ID tokens) redirecting to [`REDIRECT_URI`];
/// `skip_consent` spares its users the consent page.
pub fn relying_party(
    charter: &Charter,
    name: &str,
    skip_consent: bool,
) -> anyhow::Result<ClientCreds> {
    let mut args = vec![
        "clients",
        "create",
        "--name",
        name,
        "--redirect-uri",
        REDIRECT_URI,
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--scope",
        "openid profile email offline_access",
        "--id-token-signed-response-alg",
        "ES256",
    ];
    if skip_consent {
        args.push("--skip-consent");
    }
    creds(&charter.cli(&args, None)?)
}

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
