use serde_json::json;

use super::*;
use crate::claims_request::ClaimsRequest;
use crate::clock::Timestamp;
use crate::ids::{Subject, Username};
use crate::user::{Address, Profile};

const SUB: &str = "6f9619ff-8b86-d011-b42d-00c04fc964ff";

fn user(profile: Profile) -> User {
    User {
        sub: Subject::parse(SUB).unwrap(),
        username: Username::parse("Alice").unwrap(),
        profile,
        disabled: false,
        created_at: Timestamp::from_unix(100),
        updated_at: Timestamp::from_unix(1_700_000_000),
    }
}

fn full() -> Profile {
    Profile {
        name: Some("Alice Liddell".into()),
        given_name: Some("Alice".into()),
        family_name: Some("Liddell".into()),
        email: Some("alice@example.com".into()),
        email_verified: true,
        phone_number: Some("+44 20 7946 0000".into()),
        phone_number_verified: false,
        address: Some(Address {
            locality: Some("Oxford".into()),
            country: Some("GB".into()),
            ..Address::default()
        }),
        locale: Some("en-GB".into()),
        zoneinfo: Some("Europe/London".into()),
        picture: Some("https://img.example/alice.png".into()),
    }
}

#[test]
fn claims_by_scope() {
    let profile_claims = json!({
        "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "preferred_username": "Alice",
        "locale": "en-GB", "zoneinfo": "Europe/London", "picture": "https://img.example/alice.png",
        "updated_at": 1_700_000_000,
    });
    let email_claims = json!({"email": "alice@example.com", "email_verified": true});
    let phone_claims = json!({"phone_number": "+44 20 7946 0000", "phone_number_verified": false});
    let address_claims = json!({"address": {"locality": "Oxford", "country": "GB"}});
    let merge = |parts: &[&Value]| {
        let mut m = Map::new();
        m.insert("sub".into(), SUB.into());
        for p in parts {
            m.extend(p.as_object().unwrap().clone());
        }
        Value::Object(m)
    };
    let minimal = Profile::default();
    let minimal_profile = json!({"preferred_username": "Alice", "updated_at": 1_700_000_000});
    let empty_strings = Profile {
        name: Some(String::new()),
        email: Some(String::new()),
        email_verified: true,
        ..Profile::default()
    };
    let cases: &[(&str, &Profile, &str, Value)] = &[
        ("openid only", &full(), "openid", merge(&[])),
        ("no scope at all", &full(), "", merge(&[])),
        (
            "profile",
            &full(),
            "openid profile",
            merge(&[&profile_claims]),
        ),
        ("email", &full(), "openid email", merge(&[&email_claims])),
        ("phone", &full(), "openid phone", merge(&[&phone_claims])),
        (
            "address",
            &full(),
            "openid address",
            merge(&[&address_claims]),
        ),
        (
            "all",
            &full(),
            "openid profile email address phone",
            merge(&[
                &profile_claims,
                &email_claims,
                &phone_claims,
                &address_claims,
            ]),
        ),
        (
            "unknown scopes release nothing",
            &full(),
            "openid api:read offline_access",
            merge(&[]),
        ),
        (
            "profile with nothing set",
            &minimal,
            "openid profile",
            merge(&[&minimal_profile]),
        ),
        (
            "email, phone, address unset: no flags, no empty object",
            &minimal,
            "openid email phone address",
            merge(&[]),
        ),
        (
            "empty address object is left out",
            &Profile {
                address: Some(Address::default()),
                ..Profile::default()
            },
            "openid address",
            merge(&[]),
        ),
        (
            "empty strings are absent",
            &empty_strings,
            "openid email profile",
            merge(&[&minimal_profile]),
        ),
    ];
    for (name, profile, scope, want) in cases {
        let got = userinfo_claims(
            &user((*profile).clone()),
            &ScopeSet::parse(scope).unwrap(),
            None,
        );
        assert_eq!(Value::Object(got), *want, "{name}");
    }
}

#[test]
fn individually_requested_claims() {
    let claims = |raw: &str| ClaimsRequest::parse(raw).unwrap();
    let minimal = Profile::default();
    // (what, profile, scope, claims parameter, userinfo beyond sub, ID token additions)
    let cases: &[(&str, &Profile, &str, &str, Value, Value)] = &[
        (
            "nothing requested",
            &full(),
            "openid",
            "{}",
            json!({}),
            json!({}),
        ),
        (
            "userinfo email without its scope: only what was named",
            &full(),
            "openid",
            r#"{"userinfo":{"email":null}}"#,
            json!({"email": "alice@example.com"}),
            json!({}),
        ),
        (
            "ID token email and name, essential or not",
            &full(),
            "openid",
            r#"{"id_token":{"email":{"essential":true},"name":null}}"#,
            json!({}),
            json!({"email": "alice@example.com", "name": "Alice Liddell"}),
        ),
        (
            "scope and claims together, nothing twice",
            &full(),
            "openid email",
            r#"{"userinfo":{"email":{"essential":true},"phone_number_verified":null}}"#,
            json!({"email": "alice@example.com", "email_verified": true, "phone_number_verified": false}),
            json!({}),
        ),
        (
            "claims the user does not have are left out, essential or not",
            &minimal,
            "openid",
            r#"{"userinfo":{"email":{"essential":true},"email_verified":null},"id_token":{"name":{"essential":true},"address":null}}"#,
            json!({}),
            json!({}),
        ),
        (
            "protocol claims are not user claims",
            &full(),
            "openid",
            r#"{"id_token":{"sub":{"value":"x"},"auth_time":{"essential":true},"acr":null}}"#,
            json!({}),
            json!({}),
        ),
        (
            "a value does not change what is asserted",
            &full(),
            "openid",
            r#"{"id_token":{"email":{"value":"mallory@example.com"}}}"#,
            json!({}),
            json!({"email": "alice@example.com"}),
        ),
        (
            "always-present profile claims",
            &minimal,
            "openid",
            r#"{"id_token":{"preferred_username":null,"updated_at":null}}"#,
            json!({}),
            json!({"preferred_username": "Alice", "updated_at": 1_700_000_000}),
        ),
    ];
    for (what, profile, scope, raw, userinfo_extra, id_token) in cases {
        let u = user((*profile).clone());
        let c = claims(raw);
        let mut want = Map::new();
        want.insert("sub".into(), SUB.into());
        want.extend(userinfo_extra.as_object().unwrap().clone());
        let got = userinfo_claims(&u, &ScopeSet::parse(scope).unwrap(), Some(&c));
        assert_eq!(Value::Object(got), Value::Object(want), "{what}: userinfo");
        assert_eq!(
            Value::Object(requested_id_token_claims(&u, Some(&c))),
            *id_token,
            "{what}: ID token"
        );
    }
}

#[test]
fn every_scope_claim_is_a_known_claim_with_one_scope() {
    for (scope, claims) in SCOPE_CLAIMS {
        assert!(crate::discovery::SCOPES.contains(scope));
        for claim in *claims {
            assert!(crate::discovery::CLAIMS.contains(claim), "{claim}");
            assert_eq!(scope_of_claim(claim), Some(*scope));
        }
    }
    assert_eq!(scope_of_claim("sub"), None);
    assert_eq!(scope_of_claim("acr"), None);
}
