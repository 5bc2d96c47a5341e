//! The `[keys]` and `[tokens]` sections, and the key-encryption key.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use charter_keys::{Kek, KeySettings, Policy, SigningAlg};

use super::raw::{RawKeys, RawTokens};
use super::{ConfigError, DatabaseKind, duration};

/// Where the key-encryption key comes from.
#[derive(Debug, Clone)]
pub enum KekSource {
    Configured(Arc<Kek>),
    /// Generated once into the data directory (SQLite only).
    DataDir(std::path::PathBuf),
}

#[derive(Debug, Clone)]
pub struct KeysSettings {
    pub algorithms: Vec<SigningAlg>,
    pub rsa_bits: usize,
    pub rotation_interval: Duration,
    pub jwks_max_age: Duration,
    pub prepublish: Duration,
    pub refresh_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub id_token_alg: SigningAlg,
    pub access_token_alg: SigningAlg,
    pub id_token_lifetime: Duration,
    pub access_token_lifetime: Duration,
    pub max_access_token_lifetime: Duration,
    pub clock_skew: Duration,
    pub refresh_token_idle_lifetime: Duration,
    pub refresh_token_absolute_lifetime: Duration,
    /// How often each node polls the database for revocations made elsewhere: the bound on how long another
    /// node's (or the CLI's) revocation takes to reach this node's introspection.
    pub revocation_refresh_interval: Duration,
}

/// Logout tokens live two minutes (OpenID Back-Channel Logout §2.4 asks for a short lifetime).
pub const LOGOUT_TOKEN_LIFETIME: Duration = Duration::from_secs(120);

impl TokenSettings {
    /// The longest any Charter-signed token lives, plus clock skew: how long a retired key stays published.
    pub fn longest_validity(&self) -> Duration {
        self.id_token_lifetime
            .max(self.max_access_token_lifetime)
            .max(LOGOUT_TOKEN_LIFETIME)
            + self.clock_skew
    }
}

pub(super) fn kek_source(
    raw: &str,
    kind: DatabaseKind,
    data_dir: &Path,
) -> Result<KekSource, ConfigError> {
    if raw.trim().is_empty() {
        if kind == DatabaseKind::Postgres {
            return Err(ConfigError::new(
                "key_encryption_key",
                "is required with PostgreSQL, and every node must use the same one; generate one with \
                 `charter secrets generate` and set CHARTER_KEY_ENCRYPTION_KEY",
            ));
        }
        return Ok(KekSource::DataDir(data_dir.join("key-encryption-key")));
    }
    Kek::from_base64(raw)
        .map(|k| KekSource::Configured(Arc::new(k)))
        .map_err(|e| ConfigError::new("key_encryption_key", e.to_string()))
}

fn alg(key: &str, value: &str) -> Result<SigningAlg, ConfigError> {
    value.parse().map_err(|e: String| ConfigError::new(key, e))
}

pub(super) fn keys(raw: &RawKeys) -> Result<KeysSettings, ConfigError> {
    let mut algorithms = Vec::new();
    for a in &raw.algorithms {
        let a = alg("keys.algorithms", a.trim())?;
        if !algorithms.contains(&a) {
            algorithms.push(a);
        }
    }
    if !algorithms.contains(&SigningAlg::RS256) {
        return Err(ConfigError::new(
            "keys.algorithms",
            "must include RS256 (OpenID Connect requires it for ID tokens)",
        ));
    }
    if ![2048, 3072, 4096].contains(&raw.rsa_bits) {
        return Err(ConfigError::new(
            "keys.rsa_bits",
            "must be 2048, 3072 or 4096",
        ));
    }
    let s = KeysSettings {
        algorithms,
        rsa_bits: raw.rsa_bits,
        rotation_interval: duration("keys.rotation_interval", &raw.rotation_interval)?,
        jwks_max_age: duration("keys.jwks_max_age", &raw.jwks_max_age)?,
        prepublish: duration("keys.prepublish", &raw.prepublish)?,
        refresh_interval: duration("keys.refresh_interval", &raw.refresh_interval)?,
    };
    if s.prepublish <= s.jwks_max_age {
        return Err(ConfigError::new(
            "keys.prepublish",
            "must be longer than keys.jwks_max_age, or relying parties could meet a key their cached JWKS lacks",
        ));
    }
    if s.rotation_interval <= s.prepublish {
        return Err(ConfigError::new(
            "keys.rotation_interval",
            "must be longer than keys.prepublish",
        ));
    }
    if s.refresh_interval < Duration::from_secs(1) {
        return Err(ConfigError::new(
            "keys.refresh_interval",
            "must be at least 1s",
        ));
    }
    Ok(s)
}

