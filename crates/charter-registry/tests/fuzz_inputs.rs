//! Property tests ("fuzzing" on the stable toolchain) of the registry's untrusted inputs: authorization
//! requests (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1), client metadata JSON (RFC 7591 §2) and client
//! assertions (RFC 7523 §2.2). Never a panic; every refusal typed; valid input accepted as sent.
//!
//! CI runs the default 256 cases; a long run is `PROPTEST_CASES=20000 cargo test -p charter-registry --test
//! fuzz_inputs` (docs/operations.md). Failing inputs are kept in `proptest-regressions/` and replayed first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use charter_core::Timestamp;
use charter_core::client::Client;
use charter_core::client::Registration;
use charter_core::ids::ClientId;
use charter_registry::auth::ClientJwks;
use charter_registry::auth::assertion::{
    AssertionExpectation, claimed_client_id, read_header, verify_assertion,
};
use charter_registry::authorize::{AuthorizeError, validate_request};
use charter_registry::{ClientRequest, RegistrationPolicy, validate};
use proptest::prelude::*;

const CB: &str = "https://app.example/cb";

fn client() -> Client {
    let (metadata, settings) = validate(
        ClientRequest {
            redirect_uris: vec![CB.into()],
            token_endpoint_auth_method: Some("none".into()),
            scope: Some("openid profile email".into()),
            ..ClientRequest::default()
        },
        &RegistrationPolicy::operator(),
    )
    .unwrap();
    Client {
        id: ClientId::parse("c1").unwrap(),
        metadata,
        settings,
        registration: Registration::Operator,
        created_at: Timestamp::from_unix(0),
        updated_at: Timestamp::from_unix(0),
    }
}

const NAMES: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "response_mode",
    "claims",
    "resource",
    "id_token_hint",
    "request",
    "ui_locales",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(
            &[
                "code",
                "c1",
                CB,
                "openid",
                "openid profile",
                "S256",
                "plain",
                "none",
                "login consent",
                "0",
                "-1",
                "99999999999999999999",
                "form_post",
                "query",
                "{}",
                r#"{"userinfo":{"email":null}}"#,
                "https://api.example/",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ][..]
        )
        .prop_map(str::to_owned),
        any::<String>(),
        proptest::collection::vec(any::<char>(), 0..6000).prop_map(|c| c.into_iter().collect()),
    ]
}

fn authorize_params() -> impl Strategy<Value = Vec<(String, String)>> {
    let base = vec![
        ("response_type".to_owned(), "code".to_owned()),
        ("client_id".to_owned(), "c1".to_owned()),
        ("redirect_uri".to_owned(), CB.to_owned()),
    ];
    (
        proptest::collection::vec(
            (
                prop_oneof![
                    4 => proptest::sample::select(NAMES).prop_map(str::to_owned),
                    1 => any::<String>(),
                ],
                value(),
            ),
            0..8,
        ),
        any::<bool>(),
    )
        .prop_map(move |(extra, keep_base)| {
            let mut p = if keep_base { base.clone() } else { Vec::new() };
            p.extend(extra);
            p
        })
}

/// JSON that looks like client metadata: RFC 7591 field names with values of every JSON type.
fn metadata_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        value().prop_map(serde_json::Value::from),
    ];
    let json = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    let field = proptest::sample::select(
        &[
            "client_name",
            "redirect_uris",
            "post_logout_redirect_uris",
            "grant_types",
            "response_types",
            "token_endpoint_auth_method",
            "scope",
            "application_type",
            "contacts",
            "logo_uri",
            "client_uri",
            "policy_uri",
            "tos_uri",
            "jwks_uri",
            "jwks",
            "id_token_signed_response_alg",
            "backchannel_logout_uri",
            "backchannel_logout_session_required",
            "require_pkce",
            "audiences",
            "skip_consent",
            "access_token_lifetime_secs",
        ][..],
    );
    proptest::collection::btree_map(field, json, 0..10).prop_map(|m| {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

/// Something shaped like a compact JWS: three base64url-ish segments, or garbage.
fn jws_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,60}",
        "eyJ[A-Za-z0-9_-]{0,60}\\.eyJ[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,40}",
        any::<String>(),
        // Real base64url of arbitrary JSON headers.
        (metadata_json(), metadata_json()).prop_map(|(h, c)| {
            use base64::Engine;
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!(
                "{}.{}.c2ln",
                e.encode(h.to_string()),
                e.encode(c.to_string())
            )
        }),
    ]
}

proptest! {
    #[test]
    fn authorization_requests_are_accepted_or_refused_with_a_typed_error(params in authorize_params()) {
        let client = client();
        match validate_request(&params, Some(&client)) {
            Ok(req) => {
                prop_assert_eq!(req.client_id.as_str(), "c1");
                let state = params.iter().find(|(k, v)| k == "state" && !v.is_empty()).map(|(_, v)| v.clone());
                prop_assert_eq!(req.state, state, "state goes back as sent");
            }
            Err(AuthorizeError::Page(e)) => {
                prop_assert!(!e.to_string().is_empty());
            }
            Err(AuthorizeError::Redirect { redirect_uri, state, error, .. }) => {
                prop_assert_eq!(redirect_uri.as_str(), CB, "errors go only to the registered URI");
                prop_assert!(!error.as_str().is_empty());
                prop_assert!(state.is_none_or(|s| s.len() <= charter_registry::authorize::MAX_PARAM_LEN));
            }
        }
    }

    #[test]
    fn client_metadata_json_is_validated_or_refused(json in metadata_json(), operator in any::<bool>()) {
        let policy = if operator {
            RegistrationPolicy::operator()
        } else {
            RegistrationPolicy { operator: false, allowed_scopes: None }
        };
        // Deserialising may fail (a wrong JSON type); that is the endpoint's invalid_client_metadata.
        if let Ok(req) = serde_json::from_value::<ClientRequest>(json) {
            match validate(req, &policy) {
                Ok((metadata, _)) => {
                    prop_assert!(metadata.client_name.chars().count() <= 200);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn client_assertions_never_verify_without_a_key(assertion in jws_like()) {
        let _ = claimed_client_id(&assertion);
        if let Ok(header) = read_header(&assertion) {
            let id = ClientId::parse("c1").unwrap();
            let expect = AssertionExpectation {
                client_id: &id,
                issuer: "https://issuer.example",
                now: Timestamp::from_unix(1_700_000_000),
                skew: std::time::Duration::from_secs(60),
            };
            prop_assert!(verify_assertion(&assertion, &header, &ClientJwks::default(), &expect).is_err());
        }
    }
}
