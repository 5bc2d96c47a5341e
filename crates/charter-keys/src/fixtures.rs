//! Test fixtures: RSA keys generated once per test process (RSA generation is the slow part of key tests).

use std::sync::OnceLock;

use charter_core::random::SystemTokenGenerator;

use crate::alg::SigningAlg;
use crate::material::generate;

pub fn rsa_pkcs8() -> Vec<u8> {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        generate(SigningAlg::RS256, 2048, &SystemTokenGenerator::new()).unwrap_or_default()
    })
    .clone()
}
