//! A client's public keys (RFC 7517 JWK Set), registered inline as `jwks` or served at its `jwks_uri`
//! (RFC 7591 §2, OpenID Connect Registration §2), for verifying its `private_key_jwt` assertions.
//!
//! Two readings of one document:
//! - [`validate_registered`], strict, for registration: every key must be a public key of a supported type
//!   (RSA of at least 2048 bits, EC P-256, OKP Ed25519) and carry no private member (`d`, `p`, `k`, ...): a
//!   client that pastes its private key gets an error, not a stored secret.
//! - [`ClientJwks::parse`], lenient, for use: a fetched set may hold keys Charter has no use for (encryption
//!   keys, other curves); those are skipped and the rest used.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_keys::SigningAlg;
use jsonwebtoken::DecodingKey;
use serde_json::Value;
use thiserror::Error;

/// Members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// At most this many keys in a set (a client rotates through two or three).
pub const MAX_KEYS: usize = 32;

/// Why a JWK Set is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwksError {
    #[error("a JWK Set is an object with a \"keys\" array")]
    NotASet,
    #[error("a JWK Set has at most 32 keys")]
    TooManyKeys,
    #[error("key {index}: {reason}")]
    BadKey { index: usize, reason: &'static str },
    #[error("the document is not JSON")]
    NotJson,
}

/// The public key material of one JWK.
#[derive(Clone, PartialEq, Eq)]
enum PublicKey {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256 { point: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

/// One usable signature-verification key.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientJwk {
    kid: Option<String>,
    alg: Option<String>,
    key: PublicKey,
}

impl std::fmt::Debug for ClientJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kty = match self.key {
            PublicKey::Rsa { .. } => "RSA",
            PublicKey::P256 { .. } => "EC",
            PublicKey::Ed25519 { .. } => "OKP",
        };
        f.debug_struct("ClientJwk")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("kty", &kty)
            .finish()
    }
}

impl ClientJwk {
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key may verify a signature made with `alg`: its type fits and, when the key names an
    /// algorithm, it is that one.
    pub fn fits(&self, alg: SigningAlg) -> bool {
        let kind = match self.key {
            PublicKey::Rsa { .. } => alg.is_rsa(),
            PublicKey::P256 { .. } => alg == SigningAlg::ES256,
            PublicKey::Ed25519 { .. } => alg == SigningAlg::EdDSA,
        };
        kind && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
    }

    /// The key for jsonwebtoken (verified with Charter's ring provider).
    pub fn decoding_key(&self) -> DecodingKey {
        match &self.key {
            PublicKey::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
            PublicKey::P256 { point } => DecodingKey::from_ec_der(point),
            PublicKey::Ed25519 { x } => DecodingKey::from_ed_der(x),
        }
    }
}

/// The usable signing keys of a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientJwks {
    keys: Vec<ClientJwk>,
}

impl ClientJwks {
    /// The usable keys of a set; keys that are not signature-verification keys of a supported type are
    /// skipped. Fails only when the document is not a JWK Set.
    pub fn parse(value: &Value) -> Result<Self, JwksError> {
        let keys = key_array(value)?;
        Ok(Self {
            keys: keys.iter().filter_map(|k| read_key(k).ok()).collect(),
        })
    }

    /// [`Self::parse`] on a fetched document.
    pub fn parse_bytes(body: &[u8]) -> Result<Self, JwksError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| JwksError::NotJson)?;
        Self::parse(&value)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether a key has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == Some(kid))
    }

    /// The keys that may have made a signature with `alg` and (when the header names one) `kid`. Without a
    /// `kid`, every key that fits is a candidate (OpenID Core §10.1 asks for a `kid` when there are several;
    /// trying each of the client's own keys is as safe).
    pub fn candidates<'a>(
        &'a self,
        alg: SigningAlg,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ClientJwk> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.fits(alg) && kid.is_none_or(|kid| k.kid() == Some(kid)))
    }
}

/// Registration: the set must be well formed and every key a usable public key.
pub fn validate_registered(value: &Value) -> Result<(), JwksError> {
    let keys = key_array(value)?;
    for (index, key) in keys.iter().enumerate() {
        read_key(key).map_err(|reason| JwksError::BadKey { index, reason })?;
    }
    Ok(())
}

fn key_array(value: &Value) -> Result<&Vec<Value>, JwksError> {
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NotASet)?;
    if keys.len() > MAX_KEYS {
        return Err(JwksError::TooManyKeys);
    }
    Ok(keys)
}

fn read_key(key: &Value) -> Result<ClientJwk, &'static str> {
    let obj = key.as_object().ok_or("a key is a JSON object")?;
    if PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m)) {
        return Err("private or symmetric key material (d, p, q, k, ...) must not be registered");
    }
    let text = |name: &str| -> Result<Option<String>, &'static str> {
        match obj.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err("kid, alg, use, kty and crv are strings"),
        }
    };
    if text("use")?.is_some_and(|u| u != "sig") {
        return Err("only signature keys (\"use\": \"sig\") are accepted");
    }
    if let Some(ops) = obj.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|o| o == "verify"));
        if !verifies {
            return Err("key_ops must include \"verify\"");
        }
    }
    let alg = text("alg")?;
    if let Some(alg) = &alg
        && alg.parse::<SigningAlg>().is_err()
    {
        return Err("alg must be RS256, PS256, ES256 or EdDSA");
    }
    let bytes = |name: &str| -> Result<Vec<u8>, &'static str> {
        let s = obj
            .get(name)
            .and_then(Value::as_str)
            .ok_or("a member the key type needs is missing")?;
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "key members are unpadded base64url")
    };
    let kty = text("kty")?.ok_or("kty is missing")?;
    let crv = text("crv")?;
    let key = match (kty.as_str(), crv.as_deref()) {
        ("RSA", _) => {
            let n = bytes("n")?;
            let e = bytes("e")?;
            let significant = n.iter().skip_while(|b| **b == 0).count();
            if significant < 256 {
                return Err("RSA keys have at least 2048 bits");
            }
            PublicKey::Rsa { n, e }
        }
        ("EC", Some("P-256")) => {
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates are 32 bytes");
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            PublicKey::P256 { point }
        }
        ("OKP", Some("Ed25519")) => {
            let x = bytes("x")?;
            if x.len() != 32 {
                return Err("Ed25519 public keys are 32 bytes");
            }
            PublicKey::Ed25519 { x }
        }
        ("EC", _) => return Err("EC keys must be on P-256"),
        ("OKP", _) => return Err("OKP keys must be Ed25519"),
        _ => return Err("kty must be RSA, EC or OKP"),
    };
    let alg_fits = ClientJwk {
        kid: None,
        alg: None,
        key: key.clone(),
    };
    if let Some(a) = &alg
        && !a.parse::<SigningAlg>().is_ok_and(|a| alg_fits.fits(a))
    {
        return Err("alg does not match the key type");
    }
    Ok(ClientJwk {
        kid: text("kid")?,
        alg,
        key,
    })
}

#[cfg(test)]
mod tests;
