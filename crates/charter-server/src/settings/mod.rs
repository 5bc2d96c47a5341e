//! Configuration: `config/default.toml` (built in), an optional `--config FILE`, then `CHARTER_*` environment
//! variables, converted once into a validated [`Settings`].
//!
//! Unknown keys in a file are errors (a typo must not silently fall back to a default); unknown `CHARTER_*`
//! environment variables are ignored, because other tools share the prefix. Every failure names the key.

mod device;
mod keys;
mod limits;
mod logout;
mod observability;
mod outbound;
mod raw;
mod registration;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use charter_core::issuer::Issuer;
use charter_core::net::TrustedProxies;
use charter_core::password::PasswordPolicy;
use charter_core::secret::Pepper;
use charter_core::session::SessionPolicy;
use config::{Config, Environment, File, FileFormat};

pub use keys::{KekSource, KeysSettings, LOGOUT_TOKEN_LIFETIME, TokenSettings};
pub use limits::{LimitsSettings, Timeouts};
pub use logout::LogoutSettings;
pub use observability::{AuditSettings, MetricsSettings};
pub use raw::RawSettings;
pub use registration::RegistrationSettings;

/// The built-in defaults, which double as the list of known keys.
pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");

/// A configuration problem: which key, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.key, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub kind: DatabaseKind,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    pub startup_timeout: Duration,
    pub sqlite_busy_timeout: Duration,
}

/// Where the client-secret pepper comes from.
#[derive(Debug, Clone)]
pub enum PepperSource {
    Configured(Pepper),
    /// Generated once into the data directory (SQLite only).
    DataDir(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub workers: usize,
    pub max_body_size: usize,
    pub shutdown_timeout: Duration,
    pub trusted_proxies: TrustedProxies,
    /// Connection timeouts (slow-client protection).
    pub timeouts: Timeouts,
}

#[derive(Debug, Clone)]
pub struct SweeperSettings {
    pub enabled: bool,
    pub interval: Duration,
    pub batch_size: u64,
}

/// The issuer, or "derive it from the listen address once bound" (port 0 in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerSetting {
    Configured(Issuer),
    FromListen,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub issuer: IssuerSetting,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub pepper: PepperSource,
    pub kek: KekSource,
    pub keys: KeysSettings,
    pub tokens: TokenSettings,
    pub log_format: LogFormat,
    pub log_level: String,
    pub server: ServerSettings,
    pub sweeper: SweeperSettings,
    pub password_policy: PasswordPolicy,
    pub session_policy: SessionPolicy,
    /// Concurrent password hashes (0 in the file means one per core) and the queue behind them.
    pub hash_concurrency: usize,
    pub hash_queue: usize,
    /// Dynamic client registration (RFC 7591).
    pub registration: RegistrationSettings,
    /// Device authorization grant (RFC 8628): code lifetime and polling interval.
    pub device: charter_core::device::DevicePolicy,
    /// SHA-256 digest of the admin API token; None: no admin token configured.
    pub admin_token_hash: Option<String>,
    /// A second listener for the admin API, `/metrics` and the health checks; None: they are served on
    /// `listen` with everything else.
    pub admin_listen: Option<SocketAddr>,
    /// The outbound HTTP client's policy (`[outbound]`).
    pub outbound: charter_outbound::OutboundPolicy,
    /// Back-channel logout delivery (`[logout]`).
    pub logout: LogoutSettings,
    /// Rate limits per client address and per client (`[limits]`).
    pub limits: LimitsSettings,
    /// Prometheus metrics (`[metrics]`).
    pub metrics: observability::MetricsSettings,
    /// The audit trail's retention (`[audit]`).
    pub audit: observability::AuditSettings,
}

