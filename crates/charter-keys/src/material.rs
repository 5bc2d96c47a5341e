//! Key material: generation and signing.
//!
//! ring generates ECDSA P-256 and Ed25519 keys and does all signing. ring cannot generate RSA keys, so the
//! `rsa` crate (0.10, past RUSTSEC-2023-0071) generates them and hands over PKCS#8; nothing signs with it.
//! Key pairs are parsed once, when a key becomes usable, never per token: parsing an RSA key costs more than
//! signing with it.

use std::fmt;

use charter_core::random::TokenGenerator;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RSA_PSS_SHA256, RsaEncoding, RsaKeyPair, RsaPublicKeyComponents,
};
use rsa::pkcs8::EncodePrivateKey;
use rsa::rand_core::{TryCryptoRng, TryRng};
use thiserror::Error;

use crate::alg::SigningAlg;
use crate::jwk::Jwk;

#[derive(Debug, Error)]
pub enum MaterialError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("the stored {0} key does not parse")]
    Parse(SigningAlg),
    #[error("signing failed")]
    Sign,
}

/// Lets the `rsa` crate draw from Charter's `TokenGenerator` (the OS CSPRNG through ring).
struct RngAdapter<'a>(&'a dyn TokenGenerator);

impl TryRng for RngAdapter<'_> {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for RngAdapter<'_> {}

/// Generates a private key for `alg`, as PKCS#8 DER.
pub fn generate(
    alg: SigningAlg,
    rsa_bits: usize,
    rng: &dyn TokenGenerator,
) -> Result<Vec<u8>, MaterialError> {
    let ring_rng = SystemRandom::new();
    match alg {
        SigningAlg::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ring_rng)
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| MaterialError::Generate(e.to_string()))
        }
        SigningAlg::EdDSA => Ed25519KeyPair::generate_pkcs8(&ring_rng)
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| MaterialError::Generate(e.to_string())),
        SigningAlg::RS256 | SigningAlg::PS256 => {
            let key = rsa::PrivateKey::new(&mut RngAdapter(rng), rsa_bits)
                .map_err(|e| MaterialError::Generate(e.to_string()))?;
            key.to_pkcs8_der()
                .map(|d| d.as_bytes().to_vec())
                .map_err(|e| MaterialError::Generate(e.to_string()))
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A parsed private key that can sign, with its public JWK.
pub struct KeyPairMaterial {
    alg: SigningAlg,
    pair: Pair,
    jwk: Jwk,
    rng: SystemRandom,
}

impl fmt::Debug for KeyPairMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairMaterial")
            .field("alg", &self.alg)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

impl KeyPairMaterial {
    pub fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, MaterialError> {
        let rng = SystemRandom::new();
        let (pair, jwk) = match alg {
            SigningAlg::RS256 | SigningAlg::PS256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| MaterialError::Parse(alg))?;
                let public: RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                let jwk = Jwk::rsa(alg, &public.n, &public.e);
                (Pair::Rsa(pair), jwk)
            }
            SigningAlg::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(|_| MaterialError::Parse(alg))?;
                let jwk = Jwk::p256(pair.public_key().as_ref()).ok_or(MaterialError::Parse(alg))?;
                (Pair::Ecdsa(pair), jwk)
            }
            SigningAlg::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| MaterialError::Parse(alg))?;
                let jwk = Jwk::ed25519(pair.public_key().as_ref());
                (Pair::Ed25519(pair), jwk)
            }
        };
        Ok(Self {
            alg,
            pair,
            jwk,
            rng,
        })
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// Signs `message` (the JWS signing input).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MaterialError> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let padding: &'static dyn RsaEncoding = if self.alg == SigningAlg::PS256 {
                    &RSA_PSS_SHA256
                } else {
                    &RSA_PKCS1_SHA256
                };
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(padding, &self.rng, message, &mut sig)
                    .map_err(|_| MaterialError::Sign)?;
                Ok(sig)
            }
            Pair::Ecdsa(pair) => pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| MaterialError::Sign),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use charter_core::random::SystemTokenGenerator;

    #[test]
    fn generated_keys_parse_and_sign() {
        let rng = SystemTokenGenerator::new();
        for alg in [SigningAlg::ES256, SigningAlg::EdDSA] {
            let der = generate(alg, 2048, &rng).unwrap();
            let k = KeyPairMaterial::from_pkcs8(alg, &der).unwrap();
            assert_eq!(k.alg(), alg);
            assert!(!k.sign(b"msg").unwrap().is_empty());
            assert_eq!(k.kid(), k.jwk().thumbprint());
        }
    }

    #[test]
    fn rsa_generation_gives_a_key_ring_accepts() {
        let rng = SystemTokenGenerator::new();
        let der = generate(SigningAlg::RS256, 2048, &rng).unwrap();
        let k = KeyPairMaterial::from_pkcs8(SigningAlg::RS256, &der).unwrap();
        assert_eq!(k.sign(b"m").unwrap().len(), 256);
        assert_eq!(k.jwk().e.as_deref(), Some("AQAB"));
    }

    #[test]
    fn fixture_rsa_key_signs_both_paddings() {
        for alg in [SigningAlg::RS256, SigningAlg::PS256] {
            let k = KeyPairMaterial::from_pkcs8(alg, &fixtures::rsa_pkcs8()).unwrap();
            assert_eq!(k.jwk().alg, alg.as_str());
            assert_eq!(k.sign(b"m").unwrap().len(), 256);
        }
    }

    #[test]
    fn garbage_does_not_parse() {
        for alg in SigningAlg::ALL {
            assert!(KeyPairMaterial::from_pkcs8(alg, b"nope").is_err());
        }
    }
}
