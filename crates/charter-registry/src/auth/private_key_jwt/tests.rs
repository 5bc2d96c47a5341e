//! `private_key_jwt` end to end without HTTP: which client, which method, which keys.

use serde_json::json;

use super::*;
use crate::auth::test_keys::{TestKey, unsigned};
use crate::auth::tests::{JWT, basic, fields, post};
use charter_core::clock::Timestamp;

use crate::auth::{ClientJwks, PresentedCredentials, authenticate};
use crate::test_support::{hasher, record};
use AuthFailure::*;

const ISSUER: &str = "https://id.example";
const NOW: i64 = 1_800_000_000;

fn jwt_record(id: &str, jwks: serde_json::Value) -> ClientRecord {
    let mut r = record(id, AuthMethod::PrivateKeyJwt, None);
    r.client.metadata.jwks = Some(jwks);
    r
}

fn presented(client_id: Option<&str>, assertion: &str) -> PresentedCredentials {
    PresentedCredentials::extract(None, fields(client_id, None, JWT, Some(assertion))).unwrap()
}

fn claims(sub: &str) -> serde_json::Value {
    json!({"iss": sub, "sub": sub, "aud": ISSUER, "exp": NOW + 60, "jti": "j-1"})
}

fn run(p: &PresentedCredentials, r: &ClientRecord) -> Result<String, AuthFailure> {
    let r = assertion_client(p, Some(r)).map_err(|e| e.failure())?;
    let keys = match key_source(&r.client) {
        Some(KeySource::Inline(v)) => ClientJwks::parse(v).unwrap(),
        _ => ClientJwks::default(),
    };
    let expect = AssertionExpectation {
        client_id: &r.client.id,
        issuer: ISSUER,
        now: Timestamp::from_unix(NOW),
        skew: std::time::Duration::from_secs(60),
    };
    authenticate_assertion(p, r, &keys, &expect)
        .map(|(c, v)| {
            assert_eq!(c.method(), AuthMethod::PrivateKeyJwt);
            assert_eq!(c.secret_used(), None);
            v.jti
        })
        .map_err(|e| e.failure())
}

#[test]
fn the_client_is_named_by_client_id_or_sub() {
    let key = TestKey::es256();
    let r = jwt_record("rp-1", json!({"keys": [key.jwk("k1")]}));
    let token = key.sign(&json!({"alg": "ES256", "kid": "k1"}), &claims("rp-1"));
    // Without client_id, the assertion's sub names the client.
    let p = presented(None, &token);
    assert_eq!(p.raw_client_id(), Some("rp-1"));
    assert_eq!(run(&p, &r), Ok("j-1".to_owned()));
    assert_eq!(
        run(&presented(Some("rp-1"), &token), &r),
        Ok("j-1".to_owned())
    );
    // A body client_id naming another client than sub: that client's record, and sub does not match.
    let other = jwt_record("rp-2", json!({"keys": [key.jwk("k1")]}));
    assert_eq!(
        run(&presented(Some("rp-2"), &token), &other),
        Err(Assertion(AssertionFailure::WrongIssuer))
    );
}

#[test]
fn only_private_key_jwt_clients_and_only_with_assertions() {
    let key = TestKey::es256();
    let token = key.sign(&json!({"alg": "ES256", "kid": "k1"}), &claims("rp-1"));
    let mut secret_client = record("rp-1", AuthMethod::ClientSecretBasic, Some("s"));
    secret_client.client.metadata.jwks = Some(json!({"keys": [key.jwk("k1")]}));
    assert_eq!(
        run(&presented(None, &token), &secret_client),
        Err(MethodMismatch {
            registered: AuthMethod::ClientSecretBasic,
            used: AuthMethod::PrivateKeyJwt
        })
    );
    // A private_key_jwt client cannot fall back to a secret.
    let r = jwt_record("rp-1", json!({"keys": [key.jwk("k1")]}));
    for p in [basic("rp-1", "s"), post("rp-1", "s")] {
        let got = authenticate(&p, Some(&r), &hasher(), Timestamp::from_unix(NOW));
        assert!(matches!(
            got.map_err(|e| e.failure()),
            Err(MethodMismatch { .. })
        ));
    }
    // An unknown client.
    assert_eq!(
        assertion_client(&presented(Some("rp-9"), &token), Some(&r))
            .map_err(|e| e.failure())
            .map(|_| ()),
        Err(UnknownClient)
    );
    assert_eq!(
        assertion_client(&presented(None, &token), None)
            .map_err(|e| e.failure())
            .map(|_| ()),
        Err(UnknownClient)
    );
}

#[test]
fn wrong_keys_and_algorithms_are_refused() {
    let key = TestKey::ed25519();
    let r = jwt_record("rp-1", json!({"keys": [key.jwk("k1")]}));
    let stranger = TestKey::ed25519();
    let cases = [
        (
            "right key",
            key.sign(&json!({"alg": "EdDSA", "kid": "k1"}), &claims("rp-1")),
            Ok(()),
        ),
        (
            "another key",
            stranger.sign(&json!({"alg": "EdDSA", "kid": "k1"}), &claims("rp-1")),
            Err(Assertion(AssertionFailure::BadSignature)),
        ),
        (
            "none",
            unsigned(&json!({"alg": "none"}), &claims("rp-1"), b""),
            Err(Assertion(AssertionFailure::Malformed)),
        ),
        (
            "HS256",
            unsigned(
                &json!({"alg": "HS256", "kid": "k1"}),
                &claims("rp-1"),
                b"mac",
            ),
            Err(Assertion(AssertionFailure::UnsupportedAlgorithm)),
        ),
    ];
    for (name, token, want) in cases {
        let got = run(&presented(None, &token), &r).map(|_| ());
        assert_eq!(got, want, "{name}");
    }
}