pub(super) fn tokens(raw: &RawTokens, keys: &KeysSettings) -> Result<TokenSettings, ConfigError> {
    let t = TokenSettings {
        id_token_alg: alg("tokens.id_token_alg", &raw.id_token_alg)?,
        access_token_alg: alg("tokens.access_token_alg", &raw.access_token_alg)?,
        id_token_lifetime: duration("tokens.id_token_lifetime", &raw.id_token_lifetime)?,
        access_token_lifetime: duration(
            "tokens.access_token_lifetime",
            &raw.access_token_lifetime,
        )?,
        max_access_token_lifetime: duration(
            "tokens.max_access_token_lifetime",
            &raw.max_access_token_lifetime,
        )?,
        clock_skew: duration("tokens.clock_skew", &raw.clock_skew)?,
        refresh_token_idle_lifetime: duration(
            "tokens.refresh_token_idle_lifetime",
            &raw.refresh_token_idle_lifetime,
        )?,
        refresh_token_absolute_lifetime: duration(
            "tokens.refresh_token_absolute_lifetime",
            &raw.refresh_token_absolute_lifetime,
        )?,
        revocation_refresh_interval: duration(
            "tokens.revocation_refresh_interval",
            &raw.revocation_refresh_interval,
        )?,
    };
    if !(Duration::from_millis(100)..=Duration::from_secs(60))
        .contains(&t.revocation_refresh_interval)
    {
        return Err(ConfigError::new(
            "tokens.revocation_refresh_interval",
            "must be between 100ms and 1m",
        ));
    }
    if t.refresh_token_idle_lifetime > t.refresh_token_absolute_lifetime {
        return Err(ConfigError::new(
            "tokens.refresh_token_idle_lifetime",
            "must not exceed tokens.refresh_token_absolute_lifetime",
        ));
    }
    for (key, a) in [
        ("tokens.id_token_alg", t.id_token_alg),
        ("tokens.access_token_alg", t.access_token_alg),
    ] {
        if !keys.algorithms.contains(&a) {
            return Err(ConfigError::new(
                key,
                format!("{a} is not in keys.algorithms"),
            ));
        }
    }
    for (key, d) in [
        ("tokens.id_token_lifetime", t.id_token_lifetime),
        ("tokens.access_token_lifetime", t.access_token_lifetime),
    ] {
        if d < Duration::from_secs(30) {
            return Err(ConfigError::new(key, "must be at least 30s"));
        }
    }
    if t.access_token_lifetime > t.max_access_token_lifetime {
        return Err(ConfigError::new(
            "tokens.access_token_lifetime",
            "must not exceed tokens.max_access_token_lifetime",
        ));
    }
    Ok(t)
}

impl KeysSettings {
    /// What the key manager needs.
    pub fn manager_settings(&self, tokens: &TokenSettings) -> KeySettings {
        KeySettings {
            algorithms: self.algorithms.clone(),
            rsa_bits: self.rsa_bits,
            policy: Policy {
                rotation_interval: self.rotation_interval,
                prepublish: self.prepublish,
                retire_for: tokens.longest_validity(),
            },
            lease_ttl: self.refresh_interval * 3 + Duration::from_secs(5),
        }
    }
}
