//! Passwords: Argon2id at the OWASP parameters (m = 19456 KiB, t = 2, p = 1), stored as PHC strings so the
//! parameters travel with each hash and can be raised later ([`Verification::needs_rehash`]).
//!
//! Hashing is deliberately slow (~14 ms and 19 MiB per call in release). Callers run it off the async workers
//! and cap its concurrency; this module only does the arithmetic.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
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

/// Argon2id's memory cost at Charter's parameters, in KiB (= 1 KiB blocks).
const M_COST: u32 = 19_456;

/// A stored hash asking for more memory than this (KiB) is refused rather than computed: a corrupt or hostile
/// row must not make a sign-in allocate gigabytes.
const MAX_M_COST: u32 = 8 * M_COST;

/// The parameters Charter hashes with today.
fn params() -> Result<Params, HashError> {
    Params::new(M_COST, 2, 1, Some(32)).map_err(|e| HashError(e.to_string()))
}

thread_local! {
    /// Working memory kept between hashes on threads that asked for it ([`keep_memory_on_this_thread`]).
    static WORKSPACE: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// Makes this thread keep Argon2's 19 MiB of working memory from one hash to the next instead of allocating it
/// each time. For the few dedicated hashing threads of a server: with the allocator left to itself, every thread
/// that ever hashed can end up holding its own freed 19 MiB (glibc's per-thread arenas and its adaptive mmap
/// threshold), and a sign-in storm spread over many threads grows the process by hundreds of MiB. The memory is
/// allocated at the first hash, not here.
pub fn keep_memory_on_this_thread() {
    WORKSPACE.with(|w| {
        let mut w = w.borrow_mut();
        if w.is_none() {
            *w = Some(Vec::new());
        }
    });
}

/// Runs Argon2 with `blocks` KiB of working memory: this thread's kept memory when it has some, else a fresh
/// allocation freed afterwards.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = argon2.params().block_count();
    WORKSPACE.with(|w| match w.borrow_mut().as_mut() {
        Some(memory) => {
            if memory.len() < blocks {
                memory.resize(blocks, Block::new());
            }
            argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        }
        None => {
            let mut memory = vec![Block::new(); blocks];
            argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..])
        }
    })
}

/// Hashes a password with a fresh 128-bit salt, into a PHC string.
pub fn hash_password(
    password: &SecretString,
    rng: &dyn TokenGenerator,
) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let params = params()?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    compute(
        &argon2,
        password.expose_secret().as_bytes(),
        &salt,
        &mut out,
    )
    .map_err(|e| HashError(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| HashError(e.to_string()))?,
        salt: Some(Salt::new(&salt).map_err(|e| HashError(e.to_string()))?),
        hash: Some(Output::new(&out).map_err(|e| HashError(e.to_string()))?),
    };
    Ok(phc.to_string())
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
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Verification::Mismatch;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return Verification::Mismatch;
    };
    let Ok(version) = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map(Option::unwrap_or_default)
    else {
        return Verification::Mismatch;
    };
    let Ok(stored_params) = Params::try_from(&parsed) else {
        return Verification::Mismatch;
    };
    if stored_params.m_cost() > MAX_M_COST {
        return Verification::Mismatch;
    }
    let argon2 = Argon2::new(algorithm, version, stored_params);
    let mut out = vec![0u8; expected.as_ref().len()];
    if compute(&argon2, pw, salt.as_ref(), &mut out).is_err() {
        return Verification::Mismatch;
    }
    // `Output`'s equality is constant-time.
    match Output::new(&out) {
        Ok(computed) if &computed == expected => Verification::Match {
            needs_rehash: !uses_current_parameters(&parsed),
        },
        _ => Verification::Mismatch,
    }
}

fn uses_current_parameters(hash: &PasswordHash) -> bool {
    let current = params().ok();
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
    fn threads_that_keep_memory_hash_and_verify_alike() {
        let rng = SystemTokenGenerator::new();
        let elsewhere = hash_password(&secret("correct horse battery staple"), &rng).unwrap();
        std::thread::spawn(move || {
            keep_memory_on_this_thread();
            let rng = SystemTokenGenerator::new();
            for _ in 0..2 {
                let here = hash_password(&secret("correct horse battery staple"), &rng).unwrap();
                for stored in [&here, &elsewhere] {
                    assert_eq!(
                        verify_password(&secret("correct horse battery staple"), stored),
                        Verification::Match {
                            needs_rehash: false
                        }
                    );
                    assert_eq!(
                        verify_password(&secret("correct horse battery stapler"), stored),
                        Verification::Mismatch
                    );
                }
            }
        })
        .join()
        .unwrap();
    }

    #[test]
    fn hashes_asking_for_huge_memory_are_refused_without_computing() {
        let stored = "$argon2id$v=19$m=4194304,t=2,p=1$AQEBAQEBAQEBAQEBAQEBAQ$\
                      c2FtZS1sZW5ndGgtYXMtYS1yZWFsLW91dHB1dC0zMmI";
        assert_eq!(
            verify_password(&secret("pw"), stored),
            Verification::Mismatch
        );
    }

    #[test]
    fn older_parameters_ask_for_a_rehash() {
        use argon2::password_hash::PasswordHasher;
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
