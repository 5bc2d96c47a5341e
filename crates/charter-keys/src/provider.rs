//! jsonwebtoken's crypto, implemented with ring.
//!
//! jsonwebtoken 11 no longer ships a ring backend; its `rust_crypto` backend signs RSA with `rsa` 0.9 (the
//! Marvin timing attack, RUSTSEC-2023-0071) and its `aws_lc_rs` backend would add a second crypto library. This
//! provider keeps one: ring. HMAC is refused outright: Charter never accepts a symmetric-key JWT, so a
//! public key can never be confused with an HMAC secret (the classic algorithm-confusion attack).
//!
//! Charter itself signs through pre-parsed key pairs ([`crate::material`]); this provider serves decoding and
//! validation (and `jsonwebtoken::encode` where tests use it).

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature as sig;
use ring::signature::KeyPair;

/// Installs the ring provider as jsonwebtoken's process default. Idempotent.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = PROVIDER.install_default();
    });
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        rsa_pub_components_from_public_key: |_| {
            Err(ErrorKind::InvalidRsaKey("not supported by Charter's provider".into()).into())
        },
        ec_pub_components_from_private_key: ec_components_from_private_key,
        ed_pub_components_from_private_key: ed_component_from_private_key,
        compute_digest,
    },
};

enum SignKey {
    Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

struct RingSigner {
    alg: Algorithm,
    key: SignKey,
    rng: SystemRandom,
}

fn rsa_pair(der: &[u8]) -> Result<sig::RsaKeyPair> {
    sig::RsaKeyPair::from_der(der)
        .or_else(|_| sig::RsaKeyPair::from_pkcs8(der))
        .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()).into())
}

fn ecdsa_signing(alg: Algorithm) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match alg {
        Algorithm::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        _ => None,
    }
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    let rng = SystemRandom::new();
    let der = key.as_bytes();
    let key = match alg {
        Algorithm::RS256 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PKCS1_SHA256),
        Algorithm::RS384 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PKCS1_SHA384),
        Algorithm::RS512 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PKCS1_SHA512),
        Algorithm::PS256 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PSS_SHA256),
        Algorithm::PS384 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PSS_SHA384),
        Algorithm::PS512 => SignKey::Rsa(rsa_pair(der)?, &sig::RSA_PSS_SHA512),
        Algorithm::ES256 | Algorithm::ES384 => {
            let signing = ecdsa_signing(*alg).ok_or(ErrorKind::InvalidAlgorithm)?;
            SignKey::Ecdsa(
                sig::EcdsaKeyPair::from_pkcs8(signing, der, &rng)
                    .map_err(|_| ErrorKind::InvalidEcdsaKey)?,
            )
        }
        Algorithm::EdDSA => SignKey::Ed25519(
            sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|_| ErrorKind::InvalidEddsaKey)?,
        ),
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(Box::new(RingSigner {
        alg: *alg,
        key,
        rng,
    }))
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        match &self.key {
            SignKey::Rsa(pair, enc) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(*enc, &self.rng, msg, &mut out)
                    .map_err(|_| signature::Error::new())?;
                Ok(out)
            }
            SignKey::Ecdsa(pair) => pair
                .sign(&self.rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            SignKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            Err(ErrorKind::UnsupportedAlgorithm.into())
        }
        _ => Ok(Box::new(RingVerifier {
            alg: *alg,
            key: key.clone(),
        })),
    }
}

fn verify_with(
    params: &'static dyn sig::VerificationAlgorithm,
    key: &DecodingKey,
    msg: &[u8],
    signature: &[u8],
) -> std::result::Result<(), signature::Error> {
    match key.kind() {
        DecodingKeyKind::SecretOrDer(bytes) => sig::UnparsedPublicKey::new(params, bytes)
            .verify(msg, signature)
            .map_err(|_| signature::Error::new()),
        DecodingKeyKind::RsaModulusExponent { .. } => Err(signature::Error::new()),
    }
}

