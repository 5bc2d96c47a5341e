//! The decision table: sessions, prompt, max_age, id_token_hint and consent.

use super::*;
use crate::client::{
    ApplicationType, AuthMethod, ClientMetadata, GrantType, OperatorSettings, RedirectUri,
    Registration, ResponseType,
};
use crate::grant::{Prompt, ResponseMode};
use crate::ids::{ClientId, Subject};
use crate::random::SystemTokenGenerator;
use crate::scope::ScopeSet;
use crate::session::SessionPolicy;

fn client(skip_consent: bool) -> Client {
    Client {
        id: ClientId::parse("c1").unwrap(),
        metadata: ClientMetadata {
            client_name: "App".into(),
            redirect_uris: vec![RedirectUri::parse("https://app.example/cb").unwrap()],
            post_logout_redirect_uris: vec![],
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec![ResponseType::Code],
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            scope: ScopeSet::parse("openid profile").unwrap(),
            application_type: ApplicationType::Web,
            contacts: vec![],
            logo_uri: None,
            client_uri: None,
            policy_uri: None,
            tos_uri: None,
            jwks_uri: None,
            jwks: None,
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        },
        settings: OperatorSettings {
            skip_consent,
            ..OperatorSettings::default()
        },
        registration: Registration::Operator,
        created_at: Timestamp::from_unix(0),
        updated_at: Timestamp::from_unix(0),
    }
}

fn request(prompt: Prompt, max_age: Option<u64>, hint: Option<Subject>) -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: ClientId::parse("c1").unwrap(),
        redirect_uri: RedirectUri::parse("https://app.example/cb").unwrap(),
        redirect_uri_sent: true,
        scope: ScopeSet::parse("openid profile").unwrap(),
        state: None,
        nonce: None,
        code_challenge: None,
        response_mode: ResponseMode::Query,
        prompt,
        max_age,
        login_hint: None,
        id_token_hint_sub: hint,
        ui_locales: None,
        acr_values: None,
        resource: None,
        claims: None,
    }
}

fn session(user: &Subject, auth_time: i64) -> Session {
    let rng = SystemTokenGenerator::new();
    let (_, mut s) = Session::start(
        &rng,
        user.clone(),
        vec!["pwd".into()],
        None,
        None,
        Timestamp::from_unix(auth_time),
        &SessionPolicy::default(),
    );
    s.auth_time = Timestamp::from_unix(auth_time);
    s
}

fn consent(user: &Subject, scope: &str) -> Consent {
    Consent {
        user_sub: user.clone(),
        client_id: ClientId::parse("c1").unwrap(),
        scope: ScopeSet::parse(scope).unwrap(),
        created_at: Timestamp::from_unix(0),
        updated_at: Timestamp::from_unix(0),
    }
}