impl Settings {
    /// Loads the layers from the real environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("CHARTER_"))
            .collect();
        Self::load_from(file, env)
    }

    /// Loads the layers with `env` standing for the environment (tests pass their own).
    pub fn load_from(
        file: Option<&Path>,
        env: HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let defaults = File::from_str(DEFAULT_TOML, FileFormat::Toml);
        let mut files = Config::builder().add_source(defaults.clone());
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::new(
                    "--config",
                    format!("{} is not a readable file", path.display()),
                ));
            }
            files = files.add_source(File::from(path).format(FileFormat::Toml));
        }
        let files = files
            .build()
            .map_err(|e| ConfigError::new(file_name(file), e.to_string()))?;
        // Unknown keys: anything a file sets that the settings do not read. The defaults know every key, so
        // anything ignored here came from the user's file.
        let mut unknown = Vec::new();
        let _: RawSettings =
            serde_ignored::deserialize(files.clone(), |path| unknown.push(path.to_string()))
                .map_err(|e| value_error(e, file))?;
        if let Some(key) = unknown.into_iter().next() {
            return Err(ConfigError::new(
                key,
                format!("unknown key in {}", file_name(file)),
            ));
        }

        let environment = Environment::with_prefix("CHARTER")
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("server.trusted_proxies")
            .with_list_parse_key("keys.algorithms")
            .with_list_parse_key("registration.allowed_scopes")
            .source(Some(env));
        let all = Config::builder()
            .add_source(files)
            .add_source(environment)
            .build()
            .map_err(|e| ConfigError::new("environment", e.to_string()))?;
        let raw: RawSettings =
            serde_ignored::deserialize(all, |_| {}).map_err(|e| value_error(e, file))?;
        Self::from_raw(raw)
    }

    /// Validates the raw configuration.
    pub fn from_raw(raw: RawSettings) -> Result<Self, ConfigError> {
        let listen = parse_address("listen", &raw.listen)?;
        let admin_listen = parse_admin_listen(&raw.admin_listen, listen)?;
        let issuer = parse_issuer(&raw.issuer, raw.allow_insecure_issuer)?;
        if raw.data_dir.trim().is_empty() {
            return Err(ConfigError::new("data_dir", "must not be empty"));
        }
        let data_dir = PathBuf::from(&raw.data_dir);

        let url = if raw.database_url.trim().is_empty() {
            let path = data_dir.join("charter.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else {
            raw.database_url.trim().to_owned()
        };
        let kind = if url.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DatabaseKind::Postgres
        } else {
            return Err(ConfigError::new(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        };
        let db = &raw.database;
        let database = DatabaseSettings {
            url,
            kind,
            max_connections: pool_size(kind, db.max_connections),
            connect_timeout: duration("database.connect_timeout", &db.connect_timeout)?,
            startup_timeout: duration("database.startup_timeout", &db.startup_timeout)?,
            sqlite_busy_timeout: duration("database.sqlite_busy_timeout", &db.sqlite_busy_timeout)?,
        };

        let pepper = if raw.secret_pepper.trim().is_empty() {
            if kind == DatabaseKind::Postgres {
                return Err(ConfigError::new(
                    "secret_pepper",
                    "is required with PostgreSQL, and every node must use the same one; generate one with \
                     `charter secrets generate` and set CHARTER_SECRET_PEPPER",
                ));
            }
            PepperSource::DataDir(data_dir.join("secret-pepper"))
        } else {
            PepperSource::Configured(
                Pepper::from_base64(&raw.secret_pepper)
                    .map_err(|e| ConfigError::new("secret_pepper", e.to_string()))?,
            )
        };

        let kek = keys::kek_source(&raw.key_encryption_key, kind, &data_dir)?;
        let key_settings = keys::keys(&raw.keys)?;
        let tokens = keys::tokens(&raw.tokens, &key_settings)?;

        let log_format = match raw.log_format.as_str() {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "log_format",
                    format!("{other:?} is neither \"human\" nor \"json\""),
                ));
            }
        };

        let s = &raw.server;
        if s.max_body_size < 1024 {
            return Err(ConfigError::new(
                "server.max_body_size",
                "must be at least 1024 bytes",
            ));
        }
        let server = ServerSettings {
            workers: s.workers,
            max_body_size: s.max_body_size,
            shutdown_timeout: duration("server.shutdown_timeout", &s.shutdown_timeout)?,
            trusted_proxies: TrustedProxies::parse(&s.trusted_proxies)
                .map_err(|e| ConfigError::new("server.trusted_proxies", e.to_string()))?,
            timeouts: limits::timeouts(s)?,
        };

        let sw = &raw.sweeper;
        let sweeper = SweeperSettings {
            enabled: sw.enabled,
            interval: duration("sweeper.interval", &sw.interval)?,
            batch_size: sw.batch_size,
        };
        if sweeper.interval < Duration::from_secs(1) {
            return Err(ConfigError::new("sweeper.interval", "must be at least 1s"));
        }
        if sweeper.batch_size == 0 {
            return Err(ConfigError::new("sweeper.batch_size", "must be at least 1"));
        }

        let min = raw.users.password_min_length;
        if !(8..=128).contains(&min) {
            return Err(ConfigError::new(
                "users.password_min_length",
                "must be between 8 and 128",
            ));
        }

        let session_policy = SessionPolicy {
            idle_timeout: duration("sessions.idle_timeout", &raw.sessions.idle_timeout)?,
            absolute_timeout: duration(
                "sessions.absolute_timeout",
                &raw.sessions.absolute_timeout,
            )?,
        };
        if session_policy.idle_timeout < Duration::from_secs(60) {
            return Err(ConfigError::new(
                "sessions.idle_timeout",
                "must be at least 1m",
            ));
        }
        if session_policy.absolute_timeout < session_policy.idle_timeout {
            return Err(ConfigError::new(
                "sessions.absolute_timeout",
                "must not be shorter than sessions.idle_timeout",
            ));
        }
        let hash_concurrency = match raw.users.hash_concurrency {
            0 => std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            n => n,
        };

        Ok(Self {
            issuer,
            listen,
            data_dir,
            database,
            pepper,
            kek,
            keys: key_settings,
            tokens,
            log_format,
            log_level: raw.log_level,
            server,
            sweeper,
            password_policy: PasswordPolicy { min_chars: min },
            session_policy,
            hash_concurrency,
            hash_queue: raw.users.hash_queue,
            registration: registration::registration(&raw.registration)?,
            device: device::device(&raw.device)?,
            admin_token_hash: registration::admin_token(&raw.admin_token)?,
            admin_listen,
            logout: logout::logout(&raw.logout, outbound::outbound(&raw.outbound)?.timeout)?,
            outbound: outbound::outbound(&raw.outbound)?,
            limits: limits::limits(&raw.limits)?,
            metrics: observability::metrics(&raw.metrics),
            audit: observability::audit(&raw.audit)?,
        })
    }
}

