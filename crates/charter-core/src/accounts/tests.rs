//! The account rules without a store: email shape, profile merge patches.

use super::*;

#[test]
fn emails() {
    for ok in ["a@b", "first.last+tag@example.com", "ü@例え.jp"] {
        assert!(check_email(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "a",
        "@b",
        "a@",
        "a b@c",
        &format!("{}@b", "a".repeat(260)),
    ] {
        assert!(check_email(bad).is_err(), "{bad}");
    }
}

fn patch(v: serde_json::Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn alice() -> Profile {
    Profile {
        name: Some("Alice Liddell".into()),
        given_name: Some("Alice".into()),
        email: Some("alice@example.com".into()),
        email_verified: true,
        address: Some(crate::user::Address {
            locality: Some("Oxford".into()),
            country: Some("UK".into()),
            ..Default::default()
        }),
        ..Profile::default()
    }
}

#[test]
fn a_merge_patch_sets_clears_and_keeps() {
    let p = patch_profile(
        &alice(),
        &patch(
            serde_json::json!({"name": "Alice L.", "given_name": null, "locale": "en-GB",
                                  "address": {"country": null, "region": "Oxfordshire"}}),
        ),
    )
    .unwrap();
    assert_eq!(p.name.as_deref(), Some("Alice L."));
    assert_eq!(p.given_name, None);
    assert_eq!(p.locale.as_deref(), Some("en-GB"));
    assert_eq!(
        p.email.as_deref(),
        Some("alice@example.com"),
        "absent: kept"
    );
    assert!(p.email_verified, "the address did not change");
    let address = p.address.unwrap();
    assert_eq!(address.locality.as_deref(), Some("Oxford"));
    assert_eq!(address.region.as_deref(), Some("Oxfordshire"));
    assert_eq!(address.country, None);
    let empty = patch_profile(&alice(), &patch(serde_json::json!({}))).unwrap();
    assert_eq!(empty, alice());
    let no_address = patch_profile(
        &alice(),
        &patch(serde_json::json!({"address": {"locality": null, "country": null}})),
    )
    .unwrap();
    assert_eq!(no_address.address, None);
}

#[test]
fn a_new_email_is_checked_and_unverified_unless_said_otherwise() {
    let moved = patch_profile(
        &alice(),
        &patch(serde_json::json!({"email": "a@new.example"})),
    );
    let moved = moved.unwrap();
    assert!(!moved.email_verified);
    let verified = patch_profile(
        &alice(),
        &patch(serde_json::json!({"email": "a@new.example", "email_verified": true})),
    )
    .unwrap();
    assert!(verified.email_verified);
    let cleared = patch_profile(&alice(), &patch(serde_json::json!({"email": null}))).unwrap();
    assert_eq!((cleared.email, cleared.email_verified), (None, false));
    let unverified = patch_profile(
        &alice(),
        &patch(serde_json::json!({"email_verified": null})),
    )
    .unwrap();
    assert!(!unverified.email_verified);
    assert!(matches!(
        patch_profile(
            &alice(),
            &patch(serde_json::json!({"email": "not an address"}))
        ),
        Err(AccountError::InvalidEmail)
    ));
}

#[test]
fn unknown_claims_and_wrong_types_are_refused() {
    for bad in [
        serde_json::json!({"emial": "a@b"}),
        serde_json::json!({"sub": "x"}),
        serde_json::json!({"username": "mallory"}),
        serde_json::json!({"name": 5}),
        serde_json::json!({"email_verified": "yes"}),
        serde_json::json!({"address": {"planet": "Earth"}}),
        serde_json::json!({"address": "Oxford"}),
    ] {
        assert!(
            matches!(
                patch_profile(&alice(), &patch(bad.clone())),
                Err(AccountError::InvalidProfile(_))
            ),
            "{bad}"
        );
    }
}
