//! Registration is strict about a JWK Set; use is lenient; candidates follow alg and kid.

use serde_json::json;

use super::*;
use crate::auth::test_keys::{TestKey, rsa_jwk};

#[test]
fn registration_table() {
    let ec = TestKey::es256().jwk("ec-1");
    let ed = TestKey::ed25519().jwk("ed-1");
    let rsa = rsa_jwk("rsa-1");
    let with = |base: &Value, name: &str, v: Value| {
        let mut k = base.clone();
        k[name] = v;
        k
    };
    let without = |base: &Value, name: &str| {
        let mut k = base.clone();
        k.as_object_mut().unwrap().remove(name);
        k
    };
    let ok: Vec<(&str, Value)> = vec![
        ("empty set", json!({"keys": []})),
        ("ec, ed and rsa", json!({"keys": [ec, ed, rsa]})),
        (
            "alg that fits",
            json!({"keys": [with(&ec, "alg", json!("ES256"))]}),
        ),
        (
            "PS256 on rsa",
            json!({"keys": [with(&rsa, "alg", json!("PS256"))]}),
        ),
        (
            "key_ops verify",
            json!({"keys": [with(&ec, "key_ops", json!(["verify"]))]}),
        ),
        ("no kid", json!({"keys": [without(&ec, "kid")]})),
    ];
    for (name, set) in ok {
        assert_eq!(validate_registered(&set), Ok(()), "{name}");
    }
    let mut short_n = rsa.clone();
    short_n["n"] = json!(URL_SAFE_NO_PAD.encode([0xc5u8; 128]));
    let bad: Vec<(&str, Value)> = vec![
        ("not a set", json!({"kty": "EC"})),
        ("keys not an array", json!({"keys": {}})),
        (
            "private ec",
            json!({"keys": [with(&ec, "d", json!("AAAA"))]}),
        ),
        (
            "private rsa",
            json!({"keys": [with(&rsa, "p", json!("AAAA"))]}),
        ),
        (
            "symmetric",
            json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
        ),
        ("oct without k", json!({"keys": [{"kty": "oct"}]})),
        (
            "encryption key",
            json!({"keys": [with(&ec, "use", json!("enc"))]}),
        ),
        (
            "key_ops without verify",
            json!({"keys": [with(&ec, "key_ops", json!(["encrypt"]))]}),
        ),
        ("P-384", json!({"keys": [with(&ec, "crv", json!("P-384"))]})),
        (
            "X25519",
            json!({"keys": [with(&ed, "crv", json!("X25519"))]}),
        ),
        ("short x", json!({"keys": [with(&ec, "x", json!("AAAA"))]})),
        (
            "padded base64",
            json!({"keys": [with(&ed, "x", json!("AAAA="))]}),
        ),
        ("missing y", json!({"keys": [without(&ec, "y")]})),
        ("missing kty", json!({"keys": [without(&ec, "kty")]})),
        ("rsa under 2048 bits", json!({"keys": [short_n]})),
        ("HS256", json!({"keys": [with(&ec, "alg", json!("HS256"))]})),
        (
            "alg of another type",
            json!({"keys": [with(&ec, "alg", json!("RS256"))]}),
        ),
        (
            "kid not a string",
            json!({"keys": [with(&ec, "kid", json!(7))]}),
        ),
        ("a key not an object", json!({"keys": ["x"]})),
        (
            "too many keys",
            json!({"keys": vec![ec.clone(); MAX_KEYS + 1]}),
        ),
    ];
    for (name, set) in bad {
        assert!(validate_registered(&set).is_err(), "{name}");
    }
}

#[test]
fn use_skips_what_it_cannot_use() {
    let ec = TestKey::es256().jwk("ec-1");
    let set = json!({"keys": [
        ec,
        {"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA", "kid": "p384"},
        {"kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "k": "c2VjcmV0"},
    ]});
    let keys = ClientJwks::parse(&set).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys.has_kid("ec-1"));
    assert!(!keys.has_kid("p384"));
    assert_eq!(ClientJwks::parse(&json!([])), Err(JwksError::NotASet));
    assert_eq!(ClientJwks::parse_bytes(b"<html>"), Err(JwksError::NotJson));
}

#[test]
fn candidates_follow_alg_and_kid() {
    let mut pinned = TestKey::es256().jwk("ec-2");
    pinned["alg"] = json!("ES256");
    let set = json!({"keys": [
        TestKey::es256().jwk("ec-1"), pinned, TestKey::ed25519().jwk("ed-1"), rsa_jwk("rsa-1"),
    ]});
    let keys = ClientJwks::parse(&set).unwrap();
    let kids =
        |alg, kid| -> Vec<Option<&str>> { keys.candidates(alg, kid).map(ClientJwk::kid).collect() };
    assert_eq!(kids(SigningAlg::ES256, None), [Some("ec-1"), Some("ec-2")]);
    assert_eq!(kids(SigningAlg::ES256, Some("ec-2")), [Some("ec-2")]);
    assert_eq!(
        kids(SigningAlg::ES256, Some("ed-1")),
        Vec::<Option<&str>>::new()
    );
    assert_eq!(kids(SigningAlg::EdDSA, None), [Some("ed-1")]);
    assert_eq!(kids(SigningAlg::RS256, None), [Some("rsa-1")]);
    assert_eq!(kids(SigningAlg::PS256, Some("rsa-1")), [Some("rsa-1")]);
    assert_eq!(
        kids(SigningAlg::ES256, Some("nope")),
        Vec::<Option<&str>>::new()
    );
}
