use super::*;
use crate::ids::Subject;
use crate::scope::ScopeSet;
use crate::token::TokenErrorCode::{self, *};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://app.example/cb?x=1";
const ISSUED: i64 = 1_000;
const EXPIRES: i64 = 1_060;

fn client(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

fn code() -> AuthorizationCode {
    AuthorizationCode {
        code_hash: "h".into(),
        grant_id: "g".into(),
        client_id: client("client-a"),
        user_sub: Subject::parse("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap(),
        session_sid: Some("sid".into()),
        redirect_uri: REDIRECT.into(),
        redirect_uri_sent: true,
        scope: ScopeSet::parse("openid").unwrap(),
        nonce: None,
        code_challenge: Some(CHALLENGE.into()),
        auth_time: Timestamp::from_unix(ISSUED),
        amr: vec!["pwd".into()],
        resource: None,
        created_at: Timestamp::from_unix(ISSUED),
        expires_at: Timestamp::from_unix(EXPIRES),
        used_at: None,
    }
}

struct Case {
    name: &'static str,
    /// Changes to the stored code.
    code: fn(&mut AuthorizationCode),
    client: &'static str,
    redirect_uri: Option<&'static str>,
    verifier: Option<&'static str>,
    now: i64,
    want: Result<(), TokenErrorCode>,
}

const BASE: Case = Case {
    name: "",
    code: |_| {},
    client: "client-a",
    redirect_uri: Some(REDIRECT),
    verifier: Some(VERIFIER),
    now: ISSUED + 1,
    want: Ok(()),
};

fn no_redirect_sent(c: &mut AuthorizationCode) {
    c.redirect_uri_sent = false;
}

fn no_challenge(c: &mut AuthorizationCode) {
    c.code_challenge = None;
}

#[test]
fn table() {
    let cases = [
        Case {
            name: "all good",
            ..BASE
        },
        Case {
            name: "issued this second",
            now: ISSUED,
            ..BASE
        },
        Case {
            name: "last valid second",
            now: EXPIRES - 1,
            ..BASE
        },
        Case {
            name: "expires now",
            now: EXPIRES,
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "long expired",
            now: EXPIRES + 3600,
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "another client (A17)",
            client: "client-b",
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "client id differs in case",
            client: "Client-a",
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri missing (A18)",
            redirect_uri: None,
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri trailing slash",
            redirect_uri: Some("https://app.example/cb/?x=1"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri default port added",
            redirect_uri: Some("https://app.example:443/cb?x=1"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri host case",
            redirect_uri: Some("https://APP.example/cb?x=1"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri query dropped",
            redirect_uri: Some("https://app.example/cb"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri percent-encoded",
            redirect_uri: Some("https://app.example/c%62?x=1"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "redirect_uri not sent at authorize, absent now",
            code: no_redirect_sent,
            redirect_uri: None,
            ..BASE
        },
        Case {
            name: "redirect_uri not sent at authorize, same now",
            code: no_redirect_sent,
            ..BASE
        },
        Case {
            name: "redirect_uri not sent at authorize, different now",
            code: no_redirect_sent,
            redirect_uri: Some("https://evil.example/cb"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "verifier missing (A11)",
            verifier: None,
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "verifier wrong (A11)",
            verifier: Some("eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "verifier is the challenge",
            verifier: Some(CHALLENGE),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "verifier too short",
            verifier: Some("abc"),
            want: Err(InvalidGrant),
            ..BASE
        },
        Case {
            name: "no challenge, no verifier",
            code: no_challenge,
            verifier: None,
            ..BASE
        },
        Case {
            name: "downgrade (A12)",
            code: no_challenge,
            want: Err(InvalidRequest),
            ..BASE
        },
        Case {
            name: "expiry is checked before the client",
            client: "client-b",
            now: EXPIRES,
            want: Err(InvalidGrant),
            ..BASE
        },
    ];
    for case in cases {
        let mut c = code();
        (case.code)(&mut c);
        let got = check_code(
            &c,
            &client(case.client),
            case.redirect_uri,
            case.verifier,
            Timestamp::from_unix(case.now),
        );
        assert_eq!(got.map_err(|e| e.code), case.want, "{}", case.name);
    }
}

#[test]
fn a_used_code_is_left_to_the_endpoint() {
    let mut c = code();
    c.used_at = Some(Timestamp::from_unix(ISSUED));
    let ok = check_code(
        &c,
        &client("client-a"),
        Some(REDIRECT),
        Some(VERIFIER),
        Timestamp::from_unix(ISSUED + 1),
    );
    assert_eq!(ok, Ok(()));
}
