//! What a node signs and verifies with, built from the stored keys whenever the key set changes:
//!
//! - one [`Signer`] per algorithm (the `active` key, decrypted and parsed once);
//! - the verification keys of every published key (`next`, `active`, `retired`), by `kid` — a revoked or
//!   removed key is simply absent, so its tokens fail at once;
//! - the JWKS document, serialised once with its ETag, so serving it costs no work per request.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_core::keys::{KeyState, StoredKey};
use jsonwebtoken::{DecodingKey, Header, Validation, decode, decode_header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::alg::SigningAlg;
use crate::jwk::Jwk;
use crate::kek::{self, Kek};
use crate::material::{KeyPairMaterial, MaterialError};

/// The active key of one algorithm.
#[derive(Debug)]
pub struct Signer {
    material: KeyPairMaterial,
}

#[derive(Debug, Error)]
pub enum SignError {
    #[error("cannot serialise the token: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Material(#[from] MaterialError),
}

impl Signer {
    pub fn kid(&self) -> &str {
        self.material.kid()
    }

    pub fn alg(&self) -> SigningAlg {
        self.material.alg()
    }

    /// A compact JWS of `claims` with `alg`, `kid` and `typ` in its header.
    pub fn sign_jwt<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, SignError> {
        let mut header = Header::new(self.alg().jwt());
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid().to_owned());
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let signature = self.material.sign(token.as_bytes())?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }
}

/// Why a token was refused.
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's key is unknown, revoked or removed")]
    UnknownKey,
    #[error("the token's algorithm does not match its key")]
    WrongAlgorithm,
    #[error("the token has the wrong type (typ)")]
    WrongType,
    #[error("the token is invalid: {0}")]
    Invalid(jsonwebtoken::errors::Error),
}

struct VerificationKey {
    alg: SigningAlg,
    key: DecodingKey,
}

/// The public key of a JWK, for jsonwebtoken.
pub(crate) fn decoding_key(jwk: &Jwk) -> Option<DecodingKey> {
    match jwk.kty.as_str() {
        "RSA" => DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok(),
        "EC" => DecodingKey::from_ec_components(jwk.x.as_deref()?, jwk.y.as_deref()?).ok(),
        "OKP" => DecodingKey::from_ed_components(jwk.x.as_deref()?).ok(),
        _ => None,
    }
}

/// Errors building a keyring from stored keys.
#[derive(Debug, Error)]
pub enum KeyringError {
    #[error(
        "signing key {kid} is encrypted under key-encryption key {stored}, but the configured key-encryption \
         key is {configured}"
    )]
    WrongKek {
        kid: String,
        stored: String,
        configured: String,
    },
    #[error(
        "signing key {kid} does not decrypt under {kek}: wrong key-encryption key or corrupted data"
    )]
    Decrypt { kid: String, kek: String },
    #[error("signing key {kid}: {detail}")]
    Corrupt { kid: String, detail: String },
}

/// The JWKS document.
#[derive(Serialize)]
struct Jwks<'a> {
    keys: Vec<&'a Jwk>,
}

/// Signers, verification keys and the JWKS of one key set.
pub struct Keyring {
    signers: BTreeMap<SigningAlg, Arc<Signer>>,
    verifiers: HashMap<String, VerificationKey>,
    jwks: Arc<str>,
    etag: Arc<str>,
    fingerprint: Vec<(String, KeyState)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("signers", &self.signers.keys().collect::<Vec<_>>())
            .field("published", &self.verifiers.len())
            .finish_non_exhaustive()
    }
}

/// Identifies a key set: which keys exist in which state. Equal fingerprints mean nothing to rebuild.
pub fn fingerprint(keys: &[StoredKey]) -> Vec<(String, KeyState)> {
    let mut f: Vec<_> = keys.iter().map(|k| (k.kid.clone(), k.state)).collect();
    f.sort();
    f
}

fn state_rank(s: KeyState) -> u8 {
    match s {
        KeyState::Active => 0,
        KeyState::Next => 1,
        _ => 2,
    }
}

impl Keyring {
    /// A keyring with nothing in it (before the first load).
    pub fn empty() -> Self {
        Self::from_parts(BTreeMap::new(), HashMap::new(), Vec::new(), Vec::new())
    }

