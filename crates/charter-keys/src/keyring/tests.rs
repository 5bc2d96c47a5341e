//! Building a keyring from stored keys, and what it accepts.

use charter_core::Timestamp;
use charter_core::random::SystemTokenGenerator;
use jsonwebtoken::Validation;
use serde_json::{Value, json};

use super::*;
use crate::material::generate;

fn stored(alg: SigningAlg, state: KeyState, kek: &Kek, activated: i64) -> StoredKey {
    let der = match alg {
        SigningAlg::RS256 | SigningAlg::PS256 => crate::fixtures::rsa_pkcs8(),
        _ => generate(alg, 2048, &SystemTokenGenerator::new()).unwrap(),
    };
    let m = KeyPairMaterial::from_pkcs8(alg, &der).unwrap();
    let kid = m.kid().to_owned();
    StoredKey {
        private_key: kek.seal(&der, &kek::aad(&kid, alg.as_str())).unwrap(),
        public_jwk: serde_json::to_string(m.jwk()).unwrap(),
        kid,
        alg: alg.as_str().into(),
        state,
        kek_id: kek.id().into(),
        created_at: Timestamp::from_unix(0),
        activated_at: Some(Timestamp::from_unix(activated)),
        retired_at: None,
        remove_after: None,
    }
}

fn kek() -> Kek {
    Kek::from_bytes(&[5; 32]).unwrap()
}

fn validation() -> Validation {
    Validation {
        validate_aud: false,
        ..Validation::default()
    }
}

fn claims() -> Value {
    json!({ "sub": "s", "exp": 4_000_000_000u64 })
}

#[test]
fn signs_and_verifies_its_own_tokens() {
    let kek = kek();
    let keys = [
        stored(SigningAlg::ES256, KeyState::Active, &kek, 0),
        stored(SigningAlg::EdDSA, KeyState::Active, &kek, 0),
        stored(SigningAlg::PS256, KeyState::Active, &kek, 0),
    ];
    let ring = Keyring::build(&keys, &kek).unwrap();
    for alg in [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::PS256] {
        let token = ring
            .signer(alg)
            .unwrap()
            .sign_jwt("at+jwt", &claims())
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some(ring.signer(alg).unwrap().kid()));
        let got: Value = ring.verify(&token, "at+jwt", validation()).unwrap();
        assert_eq!(got["sub"], "s", "{alg}");
        // `application/at+jwt` is the same type (RFC 8725 §3.11), compared without regard to case.
        let long_form = ring
            .signer(alg)
            .unwrap()
            .sign_jwt("application/AT+JWT", &claims())
            .unwrap();
        assert!(
            ring.verify::<Value>(&long_form, "at+jwt", validation())
                .is_ok()
        );
    }
}

#[test]
fn refuses_wrong_type_unknown_key_tampering_and_expiry() {
    let kek = kek();
    let keys = [stored(SigningAlg::ES256, KeyState::Active, &kek, 0)];
    let ring = Keyring::build(&keys, &kek).unwrap();
    let signer = ring.signer(SigningAlg::ES256).unwrap();
    let token = signer.sign_jwt("JWT", &claims()).unwrap();

    assert!(matches!(
        ring.verify::<Value>(&token, "at+jwt", validation()),
        Err(VerifyError::WrongType)
    ));

    let other = Keyring::build(
        &[stored(SigningAlg::ES256, KeyState::Active, &kek, 0)],
        &kek,
    )
    .unwrap();
    assert!(matches!(
        other.verify::<Value>(&token, "JWT", validation()),
        Err(VerifyError::UnknownKey)
    ));

    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"sub":"admin","exp":4000000000}"#);
    let forged = parts.join(".");
    assert!(matches!(
        ring.verify::<Value>(&forged, "JWT", validation()),
        Err(VerifyError::Invalid(_))
    ));

    let expired = signer
        .sign_jwt("JWT", &json!({ "sub": "s", "exp": 1 }))
        .unwrap();
    assert!(matches!(
        ring.verify::<Value>(&expired, "JWT", validation()),
        Err(VerifyError::Invalid(_))
    ));

    assert!(matches!(
        ring.verify::<Value>("not.a.jwt", "JWT", validation()),
        Err(VerifyError::Malformed)
    ));
}

#[test]
fn alg_none_and_a_swapped_alg_are_refused() {
    let kek = kek();
    let keys = [stored(SigningAlg::ES256, KeyState::Active, &kek, 0)];
    let ring = Keyring::build(&keys, &kek).unwrap();
    let kid = ring.signer(SigningAlg::ES256).unwrap().kid().to_owned();
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    for alg in ["none", "HS256", "RS256"] {
        let header = json!({ "alg": alg, "typ": "JWT", "kid": kid });
        let token = format!("{}.{}.", b64(&header), b64(&claims()));
        assert!(
            ring.verify::<Value>(&token, "JWT", validation()).is_err(),
            "{alg}"
        );
    }
}

#[test]
fn only_published_keys_verify_and_only_active_keys_sign() {
    let kek = kek();
    let active = stored(SigningAlg::ES256, KeyState::Active, &kek, 0);
    let next = stored(SigningAlg::ES256, KeyState::Next, &kek, 0);
    let mut revoked = stored(SigningAlg::ES256, KeyState::Revoked, &kek, 0);
    revoked.private_key.clear();
    let ring = Keyring::build(&[active.clone(), next.clone(), revoked.clone()], &kek).unwrap();
    assert_eq!(ring.signer(SigningAlg::ES256).unwrap().kid(), active.kid);
    assert!(ring.is_published(&next.kid));
    assert!(!ring.is_published(&revoked.kid));
    let jwks: Value = serde_json::from_str(&ring.jwks()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(ring.can_sign(&[SigningAlg::ES256]));
    assert!(!ring.can_sign(&[SigningAlg::ES256, SigningAlg::RS256]));
}

#[test]
fn the_newest_active_key_signs_after_an_interrupted_change() {
    let kek = kek();
    let older = stored(SigningAlg::ES256, KeyState::Active, &kek, 10);
    let newer = stored(SigningAlg::ES256, KeyState::Active, &kek, 20);
    let ring = Keyring::build(&[newer.clone(), older], &kek).unwrap();
    assert_eq!(ring.signer(SigningAlg::ES256).unwrap().kid(), newer.kid);
}

#[test]
fn a_wrong_kek_is_named_not_guessed() {
    let kek = kek();
    let keys = [stored(SigningAlg::ES256, KeyState::Active, &kek, 0)];
    let other = Kek::from_bytes(&[6; 32]).unwrap();
    let err = Keyring::build(&keys, &other).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(kek.id()) && msg.contains(other.id()), "{msg}");
    // Same id but tampered ciphertext: a decryption error, not a panic.
    let mut tampered = keys[0].clone();
    let last = tampered.private_key.len() - 1;
    tampered.private_key[last] ^= 1;
    assert!(matches!(
        Keyring::build(&[tampered], &kek),
        Err(KeyringError::Decrypt { .. })
    ));
}

#[test]
fn the_jwks_etag_follows_the_content() {
    let kek = kek();
    let a = Keyring::build(
        &[stored(SigningAlg::ES256, KeyState::Active, &kek, 0)],
        &kek,
    )
    .unwrap();
    let b = Keyring::build(
        &[stored(SigningAlg::ES256, KeyState::Active, &kek, 0)],
        &kek,
    )
    .unwrap();
    assert_ne!(a.etag(), b.etag());
    assert!(a.etag().starts_with('"') && a.etag().ends_with('"'));
}