fn verify_rsa(
    params: &'static sig::RsaParameters,
    key: &DecodingKey,
    msg: &[u8],
    signature: &[u8],
) -> std::result::Result<(), signature::Error> {
    match key.kind() {
        DecodingKeyKind::RsaModulusExponent { n, e } => sig::RsaPublicKeyComponents { n, e }
            .verify(params, msg, signature)
            .map_err(|_| signature::Error::new()),
        DecodingKeyKind::SecretOrDer(_) => verify_with(params, key, msg, signature),
    }
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let key = &self.key;
        match self.alg {
            Algorithm::RS256 => verify_rsa(&sig::RSA_PKCS1_2048_8192_SHA256, key, msg, signature),
            Algorithm::RS384 => verify_rsa(&sig::RSA_PKCS1_2048_8192_SHA384, key, msg, signature),
            Algorithm::RS512 => verify_rsa(&sig::RSA_PKCS1_2048_8192_SHA512, key, msg, signature),
            Algorithm::PS256 => verify_rsa(&sig::RSA_PSS_2048_8192_SHA256, key, msg, signature),
            Algorithm::PS384 => verify_rsa(&sig::RSA_PSS_2048_8192_SHA384, key, msg, signature),
            Algorithm::PS512 => verify_rsa(&sig::RSA_PSS_2048_8192_SHA512, key, msg, signature),
            Algorithm::ES256 => verify_with(&sig::ECDSA_P256_SHA256_FIXED, key, msg, signature),
            Algorithm::ES384 => verify_with(&sig::ECDSA_P384_SHA384_FIXED, key, msg, signature),
            Algorithm::EdDSA => verify_with(&sig::ED25519, key, msg, signature),
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn rsa_components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let pair = rsa_pair(der)?;
    let public: sig::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
    Ok((public.n, public.e))
}

fn ec_components_from_private_key(
    der: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>)> {
    let (curve, len) = match alg {
        Algorithm::ES256 => (EllipticCurve::P256, 32),
        Algorithm::ES384 => (EllipticCurve::P384, 48),
        _ => return Err(ErrorKind::InvalidEcdsaKey.into()),
    };
    let signing = ecdsa_signing(alg).ok_or(ErrorKind::InvalidEcdsaKey)?;
    let pair = sig::EcdsaKeyPair::from_pkcs8(signing, der, &SystemRandom::new())
        .map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    let point = pair.public_key().as_ref();
    if point.first() != Some(&4) || point.len() != 1 + 2 * len {
        return Err(ErrorKind::InvalidEcdsaKey.into());
    }
    let (x, y) = point[1..].split_at(len);
    Ok((curve, x.to_vec(), y.to_vec()))
}

fn ed_component_from_private_key(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    match curve {
        EllipticCurve::Ed25519 => Ok(sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|_| ErrorKind::InvalidEddsaKey)?
            .public_key()
            .as_ref()
            .to_vec()),
        _ => Err(Error::from(ErrorKind::InvalidAlgorithm)),
    }
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(ErrorKind::UnsupportedAlgorithm.into()),
    };
    Ok(ring::digest::digest(alg, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use charter_core::random::SystemTokenGenerator;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    fn claims() -> Value {
        json!({ "sub": "x", "exp": 4_000_000_000u64 })
    }

    #[test]
    fn round_trips_through_jsonwebtoken() {
        install();
        let rng = SystemTokenGenerator::new();
        let es = crate::material::generate(crate::SigningAlg::ES256, 0, &rng).unwrap();
        let ed = crate::material::generate(crate::SigningAlg::EdDSA, 0, &rng).unwrap();
        let es_pub =
            crate::material::KeyPairMaterial::from_pkcs8(crate::SigningAlg::ES256, &es).unwrap();
        let ed_pub =
            crate::material::KeyPairMaterial::from_pkcs8(crate::SigningAlg::EdDSA, &ed).unwrap();
        let rsa = fixtures::rsa_pkcs8();
        let rsa_pub =
            crate::material::KeyPairMaterial::from_pkcs8(crate::SigningAlg::RS256, &rsa).unwrap();
        let cases = [
            (
                Algorithm::ES256,
                EncodingKey::from_ec_der(&es),
                es_pub.jwk().clone(),
            ),
            (
                Algorithm::EdDSA,
                EncodingKey::from_ed_der(&ed),
                ed_pub.jwk().clone(),
            ),
            (
                Algorithm::RS256,
                EncodingKey::from_rsa_der(&rsa),
                rsa_pub.jwk().clone(),
            ),
            (
                Algorithm::PS256,
                EncodingKey::from_rsa_der(&rsa),
                rsa_pub.jwk().clone(),
            ),
        ];
        for (alg, enc, jwk) in cases {
            let token = encode(&Header::new(alg), &claims(), &enc).unwrap();
            let dec = crate::keyring::decoding_key(&jwk).unwrap();
            let data = decode::<Value>(&token, &dec, &Validation::new(alg)).unwrap();
            assert_eq!(data.claims["sub"], "x", "{alg:?}");
        }
    }

    #[test]
    fn hmac_is_refused() {
        install();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"k"),
        );
        // Signing HMAC is unsupported too: Charter's provider knows no symmetric keys.
        assert!(token.is_err());
        let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MDAwMDAwMDAwfQ.sig";
        let res = decode::<Value>(
            forged,
            &DecodingKey::from_secret(b"k"),
            &Validation::new(Algorithm::HS256),
        );
        assert!(res.is_err());
    }
}
