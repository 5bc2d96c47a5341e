//! Tables: an authorization request (its parameters and the kind of client it names) -> accepted, an error page,
//! or the redirected error code. Rows are tagged with the SPEC-CHECKLIST item or OpenID conformance module they
//! stand for.

use charter_core::grant::{AuthorizationRequest, Prompt, ResponseMode};

use super::*;

mod fixtures;
use fixtures::{CB, CHALLENGE, Kind, P, client, oauth, oidc};

enum Expect {
    Ok,
    OkWith(fn(&AuthorizationRequest) -> bool),
    Page(PageError),
    Redirect(RedirectError),
}

#[test]
fn authorization_requests() {
    use Expect::{Ok, OkWith, Page, Redirect};
    use Kind::*;
    use PageError::*;
    use RedirectError::*;
    #[rustfmt::skip]
    let cases: Vec<(&str, P, Kind, Expect)> = vec![
        // Accepted.
        ("oidcc-server: openid, PKCE, nonce", oidc(), Public, OkWith(|r| {
            r.client_id.as_str() == "c1" && r.redirect_uri.as_str() == CB && r.redirect_uri_sent
                && r.scope.to_string() == "openid profile" && r.state.as_deref() == Some("xyz")
                && r.nonce.as_deref() == Some("n-0S6_WzA2Mj") && r.response_mode == ResponseMode::Query
                && r.prompt == Prompt::default() && r.max_age.is_none() && r.id_token_hint_sub.is_none()
                && r.resource.is_none()
        })),
        ("A12-ready: the challenge is kept byte for byte", oidc(), Confidential,
            OkWith(|r| r.code_challenge.as_deref() == Some(CHALLENGE))),
        ("opted-out confidential client may still use PKCE", oidc(), ConfidentialNoPkce, Ok),
        ("opt-out: openid + nonce without PKCE", oidc().no_pkce(), ConfidentialNoPkce,
            OkWith(|r| r.code_challenge.is_none() && r.nonce.is_some())),
        ("oidcc-ensure-request-without-nonce-succeeds-for-code-flow", oidc().drop("nonce"), Public,
            OkWith(|r| r.nonce.is_none())),
        ("OAuth without redirect_uri: the single registered one", oauth(), Confidential,
            OkWith(|r| r.redirect_uri.as_str() == CB && !r.redirect_uri_sent && r.scope.to_string() == "api:read")),
        ("OAuth with an empty scope", oauth().drop("scope"), Public, OkWith(|r| r.scope.is_empty())),
        ("A4: second of two registered URIs", oidc().set("redirect_uri", "https://app.example/other"),
            TwoRedirects, OkWith(|r| r.redirect_uri.as_str() == "https://app.example/other")),
        ("A2: native loopback, any port", oidc().set("redirect_uri", "http://127.0.0.1:53111/cb"), Native,
            OkWith(|r| r.redirect_uri.as_str() == "http://127.0.0.1:53111/cb")),
        ("response_mode=query", oidc().set("response_mode", "query"), Public, Ok),
        ("oidcc-ensure-post-request-succeeds: form_post", oidc().set("response_mode", "form_post"), Public,
            OkWith(|r| r.response_mode == ResponseMode::FormPost)),
        // A1: exact string match, else a page.
        ("A1 trailing slash", oidc().set("redirect_uri", "https://app.example/cb/"), Public, Page(InvalidRedirectUri)),
        ("A1 extra query", oidc().set("redirect_uri", "https://app.example/cb?x=1"), Public, Page(InvalidRedirectUri)),
        ("A1 fragment", oidc().set("redirect_uri", "https://app.example/cb#f"), Public, Page(InvalidRedirectUri)),
        ("A1 host case", oidc().set("redirect_uri", "https://APP.example/cb"), Public, Page(InvalidRedirectUri)),
        ("A1 suffix domain", oidc().set("redirect_uri", "https://app.example.evil/cb"), Public, Page(InvalidRedirectUri)),
        ("A1 %-encoding", oidc().set("redirect_uri", "https://app.example/%63b"), Public, Page(InvalidRedirectUri)),
        ("A1 default port spelled", oidc().set("redirect_uri", "https://app.example:443/cb"), Public,
            Page(InvalidRedirectUri)),
        ("A1 userinfo", oidc().set("redirect_uri", "https://app.example@evil.example/cb"), Public,
            Page(InvalidRedirectUri)),
        ("A1 not a URI", oidc().set("redirect_uri", "cb"), Public, Page(InvalidRedirectUri)),
        ("A2: loopback path still exact", oidc().set("redirect_uri", "http://127.0.0.1:5/cb2"), Native,
            Page(InvalidRedirectUri)),
        ("A4: two registered, none sent", oauth(), TwoRedirects, Page(MissingRedirectUri)),
        ("A4: two registered, none sent, openid", oidc().drop("redirect_uri"), TwoRedirects, Page(MissingRedirectUri)),
        ("A4: empty redirect_uri is absent", oauth().set("redirect_uri", ""), TwoRedirects, Page(MissingRedirectUri)),
        ("client_credentials-only client: no redirect URI", oauth(), CcOnlyAsRegistered, Page(MissingRedirectUri)),
        ("client_credentials-only client: any redirect URI", oidc(), CcOnlyAsRegistered, Page(InvalidRedirectUri)),
        ("repeated redirect_uri", oidc().add("redirect_uri", CB), Public, Page(RepeatedRedirectUri)),
        ("repeated redirect_uri, one unregistered", oidc().add("redirect_uri", "https://evil.example/cb"), Public,
            Page(RepeatedRedirectUri)),
        ("missing client_id", oidc().drop("client_id"), Public, Page(MissingClientId)),
        ("empty client_id", oidc().set("client_id", ""), Public, Page(MissingClientId)),
        ("repeated client_id", oidc().add("client_id", "c1"), Public, Page(RepeatedClientId)),
        ("unknown client_id", oidc(), Unknown, Page(UnknownClient)),
        ("client looked up under another id", oidc().set("client_id", "c2"), Public, Page(UnknownClient)),
        // A5: page errors win over every other error.
        ("A5 unknown client + response_type=token", oidc().set("response_type", "token"), Unknown, Page(UnknownClient)),
        ("A5 unknown client + bad redirect_uri", oidc().set("redirect_uri", "https://evil.example/"), Unknown,
            Page(UnknownClient)),
        ("A5 unknown client + repeated state + request", oidc().add("state", "b").set("request", "x"), Unknown,
            Page(UnknownClient)),
        ("A5 bad redirect_uri + response_type=token",
            oidc().set("redirect_uri", "https://evil.example/").set("response_type", "token"), Public,
            Page(InvalidRedirectUri)),
        ("A5 bad redirect_uri + no PKCE + bad scope",
            oidc().set("redirect_uri", "https://evil.example/").no_pkce().set("scope", "admin"), Public,
            Page(InvalidRedirectUri)),
        ("A5 bad redirect_uri + unauthorized client", oidc().set("redirect_uri", "https://evil.example/"), CcOnly,
            Page(InvalidRedirectUri)),
        // A29: repeated -> invalid_request; empty = absent; unknown ignored.
        ("A29 repeated state", oidc().add("state", "other"), Public, Redirect(InvalidRequest)),
        ("A29 repeated state, same value", oidc().add("state", "xyz"), Public, Redirect(InvalidRequest)),
        ("A29 repeated response_type", oidc().add("response_type", "code"), Public, Redirect(InvalidRequest)),
        ("A29 repeated scope", oidc().add("scope", "openid"), Public, Redirect(InvalidRequest)),
        ("A29 repeated nonce", oidc().add("nonce", "n2"), Public, Redirect(InvalidRequest)),
        ("A29 repeated code_challenge", oidc().add("code_challenge", CHALLENGE), Public, Redirect(InvalidRequest)),
        ("A29 repeated prompt", oidc().set("prompt", "login").add("prompt", "consent"), Public,
            Redirect(InvalidRequest)),
        ("A29 repeated resource (one per request)",
            oidc().set("resource", "https://a.example/").add("resource", "https://b.example/"), Public,
            Redirect(InvalidRequest)),
        ("A29 repeated id_token_hint", oidc().set("id_token_hint", "a").add("id_token_hint", "b"), Public,
            Redirect(InvalidRequest)),
        ("A29 empty state is absent", oidc().set("state", ""), Public, OkWith(|r| r.state.is_none())),
        ("A29 empty + valued nonce is sent once", oidc().set("nonce", "").add("nonce", "n1"), Public,
            OkWith(|r| r.nonce.as_deref() == Some("n1"))),
        ("A29 empty prompt and max_age are absent", oidc().set("prompt", "").set("max_age", ""), Public,
            OkWith(|r| r.prompt == Prompt::default() && r.max_age.is_none())),
        ("A29 empty response_type is missing", oidc().set("response_type", ""), Public, Redirect(InvalidRequest)),
        ("A29 empty code_challenge is absent", oidc().set("code_challenge", ""), Public, Redirect(InvalidRequest)),
        ("oidcc-ensure-request-with-unknown-parameter-succeeds", oidc().set("extra", "foobar"), Public, Ok),
        ("A29 repeated unknown parameter ignored", oidc().set("utm", "1").add("utm", "2"), Public, Ok),
        // response_type (A23, oidcc-response-type-missing).
        ("oidcc-response-type-missing", oidc().drop("response_type"), Public, Redirect(InvalidRequest)),
        ("A23 response_type=token", oidc().set("response_type", "token"), Public, Redirect(UnsupportedResponseType)),
        ("implicit id_token", oidc().set("response_type", "id_token"), Public, Redirect(UnsupportedResponseType)),
        ("hybrid", oidc().set("response_type", "code id_token"), Public, Redirect(UnsupportedResponseType)),
        ("hybrid, reordered", oidc().set("response_type", "id_token code"), Public,
            Redirect(UnsupportedResponseType)),
        ("response_type=none", oidc().set("response_type", "none"), Public, Redirect(UnsupportedResponseType)),
        ("response_type is case-sensitive", oidc().set("response_type", "CODE"), Public,
            Redirect(UnsupportedResponseType)),
        ("client not registered for the code grant", oidc(), CcOnly, Redirect(UnauthorizedClient)),
        // response_mode.
        ("response_mode=fragment", oidc().set("response_mode", "fragment"), Public, Redirect(InvalidRequest)),
        ("response_mode=form_post.jwt", oidc().set("response_mode", "form_post.jwt"), Public,
            Redirect(InvalidRequest)),
        // request / request_uri (oidcc-unsigned-request-object-..., oidcc-request-uri-unsigned-...).
        ("request object", oidc().set("request", "eyJhbGciOiJub25lIn0.e30."), Public, Redirect(RequestNotSupported)),
        ("request object, parameters only inside it", oidc().drop("response_type").drop("scope").set("request", "x"),
            Public, Redirect(RequestNotSupported)),
        ("request_uri", oidc().set("request_uri", "https://app.example/req/1"), Public,
            Redirect(RequestUriNotSupported)),
        ("request and request_uri", oidc().set("request", "x").set("request_uri", "urn:x"), Public,
            Redirect(RequestNotSupported)),
        // scope.
        ("scope syntax", oidc().set("scope", "openid pro\"file"), Public, Redirect(InvalidScope)),
        ("scope not registered", oidc().set("scope", "openid admin"), Public, Redirect(InvalidScope)),
        ("scope not registered, OAuth", oauth().set("scope", "api:write"), Confidential, Redirect(InvalidScope)),
        ("scope tokens are case-sensitive", oidc().set("scope", "OpenID"), Public, Redirect(InvalidScope)),
        ("Decisions: openid needs redirect_uri, even with one registered", oidc().drop("redirect_uri"), Public,
            Redirect(InvalidRequest)),
        ("Decisions: openid needs redirect_uri, opted-out client", oidc().drop("redirect_uri").no_pkce(),
            ConfidentialNoPkce, Redirect(InvalidRequest)),
        // PKCE (A9, A10).
        ("A9 public client without PKCE", oidc().no_pkce(), Public, Redirect(InvalidRequest)),
        ("A9 public client without PKCE, OAuth", oauth().no_pkce(), Public, Redirect(InvalidRequest)),
        ("public client: PKCE whatever require_pkce says", oidc().no_pkce(), PublicNoPkce, Redirect(InvalidRequest)),
        ("confidential client, PKCE required by default", oidc().no_pkce(), Confidential, Redirect(InvalidRequest)),
        ("opt-out: openid without nonce needs PKCE", oidc().no_pkce().drop("nonce"), ConfidentialNoPkce,
            Redirect(InvalidRequest)),
        ("opt-out: OAuth requests still need PKCE", oauth().no_pkce(), ConfidentialNoPkce, Redirect(InvalidRequest)),
        ("opt-out: OAuth with a nonce still needs PKCE", oauth().no_pkce().set("nonce", "n"), ConfidentialNoPkce,
            Redirect(InvalidRequest)),
        ("A10 plain", oidc().set("code_challenge_method", "plain"), Public, Redirect(InvalidRequest)),
        ("A10 plain, opted-out client", oidc().set("code_challenge_method", "plain"), ConfidentialNoPkce,
            Redirect(InvalidRequest)),
        ("A10 unknown method", oidc().set("code_challenge_method", "S512"), Public, Redirect(InvalidRequest)),
        ("A10 method is case-sensitive", oidc().set("code_challenge_method", "s256"), Public,
            Redirect(InvalidRequest)),
        ("A10 no method means plain", oidc().drop("code_challenge_method"), Public, Redirect(InvalidRequest)),
        ("method without challenge", oidc().drop("code_challenge"), Public, Redirect(InvalidRequest)),
        ("method without challenge, opted-out client", oidc().drop("code_challenge"), ConfidentialNoPkce,
            Redirect(InvalidRequest)),
        ("challenge of 42 characters", oidc().set("code_challenge", &CHALLENGE[..42]), Public,
            Redirect(InvalidRequest)),
        ("challenge of 129 characters", oidc().set("code_challenge", &"a".repeat(129)), Public,
            Redirect(InvalidRequest)),
        ("challenge with a character outside [A-Za-z0-9-._~]",
            oidc().set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"), Public,
            Redirect(InvalidRequest)),
        ("challenge with padding", oidc().set("code_challenge", &format!("{CHALLENGE}=")), Public,
            Redirect(InvalidRequest)),
        ("unreserved but not an S256 digest (64 characters)", oidc().set("code_challenge", &"a".repeat(64)), Public,
            Redirect(InvalidRequest)),
        ("unreserved but not base64url (43 characters)",
            oidc().set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw.cM"), Public,
            Redirect(InvalidRequest)),
        ("43 characters with stray low bits", oidc().set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"),
            Public, Redirect(InvalidRequest)),
        // prompt (oidcc-prompt-login, oidcc-prompt-none-*).
        ("prompt=none", oidc().set("prompt", "none"), Public, OkWith(|r| r.prompt.none && !r.prompt.login)),
        ("prompt=login", oidc().set("prompt", "login"), Public, OkWith(|r| r.prompt.login)),
        ("prompt=login consent, extra spaces", oidc().set("prompt", " login  consent "), Public,
            OkWith(|r| r.prompt.login && r.prompt.consent && !r.prompt.none)),
        ("prompt=select_account", oidc().set("prompt", "select_account"), Public, OkWith(|r| r.prompt.select_account)),
        ("prompt=none login", oidc().set("prompt", "none login"), Public, Redirect(InvalidRequest)),
        ("prompt=consent none", oidc().set("prompt", "consent none"), Public, Redirect(InvalidRequest)),
        ("unknown prompt", oidc().set("prompt", "create"), Public, Redirect(InvalidRequest)),
        ("prompt is case-sensitive", oidc().set("prompt", "Login"), Public, Redirect(InvalidRequest)),
        // max_age (oidcc-max-age-1, oidcc-max-age-10000).
        ("max_age=0", oidc().set("max_age", "0"), Public, OkWith(|r| r.max_age == Some(0))),
        ("max_age=1", oidc().set("max_age", "1"), Public, OkWith(|r| r.max_age == Some(1))),
        ("max_age=10000", oidc().set("max_age", "10000"), Public, OkWith(|r| r.max_age == Some(10000))),
        ("max_age negative", oidc().set("max_age", "-1"), Public, Redirect(InvalidRequest)),
        ("max_age with a sign", oidc().set("max_age", "+5"), Public, Redirect(InvalidRequest)),
        ("max_age fraction", oidc().set("max_age", "1.5"), Public, Redirect(InvalidRequest)),
        ("max_age text", oidc().set("max_age", "soon"), Public, Redirect(InvalidRequest)),
        ("max_age overflow", oidc().set("max_age", "99999999999999999999999"), Public, Redirect(InvalidRequest)),
        // Accepted and kept, or accepted and left to others.
        ("oidcc-login-hint", oidc().set("login_hint", "alice@example.com"), Public,
            OkWith(|r| r.login_hint.as_deref() == Some("alice@example.com"))),
        ("oidcc-ui-locales", oidc().set("ui_locales", "fr-CA fr en"), Public,
            OkWith(|r| r.ui_locales.as_deref() == Some("fr-CA fr en"))),
        ("oidcc-ensure-request-with-acr-values-succeeds", oidc().set("acr_values", "1 2"), Public,
            OkWith(|r| r.acr_values.as_deref() == Some("1 2"))),
        ("oidcc-claims-locales", oidc().set("claims_locales", "de"), Public, Ok),
        ("oidcc-display-page", oidc().set("display", "page"), Public, Ok),
        ("oidcc-display-popup", oidc().set("display", "popup"), Public, Ok),
        ("unknown display ignored", oidc().set("display", "hologram"), Public, Ok),
        // claims (OpenID Connect Core §5.5).
        ("oidcc-claims-essential: kept", oidc().set("claims", r#"{"id_token":{"email":{"essential":true}}}"#), Public,
            OkWith(|r| r.claims.as_ref().is_some_and(|c| c.id_token["email"].essential && c.userinfo.is_empty()))),
        ("claims for userinfo", oidc().set("claims", r#"{"userinfo":{"email":null,"phone_number":{}}}"#), Public,
            OkWith(|r| r.claims.as_ref().is_some_and(|c| c.userinfo.len() == 2))),
        ("claims naming only unknown claims: as if absent", oidc().set("claims", r#"{"id_token":{"shoe_size":null}}"#),
            Public, OkWith(|r| r.claims.is_none())),
        ("claims empty object: as if absent", oidc().set("claims", "{}"), Public, OkWith(|r| r.claims.is_none())),
        ("claims voluntary acr with values: ignored", oidc().set("claims", r#"{"id_token":{"acr":{"values":["urn:x"]}}}"#),
            Public, Ok),
        ("claims not JSON", oidc().set("claims", "{email"), Public, Redirect(InvalidRequest)),
        ("claims an array", oidc().set("claims", r#"["email"]"#), Public, Redirect(InvalidRequest)),
        ("claims id_token a string", oidc().set("claims", r#"{"id_token":"email"}"#), Public, Redirect(InvalidRequest)),
        ("claims essential a string", oidc().set("claims", r#"{"userinfo":{"email":{"essential":"1"}}}"#), Public,
            Redirect(InvalidRequest)),
        ("claims sub value a number", oidc().set("claims", r#"{"id_token":{"sub":{"value":1}}}"#), Public,
            Redirect(InvalidRequest)),
        ("claims too long", oidc().set("claims", &format!(r#"{{"userinfo":{{"name":{{"value":"{}"}}}}}}"#, "n".repeat(5000))),
            Public, Redirect(InvalidRequest)),
        ("state too long", oidc().set("state", &"s".repeat(4097)), Public, Redirect(InvalidRequest)),
        ("scope too long", oidc().set("scope", &"openid ".repeat(700)), Public, Redirect(InvalidRequest)),
        ("claims repeated", oidc().set("claims", "{}").add("claims", "{}"), Public, Redirect(InvalidRequest)),
        ("claims essential acr with values cannot be met", oidc().set("claims",
            r#"{"id_token":{"acr":{"essential":true,"values":["urn:mace:incommon:iap:silver"]}}}"#), Public,
            Redirect(AccessDenied)),
        ("oidcc-id-token-hint: left to the endpoint", oidc().set("id_token_hint", "eyJ.eyJ.sig"), Public,
            OkWith(|r| r.id_token_hint_sub.is_none())),
        // resource (RFC 8707).
        ("resource https", oidc().set("resource", "https://api.example/"), Public,
            OkWith(|r| r.resource.as_deref() == Some("https://api.example/"))),
        ("resource URN", oauth().set("resource", "urn:example:api"), Public,
            OkWith(|r| r.resource.as_deref() == Some("urn:example:api"))),
        ("resource with a query (SHOULD NOT, not MUST NOT)", oidc().set("resource", "https://api.example/?v=1"), Public,
            Ok),
        ("resource relative", oidc().set("resource", "/api"), Public, Redirect(InvalidRequest)),
        ("resource with a fragment", oidc().set("resource", "https://api.example/#x"), Public,
            Redirect(InvalidRequest)),
        ("resource with an empty fragment", oidc().set("resource", "https://api.example/#"), Public,
            Redirect(InvalidRequest)),
        // A20/A21: state is kept byte for byte.
        ("A21 state with spaces", oidc().set("state", " a  b "), Public, OkWith(|r| r.state.as_deref() == Some(" a  b "))),
        ("A21 state with unicode", oidc().set("state", "état 🙂 日本"), Public,
            OkWith(|r| r.state.as_deref() == Some("état 🙂 日本"))),
        ("A21 state with URL syntax", oidc().set("state", "a=b&c=%20d#e+f"), Public,
            OkWith(|r| r.state.as_deref() == Some("a=b&c=%20d#e+f"))),
    ];
    for (what, params, kind, expected) in &cases {
        let client = client(*kind);
        let got = validate_request(&params.0, client.as_ref());
        match (expected, &got) {
            (Expect::Ok, Result::Ok(_)) => {}
            (Expect::OkWith(check), Result::Ok(r)) => assert!(check(r), "{what}: {r:#?}"),
            (Expect::Page(e), Err(AuthorizeError::Page(got))) => assert_eq!(got, e, "{what}"),
            (
                Expect::Redirect(e),
                Err(AuthorizeError::Redirect {
                    error, description, ..
                }),
            ) => {
                assert_eq!(error, e, "{what}: {description}");
                assert!(
                    description_is_wire_safe(description),
                    "{what}: {description:?}"
                );
            }
            _ => panic!("{what}: unexpected {got:?}"),
        }
    }
}

/// RFC 6749 §4.1.2.1: `error_description` is printable ASCII without `"` and `\`.
fn description_is_wire_safe(d: &str) -> bool {
    !d.is_empty()
        && d.chars()
            .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\')
}

/// What, request, client, redirect URI, state, response mode.
type ErrorTarget<'a> = (&'a str, P, Kind, &'a str, Option<&'a str>, ResponseMode);

/// Where a redirected error goes and what it carries: the validated redirect URI, the requested response mode
/// when valid (else the query), and `state` byte for byte unless it was repeated (A20, A21).
#[test]
fn redirected_errors_carry_state_and_mode() {
    use Kind::{Native, Public, TwoRedirects};
    use ResponseMode::{FormPost, Query};
    let token = || oidc().set("response_type", "token");
    #[rustfmt::skip]
    let cases: Vec<ErrorTarget<'_>> = vec![
        ("state echoed", token(), Public, CB, Some("xyz"), Query),
        ("A21 spaces and unicode", token().set("state", " é 🙂 a+b%20 "), Public, CB, Some(" é 🙂 a+b%20 "), Query),
        ("no state", token().drop("state"), Public, CB, None, Query),
        ("empty state is none", token().set("state", ""), Public, CB, None, Query),
        ("repeated state is not echoed", oidc().add("state", "b"), Public, CB, None, Query),
        ("form_post honoured", token().set("response_mode", "form_post"), Public, CB, Some("xyz"), FormPost),
        ("form_post for a PKCE error", oidc().no_pkce().set("response_mode", "form_post"), Public, CB, Some("xyz"),
            FormPost),
        ("invalid response_mode: query", oidc().set("response_mode", "fragment"), Public, CB, Some("xyz"), Query),
        ("repeated response_mode: query", token().set("response_mode", "form_post").add("response_mode", "form_post"),
            Public, CB, Some("xyz"), Query),
        ("the URI sent, of two", token().set("redirect_uri", "https://app.example/other"), TwoRedirects,
            "https://app.example/other", Some("xyz"), Query),
        ("the loopback port sent", token().set("redirect_uri", "http://127.0.0.1:53111/cb"), Native,
            "http://127.0.0.1:53111/cb", Some("xyz"), Query),
        ("the single registered one", oauth().set("response_type", "token"), Public, CB, Some("xyz"), Query),
    ];
    for (what, params, kind, uri, state, mode) in &cases {
        let client = client(*kind);
        match validate_request(&params.0, client.as_ref()) {
            Err(AuthorizeError::Redirect {
                redirect_uri,
                response_mode,
                state: got_state,
                ..
            }) => {
                assert_eq!(redirect_uri.as_str(), *uri, "{what}");
                assert_eq!(got_state.as_deref(), *state, "{what}");
                assert_eq!(response_mode, *mode, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// A20: `iss` on every authorization response, success or error (RFC 9207), after `state`.
#[test]
fn response_parameters() {
    let iss = "https://id.example";
    let pairs = |v: Vec<(&'static str, String)>| {
        v.into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(redirect_params(
            &RedirectError::InvalidScope,
            "no",
            Some(" é "),
            iss
        )),
        [
            "error=invalid_scope",
            "error_description=no",
            "state= é ",
            "iss=https://id.example"
        ]
    );
    assert_eq!(
        pairs(redirect_params(
            &RedirectError::LoginRequired,
            "sign in",
            None,
            iss
        )),
        [
            "error=login_required",
            "error_description=sign in",
            "iss=https://id.example"
        ]
    );
    assert_eq!(
        pairs(redirect_params(
            &RedirectError::AccessDenied,
            "d\u{e9}ni \"x\" a\\b\n",
            None,
            iss
        ))[1],
        "error_description=dni x ab"
    );
    assert_eq!(
        pairs(success_params("c0de", Some("a b"), iss)),
        ["code=c0de", "state=a b", "iss=https://id.example"]
    );
    assert_eq!(
        pairs(success_params("c0de", None, iss)),
        ["code=c0de", "iss=https://id.example"]
    );
    assert_eq!(
        pairs(success_params("c0de", Some(""), iss)),
        ["code=c0de", "iss=https://id.example"]
    );
}

#[test]
fn error_codes_are_the_rfc_ones() {
    let codes: Vec<_> = RedirectError::ALL.iter().map(|e| e.as_str()).collect();
    assert_eq!(
        codes,
        [
            "invalid_request",
            "unauthorized_client",
            "unsupported_response_type",
            "invalid_scope",
            "login_required",
            "consent_required",
            "interaction_required",
            "request_not_supported",
            "request_uri_not_supported",
            "access_denied",
            "server_error",
            "temporarily_unavailable",
        ]
    );
    assert_eq!(
        RedirectError::ConsentRequired.to_string(),
        "consent_required"
    );
}

#[test]
fn page_errors_describe_themselves() {
    use PageError::*;
    let all = [
        MissingClientId,
        UnknownClient,
        RepeatedClientId,
        InvalidRedirectUri,
        MissingRedirectUri,
        RepeatedRedirectUri,
    ];
    let mut seen = std::collections::HashSet::new();
    for e in all {
        assert!(seen.insert(e.description()), "{e:?}");
        assert_eq!(AuthorizeError::from(e).to_string(), e.description());
    }
}

#[test]
fn helpers_read_parameters_sent_once() {
    let p = oidc()
        .set("id_token_hint", "eyJ.eyJ.sig")
        .set("display", "popup");
    assert_eq!(id_token_hint(&p.0), Some("eyJ.eyJ.sig"));
    assert_eq!(display(&p.0), Some(DisplayMode::Popup));
    assert_eq!(client_id(&p.0), Some("c1"));
    let p = p
        .add("id_token_hint", "other")
        .set("display", "hologram")
        .add("client_id", "c2");
    assert_eq!(id_token_hint(&p.0), None);
    assert_eq!(display(&p.0), None);
    assert_eq!(client_id(&p.0), None);
    let p = oidc().set("id_token_hint", "").set("display", "touch");
    assert_eq!(id_token_hint(&p.0), None);
    assert_eq!(display(&p.0), Some(DisplayMode::Touch));
}
