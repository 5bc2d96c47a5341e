//! The assertion rules, table by table: header, key choice and signature, then the claims with a pinned clock.

use serde_json::{Value, json};

use super::*;
use crate::auth::jwks::ClientJwks;
use crate::auth::test_keys::{TestKey, unsigned};
use AssertionFailure::*;

const ISSUER: &str = "https://id.example";
const NOW: i64 = 1_800_000_000;

fn client() -> ClientId {
    ClientId::parse("rp-1").unwrap()
}

fn expect(client: &ClientId) -> AssertionExpectation<'_> {
    AssertionExpectation {
        client_id: client,
        issuer: ISSUER,
        now: Timestamp::from_unix(NOW),
        skew: Duration::from_secs(60),
    }
}

fn good_claims() -> Value {
    json!({"iss": "rp-1", "sub": "rp-1", "aud": ISSUER, "exp": NOW + 60, "iat": NOW, "jti": "j-1"})
}

#[test]
fn claims_table() {
    let with = |name: &str, v: Value| {
        let mut c = good_claims();
        c[name] = v;
        c
    };
    let without = |name: &str| {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(name);
        c
    };
    let cases: Vec<(&str, Value, Result<i64, AssertionFailure>)> = vec![
        ("good", good_claims(), Ok(NOW + 120)),
        (
            "exp 5 minutes ahead",
            with("exp", json!(NOW + 300)),
            Ok(NOW + 360),
        ),
        (
            "exp 5 minutes + skew ahead",
            with("exp", json!(NOW + 360)),
            Ok(NOW + 420),
        ),
        (
            "exp beyond",
            with("exp", json!(NOW + 361)),
            Err(LifetimeTooLong),
        ),
        (
            "exp a day ahead",
            with("exp", json!(NOW + 86_400)),
            Err(LifetimeTooLong),
        ),
        (
            "exp passed within skew",
            with("exp", json!(NOW - 59)),
            Ok(NOW + 1),
        ),
        (
            "exp passed beyond skew",
            with("exp", json!(NOW - 60)),
            Err(Expired),
        ),
        (
            "exp long passed",
            with("exp", json!(NOW - 3600)),
            Err(Expired),
        ),
        (
            "exp fractional",
            with("exp", json!((NOW + 60) as f64 + 0.5)),
            Ok(NOW + 120),
        ),
        ("exp missing", without("exp"), Err(MissingClaim("exp"))),
        (
            "exp a string",
            with("exp", json!("soon")),
            Err(InvalidClaim("exp")),
        ),
        ("iss missing", without("iss"), Err(MissingClaim("iss"))),
        (
            "iss another client",
            with("iss", json!("rp-2")),
            Err(WrongIssuer),
        ),
        (
            "iss not a string",
            with("iss", json!(1)),
            Err(InvalidClaim("iss")),
        ),
        ("sub missing", without("sub"), Err(MissingClaim("sub"))),
        (
            "sub another client",
            with("sub", json!("rp-2")),
            Err(WrongSubject),
        ),
        ("aud missing", without("aud"), Err(MissingClaim("aud"))),
        (
            "aud the token endpoint",
            with("aud", json!("https://id.example/token")),
            Err(WrongAudience),
        ),
        (
            "aud issuer with a slash",
            with("aud", json!("https://id.example/")),
            Err(WrongAudience),
        ),
        (
            "aud array with the issuer",
            with("aud", json!([ISSUER])),
            Err(AudienceNotSingle),
        ),
        (
            "aud array of issuer and endpoint",
            with("aud", json!([ISSUER, "https://id.example/token"])),
            Err(AudienceNotSingle),
        ),
        (
            "aud an object",
            with("aud", json!({"a": ISSUER})),
            Err(InvalidClaim("aud")),
        ),
        (
            "aud another server",
            with("aud", json!("https://other.example")),
            Err(WrongAudience),
        ),
        ("nbf now", with("nbf", json!(NOW)), Ok(NOW + 120)),
        ("nbf in skew", with("nbf", json!(NOW + 60)), Ok(NOW + 120)),
        ("nbf future", with("nbf", json!(NOW + 61)), Err(NotYetValid)),
        (
            "iat future",
            with("iat", json!(NOW + 61)),
            Err(IssuedInFuture),
        ),
        ("iat absent", without("iat"), Ok(NOW + 120)),
        (
            "iat a string",
            with("iat", json!("now")),
            Err(InvalidClaim("iat")),
        ),
        ("jti missing", without("jti"), Err(MissingClaim("jti"))),
        (
            "jti empty",
            with("jti", json!("")),
            Err(MissingClaim("jti")),
        ),
        (
            "jti a number",
            with("jti", json!(7)),
            Err(InvalidClaim("jti")),
        ),
        (
            "jti 256",
            with("jti", json!("j".repeat(256))),
            Ok(NOW + 120),
        ),
        (
            "jti 257",
            with("jti", json!("j".repeat(257))),
            Err(JtiTooLong),
        ),
    ];
    let c = client();
    for (name, claims, want) in cases {
        let got = check_claims(&claims, &expect(&c)).map(|v| v.remember_until.unix());
        assert_eq!(got, want, "{name}");
    }
    let verified = check_claims(&good_claims(), &expect(&c)).unwrap();
    assert_eq!(verified.jti, "j-1");
}