    /// Builds the keyring of `keys`, decrypting the active keys with `kek`.
    pub fn build(keys: &[StoredKey], kek: &Kek) -> Result<Self, KeyringError> {
        let mut published: Vec<(&StoredKey, Jwk)> = Vec::new();
        let mut signers = BTreeMap::new();
        let mut verifiers = HashMap::new();
        let mut ordered: Vec<&StoredKey> = keys.iter().filter(|k| k.state.is_published()).collect();
        // Oldest activation first, so that if an interrupted change left two active keys of one algorithm,
        // the newest is inserted last and signs.
        ordered.sort_by_key(|k| (k.activated_at, k.created_at));
        for key in ordered {
            let corrupt = |detail: String| KeyringError::Corrupt {
                kid: key.kid.clone(),
                detail,
            };
            let alg: SigningAlg = key.alg.parse().map_err(corrupt)?;
            let jwk: Jwk =
                serde_json::from_str(&key.public_jwk).map_err(|e| corrupt(e.to_string()))?;
            let dec = decoding_key(&jwk).ok_or_else(|| corrupt("unusable public JWK".into()))?;
            if key.kek_id != kek.id() {
                return Err(KeyringError::WrongKek {
                    kid: key.kid.clone(),
                    stored: key.kek_id.clone(),
                    configured: kek.id().to_owned(),
                });
            }
            if key.state == KeyState::Active {
                let der = kek
                    .open(&key.private_key, &kek::aad(&key.kid, &key.alg))
                    .map_err(|_| KeyringError::Decrypt {
                        kid: key.kid.clone(),
                        kek: kek.id().to_owned(),
                    })?;
                let material =
                    KeyPairMaterial::from_pkcs8(alg, &der).map_err(|e| corrupt(e.to_string()))?;
                if material.kid() != key.kid {
                    return Err(corrupt("the private key does not match its kid".into()));
                }
                signers.insert(alg, Arc::new(Signer { material }));
            }
            verifiers.insert(key.kid.clone(), VerificationKey { alg, key: dec });
            published.push((key, jwk));
        }
        published.sort_by_key(|(k, _)| {
            (
                k.alg.clone(),
                state_rank(k.state),
                k.created_at,
                k.kid.clone(),
            )
        });
        let jwks: Vec<Jwk> = published.into_iter().map(|(_, j)| j).collect();
        Ok(Self::from_parts(
            signers,
            verifiers,
            jwks,
            fingerprint(keys),
        ))
    }

    fn from_parts(
        signers: BTreeMap<SigningAlg, Arc<Signer>>,
        verifiers: HashMap<String, VerificationKey>,
        jwks: Vec<Jwk>,
        fingerprint: Vec<(String, KeyState)>,
    ) -> Self {
        let body = serde_json::to_string(&Jwks {
            keys: jwks.iter().collect(),
        })
        .unwrap_or_else(|_| r#"{"keys":[]}"#.to_owned());
        let digest = ring::digest::digest(&ring::digest::SHA256, body.as_bytes());
        let etag = format!("\"{}\"", &URL_SAFE_NO_PAD.encode(digest.as_ref())[..22]);
        Self {
            signers,
            verifiers,
            jwks: body.into(),
            etag: etag.into(),
            fingerprint,
        }
    }

    pub fn signer(&self, alg: SigningAlg) -> Option<Arc<Signer>> {
        self.signers.get(&alg).cloned()
    }

    /// Ready to serve: a signer for each of `algs`.
    pub fn can_sign(&self, algs: &[SigningAlg]) -> bool {
        algs.iter().all(|a| self.signers.contains_key(a))
    }

    /// The JWKS document, serialised.
    pub fn jwks(&self) -> Arc<str> {
        self.jwks.clone()
    }

    pub fn etag(&self) -> Arc<str> {
        self.etag.clone()
    }

    pub fn fingerprint(&self) -> &[(String, KeyState)] {
        &self.fingerprint
    }

    pub fn is_published(&self, kid: &str) -> bool {
        self.verifiers.contains_key(kid)
    }

    /// Verifies a JWT Charter signed: its `kid` must be a published key, its `alg` that key's algorithm, its
    /// `typ` the expected one (compared without an `application/` prefix, case-insensitively, RFC 8725 §3.11),
    /// then the signature and the claims `validation` asks for.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
        mut validation: Validation,
    ) -> Result<T, VerifyError> {
        crate::provider::install();
        let header = decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.as_deref().ok_or(VerifyError::UnknownKey)?;
        let key = self.verifiers.get(kid).ok_or(VerifyError::UnknownKey)?;
        if header.alg != key.alg.jwt() {
            return Err(VerifyError::WrongAlgorithm);
        }
        let token_typ = header.typ.as_deref().unwrap_or("");
        let token_typ = token_typ.strip_prefix("application/").unwrap_or(token_typ);
        if !token_typ.eq_ignore_ascii_case(typ) {
            return Err(VerifyError::WrongType);
        }
        validation.algorithms = vec![key.alg.jwt()];
        decode::<T>(token, &key.key, &validation)
            .map(|d| d.claims)
            .map_err(VerifyError::Invalid)
    }
}

/// The keyring a node currently serves from, swapped whole when the key set changes.
#[derive(Debug)]
pub struct SharedKeyring(RwLock<Arc<Keyring>>);

impl SharedKeyring {
    pub fn new(keyring: Keyring) -> Self {
        Self(RwLock::new(Arc::new(keyring)))
    }

    pub fn current(&self) -> Arc<Keyring> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, keyring: Keyring) {
        let new = Arc::new(keyring);
        match self.0.write() {
            Ok(mut g) => *g = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

#[cfg(test)]
mod tests;
