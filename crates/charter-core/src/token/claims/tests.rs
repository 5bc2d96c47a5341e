use serde_json::json;

use super::*;
use crate::token::TokenErrorCode;

const ISS: &str = "https://id.example";
const API: &str = "https://api.example";
const API2: &str = "https://api2.example";
const SUB: &str = "6f9619ff-8b86-d011-b42d-00c04fc964ff";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn audiences() {
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static [&'static str],
        bool,
        Result<&'static [&'static str], TokenErrorCode>,
    );
    let cases: &[Case] = &[
        ("no resource, no audiences", None, &[], false, Ok(&[ISS])),
        (
            "no resource, no audiences, openid",
            None,
            &[],
            true,
            Ok(&[ISS]),
        ),
        (
            "no resource: the first audience",
            None,
            &[API, API2],
            false,
            Ok(&[API]),
        ),
        (
            "no resource, openid adds the issuer",
            None,
            &[API, API2],
            true,
            Ok(&[API, ISS]),
        ),
        (
            "allowed resource",
            Some(API2),
            &[API, API2],
            false,
            Ok(&[API2]),
        ),
        (
            "allowed resource, openid",
            Some(API2),
            &[API, API2],
            true,
            Ok(&[API2, ISS]),
        ),
        (
            "resource not allowed",
            Some("https://evil.example"),
            &[API],
            false,
            Err(TokenErrorCode::InvalidTarget),
        ),
        (
            "resource but no audiences",
            Some(API),
            &[],
            true,
            Err(TokenErrorCode::InvalidTarget),
        ),
        (
            "resource compared as a string",
            Some("https://api.example/"),
            &[API],
            false,
            Err(TokenErrorCode::InvalidTarget),
        ),
        (
            "issuer as default audience, openid: no duplicate",
            None,
            &[ISS, API],
            true,
            Ok(&[ISS]),
        ),
        (
            "issuer as requested resource, openid: no duplicate",
            Some(ISS),
            &[API, ISS],
            true,
            Ok(&[ISS]),
        ),
    ];
    for (name, resource, client, openid, want) in cases {
        let got = access_token_audience(*resource, &strings(client), ISS, *openid);
        let want = want.map(strings);
        assert_eq!(got.map_err(|e| e.code), want, "{name}");
    }
}

#[test]
fn audience_is_a_string_when_single_and_an_array_otherwise() {
    assert_eq!(
        serde_json::to_value(Audience::single(API)).unwrap(),
        json!(API)
    );
    assert_eq!(
        serde_json::to_value(Audience::new(strings(&[API, ISS]))).unwrap(),
        json!([API, ISS])
    );
    let one: Audience = serde_json::from_value(json!(API)).unwrap();
    let many: Audience = serde_json::from_value(json!([API, ISS])).unwrap();
    assert_eq!(one.as_slice(), [API]);
    assert!(many.contains(ISS) && many.contains(API) && !many.contains(API2));
    assert!(serde_json::from_value::<Audience>(json!(1)).is_err());
}

fn access_token(aud: &[&str]) -> AccessTokenClaims {
    AccessTokenClaims::new(
        ISS,
        SUB,
        Audience::new(strings(aud)),
        ClientId::parse("client-a").unwrap(),
        Timestamp::from_unix(1_000),
        Duration::from_secs(600),
        "jti-1".into(),
    )
}

#[test]
fn access_token_shape() {
    let minimal = access_token(&[API]);
    assert_eq!(
        serde_json::to_value(&minimal).unwrap(),
        json!({
            "iss": ISS, "sub": SUB, "aud": API, "exp": 1_600, "iat": 1_000, "jti": "jti-1", "client_id": "client-a",
        })
    );
    let full = access_token(&[API, ISS])
        .with_scope(ScopeSet::parse("profile openid").unwrap())
        .with_grant("grant-1")
        .with_auth_time(Timestamp::from_unix(900));
    let value = serde_json::to_value(&full).unwrap();
    assert_eq!(
        value,
        json!({
            "iss": ISS, "sub": SUB, "aud": [API, ISS], "exp": 1_600, "iat": 1_000, "jti": "jti-1",
            "client_id": "client-a", "scope": "openid profile", "grant": "grant-1", "auth_time": 900,
        })
    );
    let back: AccessTokenClaims = serde_json::from_value(value).unwrap();
    assert_eq!(back, full);
    let back: AccessTokenClaims =
        serde_json::from_value(serde_json::to_value(&minimal).unwrap()).unwrap();
    assert_eq!(back, minimal);
}