fn file_name(file: Option<&Path>) -> String {
    file.map(|p| p.display().to_string())
        .unwrap_or_else(|| "the configuration".to_owned())
}

/// Turns a deserialisation error into one line; config's messages name the key when they know it.
fn value_error(e: config::ConfigError, file: Option<&Path>) -> ConfigError {
    let msg = e.to_string();
    // "invalid type: string \"x\", expected u32 for key `database.max_connections` in ..."
    if let Some(start) = msg.find("for key `") {
        let rest = &msg[start + "for key `".len()..];
        if let Some(end) = rest.find('`') {
            let reason = msg[..start].trim().to_owned();
            return ConfigError::new(&rest[..end], reason);
        }
    }
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        return ConfigError::new(field, "missing");
    }
    ConfigError::new(file_name(file), msg)
}

pub(crate) fn duration(key: &str, value: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(value.trim()).map_err(|e| {
        ConfigError::new(
            key,
            format!("{value:?} is not a duration like \"30s\" ({e})"),
        )
    })
}

fn parse_address(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // "localhost:8080" and other names: resolve once, take the first address.
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            ConfigError::new(
                key,
                format!("{value:?} is not an address like 127.0.0.1:8080"),
            )
        })
}

/// Empty: no admin listener. The same fixed address as `listen` could never be bound twice, so it is refused
/// here, with the key named, rather than as a bind failure at start-up.
fn parse_admin_listen(value: &str, listen: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let addr = parse_address("admin_listen", value)?;
    if addr == listen && addr.port() != 0 {
        return Err(ConfigError::new(
            "admin_listen",
            format!("{value:?} is the listen address; the admin listener needs its own"),
        ));
    }
    Ok(Some(addr))
}

fn parse_issuer(value: &str, allow_insecure: bool) -> Result<IssuerSetting, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(IssuerSetting::FromListen);
    }
    Issuer::parse(value, allow_insecure)
        .map(IssuerSetting::Configured)
        .map_err(|e| ConfigError::new("issuer", e.to_string()))
}

/// The issuer for a listener bound at `addr`, when none is configured: `http://<addr>`, with an unspecified
/// address (0.0.0.0, ::) shown as 127.0.0.1.
pub fn issuer_from_listen(addr: SocketAddr) -> Result<Issuer, ConfigError> {
    let ip = if addr.ip().is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let value = format!("http://{}", SocketAddr::new(ip, addr.port()));
    Issuer::parse(&value, false).map_err(|e| ConfigError::new("issuer", e.to_string()))
}

/// `database.max_connections`, 0 meaning the backend's default. SQLite: 4 — it has one writer at a time, and
/// each pooled connection keeps a thread and its own page cache, so a larger pool buys no throughput and costs
/// memory (a 30-minute soak with 16 connections grew RSS by some 30 MiB as those caches filled; with 4 RSS
/// stayed flat after the warm-up and throughput rose; docs/operations.md, "Soak test"). PostgreSQL: 16.
fn pool_size(kind: DatabaseKind, configured: u32) -> u32 {
    match (configured, kind) {
        (0, DatabaseKind::Sqlite) => 4,
        (0, DatabaseKind::Postgres) => 16,
        (n, _) => n,
    }
}
