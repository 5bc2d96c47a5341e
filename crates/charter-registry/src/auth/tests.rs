//! Tables: what a request carried -> which method (or which error), then presented credentials against stored
//! clients -> authenticated (with which secret) or which failure.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;
use crate::test_support::{hasher, record};
use AuthFailure::*;

fn b64(raw: &str) -> String {
    format!("Basic {}", STANDARD.encode(raw))
}

pub(super) fn fields<'a>(
    client_id: Option<&'a str>,
    client_secret: Option<&'a str>,
    client_assertion_type: Option<&'a str>,
    client_assertion: Option<&'a str>,
) -> CredentialFields<'a> {
    CredentialFields {
        client_id,
        client_secret,
        client_assertion_type,
        client_assertion,
    }
}

pub(super) const JWT: Option<&str> = Some(JWT_BEARER_ASSERTION_TYPE);

type Expected<'a> = Result<(AuthMethod, Option<&'a str>), (&'a str, AuthFailure, bool)>;

#[test]
fn extraction() {
    use AuthMethod::{ClientSecretBasic as Basic, ClientSecretPost as Post, None as Public};
    let basic = b64("c1:s1");
    let cases: Vec<(&str, Option<String>, CredentialFields<'_>, Expected<'_>)> = vec![
        (
            "basic",
            Some(basic.clone()),
            fields(None, None, None, None),
            Ok((Basic, Some("c1"))),
        ),
        (
            "scheme is case-insensitive",
            Some("bAsIc YzE6czE=".into()),
            fields(None, None, None, None),
            Ok((Basic, Some("c1"))),
        ),
        (
            "basic with the same body client_id",
            Some(basic.clone()),
            fields(Some("c1"), None, None, None),
            Ok((Basic, Some("c1"))),
        ),
        (
            "basic with another body client_id",
            Some(basic.clone()),
            fields(Some("c2"), None, None, None),
            Err(("invalid_request", ClientIdMismatch, true)),
        ),
        (
            "basic and a body secret",
            Some(basic.clone()),
            fields(Some("c1"), Some("s1"), None, None),
            Err(("invalid_request", MultipleMethods, true)),
        ),
        (
            "basic and an assertion",
            Some(basic.clone()),
            fields(None, None, JWT, Some("e.y.j")),
            Err(("invalid_request", MultipleMethods, true)),
        ),
        (
            "secret and assertion",
            None,
            fields(Some("c1"), Some("s1"), JWT, Some("e.y.j")),
            Err(("invalid_request", MultipleMethods, false)),
        ),
        (
            "post",
            None,
            fields(Some("c1"), Some("s1"), None, None),
            Ok((Post, Some("c1"))),
        ),
        (
            "client_id alone is none",
            None,
            fields(Some("c1"), None, None, None),
            Ok((Public, Some("c1"))),
        ),
        (
            "nothing",
            None,
            fields(None, None, None, None),
            Err(("invalid_client", NoCredentials, false)),
        ),
        (
            "empty values are absent",
            None,
            fields(Some(""), Some(""), Some(""), Some("")),
            Err(("invalid_client", NoCredentials, false)),
        ),
        (
            "empty secret is absent",
            None,
            fields(Some("c1"), Some(""), None, None),
            Ok((Public, Some("c1"))),
        ),
        (
            "secret without client_id",
            None,
            fields(None, Some("s1"), None, None),
            Err(("invalid_request", SecretWithoutClientId, false)),
        ),
        (
            "assertion",
            None,
            fields(Some("c1"), None, JWT, Some("e.y.j")),
            Ok((AuthMethod::PrivateKeyJwt, Some("c1"))),
        ),
        (
            "assertion without client_id",
            None,
            fields(None, None, JWT, Some("e.y.j")),
            Ok((AuthMethod::PrivateKeyJwt, None)),
        ),
        (
            "assertion without type",
            None,
            fields(None, None, None, Some("e.y.j")),
            Err(("invalid_request", AssertionWithoutType, false)),
        ),
        (
            "assertion type without assertion",
            None,
            fields(Some("c1"), None, JWT, None),
            Err(("invalid_request", AssertionTypeWithoutAssertion, false)),
        ),
        (
            "another assertion type",
            None,
            fields(None, None, Some("urn:x:saml"), Some("e.y.j")),
            Err(("invalid_client", UnsupportedAssertionType, false)),
        ),
        (
            "bearer scheme",
            Some("Bearer abc".into()),
            fields(None, None, None, None),
            Err(("invalid_client", UnsupportedScheme, true)),
        ),
        (
            "scheme alone",
            Some("Basic".into()),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "not base64",
            Some("Basic !!!".into()),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "no colon",
            Some(b64("c1s1")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "empty id",
            Some(b64(":s1")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "empty secret",
            Some(b64("c1:")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "broken escape",
            Some(b64("c1:%zz")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "truncated escape",
            Some(b64("c1:ab%4")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "escape that is not UTF-8",
            Some(b64("c1:%C3")),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
        (
            "base64 of bytes that are not UTF-8",
            Some("Basic /w==".into()),
            fields(None, None, None, None),
            Err(("invalid_client", MalformedBasic, true)),
        ),
    ];
    for (name, header, form, expected) in cases {
        let got = PresentedCredentials::extract(header.as_deref(), form);
        let got = got
            .as_ref()
            .map(|p| (p.method(), p.raw_client_id()))
            .map_err(|e| (e.as_str(), e.failure(), e.tried_basic()));
        assert_eq!(got, expected, "{name}");
    }
}

/// RFC 6749 §2.3.1: id and secret are form-url-encoded before base64, so they are decoded after it.
#[test]
fn basic_credentials_are_form_url_decoded() {
    let cases = [
        ("client%2D1:a%3Ab", "client-1", "a:b"),
        ("c1:a+b", "c1", "a b"),
        ("c1:a%2Bb", "c1", "a+b"),
        ("c1:a:b", "c1", "a:b"),
        ("c1:%25", "c1", "%"),
        ("c1:%e2%82%ac", "c1", "\u{20ac}"),
        ("c%3A1:x", "c:1", "x"),
    ];
    for (raw, id, secret) in cases {
        let got = PresentedCredentials::extract(Some(&b64(raw)), CredentialFields::default());
        let expected = PresentedCredentials::Basic {
            client_id: id.into(),
            secret: secret.into(),
        };
        assert_eq!(got, Ok(expected), "{raw}");
    }
    // Decoded, "c:1" is not a client id, so there is nothing to look up.
    let p = PresentedCredentials::extract(Some(&b64("c%3A1:x")), CredentialFields::default());
    assert_eq!(p.map(|p| p.client_id()), Ok(None));
}

pub(super) fn basic(id: &str, secret: &str) -> PresentedCredentials {
    PresentedCredentials::Basic {
        client_id: id.into(),
        secret: secret.into(),
    }
}

pub(super) fn post(id: &str, secret: &str) -> PresentedCredentials {
    PresentedCredentials::Post {
        client_id: id.into(),
        secret: secret.into(),
    }
}

fn public(id: &str) -> PresentedCredentials {
    PresentedCredentials::None {
        client_id: id.into(),
    }
}

fn rotated() -> ClientRecord {
    let mut r = record("rotated", AuthMethod::ClientSecretBasic, Some("new"));
    if let Some(h) = r.secret.as_mut() {
        h.previous = Some((hasher().hash("old"), Timestamp::from_unix(1_000)));
    }
    r
}

#[test]
fn authentication() {
    use AuthMethod::{ClientSecretBasic as Basic, ClientSecretPost as Post, None as Public};
    use SecretUsed::{Current, Previous};
    let records = [
        record("basic1", Basic, Some("s-basic")),
        record("post1", Post, Some("s-post")),
        record("public1", Public, None),
        rotated(),
        record("esc-ape_d", Basic, Some("a:b+c%d e")),
        record("nosecret", Basic, None),
    ];
    let find = |id: Option<ClientId>| id.and_then(|id| records.iter().find(|r| r.client.id == id));
    let escaped = |raw: &str| {
        PresentedCredentials::extract(Some(&b64(raw)), CredentialFields::default()).unwrap()
    };
    let t = Timestamp::from_unix;
    type Outcome = Result<Option<SecretUsed>, AuthFailure>;
    let cases: Vec<(&str, PresentedCredentials, Timestamp, Outcome)> = vec![
        ("basic", basic("basic1", "s-basic"), t(0), Ok(Some(Current))),
        (
            "basic, wrong secret",
            basic("basic1", "s-basi"),
            t(0),
            Err(WrongSecret),
        ),
        (
            "basic, empty-ish secret",
            basic("basic1", " "),
            t(0),
            Err(WrongSecret),
        ),
        ("post", post("post1", "s-post"), t(0), Ok(Some(Current))),
        ("public", public("public1"), t(0), Ok(None)),
        (
            "basic client using post",
            post("basic1", "s-basic"),
            t(0),
            Err(MethodMismatch {
                registered: Basic,
                used: Post,
            }),
        ),
        (
            "post client using basic",
            basic("post1", "s-post"),
            t(0),
            Err(MethodMismatch {
                registered: Post,
                used: Basic,
            }),
        ),
        (
            "confidential client sending only its id",
            public("basic1"),
            t(0),
            Err(MethodMismatch {
                registered: Basic,
                used: Public,
            }),
        ),
        (
            "public client sending a secret in the body",
            post("public1", "anything"),
            t(0),
            Err(MethodMismatch {
                registered: Public,
                used: Post,
            }),
        ),
        (
            "public client sending Basic",
            basic("public1", "anything"),
            t(0),
            Err(MethodMismatch {
                registered: Public,
                used: Basic,
            }),
        ),
        (
            "unknown client",
            basic("nobody", "s-basic"),
            t(0),
            Err(UnknownClient),
        ),
        (
            "unknown public client",
            public("nobody"),
            t(0),
            Err(UnknownClient),
        ),
        (
            "invalid client id",
            post("a b", "s"),
            t(0),
            Err(UnknownClient),
        ),
        (
            "uuid-shaped client id",
            public("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            t(0),
            Err(UnknownClient),
        ),
        (
            "no stored secret",
            basic("nosecret", "x"),
            t(0),
            Err(WrongSecret),
        ),
        (
            "rotation: new secret",
            basic("rotated", "new"),
            t(999),
            Ok(Some(Current)),
        ),
        (
            "rotation: old secret inside the window",
            basic("rotated", "old"),
            t(999),
            Ok(Some(Previous)),
        ),
        (
            "rotation: old secret at the deadline",
            basic("rotated", "old"),
            t(1_000),
            Err(WrongSecret),
        ),
        (
            "rotation: old secret after the window",
            basic("rotated", "old"),
            t(5_000),
            Err(WrongSecret),
        ),
        (
            "rotation: new secret after the window",
            basic("rotated", "new"),
            t(5_000),
            Ok(Some(Current)),
        ),
        (
            "escaped id and secret",
            escaped("esc%2Dape%5Fd:a%3Ab%2Bc%25d+e"),
            t(0),
            Ok(Some(Current)),
        ),
        (
            "escaped, over-encoded",
            escaped("%65sc-ape_d:a%3ab%2bc%25d%20e"),
            t(0),
            Ok(Some(Current)),
        ),
        (
            "unescaped plus becomes a space",
            escaped("esc-ape_d:a:b+c%25d+e"),
            t(0),
            Err(WrongSecret),
        ),
        (
            "assertion: checked by authenticate_assertion instead",
            PresentedCredentials::Assertion {
                client_id: Some("basic1".into()),
                assertion: "e.y.j".into(),
            },
            t(0),
            Err(AssertionNeedsKeys),
        ),
    ];
    let hasher = hasher();
    for (name, presented, now, expected) in cases {
        let got = authenticate(&presented, find(presented.client_id()), &hasher, now);
        if let Ok(client) = &got {
            assert_eq!(
                Some(client.id().as_str()),
                presented.raw_client_id(),
                "{name}"
            );
            assert_eq!(client.method(), presented.method(), "{name}");
        }
        let got = got.map(|c| c.secret_used()).map_err(|e| e.failure());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn a_record_for_another_client_is_refused() {
    let other = record("basic2", AuthMethod::ClientSecretBasic, Some("s-basic"));
    let got = authenticate(
        &basic("basic1", "s-basic"),
        Some(&other),
        &hasher(),
        Timestamp::from_unix(0),
    );
    assert_eq!(got.map(|_| ()).map_err(|e| e.failure()), Err(UnknownClient));
}

#[test]
fn failures_that_would_tell_an_attacker_something_look_alike() {
    let descriptions: Vec<_> = [
        UnknownClient,
        WrongSecret,
        MethodMismatch {
            registered: AuthMethod::ClientSecretBasic,
            used: AuthMethod::ClientSecretPost,
        },
    ]
    .into_iter()
    .map(|f| {
        let e = ClientAuthError::new(f, false);
        (e.as_str(), e.description())
    })
    .collect();
    assert!(
        descriptions
            .iter()
            .all(|d| *d == ("invalid_client", "client authentication failed"))
    );
}

#[test]
fn assertion_failures_are_invalid_client() {
    for f in [
        AssertionNeedsKeys,
        Assertion(AssertionFailure::BadSignature),
        Assertion(AssertionFailure::Replayed),
        Assertion(AssertionFailure::WrongAudience),
    ] {
        let e = ClientAuthError::new(f, false);
        assert_eq!(e.as_str(), "invalid_client", "{f:?}");
        assert_eq!(e.www_authenticate(), None, "{f:?}");
    }
    let e = ClientAuthError::new(Assertion(AssertionFailure::UnknownKey), false);
    assert_eq!(e.description(), "client authentication failed");
}

/// SPEC-CHECKLIST A26: 401 with `WWW-Authenticate` after a failed Basic attempt, and only then.
#[test]
fn www_authenticate_only_after_basic() {
    assert_eq!(
        ClientAuthError::new(WrongSecret, true).www_authenticate(),
        Some("Basic realm=\"charter\"")
    );
    assert_eq!(
        ClientAuthError::new(MalformedBasic, true).www_authenticate(),
        Some(BASIC_CHALLENGE)
    );
    assert_eq!(
        ClientAuthError::new(WrongSecret, false).www_authenticate(),
        None
    );
    assert_eq!(
        ClientAuthError::new(MultipleMethods, true).www_authenticate(),
        None
    );
    let e = authenticate(
        &basic("nobody", "x"),
        None,
        &hasher(),
        Timestamp::from_unix(0),
    )
    .unwrap_err();
    assert!(e.tried_basic());
    let e = authenticate(
        &post("nobody", "x"),
        None,
        &hasher(),
        Timestamp::from_unix(0),
    )
    .unwrap_err();
    assert!(!e.tried_basic());
}

/// An unknown client must cost an HMAC like a wrong secret: `verify` skips the HMAC for a malformed stored
/// value, so the dummy must be well formed.
#[test]
fn the_dummy_hash_is_well_formed() {
    let tag = DUMMY_HASH.strip_prefix("hmac-sha256$").unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(tag).unwrap().len(), 32);
    assert_eq!(hasher().hash("x").len(), DUMMY_HASH.len());
}

#[test]
fn debug_output_leaves_secrets_out() {
    let p = basic("c1", "hunter2-secret");
    let f = fields(
        Some("c1"),
        Some("hunter2-secret"),
        JWT,
        Some("eyJassertion"),
    );
    for s in [
        format!("{p:?}"),
        format!("{f:?}"),
        format!("{:?}", post("c1", "hunter2-secret")),
    ] {
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!s.contains("eyJassertion"), "{s}");
        assert!(s.contains("c1"), "{s}");
    }
}
