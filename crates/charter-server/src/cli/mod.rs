//! The `charter` command line: `serve` runs the server; the other subcommands administer it.
//!
//! Every subcommand reads the same configuration as `serve`, prints JSON with `--json`, writes errors to
//! standard error as one line, and exits non-zero on failure: 2 for bad usage or configuration, 1 for
//! everything else. Administrative commands are safe to run while `charter serve` runs on the same database.

mod audit;
mod clients;
mod healthcheck;
mod keys;
mod output;
mod registration;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use charter_core::random::SystemTokenGenerator;
use charter_core::secret::SecretHasher;
use charter_core::{Clock, SystemClock};
use charter_storage::SeaStore;
use clap::{Parser, Subcommand, ValueEnum};

use crate::settings::{LogFormat, Settings};
use crate::startup::{Application, Deps, Shutdown, StartupError};
use crate::telemetry::{self, LogTarget};
use crate::{database, secrets};

pub use output::Failure;

#[derive(Debug, Parser)]
#[command(
    name = "charter",
    version,
    about = "Charter: an OAuth 2.0 / OpenID Connect authorization server",
    propagate_version = true
)]
pub struct Cli {
    /// A TOML configuration file, layered over the built-in defaults (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format; overrides the `log_format` setting.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// Print results as JSON (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Apply database migrations and exit (serve also applies them at start-up).
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Manage clients (relying parties and API clients).
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Manage signing keys (rotation, revocation, key-encryption key).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Dynamic client registration: initial access tokens.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    /// Server secrets kept outside the database.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Read the audit trail (sign-ins, consent, token replays, client and key changes).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a fresh random 32-byte key, base64: for `secret_pepper` (CHARTER_SECRET_PEPPER) or
    /// `key_encryption_key` (CHARTER_KEY_ENCRYPTION_KEY).
    Generate,
}

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.exit_code)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    if let Command::Secrets(SecretsCommand::Generate) = cli.command {
        let key = secrets::generate_key(&SystemTokenGenerator::new());
        return output::print(cli.json, &serde_json::json!({ "key": key }), |_| {
            key.clone()
        });
    }
    let mut settings = Settings::load(cli.config.as_deref()).map_err(Failure::config)?;
    if let Some(f) = cli.log_format {
        settings.log_format = match f {
            LogFormatArg::Human => LogFormat::Human,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    match cli.command {
        Command::Healthcheck => healthcheck::run(settings.listen),
        Command::Serve => {
            telemetry::init(settings.log_format, &settings.log_level, LogTarget::Stdout);
            serve(settings).await
        }
        Command::Migrate => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            database::open(&settings)
                .await
                .map_err(Failure::runtime)?
                .close()
                .await;
            output::print(cli.json, &serde_json::json!({ "migrated": true }), |_| {
                "the database schema is up to date".to_owned()
            })
        }
        Command::Users(cmd) => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            let ctx = Context::open(settings, cli.json).await?;
            let result = users::run(&ctx, cmd).await;
            ctx.store.close().await;
            result
        }
        Command::Clients(cmd) => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            let ctx = Context::open(settings, cli.json).await?;
            let result = clients::run(&ctx, cmd).await;
            ctx.store.close().await;
            result
        }
        Command::Keys(cmd) => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            let ctx = Context::open(settings, cli.json).await?;
            let result = keys::run(&ctx, cmd).await;
            ctx.store.close().await;
            result
        }
        Command::Registration(cmd) => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            let ctx = Context::open(settings, cli.json).await?;
            let result = registration::run(&ctx, cmd).await;
            ctx.store.close().await;
            result
        }
        Command::Audit(cmd) => {
            telemetry::init(settings.log_format, "warn", LogTarget::Stderr);
            let ctx = Context::open(settings, cli.json).await?;
            let result = audit::run(&ctx, cmd).await;
            ctx.store.close().await;
            result
        }
        Command::Secrets(_) => Ok(()),
    }
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    let app = Application::build(settings, Deps::default(), Shutdown::OsSignals)
        .await
        .map_err(|e| match e {
            StartupError::Config(c) => Failure::config(c),
            StartupError::Failed(m) => Failure::runtime(m),
        })?;
    app.run_until_stopped()
        .await
        .map_err(|e| Failure::runtime(format!("the server failed: {e}")))
}

/// What administrative commands work with.
pub(crate) struct Context {
    pub store: SeaStore,
    pub settings: Settings,
    pub json: bool,
    pub clock: SystemClock,
    pub rng: SystemTokenGenerator,
    pub hasher: SecretHasher,
}

impl Context {
    async fn open(settings: Settings, json: bool) -> Result<Self, Failure> {
        let store = database::open(&settings).await.map_err(Failure::runtime)?;
        let rng = SystemTokenGenerator::new();
        let in_use = secrets::pepper_in_use(&store)
            .await
            .map_err(Failure::runtime)?;
        let pepper =
            secrets::load_pepper(&settings.pepper, &rng, in_use).map_err(Failure::runtime)?;
        Ok(Self {
            store,
            settings,
            json,
            clock: SystemClock,
            rng,
            hasher: SecretHasher::new(pepper),
        })
    }

    pub fn now(&self) -> charter_core::Timestamp {
        self.clock.now()
    }
}