fn id_token() -> IdTokenClaims {
    IdTokenClaims::new(
        ISS,
        Subject::parse(SUB).unwrap(),
        ClientId::parse("client-a").unwrap(),
        Timestamp::from_unix(900),
        Timestamp::from_unix(1_000),
        Duration::from_secs(600),
    )
}

#[test]
fn id_token_shape() {
    assert_eq!(
        serde_json::to_value(id_token()).unwrap(),
        json!({"iss": ISS, "sub": SUB, "aud": "client-a", "exp": 1_600, "iat": 1_000, "auth_time": 900})
    );
    let full = id_token()
        .with_nonce(Some("n-0S6_WzA2Mj".into()))
        .with_amr(vec!["pwd".into()])
        .with_sid(Some("sid-1".into()))
        .with_access_token("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256");
    let value = serde_json::to_value(&full).unwrap();
    assert_eq!(
        value,
        json!({
            "iss": ISS, "sub": SUB, "aud": "client-a", "exp": 1_600, "iat": 1_000, "auth_time": 900,
            "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "amr": ["pwd"], "sid": "sid-1",
        })
    );
    let back: IdTokenClaims = serde_json::from_value(value).unwrap();
    assert_eq!(back, full);
    // Requested user claims sit beside the protocol claims, which they never replace.
    let mut user_claims = serde_json::Map::new();
    user_claims.insert("email".into(), json!("alice@example.com"));
    user_claims.insert("sub".into(), json!("someone-else"));
    let with_email = id_token().with_user_claims(user_claims);
    let value = serde_json::to_value(&with_email).unwrap();
    assert_eq!(
        value,
        json!({"iss": ISS, "sub": SUB, "aud": "client-a", "exp": 1_600, "iat": 1_000, "auth_time": 900,
               "email": "alice@example.com"})
    );
    assert_eq!(
        serde_json::from_value::<IdTokenClaims>(value).unwrap(),
        with_email
    );
    // Unknown algorithms leave at_hash out instead of guessing.
    assert_eq!(id_token().with_access_token("t", "none").at_hash, None);
}

#[test]
fn id_token_for_a_code_takes_what_the_code_recorded() {
    let code = AuthorizationCode {
        code_hash: "h".into(),
        grant_id: "g".into(),
        client_id: ClientId::parse("client-a").unwrap(),
        user_sub: Subject::parse(SUB).unwrap(),
        session_sid: Some("sid-1".into()),
        redirect_uri: "https://app.example/cb".into(),
        redirect_uri_sent: true,
        scope: ScopeSet::parse("openid").unwrap(),
        nonce: Some("n".into()),
        code_challenge: None,
        auth_time: Timestamp::from_unix(900),
        amr: vec!["pwd".into()],
        resource: None,
        created_at: Timestamp::from_unix(990),
        expires_at: Timestamp::from_unix(1_050),
        used_at: None,
    };
    let want = id_token()
        .with_nonce(Some("n".into()))
        .with_amr(vec!["pwd".into()])
        .with_sid(Some("sid-1".into()));
    let got = IdTokenClaims::for_code(
        ISS,
        &code,
        Timestamp::from_unix(1_000),
        Duration::from_secs(600),
    );
    assert_eq!(got, want);
}

#[test]
fn at_hash_is_the_left_half_of_the_algorithms_hash() {
    let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    // OpenID Connect Core 1.0, Appendix A.6 (RS256).
    assert_eq!(
        at_hash(token, "RS256").as_deref(),
        Some("77QmUPtjPfzWtF2AnpK9RQ")
    );
    let cases: &[(&str, &digest::Algorithm, usize)] = &[
        ("RS256", &digest::SHA256, 16),
        ("PS256", &digest::SHA256, 16),
        ("ES256", &digest::SHA256, 16),
        ("ES384", &digest::SHA384, 24),
        ("EdDSA", &digest::SHA512, 32),
    ];
    for (alg, hash, half) in cases {
        let full = digest::digest(hash, token.as_bytes());
        assert_eq!(full.as_ref().len(), half * 2, "{alg}");
        let want = URL_SAFE_NO_PAD.encode(&full.as_ref()[..*half]);
        let got = at_hash(token, alg).unwrap();
        assert_eq!(got, want, "{alg}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&got).unwrap().len(), *half, "{alg}");
    }
    for alg in ["none", "HS256", "rs256", ""] {
        assert_eq!(at_hash(token, alg), None, "{alg}");
    }
}