#[test]
fn decision_table() {
    let rng = SystemTokenGenerator::new();
    let alice = Subject::generate(&rng);
    let bob = Subject::generate(&rng);
    let none = Prompt {
        none: true,
        ..Prompt::default()
    };
    let login = Prompt {
        login: true,
        ..Prompt::default()
    };
    let select = Prompt {
        select_account: true,
        ..Prompt::default()
    };
    let consent_p = Prompt {
        consent: true,
        ..Prompt::default()
    };
    let plain = Prompt::default();
    let s = session(&alice, 1000);
    let full = consent(&alice, "openid profile");
    let partial = consent(&alice, "openid");
    let now = Timestamp::from_unix(1100);
    let parked = Some(Timestamp::from_unix(1050));
    let fresh = session(&alice, 1060);
    let this_second = session(&alice, 1100);

    // (name, request, skip_consent, session, consent, parked_at, expected)
    type Case<'a> = (
        &'a str,
        AuthorizationRequest,
        bool,
        Option<&'a Session>,
        Option<&'a Consent>,
        Option<Timestamp>,
        Next,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "no session",
            request(plain, None, None),
            false,
            None,
            None,
            None,
            Next::Login,
        ),
        (
            "no session, prompt=none",
            request(none, None, None),
            false,
            None,
            None,
            None,
            Next::Fail("login_required"),
        ),
        (
            "session, no consent",
            request(plain, None, None),
            false,
            Some(&s),
            None,
            None,
            Next::Consent,
        ),
        (
            "session, consent",
            request(plain, None, None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Issue,
        ),
        (
            "more scopes than consented",
            request(plain, None, None),
            false,
            Some(&s),
            Some(&partial),
            None,
            Next::Consent,
        ),
        (
            "prompt=none, no consent",
            request(none, None, None),
            false,
            Some(&s),
            None,
            None,
            Next::Fail("consent_required"),
        ),
        (
            "prompt=none, all granted",
            request(none, None, None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Issue,
        ),
        (
            "skip_consent",
            request(plain, None, None),
            true,
            Some(&s),
            None,
            None,
            Next::Issue,
        ),
        (
            "prompt=consent asks again",
            request(consent_p, None, None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Consent,
        ),
        (
            "prompt=consent after consenting",
            request(consent_p, None, None),
            false,
            Some(&s),
            Some(&full),
            parked,
            Next::Issue,
        ),
        (
            "prompt=login forces sign-in",
            request(login, None, None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Login,
        ),
        (
            "prompt=login satisfied by a fresh sign-in",
            request(login, None, None),
            false,
            Some(&fresh),
            Some(&full),
            parked,
            Next::Issue,
        ),
        (
            "prompt=login, old session on resume",
            request(login, None, None),
            false,
            Some(&s),
            Some(&full),
            parked,
            Next::Login,
        ),
        (
            "select_account is login",
            request(select, None, None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Login,
        ),
        (
            "max_age within",
            request(plain, Some(100), None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Issue,
        ),
        (
            "max_age=0 on a session of this very second",
            request(plain, Some(0), None),
            false,
            Some(&this_second),
            Some(&full),
            None,
            Next::Login,
        ),
        (
            "max_age exceeded",
            request(plain, Some(99), None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Login,
        ),
        (
            "max_age=0 after fresh sign-in",
            request(plain, Some(0), None),
            false,
            Some(&fresh),
            Some(&full),
            parked,
            Next::Issue,
        ),
        (
            "max_age exceeded, prompt=none",
            request(none, Some(1), None),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Fail("login_required"),
        ),
        (
            "hint is the user",
            request(none, None, Some(alice.clone())),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Issue,
        ),
        (
            "hint is someone else, prompt=none",
            request(none, None, Some(bob.clone())),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Fail("login_required"),
        ),
        (
            "hint is someone else",
            request(plain, None, Some(bob.clone())),
            false,
            Some(&s),
            Some(&full),
            None,
            Next::Login,
        ),
    ];
    for (name, req, skip, sess, cons, parked_at, expected) in cases {
        assert_eq!(
            decide(&req, &client(skip), sess, cons, now, parked_at),
            expected,
            "{name}"
        );
    }
}

fn with_claims(mut r: AuthorizationRequest, claims: &str) -> AuthorizationRequest {
    r.claims = Some(crate::claims_request::ClaimsRequest::parse(claims).unwrap());
    r
}

#[test]
fn claims_parameter_decisions() {
    let rng = SystemTokenGenerator::new();
    let alice = Subject::generate(&rng);
    let bob = Subject::generate(&rng);
    let none = Prompt {
        none: true,
        ..Prompt::default()
    };
    let plain = Prompt::default();
    let s = session(&alice, 1000);
    let fresh = session(&alice, 1060);
    let profile = consent(&alice, "openid profile");
    let with_email = consent(&alice, "openid profile email");
    let now = Timestamp::from_unix(1100);
    let parked = Some(Timestamp::from_unix(1050));
    let sub_is = |sub: &Subject| format!(r#"{{"id_token":{{"sub":{{"value":"{sub}"}}}}}}"#);
    let email = r#"{"id_token":{"email":{"essential":true}}}"#;

    // (name, request, session, consent, parked_at, expected)
    type Case<'a> = (
        &'a str,
        AuthorizationRequest,
        Option<&'a Session>,
        Option<&'a Consent>,
        Option<Timestamp>,
        Next,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "sub value is the user",
            with_claims(request(plain, None, None), &sub_is(&alice)),
            Some(&s),
            Some(&profile),
            None,
            Next::Issue,
        ),
        (
            "sub value is someone else: sign in",
            with_claims(request(plain, None, None), &sub_is(&bob)),
            Some(&s),
            Some(&profile),
            None,
            Next::Login,
        ),
        (
            "sub value is someone else, prompt=none",
            with_claims(request(none, None, None), &sub_is(&bob)),
            Some(&s),
            Some(&profile),
            None,
            Next::Fail("login_required"),
        ),
        (
            "signed in again for the request, still someone else",
            with_claims(request(plain, None, None), &sub_is(&bob)),
            Some(&fresh),
            Some(&profile),
            parked,
            Next::Fail("access_denied"),
        ),
        (
            "no session, sub value: sign in",
            with_claims(request(plain, None, None), &sub_is(&bob)),
            None,
            None,
            None,
            Next::Login,
        ),
        (
            "an email claim is not covered by a profile consent",
            with_claims(request(plain, None, None), email),
            Some(&s),
            Some(&profile),
            None,
            Next::Consent,
        ),
        (
            "an email claim, prompt=none",
            with_claims(request(none, None, None), email),
            Some(&s),
            Some(&profile),
            None,
            Next::Fail("consent_required"),
        ),
        (
            "an email claim is covered by an email consent",
            with_claims(request(plain, None, None), email),
            Some(&s),
            Some(&with_email),
            None,
            Next::Issue,
        ),
        (
            "protocol claims need no consent",
            with_claims(
                request(plain, None, None),
                r#"{"id_token":{"auth_time":{"essential":true},"sub":null}}"#,
            ),
            Some(&s),
            Some(&profile),
            None,
            Next::Issue,
        ),
    ];
    for (name, req, sess, cons, parked_at, expected) in cases {
        assert_eq!(
            decide(&req, &client(false), sess, cons, now, parked_at),
            expected,
            "{name}"
        );
    }
    let req = with_claims(
        request(plain, None, None),
        r#"{"userinfo":{"phone_number":null},"id_token":{"email":null,"sub":null}}"#,
    );
    assert_eq!(
        consent_scope(&req).to_string(),
        ScopeSet::parse("openid profile email phone")
            .unwrap()
            .to_string()
    );
}
