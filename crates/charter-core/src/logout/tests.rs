//! The RP-initiated logout decision table (RP-Initiated Logout §2–§4 and the OpenID logout test plan).

use super::*;
use crate::client::{ClientMetadata, OperatorSettings, Registration};
use crate::clock::Timestamp;

const ALICE: &str = "6f1c2a3b-0d4e-4f5a-8b6c-7d8e9f0a1b2c";
const BOB: &str = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
const BYE: &str = "https://app.example/bye";

fn client(id: &str) -> Client {
    let metadata: ClientMetadata = serde_json::from_value(serde_json::json!({
        "client_name": "App",
        "redirect_uris": ["https://app.example/cb"],
        "post_logout_redirect_uris": [BYE, "https://app.example/bye?x=1"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "openid",
        "application_type": "web"
    }))
    .unwrap();
    Client {
        id: ClientId::parse(id).unwrap(),
        metadata,
        settings: OperatorSettings::default(),
        registration: Registration::Operator,
        created_at: Timestamp::from_unix(0),
        updated_at: Timestamp::from_unix(0),
    }
}

fn hint(sub: &str, aud: &str, sid: Option<&str>) -> Hint {
    Hint::Valid(VerifiedHint {
        sub: Subject::parse(sub).unwrap(),
        aud: ClientId::parse(aud).unwrap(),
        sid: sid.map(str::to_owned),
    })
}

fn url(s: &str) -> Option<Url> {
    Some(Url::parse(s).unwrap())
}

/// One row of the table: what the request holds, and the outcome expected.
struct Case {
    name: &'static str,
    hint: Hint,
    client_id: Option<&'static str>,
    /// Which registered client the endpoint found for the named id.
    client: Option<&'static str>,
    redirect: Option<&'static str>,
    state: Option<&'static str>,
    session: Option<(&'static str, &'static str)>,
    expect: LogoutOutcome,
}

fn base() -> Case {
    Case {
        name: "",
        hint: Hint::Absent,
        client_id: None,
        client: None,
        redirect: None,
        state: None,
        session: Some(("sid-1", ALICE)),
        expect: LogoutOutcome::Confirm { redirect: None },
    }
}

#[test]
fn decision_table() {
    use LogoutOutcome::*;
    let cases = [
        Case {
            name: "no parameters: ask before ending the session",
            ..base()
        },
        Case {
            name: "no parameters, no session",
            session: None,
            expect: NoSession { redirect: None },
            ..base()
        },
        Case {
            name: "hint of this session: sign out, redirect with state",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client: Some("rp"),
            redirect: Some(BYE),
            state: Some("s 1&2"),
            expect: SignOut {
                redirect: url("https://app.example/bye?state=s+1%262"),
            },
            ..base()
        },
        Case {
            name: "a registered URI with a query keeps it",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client: Some("rp"),
            redirect: Some("https://app.example/bye?x=1"),
            state: Some("s"),
            expect: SignOut {
                redirect: url("https://app.example/bye?x=1&state=s"),
            },
            ..base()
        },
        Case {
            name: "hint of this session without a redirect",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client: Some("rp"),
            state: Some("ignored"),
            expect: SignOut { redirect: None },
            ..base()
        },
        Case {
            name: "hint of another session of the same user: ask",
            hint: hint(ALICE, "rp", Some("sid-2")),
            client: Some("rp"),
            redirect: Some(BYE),
            expect: Confirm { redirect: url(BYE) },
            ..base()
        },
        Case {
            name: "hint with this sid but another user: ask",
            hint: hint(BOB, "rp", Some("sid-1")),
            client: Some("rp"),
            expect: Confirm { redirect: None },
            ..base()
        },
        Case {
            name: "hint without sid: ask",
            hint: hint(ALICE, "rp", None),
            client: Some("rp"),
            expect: Confirm { redirect: None },
            ..base()
        },
        Case {
            name: "client_id alone with a registered URI: ask, then redirect",
            client_id: Some("rp"),
            client: Some("rp"),
            redirect: Some(BYE),
            state: Some("s"),
            expect: Confirm {
                redirect: url("https://app.example/bye?state=s"),
            },
            ..base()
        },
        Case {
            name: "no session, valid hint and URI: straight back",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client: Some("rp"),
            redirect: Some(BYE),
            session: None,
            expect: NoSession { redirect: url(BYE) },
            ..base()
        },
        Case {
            name: "forged, alg none or access token hint",
            hint: Hint::Invalid,
            redirect: Some(BYE),
            expect: Refuse(LogoutError::InvalidIdTokenHint),
            ..base()
        },
        Case {
            name: "invalid hint even without a session",
            hint: Hint::Invalid,
            session: None,
            expect: Refuse(LogoutError::InvalidIdTokenHint),
            ..base()
        },
        Case {
            name: "hint of another client than client_id",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client_id: Some("other"),
            client: Some("rp"),
            redirect: Some(BYE),
            expect: Refuse(LogoutError::ClientMismatch),
            ..base()
        },
        Case {
            name: "hint and the same client_id",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client_id: Some("rp"),
            client: Some("rp"),
            expect: SignOut { redirect: None },
            ..base()
        },
        Case {
            name: "unregistered URI",
            hint: hint(ALICE, "rp", Some("sid-1")),
            client: Some("rp"),
            redirect: Some("https://evil.example/bye"),
            expect: Refuse(LogoutError::UnregisteredRedirect),
            ..base()
        },
        Case {
            name: "URI differing only by a trailing slash",
            client_id: Some("rp"),
            client: Some("rp"),
            redirect: Some("https://app.example/bye/"),
            expect: Refuse(LogoutError::UnregisteredRedirect),
            ..base()
        },
        Case {
            name: "URI without any client",
            redirect: Some(BYE),
            expect: Refuse(LogoutError::RedirectWithoutClient),
            ..base()
        },
        Case {
            name: "unknown client_id",
            client_id: Some("nobody"),
            expect: Refuse(LogoutError::UnknownClient),
            ..base()
        },
        Case {
            name: "hint of a deleted client",
            hint: hint(ALICE, "gone", Some("sid-1")),
            expect: Refuse(LogoutError::UnknownClient),
            ..base()
        },
    ];
    for case in &cases {
        let client = case.client.map(client);
        let sub = case.session.map(|(_, s)| Subject::parse(s).unwrap());
        let session = case
            .session
            .zip(sub.as_ref())
            .map(|((sid, _), sub)| CurrentSession { sid, sub });
        let req = LogoutRequest {
            hint: &case.hint,
            client_id: case.client_id,
            client: client.as_ref(),
            post_logout_redirect_uri: case.redirect,
            state: case.state,
            session,
        };
        assert_eq!(decide(&req), case.expect, "{}", case.name);
    }
}

#[test]
fn the_named_client_is_the_hints_audience_first() {
    assert_eq!(
        named_client(&hint(ALICE, "rp", None), Some("other")),
        Some("rp")
    );
    assert_eq!(named_client(&Hint::Absent, Some("other")), Some("other"));
    assert_eq!(named_client(&Hint::Invalid, None), None);
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn parameters() {
    let p = LogoutParams::from_pairs(&pairs(&[
        ("id_token_hint", "h"),
        ("post_logout_redirect_uri", BYE),
        ("state", "s"),
        ("client_id", ""),
        ("logout_hint", "alice"),
        ("ui_locales", "fr"),
        ("unknown", "x"),
        ("unknown", "y"),
    ]))
    .unwrap();
    assert_eq!(p.id_token_hint.as_deref(), Some("h"));
    assert_eq!(p.client_id, None, "empty is absent");
    assert_eq!(p.ui_locales.as_deref(), Some("fr"));
    let back = LogoutParams::from_pairs(&p.to_pairs()).unwrap();
    assert_eq!(back, p, "carried through the confirmation form unchanged");
    assert_eq!(
        LogoutParams::from_pairs(&pairs(&[("state", "a"), ("state", "b")])),
        Err(LogoutError::RepeatedParameter)
    );
    assert_eq!(
        LogoutParams::from_pairs(&[]).unwrap(),
        LogoutParams::default()
    );
}
