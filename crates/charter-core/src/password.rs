//! Passwords: Argon2id at the OWASP parameters (m = 19456 KiB, t = 2, p = 1), stored as PHC strings so the
//! parameters travel with each hash and can be raised later ([`Verification::needs_rehash`]).
//!
//! Hashing is deliberately slow (~14 ms and 19 MiB per call in release). Callers run it off the async workers
//! and cap its concurrency; this module only does the arithmetic.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use crate::random::TokenGenerator;

/// What a password must be before Charter hashes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (Unicode scalar values), default 12.
    pub min_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_chars: 12 }
    }
}

/// Longer inputs are refused before any hashing, so a megabyte "password" costs nothing (OWASP).
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PasswordRejected {
    #[error("the password is shorter than {0} characters")]
    TooShort(usize),
    #[error("the password is longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

impl PasswordPolicy {
    /// Checks a new password. No composition rules and no truncation: length is what matters (NIST 800-63B).
    pub fn check(&self, password: &str) -> Result<(), PasswordRejected> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordRejected::TooLong);
        }
        if password.chars().count() < self.min_chars {
            return Err(PasswordRejected::TooShort(self.min_chars));
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The parameters Charter hashes with today.
fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(19_456, 2, 1, Some(32)).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh 128-bit salt.
pub fn hash_password(
    password: &SecretString,
    rng: &dyn TokenGenerator,
) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let hash = argon2()?
        .hash_password_with_salt(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches. `needs_rehash` is true when the stored hash uses other parameters than today's.
    Match {
        needs_rehash: bool,
    },
    Mismatch,
}

/// Checks `password` against a stored PHC string. Inputs over [`MAX_PASSWORD_BYTES`] and unparsable hashes
/// never match.
pub fn verify_password(password: &SecretString, stored: &str) -> Verification {
    let pw = password.expose_secret().as_bytes();
    if pw.len() > MAX_PASSWORD_BYTES {
        return Verification::Mismatch;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verification::Mismatch;
    };
    let Ok(hasher) = argon2() else {
        return Verification::Mismatch;
    };
    match hasher.verify_password(pw, &parsed) {
        Ok(()) => Verification::Match {
            needs_rehash: !uses_current_parameters(&parsed),
        },
        Err(_) => Verification::Mismatch,
    }
}

fn uses_current_parameters(hash: &PasswordHash) -> bool {
    let current = argon2().ok().map(|a| a.params().clone());
    let stored = Params::try_from(hash).ok();
    hash.algorithm.as_str() == "argon2id"
        && hash.version == Some(0x13)
        && matches!((stored, current), (Some(s), Some(c)) if s.m_cost() == c.m_cost() && s.t_cost() == c.t_cost() && s.p_cost() == c.p_cost())
}

/// A valid hash of a random password, verified against when the user does not exist, so that "no such user" and
/// "wrong password" take the same time (OWASP Authentication Cheat Sheet).
pub fn dummy_hash(rng: &dyn TokenGenerator) -> Result<String, HashError> {
    hash_password(&SecretString::from(rng.token(16)), rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemTokenGenerator;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn round_trip_with_owasp_parameters() {
        let rng = SystemTokenGenerator::new();
        let stored = hash_password(&secret("correct horse battery staple"), &rng).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            verify_password(&secret("correct horse battery staple"), &stored),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify_password(&secret("correct horse battery stapl"), &stored),
            Verification::Mismatch
        );
    }

    #[test]
    fn older_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let stored = weak
            .hash_password_with_salt(b"pw", &[1u8; 16])
            .unwrap()
            .to_string();
        assert_eq!(
            verify_password(&secret("pw"), &stored),
            Verification::Match { needs_rehash: true }
        );
    }

    #[test]
    fn garbage_never_matches() {
        assert_eq!(
            verify_password(&secret("x"), "not a hash"),
            Verification::Mismatch
        );
        assert_eq!(verify_password(&secret("x"), ""), Verification::Mismatch);
    }

    #[test]
    fn policy() {
        let p = PasswordPolicy::default();
        let cases: &[(&str, bool)] = &[
            ("short", false),
            ("exactly12chr", true),
            ("ünïcödé-pässwörd", true),
            ("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑", true),
        ];
        for (pw, ok) in cases {
            assert_eq!(p.check(pw).is_ok(), *ok, "{pw:?}");
        }
        assert!(p.check(&"a".repeat(128)).is_ok());
        assert_eq!(
            p.check(&"a".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(PasswordRejected::TooLong)
        );
    }

    #[test]
    fn no_truncation() {
        let rng = SystemTokenGenerator::new();
        let long = "a".repeat(200);
        let stored = hash_password(&secret(&long), &rng).unwrap();
        let mut other = long.clone();
        other.push('b');
        assert_eq!(
            verify_password(&secret(&other), &stored),
            Verification::Mismatch
        );
    }
}
