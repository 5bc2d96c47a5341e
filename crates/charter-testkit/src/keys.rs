//! RSA keys for tests, generated once per test process. Generating RSA keys is the slow part of starting
//! Charter; every app in a test run draws from one small pool instead.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use charter_core::random::SystemTokenGenerator;
use charter_keys::SigningAlg;
use charter_keys::manager::KeyGenerator;
use charter_keys::material::{self, MaterialError};

const POOL: usize = 8;

fn pool() -> &'static [Vec<u8>] {
    static KEYS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = SystemTokenGenerator::new();
        (0..POOL)
            .map(|_| material::generate(SigningAlg::RS256, 2048, &rng).expect("RSA key generation"))
            .collect()
    })
}

/// Hands out pool keys for RSA (each at most once per app family: an app and its peers share one generator,
/// so no database ever gets the same key twice) and fresh keys for everything else.
#[derive(Debug, Default)]
pub struct PooledKeys {
    used: Mutex<HashSet<usize>>,
}

impl KeyGenerator for PooledKeys {
    fn generate(&self, alg: SigningAlg, rsa_bits: usize) -> Result<Vec<u8>, MaterialError> {
        if !alg.is_rsa() || rsa_bits != 2048 {
            return material::generate(alg, rsa_bits, &SystemTokenGenerator::new());
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        match (0..POOL).find(|i| !used.contains(i)) {
            Some(i) => {
                used.insert(i);
                Ok(pool()[i].clone())
            }
            None => material::generate(alg, rsa_bits, &SystemTokenGenerator::new()),
        }
    }
}
