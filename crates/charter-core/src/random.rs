//! Randomness as an input. Opaque values (client ids and secrets, session ids, codes, refresh tokens) come from
//! a [`TokenGenerator`], base64url without padding, so they are safe in URLs, headers and form bodies alike.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// Produces unguessable values.
pub trait TokenGenerator: Send + Sync + fmt::Debug {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// `bytes` random bytes as base64url without padding (`bytes * 8` bits of entropy).
    fn token(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.fill(&mut buf);
        URL_SAFE_NO_PAD.encode(buf)
    }
}

/// The operating system's CSPRNG, through ring.
#[derive(Clone, Debug)]
pub struct SystemTokenGenerator {
    rng: SystemRandom,
}

impl SystemTokenGenerator {
    pub fn new() -> Self {
        Self {
            rng: SystemRandom::new(),
        }
    }
}

impl Default for SystemTokenGenerator {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenGenerator for SystemTokenGenerator {
    fn fill(&self, buf: &mut [u8]) {
        // ring's SystemRandom only fails when the OS has no entropy source at all; there is no safe fallback,
        // so leaving the buffer untouched would be wrong. Abort loudly instead.
        if self.rng.fill(buf).is_err() {
            std::process::abort();
        }
    }
}

/// Entropy of the identifiers Charter hands out, in bytes.
pub mod sizes {
    /// Client identifiers: 128 bits.
    pub const CLIENT_ID: usize = 16;
    /// Client secrets: 256 bits (RFC 6749 §10.10 asks for "high entropy"; we give them enough that a fast keyed
    /// hash is safe).
    pub const CLIENT_SECRET: usize = 32;
    /// Browser session ids, refresh tokens: 256 bits.
    pub const SESSION_ID: usize = 32;
    /// Authorization codes: 256 bits (RFC 9700 asks for at least 128).
    pub const CODE: usize = 32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_base64url_and_distinct() {
        let g = SystemTokenGenerator::new();
        let a = g.token(32);
        let b = g.token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
