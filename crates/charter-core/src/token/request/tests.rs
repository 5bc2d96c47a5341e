use super::*;
use crate::token::TokenErrorCode::{self, *};

fn pairs(body: &[(&str, &str)]) -> Vec<(String, String)> {
    body.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn parse(body: &[(&str, &str)]) -> Result<TokenRequest, TokenError> {
    TokenRequest::parse(&pairs(body))
}

fn scope(s: &str) -> Option<ScopeSet> {
    Some(ScopeSet::parse(s).unwrap())
}

/// A form body: name/value pairs in order.
type Body = &'static [(&'static str, &'static str)];

const CODE: (&str, &str) = ("grant_type", "authorization_code");
const REFRESH: (&str, &str) = ("grant_type", "refresh_token");
const CC: (&str, &str) = ("grant_type", "client_credentials");
const DEVICE: (&str, &str) = ("grant_type", "urn:ietf:params:oauth:grant-type:device_code");

#[test]
fn refusals() {
    let cases: &[(&str, Body, TokenErrorCode)] = &[
        ("empty body", &[], InvalidRequest),
        ("grant_type empty", &[("grant_type", "")], InvalidRequest),
        (
            "grant_type repeated",
            &[CODE, CODE, ("code", "c")],
            InvalidRequest,
        ),
        (
            "repeated grant_type wins over unsupported",
            &[("grant_type", "password"), ("grant_type", "password")],
            InvalidRequest,
        ),
        (
            "code repeated",
            &[CODE, ("code", "a"), ("code", "b")],
            InvalidRequest,
        ),
        (
            "redirect_uri repeated",
            &[
                CODE,
                ("code", "a"),
                ("redirect_uri", "https://a/cb"),
                ("redirect_uri", "https://a/cb"),
            ],
            InvalidRequest,
        ),
        (
            "code_verifier repeated",
            &[
                CODE,
                ("code", "a"),
                ("code_verifier", "v"),
                ("code_verifier", "v"),
            ],
            InvalidRequest,
        ),
        (
            "client_id repeated",
            &[CODE, ("code", "a"), ("client_id", "x"), ("client_id", "y")],
            InvalidRequest,
        ),
        (
            "client_secret repeated",
            &[
                CODE,
                ("code", "a"),
                ("client_secret", "s"),
                ("client_secret", "s"),
            ],
            InvalidRequest,
        ),
        (
            "client_assertion repeated",
            &[
                CODE,
                ("code", "a"),
                ("client_assertion", "j"),
                ("client_assertion", "j"),
            ],
            InvalidRequest,
        ),
        (
            "client_assertion_type repeated",
            &[
                CODE,
                ("code", "a"),
                ("client_assertion_type", "t"),
                ("client_assertion_type", "t"),
            ],
            InvalidRequest,
        ),
        (
            "unknown parameter repeated",
            &[CODE, ("code", "a"), ("foo", "1"), ("foo", "2")],
            InvalidRequest,
        ),
        (
            "scope repeated",
            &[CC, ("scope", "a"), ("scope", "b")],
            InvalidRequest,
        ),
        (
            "resource repeated",
            &[CC, ("resource", "https://a"), ("resource", "https://b")],
            InvalidTarget,
        ),
        (
            "password grant",
            &[
                ("grant_type", "password"),
                ("username", "u"),
                ("password", "p"),
            ],
            UnsupportedGrantType,
        ),
        (
            "implicit grant",
            &[("grant_type", "implicit")],
            UnsupportedGrantType,
        ),
        (
            "jwt bearer grant",
            &[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")],
            UnsupportedGrantType,
        ),
        (
            "grant_type case matters",
            &[("grant_type", "Authorization_Code"), ("code", "a")],
            UnsupportedGrantType,
        ),
        ("code missing", &[CODE], InvalidRequest),
        ("code empty", &[CODE, ("code", "")], InvalidRequest),
        ("refresh_token missing", &[REFRESH], InvalidRequest),
        (
            "refresh_token empty",
            &[REFRESH, ("refresh_token", "")],
            InvalidRequest,
        ),
        (
            "refresh scope malformed",
            &[REFRESH, ("refresh_token", "r"), ("scope", "a\"b")],
            InvalidScope,
        ),
        (
            "client_credentials scope malformed",
            &[CC, ("scope", "a\\b")],
            InvalidScope,
        ),
        ("scope with a tab", &[CC, ("scope", "a\tb")], InvalidScope),
        ("device_code missing", &[DEVICE], InvalidRequest),
        (
            "resource relative",
            &[CC, ("resource", "/api")],
            InvalidTarget,
        ),
        (
            "resource not a uri",
            &[CC, ("resource", "api")],
            InvalidTarget,
        ),
        (
            "resource with fragment",
            &[CC, ("resource", "https://api.example/#x")],
            InvalidTarget,
        ),
        (
            "resource with empty fragment",
            &[CC, ("resource", "https://api.example/#")],
            InvalidTarget,
        ),
    ];
    for (name, body, want) in cases {
        match parse(body) {
            Ok(r) => panic!("{name}: accepted as {r:?}"),
            Err(e) => assert_eq!(e.code, *want, "{name}: {e}"),
        }
    }
}

#[test]
fn acceptances() {
    let ac = |code: &str, redirect_uri: Option<&str>, code_verifier: Option<&str>| {
        Grant::AuthorizationCode {
            code: code.into(),
            redirect_uri: redirect_uri.map(Into::into),
            code_verifier: code_verifier.map(Into::into),
        }
    };
    let cases: &[(&str, Body, Grant, Option<&str>)] = &[
        (
            "minimal code",
            &[CODE, ("code", "c")],
            ac("c", None, None),
            None,
        ),
        (
            "full code",
            &[
                CODE,
                ("code", "c"),
                ("redirect_uri", "https://a/cb?x=1"),
                ("code_verifier", "v"),
                ("client_id", "cid"),
                ("resource", "https://api.example"),
            ],
            ac("c", Some("https://a/cb?x=1"), Some("v")),
            Some("https://api.example"),
        ),
        (
            "empty values are absent",
            &[
                CODE,
                ("code", "c"),
                ("redirect_uri", ""),
                ("code_verifier", ""),
            ],
            ac("c", None, None),
            None,
        ),
        (
            "empty twin is not a repeat",
            &[CODE, ("code", ""), ("code", "c")],
            ac("c", None, None),
            None,
        ),
        (
            "unknown parameters ignored",
            &[("foo", "bar"), CODE, ("code", "c"), ("scope", "ignored")],
            ac("c", None, None),
            None,
        ),
        (
            "client auth fields are not read here",
            &[
                CODE,
                ("code", "c"),
                ("client_secret", "s"),
                ("client_assertion", "j"),
                ("client_assertion_type", "t"),
            ],
            ac("c", None, None),
            None,
        ),
        (
            "refresh without scope",
            &[REFRESH, ("refresh_token", "r")],
            Grant::RefreshToken {
                refresh_token: "r".into(),
                scope: None,
            },
            None,
        ),
        (
            "refresh with scope",
            &[
                REFRESH,
                ("refresh_token", "r"),
                ("scope", "openid  profile"),
            ],
            Grant::RefreshToken {
                refresh_token: "r".into(),
                scope: scope("openid profile"),
            },
            None,
        ),
        (
            "refresh with blank scope",
            &[REFRESH, ("refresh_token", "r"), ("scope", "  ")],
            Grant::RefreshToken {
                refresh_token: "r".into(),
                scope: None,
            },
            None,
        ),
        (
            "client credentials",
            &[CC],
            Grant::ClientCredentials { scope: None },
            None,
        ),
        (
            "client credentials with scope and resource",
            &[
                CC,
                ("scope", "api:read"),
                ("resource", "https://api.example/v1"),
            ],
            Grant::ClientCredentials {
                scope: scope("api:read"),
            },
            Some("https://api.example/v1"),
        ),
        (
            "device",
            &[DEVICE, ("device_code", "d")],
            Grant::DeviceCode {
                device_code: "d".into(),
            },
            None,
        ),
    ];
    for (name, body, grant, resource) in cases {
        let r = parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&r.grant, grant, "{name}");
        assert_eq!(r.resource.as_deref(), *resource, "{name}");
    }
}

#[test]
fn grant_types_round_trip() {
    for (body, want) in [
        (&[CODE, ("code", "c")][..], GrantType::AuthorizationCode),
        (
            &[REFRESH, ("refresh_token", "r")][..],
            GrantType::RefreshToken,
        ),
        (&[CC][..], GrantType::ClientCredentials),
        (&[DEVICE, ("device_code", "d")][..], GrantType::DeviceCode),
    ] {
        assert_eq!(parse(body).unwrap().grant.grant_type(), want);
    }
}

#[test]
fn descriptions_name_known_parameters_only() {
    let e = parse(&[CODE, ("code", "a"), ("code", "b")]).unwrap_err();
    assert_eq!(e.description, "code is repeated");
    let e = parse(&[CODE, ("<script>", "a"), ("<script>", "b")]).unwrap_err();
    assert!(!e.description.contains("script"), "{}", e.description);
    let e = parse(&[("grant_type", "evil\"value")]).unwrap_err();
    assert!(!e.description.contains("evil"), "{}", e.description);
    let e = parse(&[REFRESH]).unwrap_err();
    assert_eq!(e.description, "refresh_token is missing");
}
