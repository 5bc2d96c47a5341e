//! # charter-keys: signing keys that rotate without anyone noticing
//!
//! Relying parties trust Charter through its JWKS. This crate keeps that trust working across rotations and
//! lets an operator withdraw a leaked key at once.
//!
//! - [`alg`]: the signing algorithms (RS256, PS256, ES256, EdDSA).
//! - [`material`]: generating keys (ring for EC and Ed25519, the `rsa` crate for RSA key generation only) and
//!   signing with pre-parsed ring key pairs.
//! - [`kek`]: private keys at rest, AES-256-GCM under a key-encryption key with its own id.
//! - [`jwk`]: public JWKs and their RFC 7638 thumbprints (the `kid`).
//! - [`lifecycle`]: `next -> active -> retired -> removed` (and `revoked`) as pure functions of
//!   (keys, now, policy), tested with an injected clock.
//! - [`provider`]: jsonwebtoken's crypto provider, implemented with ring (one crypto library).
//! - [`keyring`]: the in-memory view a node serves from: signers, verification keys, the precomputed JWKS.
//! - [`manager`]: applying the lifecycle to the database, on one node at a time.
//! - [`report`]: what applied changes meant for operators (rotations, withdrawals), for the audit trail.

pub mod alg;
pub mod jwk;
pub mod kek;
pub mod keyring;
pub mod lifecycle;
pub mod manager;
pub mod material;
pub mod provider;
pub mod report;

pub use alg::SigningAlg;
pub use kek::Kek;
pub use keyring::{Keyring, SharedKeyring, Signer, VerifyError};
pub use lifecycle::Policy;
pub use manager::{KeyError, KeySettings};

#[cfg(test)]
mod fixtures;
