//! How Charter keeps what it hands out without being able to hand it out again.
//!
//! - **Tokens** (session ids, codes, refresh tokens) are ≥ 256-bit random values: a plain SHA-256 digest is
//!   enough, a stolen table reveals nothing usable. See [`token_digest`].
//! - **Client secrets** are also server-generated and high-entropy, so they need no slow password hash (which is
//!   what makes other servers crawl at machine-to-machine traffic). They are kept as HMAC-SHA-256 under a server
//!   [`Pepper`], so a leaked database alone does not even allow offline guessing, and checked in constant time.
//! - **Passwords** are a different matter: see [`crate::password`].

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::{digest, hmac};
use thiserror::Error;

/// SHA-256 of a high-entropy token, base64url without padding: the database key for codes, sessions and refresh
/// tokens.
pub fn token_digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidPepper {
    #[error("is not valid base64")]
    NotBase64,
    #[error("must decode to exactly 32 bytes (got {0})")]
    WrongLength(usize),
}

/// The server-wide key under which client secrets are hashed. Kept beside the key-encryption key, never in the
/// database; every node of a cluster must have the same one.
#[derive(Clone)]
pub struct Pepper {
    key: hmac::Key,
}

impl Pepper {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
        }
    }

    /// Standard or URL-safe base64, padded or not, of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, InvalidPepper> {
        let s = s.trim();
        let bytes = STANDARD
            .decode(s)
            .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')))
            .map_err(|_| InvalidPepper::NotBase64)?;
        let arr: [u8; Self::LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| InvalidPepper::WrongLength(bytes.len()))?;
        Ok(Self::from_bytes(&arr))
    }
}

impl Pepper {
    /// HMAC-SHA-256 of `label` under the pepper: a key derived for one purpose, never the pepper itself.
    pub fn mac(&self, label: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, label).as_ref().to_vec()
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(..)")
    }
}

/// Keyed hashes of client secrets. The stored form names its scheme so a later change of scheme can coexist.
#[derive(Clone, Debug)]
pub struct SecretHasher {
    pepper: Pepper,
}

const SCHEME: &str = "hmac-sha256$";

impl SecretHasher {
    pub fn new(pepper: Pepper) -> Self {
        Self { pepper }
    }

    pub fn hash(&self, secret: &str) -> String {
        let tag = hmac::sign(&self.pepper.key, secret.as_bytes());
        format!("{SCHEME}{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Constant-time comparison of `secret` against a stored hash. A malformed stored value never matches.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        let Some(encoded) = stored.strip_prefix(SCHEME) else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(encoded) else {
            return false;
        };
        hmac::verify(&self.pepper.key, secret.as_bytes(), &tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(byte: u8) -> SecretHasher {
        SecretHasher::new(Pepper::from_bytes(&[byte; 32]))
    }

    #[test]
    fn secret_round_trip() {
        let h = hasher(7);
        let stored = h.hash("s3cret");
        assert!(stored.starts_with("hmac-sha256$"));
        assert!(!stored.contains("s3cret"));
        assert!(h.verify("s3cret", &stored));
        assert!(!h.verify("s3cret ", &stored));
        assert!(!h.verify("", &stored));
    }

    #[test]
    fn another_pepper_does_not_verify() {
        let stored = hasher(1).hash("x");
        assert!(!hasher(2).verify("x", &stored));
    }

    #[test]
    fn malformed_stored_values_never_match() {
        let h = hasher(1);
        for stored in ["", "x", "hmac-sha256$", "hmac-sha256$!!!", "plain$abc"] {
            assert!(!h.verify("", stored), "{stored:?}");
        }
    }

    #[test]
    fn pepper_parsing() {
        let b64 = STANDARD.encode([9u8; 32]);
        assert!(Pepper::from_base64(&b64).is_ok());
        assert!(Pepper::from_base64(&URL_SAFE_NO_PAD.encode([9u8; 32])).is_ok());
        assert_eq!(
            Pepper::from_base64(&STANDARD.encode([9u8; 16])).err(),
            Some(InvalidPepper::WrongLength(16))
        );
        assert_eq!(
            Pepper::from_base64("***").err(),
            Some(InvalidPepper::NotBase64)
        );
    }

    #[test]
    fn token_digest_is_stable_and_hides_the_token() {
        let d = token_digest("abc");
        assert_eq!(d, token_digest("abc"));
        assert_ne!(d, token_digest("abd"));
        assert_eq!(d.len(), 43);
        assert_eq!(d, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
