//! The `claims` parameter rules, as a table of wire values and what they parse to.

use super::*;

const ALICE: &str = "6f9619ff-8b86-d011-b42d-00c04fc964ff";
const BOB: &str = "0e7c3a52-1b2c-4d3e-9f40-5a6b7c8d9e0f";

fn sub(s: &str) -> Subject {
    Subject::parse(s).unwrap()
}

#[test]
fn malformed_values_are_refused() {
    let long = format!(
        r#"{{"id_token":{{"email":{{"value":"{}"}}}}}}"#,
        "x".repeat(MAX_LEN)
    );
    let cases: &[(&str, &str, ClaimsError)] = &[
        ("not JSON", "{", ClaimsError::NotAnObject),
        ("an array", "[]", ClaimsError::NotAnObject),
        ("a string", r#""id_token""#, ClaimsError::NotAnObject),
        (
            "member is a string",
            r#"{"userinfo":"email"}"#,
            ClaimsError::MemberNotAnObject,
        ),
        (
            "member is an array",
            r#"{"id_token":["email"]}"#,
            ClaimsError::MemberNotAnObject,
        ),
        (
            "claim is true",
            r#"{"id_token":{"email":true}}"#,
            ClaimsError::ClaimNotAnObject,
        ),
        (
            "claim of an unknown name is 5",
            r#"{"id_token":{"x":5}}"#,
            ClaimsError::ClaimNotAnObject,
        ),
        (
            "essential is a string",
            r#"{"userinfo":{"email":{"essential":"yes"}}}"#,
            ClaimsError::Essential,
        ),
        (
            "values is a string",
            r#"{"userinfo":{"email":{"values":"a"}}}"#,
            ClaimsError::Values,
        ),
        (
            "sub value is a number",
            r#"{"id_token":{"sub":{"value":5}}}"#,
            ClaimsError::SubjectValue,
        ),
        (
            "sub values hold a number",
            r#"{"userinfo":{"sub":{"values":["a",5]}}}"#,
            ClaimsError::SubjectValue,
        ),
        ("too long", &long, ClaimsError::TooLong),
    ];
    for (what, raw, want) in cases {
        assert_eq!(ClaimsRequest::parse(raw), Err(*want), "{what}");
    }
}

#[test]
fn well_formed_values_parse_to_known_claims_only() {
    let essential = ClaimRequest {
        essential: true,
        ..ClaimRequest::default()
    };
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        ("empty object", "{}", &[], &[]),
        (
            "null members",
            r#"{"userinfo":null,"id_token":null}"#,
            &[],
            &[],
        ),
        (
            "null and object requests",
            r#"{"userinfo":{"email":null,"name":{"essential":false}},"id_token":{"email":{"essential":true}}}"#,
            &["email", "name"],
            &["email"],
        ),
        (
            "unknown claims and members are dropped",
            r#"{"userinfo":{"shoe_size":null,"email":null},"id_token":{"http://x/y":{}},"other":{"email":null}}"#,
            &["email"],
            &[],
        ),
        (
            "acr is kept",
            r#"{"id_token":{"acr":{"values":["urn:x"]}}}"#,
            &[],
            &["acr"],
        ),
    ];
    for (what, raw, userinfo, id_token) in cases {
        let parsed = ClaimsRequest::parse(raw).unwrap_or_else(|e| panic!("{what}: {e}"));
        let keys = |m: &BTreeMap<String, ClaimRequest>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&parsed.userinfo), *userinfo, "{what}");
        assert_eq!(keys(&parsed.id_token), *id_token, "{what}");
    }
    let parsed = ClaimsRequest::parse(r#"{"id_token":{"email":{"essential":true}}}"#).unwrap();
    assert_eq!(parsed.id_token["email"], essential);
}

#[test]
fn stored_form_round_trips() {
    let parsed = ClaimsRequest::parse(
        r#"{"userinfo":{"email":null},"id_token":{"sub":{"value":"alice"},"name":{"essential":true,"values":["A"]}}}"#,
    )
    .unwrap();
    let stored = serde_json::to_string(&parsed).unwrap();
    assert_eq!(
        stored,
        r#"{"userinfo":{"email":{}},"id_token":{"name":{"essential":true,"values":["A"]},"sub":{"value":"alice"}}}"#
    );
    assert_eq!(
        serde_json::from_str::<ClaimsRequest>(&stored).unwrap(),
        parsed
    );
    assert_eq!(parsed.names().collect::<Vec<_>>(), ["email", "name", "sub"]);
}

#[test]
fn subject_values_name_the_only_acceptable_users() {
    let cases: &[(&str, &str, bool, bool, bool)] = &[
        // (what, claims, names a subject, alice allowed, bob allowed)
        ("no claims", "{}", false, true, true),
        (
            "sub without value",
            r#"{"id_token":{"sub":{"essential":true}}}"#,
            false,
            true,
            true,
        ),
        (
            "sub value alice",
            r#"{"id_token":{"sub":{"value":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}}}"#,
            true,
            true,
            false,
        ),
        (
            "sub values",
            r#"{"id_token":{"sub":{"values":["0e7c3a52-1b2c-4d3e-9f40-5a6b7c8d9e0f","carol"]}}}"#,
            true,
            false,
            true,
        ),
        (
            "userinfo sub value",
            r#"{"userinfo":{"sub":{"value":"0e7c3a52-1b2c-4d3e-9f40-5a6b7c8d9e0f"}}}"#,
            true,
            false,
            true,
        ),
        (
            "both members must agree",
            r#"{"id_token":{"sub":{"value":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}},"userinfo":{"sub":{"value":"0e7c3a52-1b2c-4d3e-9f40-5a6b7c8d9e0f"}}}"#,
            true,
            false,
            false,
        ),
    ];
    for (what, raw, names, alice, bob) in cases {
        let c = ClaimsRequest::parse(raw).unwrap();
        assert_eq!(c.names_subject(), *names, "{what}");
        assert_eq!(c.allows_subject(&sub(ALICE)), *alice, "{what}: alice");
        assert_eq!(c.allows_subject(&sub(BOB)), *bob, "{what}: bob");
    }
}

#[test]
fn only_an_essential_acr_with_values_is_unmet() {
    let cases: &[(&str, bool)] = &[
        (r#"{"id_token":{"acr":null}}"#, false),
        (r#"{"id_token":{"acr":{"essential":true}}}"#, false),
        (r#"{"id_token":{"acr":{"values":["urn:a"]}}}"#, false),
        (
            r#"{"id_token":{"acr":{"essential":true,"values":["urn:a"]}}}"#,
            true,
        ),
        (
            r#"{"id_token":{"acr":{"essential":true,"value":"urn:a"}}}"#,
            true,
        ),
        (
            r#"{"userinfo":{"acr":{"essential":true,"value":"urn:a"}}}"#,
            false,
        ),
    ];
    for (raw, unmet) in cases {
        assert_eq!(
            ClaimsRequest::parse(raw).unwrap().demands_unmet_acr(),
            *unmet,
            "{raw}"
        );
    }
}