#[test]
fn header_table() {
    let claims = good_claims();
    type Expected<'a> = Result<(SigningAlg, Option<&'a str>), AssertionFailure>;
    let cases: Vec<(&str, Value, Expected<'_>)> = vec![
        (
            "ES256 with kid",
            json!({"alg": "ES256", "kid": "k1"}),
            Ok((SigningAlg::ES256, Some("k1"))),
        ),
        (
            "RS256",
            json!({"alg": "RS256"}),
            Ok((SigningAlg::RS256, None)),
        ),
        (
            "PS256",
            json!({"alg": "PS256", "typ": "JWT"}),
            Ok((SigningAlg::PS256, None)),
        ),
        (
            "EdDSA",
            json!({"alg": "EdDSA"}),
            Ok((SigningAlg::EdDSA, None)),
        ),
        ("none", json!({"alg": "none"}), Err(Malformed)),
        ("HS256", json!({"alg": "HS256"}), Err(UnsupportedAlgorithm)),
        ("HS512", json!({"alg": "HS512"}), Err(UnsupportedAlgorithm)),
        ("RS512", json!({"alg": "RS512"}), Err(UnsupportedAlgorithm)),
        ("ES384", json!({"alg": "ES384"}), Err(UnsupportedAlgorithm)),
        ("no alg", json!({"kid": "k1"}), Err(Malformed)),
    ];
    for (name, header, want) in cases {
        let token = unsigned(&header, &claims, b"sig");
        let got = read_header(&token);
        let got = got
            .as_ref()
            .map(|h| (h.alg, h.kid.as_deref()))
            .map_err(|e| *e);
        assert_eq!(got, want, "{name}");
    }
    for junk in [
        "",
        "a.b",
        "a.b.c.d",
        "not a jwt",
        "e30.e30.",
        "..",
        "e30..x",
    ] {
        assert!(read_header(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn signatures_verify_with_the_right_key_only() {
    let c = client();
    let ec = TestKey::es256();
    let ed = TestKey::ed25519();
    let other = TestKey::es256();
    let keys = ClientJwks::parse(&json!({"keys": [ec.jwk("ec-1"), ed.jwk("ed-1")]})).unwrap();
    let sign = |key: &TestKey, kid: Option<&str>| {
        let mut header = json!({"alg": key.alg(), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        key.sign(&header, &good_claims())
    };
    let run = |token: &str| {
        let header = read_header(token)?;
        verify_assertion(token, &header, &keys, &expect(&c)).map(|v| v.jti)
    };
    assert_eq!(run(&sign(&ec, Some("ec-1"))), Ok("j-1".to_owned()));
    assert_eq!(run(&sign(&ed, Some("ed-1"))), Ok("j-1".to_owned()));
    // Without a kid, the keys that fit the alg are tried.
    assert_eq!(run(&sign(&ec, None)), Ok("j-1".to_owned()));
    assert_eq!(run(&sign(&ed, None)), Ok("j-1".to_owned()));
    // A kid the set does not have: unknown (a jwks_uri is then re-fetched).
    assert_eq!(run(&sign(&ec, Some("ec-2"))), Err(UnknownKey));
    // The right kid, the wrong key.
    assert_eq!(run(&sign(&other, Some("ec-1"))), Err(BadSignature));
    assert_eq!(run(&sign(&other, None)), Err(BadSignature));
    // A kid of a key of another type.
    assert_eq!(run(&sign(&ec, Some("ed-1"))), Err(UnknownKey));
    // Tampered claims.
    let token = sign(&ec, Some("ec-1"));
    let parts: Vec<&str> = token.split('.').collect();
    let forged = unsigned(
        &json!({"alg": "ES256", "kid": "ec-1"}),
        &json!({"iss": "rp-1", "sub": "rp-1", "aud": ISSUER, "exp": NOW + 60, "jti": "j-2"}),
        b"",
    );
    let forged_parts: Vec<&str> = forged.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], forged_parts[1], parts[2]);
    assert_eq!(run(&spliced), Err(BadSignature));
    // alg none, HMAC with a public key as the secret: refused before any key is tried.
    let none = unsigned(&json!({"alg": "none"}), &good_claims(), b"");
    assert_eq!(run(&none), Err(Malformed));
    let hs = unsigned(
        &json!({"alg": "HS256", "kid": "ec-1"}),
        &good_claims(),
        b"mac",
    );
    assert_eq!(run(&hs), Err(UnsupportedAlgorithm));
    // A verified signature does not excuse the claims.
    let wrong_aud = ec.sign(
        &json!({"alg": "ES256", "kid": "ec-1"}),
        &json!({"iss": "rp-1", "sub": "rp-1", "aud": [ISSUER], "exp": NOW + 60, "jti": "j"}),
    );
    assert_eq!(run(&wrong_aud), Err(AudienceNotSingle));
}

#[test]
fn the_claimed_client_is_read_unverified_for_lookup_only() {
    let token = unsigned(&json!({"alg": "ES256"}), &good_claims(), b"x");
    assert_eq!(claimed_client_id(&token), Some("rp-1".to_owned()));
    let token = unsigned(&json!({"alg": "ES256"}), &json!({"iss": "rp-9"}), b"x");
    assert_eq!(claimed_client_id(&token), Some("rp-9".to_owned()));
    assert_eq!(claimed_client_id("garbage"), None);
}

#[test]
fn descriptions_before_the_signature_tell_nothing() {
    for f in [Malformed, UnknownKey, KeysUnavailable, BadSignature] {
        assert_eq!(f.description(), "client authentication failed", "{f:?}");
    }
    assert!(WrongAudience.description().contains("issuer identifier"));
}
