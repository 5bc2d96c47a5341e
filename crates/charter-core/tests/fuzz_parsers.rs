//! Property tests ("fuzzing" on the stable toolchain) of core's request parsers: the token request (RFC 6749
//! §4.1.3, §4.4.2, §6, RFC 8628 §3.4) and RP-initiated logout parameters. Never a panic; every refusal a
//! typed RFC error; valid input parsed to what was sent.
//!
//! CI runs the default 256 cases; a long run is `PROPTEST_CASES=20000 cargo test -p charter-core --test
//! fuzz_parsers` (docs/operations.md). Failing inputs are kept in `proptest-regressions/` and replayed first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use charter_core::logout::LogoutParams;
use charter_core::token::TokenErrorCode;
use charter_core::token::request::{Grant, TokenRequest};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "resource",
    "device_code",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "other",
];

const GRANTS: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "password",
    "",
];

/// A name: mostly ones the parser knows, sometimes anything.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(NAMES).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// A value: grant types, scope-like text, URLs, or anything at all (control characters, huge, non-ASCII).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(GRANTS).prop_map(str::to_owned),
        "[a-z:_ ]{0,40}",
        "(https?://[a-z.]{1,20}(/[a-z#?]{0,10})?)",
        any::<String>(),
        proptest::collection::vec(any::<char>(), 0..3000).prop_map(|c| c.into_iter().collect()),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((name(), value()), 0..10)
}

proptest! {
    #[test]
    fn token_requests_parse_or_are_refused_with_an_rfc_error(params in pairs()) {
        match TokenRequest::parse(&params) {
            Ok(req) => {
                let sent = params.iter().find(|(k, v)| k == "grant_type" && !v.is_empty()).map(|(_, v)| v);
                prop_assert_eq!(sent.map(String::as_str), Some(req.grant.grant_type().as_str()));
            }
            Err(e) => {
                prop_assert!(matches!(
                    e.code,
                    TokenErrorCode::InvalidRequest
                        | TokenErrorCode::UnsupportedGrantType
                        | TokenErrorCode::InvalidScope
                        | TokenErrorCode::InvalidTarget
                ), "{:?}", e.code);
                // The description is safe to send as is (RFC 6749 §5.2 characters only).
                prop_assert!(e.description.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')));
            }
        }
    }

    #[test]
    fn client_credentials_scopes_round_trip(scopes in proptest::collection::btree_set("[a-z][a-z:_.]{0,20}", 1..8)) {
        let scope = scopes.iter().cloned().collect::<Vec<_>>().join(" ");
        let req = TokenRequest::parse(&[
            ("grant_type".into(), "client_credentials".into()),
            ("scope".into(), scope),
        ]).unwrap();
        let Grant::ClientCredentials { scope: Some(parsed) } = req.grant else {
            panic!("a client_credentials grant with a scope");
        };
        let parsed: Vec<String> = parsed.iter().map(|s| s.as_str().to_owned()).collect();
        prop_assert_eq!(parsed.len(), scopes.len());
        for s in &scopes {
            prop_assert!(parsed.contains(s));
        }
    }

    #[test]
    fn authorization_code_requests_keep_what_was_sent(code in "[ -~]{1,200}", verifier in "[A-Za-z0-9._~-]{43,128}") {
        let req = TokenRequest::parse(&[
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.clone()),
            ("code_verifier".into(), verifier.clone()),
        ]).unwrap();
        prop_assert_eq!(req.grant, Grant::AuthorizationCode {
            code,
            redirect_uri: None,
            code_verifier: Some(verifier),
        });
    }

    #[test]
    fn logout_parameters_parse_and_round_trip(params in proptest::collection::vec(
        (prop_oneof![proptest::sample::select(&LogoutParams::NAMES[..]).prop_map(str::to_owned), any::<String>()], value()),
        0..10,
    )) {
        if let Ok(parsed) = LogoutParams::from_pairs(&params) {
            prop_assert_eq!(LogoutParams::from_pairs(&parsed.to_pairs()), Ok(parsed));
        }
    }
}
