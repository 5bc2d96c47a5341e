//! The configuration as written: serde structs mirroring `config/default.toml` key for key. Nothing here is
//! validated; [`super::Settings::from_raw`] does that once.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct RawSettings {
    pub issuer: String,
    pub allow_insecure_issuer: bool,
    pub listen: String,
    pub data_dir: String,
    pub database_url: String,
    pub secret_pepper: String,
    pub key_encryption_key: String,
    pub log_format: String,
    pub log_level: String,
    pub admin_token: String,
    pub admin_listen: String,
    pub database: RawDatabase,
    pub server: RawServer,
    pub sweeper: RawSweeper,
    pub keys: RawKeys,
    pub tokens: RawTokens,
    pub users: RawUsers,
    pub sessions: RawSessions,
    pub registration: RawRegistration,
    pub device: RawDevice,
    pub outbound: RawOutbound,
    pub logout: RawLogout,
    pub limits: RawLimits,
    pub metrics: RawMetrics,
    pub audit: RawAudit,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawMetrics {
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawAudit {
    pub retention: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawLimits {
    pub per_ip_per_second: f64,
    pub per_ip_burst: u32,
    pub per_client_per_second: f64,
    pub per_client_burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawLogout {
    pub delivery_interval: String,
    pub delivery_batch: u64,
    pub delivery_lease: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawOutbound {
    pub allow_loopback: bool,
    pub allow_private: bool,
    pub timeout: String,
    pub max_body: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawDevice {
    pub code_lifetime: String,
    pub interval: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawRegistration {
    pub mode: String,
    pub allowed_scopes: Vec<String>,
    pub rate_limit: u32,
    pub rate_limit_window: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawSessions {
    pub idle_timeout: String,
    pub absolute_timeout: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawKeys {
    pub algorithms: Vec<String>,
    pub rsa_bits: usize,
    pub rotation_interval: String,
    pub jwks_max_age: String,
    pub prepublish: String,
    pub refresh_interval: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawTokens {
    pub id_token_alg: String,
    pub access_token_alg: String,
    pub id_token_lifetime: String,
    pub access_token_lifetime: String,
    pub max_access_token_lifetime: String,
    pub clock_skew: String,
    pub refresh_token_idle_lifetime: String,
    pub refresh_token_absolute_lifetime: String,
    pub revocation_refresh_interval: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawDatabase {
    pub max_connections: u32,
    pub connect_timeout: String,
    pub startup_timeout: String,
    pub sqlite_busy_timeout: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawServer {
    pub workers: usize,
    pub max_body_size: usize,
    pub shutdown_timeout: String,
    pub trusted_proxies: Vec<String>,
    pub request_timeout: String,
    pub disconnect_timeout: String,
    pub keep_alive: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawSweeper {
    pub enabled: bool,
    pub interval: String,
    pub batch_size: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawUsers {
    pub password_min_length: usize,
    pub hash_concurrency: usize,
    pub hash_queue: usize,
}
