//! Private keys at rest: AES-256-GCM under a key-encryption key (KEK).
//!
//! Each KEK has an id derived from the key itself, stored beside every key it encrypts, so a wrong KEK is
//! recognised before any decryption is attempted and reported by id (never by value). The AEAD's associated
//! data binds each ciphertext to its key's `kid` and algorithm: a ciphertext copied onto another row does not
//! decrypt.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KekError {
    #[error("the key-encryption key is not valid base64")]
    NotBase64,
    #[error("the key-encryption key must be 32 bytes (got {0})")]
    WrongLength(usize),
    #[error("no randomness for a nonce")]
    Random,
    #[error("decryption failed: wrong key-encryption key or tampered data")]
    Decrypt,
}

/// A key-encryption key.
pub struct Kek {
    key: LessSafeKey,
    id: String,
    rng: SystemRandom,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kek({})", self.id)
    }
}

impl Kek {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KekError> {
        if bytes.len() != Self::LEN {
            return Err(KekError::WrongLength(bytes.len()));
        }
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KekError::WrongLength(bytes.len()))?;
        // The id is a digest of the key under a fixed label: it identifies the key without revealing it.
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"charter key-encryption key id\0");
        ctx.update(bytes);
        let id = format!(
            "kek-{}",
            &URL_SAFE_NO_PAD.encode(ctx.finish().as_ref())[..16]
        );
        Ok(Self {
            key: LessSafeKey::new(unbound),
            id,
            rng: SystemRandom::new(),
        })
    }

    /// Standard or URL-safe base64, padded or not.
    pub fn from_base64(s: &str) -> Result<Self, KekError> {
        let s = s.trim();
        let bytes = STANDARD
            .decode(s)
            .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')))
            .map_err(|_| KekError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// `nonce || ciphertext || tag`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, KekError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| KekError::Random)?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| KekError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KekError> {
        if sealed.len() < NONCE_LEN {
            return Err(KekError::Decrypt);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::Decrypt)?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| KekError::Decrypt)?;
        Ok(plain.to_vec())
    }
}

/// The associated data that binds a sealed private key to its row.
pub fn aad(kid: &str, alg: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(kid.len() + alg.len() + 16);
    v.extend_from_slice(b"charter-key:");
    v.extend_from_slice(alg.as_bytes());
    v.push(b':');
    v.extend_from_slice(kid.as_bytes());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let kek = Kek::from_bytes(&[7; 32]).unwrap();
        let sealed = kek.seal(b"private", b"aad").unwrap();
        assert_ne!(&sealed[NONCE_LEN..], b"private");
        assert_eq!(kek.open(&sealed, b"aad").unwrap(), b"private");
    }

    #[test]
    fn wrong_key_wrong_aad_or_tampering_fail() {
        let kek = Kek::from_bytes(&[7; 32]).unwrap();
        let other = Kek::from_bytes(&[8; 32]).unwrap();
        let sealed = kek.seal(b"private", b"aad").unwrap();
        assert_eq!(other.open(&sealed, b"aad"), Err(KekError::Decrypt));
        assert_eq!(kek.open(&sealed, b"other"), Err(KekError::Decrypt));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(kek.open(&tampered, b"aad"), Err(KekError::Decrypt));
        assert_eq!(kek.open(&[1, 2], b"aad"), Err(KekError::Decrypt));
    }

    #[test]
    fn ids_identify_without_revealing() {
        let a = Kek::from_bytes(&[7; 32]).unwrap();
        let b = Kek::from_bytes(&[7; 32]).unwrap();
        let c = Kek::from_bytes(&[8; 32]).unwrap();
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
        assert!(a.id().starts_with("kek-"));
    }

    #[test]
    fn parsing() {
        assert!(Kek::from_base64(&STANDARD.encode([1u8; 32])).is_ok());
        assert_eq!(Kek::from_base64("!!").err(), Some(KekError::NotBase64));
        assert_eq!(
            Kek::from_base64(&STANDARD.encode([1u8; 16])).err(),
            Some(KekError::WrongLength(16))
        );
    }
}
