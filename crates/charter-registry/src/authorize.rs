//! The rules of an authorization request (RFC 6749 §4.1.1 and §4.1.2.1, RFC 7636 §4.3, OpenID Connect Core
//! §3.1.2.1 and §3.1.2.6, RFC 8707 §2, RFC 9207), as a pure function of the request's parameters and the client
//! its `client_id` names. Sessions, consent and `id_token_hint` verification are the endpoint's business.
//!
//! [`validate_request`] checks in two stages:
//!
//! 1. **What makes the redirect URI trustworthy**: `client_id` (present, sent once, registered), then
//!    `redirect_uri` (sent at most once, matched by [`crate::redirect::select_redirect_uri`]). A failure here is an
//!    [`AuthorizeError::Page`], whatever else is wrong with the request (SPEC-CHECKLIST A1, A4, A5).
//! 2. **Everything else**, answered at the redirect URI ([`AuthorizeError::Redirect`]), in this order: repeated
//!    parameters, `response_mode`, `request`, `request_uri`, `response_type`, the client's grant, `scope`,
//!    `redirect_uri` with `openid`, PKCE (with the `nonce` opt-out), `prompt`, `max_age`, `resource`, `claims`.
//!    The first failure is the answer.
//!
//! Parameters are read as RFC 6749 §3.1 says: an empty value is as if the parameter were absent (so `a=&a=x`
//! sends `a` once), a parameter Charter knows must not be sent twice, and unknown parameters are ignored —
//! including their repetition, since nothing reads them. `resource` counts as sent-once too, although RFC 8707
//! allows several: [`AuthorizationRequest`] carries one.
//!
//! Decisions beyond the RFCs (SPEC-CHECKLIST "Decisions", ADR 0001):
//! - PKCE is S256 only. A `code_challenge` without `code_challenge_method` is refused, because RFC 7636 §4.3
//!   makes the absent method `plain`. An S256 challenge must be the 43-character base64url form of a SHA-256
//!   digest, which is stricter than the 43–128 characters RFC 7636 §4.2 allows for any method.
//! - `redirect_uri` is required with `openid` even when the client registered only one.
//! - A malformed `resource` is `invalid_request`: RFC 8707 §2 says `invalid_target`, but registers that code only
//!   for token responses and implicit-grant authorization responses, not for the code flow's.
//! - `display` values other than `page`, `popup`, `touch` and `wap` are ignored (OpenID Connect Core §3.1.2.1
//!   leaves it to the OP); `claims_locales` is ignored.
//! - `claims` (OpenID Connect Core §5.5) is parsed by `charter_core::claims_request`: malformed is
//!   `invalid_request`, unknown claim names are dropped, an essential `acr` with values is `access_denied` (one
//!   authentication level, no `acr` issued). A `sub` value is checked against the signed-in user later
//!   (`charter_core::flow`).
//!
//! ```ignore
//! let pairs: Vec<(String, String)> = form_urlencoded::parse(query).into_owned().collect();
//! let client = match authorize::client_id(&pairs).and_then(|id| ClientId::parse(id).ok()) {
//!     Some(id) => clients.get(&id).await?,
//!     None => None,
//! };
//! match authorize::validate_request(&pairs, client.as_deref().map(|r| &r.client)) {
//!     Ok(request) => { /* verify authorize::id_token_hint(&pairs), then session, prompt, consent */ }
//!     Err(AuthorizeError::Page(e)) => { /* 400 page with e.description() */ }
//!     Err(AuthorizeError::Redirect { redirect_uri, response_mode, state, error, description }) => {
//!         let params = authorize::redirect_params(&error, description, state.as_deref(), issuer);
//!         /* 303 to redirect_uri with params in the query, or the form_post page */
//!     }
//! }
//! ```

use charter_core::client::{Client, GrantType, RedirectUri, ResponseType};
use charter_core::grant::{AuthorizationRequest, ResponseMode};
use charter_core::scope::ScopeSet;

use crate::redirect::{RedirectMismatch, select_redirect_uri};

mod error;
mod response;
mod values;
pub use error::{AuthorizeError, PageError, RedirectError};
pub use response::{redirect_params, success_params};
use values::{Reject, claims, max_age, pkce, prompt, resource};

#[cfg(test)]
mod tests;

/// `display` (OpenID Connect Core §3.1.2.1): how the login and consent pages should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayMode {
    Page,
    Popup,
    Touch,
    Wap,
}

/// The `client_id` of a request, when sent once with a value: the key to look the client up by.
pub fn client_id(params: &[(String, String)]) -> Option<&str> {
    Params(params).one("client_id")
}

/// The `id_token_hint`, when sent once. Its verification needs the signing keys, so it is the endpoint's job;
/// [`validate_request`] leaves `id_token_hint_sub` empty for the endpoint to fill.
pub fn id_token_hint(params: &[(String, String)]) -> Option<&str> {
    Params(params).one("id_token_hint")
}

/// The `display` requested, if it is one of the four OpenID Connect values; anything else is ignored.
pub fn display(params: &[(String, String)]) -> Option<DisplayMode> {
    match Params(params).one("display")? {
        "page" => Some(DisplayMode::Page),
        "popup" => Some(DisplayMode::Popup),
        "touch" => Some(DisplayMode::Touch),
        "wap" => Some(DisplayMode::Wap),
        _ => None,
    }
}

/// Validates an authorization request. `params` are the query (GET) or form (POST) pairs as decoded, so that
/// repeated parameters show; `client` is the client the `client_id` parameter names, None when unknown.
#[allow(
    clippy::result_large_err,
    reason = "the error carries the redirect URI by value; it is built once per refused request"
)]
pub fn validate_request(
    params: &[(String, String)],
    client: Option<&Client>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let params = Params(params);
    let (client, redirect_uri) = trusted_redirect(&params, client)?;
    // How the error travels: what the request asked for when that is valid and sent once, else the query.
    let response_mode = match params.one("response_mode") {
        Some("form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    // A state too long to be real is not echoed (it would only bloat the redirect).
    let state = params
        .one("state")
        .filter(|s| s.len() <= MAX_PARAM_LEN)
        .map(str::to_owned);
    check(&params, client, &redirect_uri, response_mode).map_err(|(error, description)| {
        AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state,
            error,
            description,
        }
    })
}

/// The longest value of any parameter, bytes (an `id_token_hint`, a JWT, may be longer). Nothing legitimate
/// comes close; a huge `state` or `scope` would otherwise be parked in the database and echoed in redirects.
pub const MAX_PARAM_LEN: usize = 4096;
const MAX_ID_TOKEN_HINT_LEN: usize = 16 * 1024;

/// Parameters Charter reads (or deliberately ignores) in an authorization request; each may be sent once.
/// `client_id` and `redirect_uri` are checked before, as page errors.
const KNOWN: &[&str] = &[
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "ui_locales",
    "claims_locales",
    "acr_values",
    "display",
    "claims",
    "resource",
    "request",
    "request_uri",
    "registration",
];

/// Stage 1: the client and the redirect URI, whose failures are pages.
fn trusted_redirect<'c>(
    params: &Params<'_>,
    client: Option<&'c Client>,
) -> Result<(&'c Client, RedirectUri), PageError> {
    let client_id = match params.get("client_id") {
        Value::Absent => return Err(PageError::MissingClientId),
        Value::Repeated => return Err(PageError::RepeatedClientId),
        Value::One(id) => id,
    };
    // The caller looked the client up by this id; a client under another id is as good as none.
    let client = client
        .filter(|c| c.id.as_str() == client_id)
        .ok_or(PageError::UnknownClient)?;
    let requested = match params.get("redirect_uri") {
        Value::Absent => None,
        Value::Repeated => return Err(PageError::RepeatedRedirectUri),
        Value::One(uri) => Some(uri),
    };
    let redirect_uri = select_redirect_uri(client, requested).map_err(|e| match e {
        RedirectMismatch::Missing => PageError::MissingRedirectUri,
        RedirectMismatch::NotRegistered => PageError::InvalidRedirectUri,
    })?;
    Ok((client, redirect_uri))
}

/// Stage 2: everything answered at the redirect URI.
fn check(
    params: &Params<'_>,
    client: &Client,
    redirect_uri: &RedirectUri,
    response_mode: ResponseMode,
) -> Result<AuthorizationRequest, Reject> {
    use RedirectError::{
        InvalidRequest, InvalidScope, RequestNotSupported, RequestUriNotSupported,
        UnauthorizedClient, UnsupportedResponseType,
    };
    if KNOWN
        .iter()
        .any(|name| matches!(params.get(name), Value::Repeated))
    {
        return Err((InvalidRequest, "a parameter is sent more than once"));
    }
    // From here on every known parameter is absent or sent once.
    if KNOWN.iter().any(|name| {
        let max = if *name == "id_token_hint" {
            MAX_ID_TOKEN_HINT_LEN
        } else {
            MAX_PARAM_LEN
        };
        params.one(name).is_some_and(|v| v.len() > max)
    }) {
        return Err((InvalidRequest, "a parameter is too long"));
    }
    if !matches!(
        params.one("response_mode"),
        None | Some("query" | "form_post")
    ) {
        return Err((InvalidRequest, "response_mode must be query or form_post"));
    }
    // Before response_type: with a request object the query may carry only part of the parameters.
    if params.one("request").is_some() {
        return Err((
            RequestNotSupported,
            "request objects are not supported; send the parameters as such",
        ));
    }
    if params.one("request_uri").is_some() {
        return Err((
            RequestUriNotSupported,
            "request_uri is not supported; send the parameters as such",
        ));
    }
    match params.one("response_type") {
        None => return Err((InvalidRequest, "response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err((
                UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if !(client.allows_grant(GrantType::AuthorizationCode)
        && client.metadata.response_types.contains(&ResponseType::Code))
    {
        return Err((
            UnauthorizedClient,
            "the client is not registered for the authorization code grant",
        ));
    }

    let scope = ScopeSet::parse(params.one("scope").unwrap_or_default()).map_err(|_| {
        (
            InvalidScope,
            "scope must be space-separated scope tokens (RFC 6749 section 3.3)",
        )
    })?;
    if !scope.is_subset_of(&client.metadata.scope) {
        return Err((
            InvalidScope,
            "the client may not ask for some of the requested scopes",
        ));
    }
    let openid = scope.contains("openid");
    let redirect_uri_sent = params.one("redirect_uri").is_some();
    if openid && !redirect_uri_sent {
        return Err((
            InvalidRequest,
            "redirect_uri is required when the scope includes openid",
        ));
    }

    let nonce = params.one("nonce");
    let code_challenge = pkce(params, client, openid && nonce.is_some())?;
    let prompt = prompt(params.one("prompt"))?;
    let max_age = params.one("max_age").map(max_age).transpose()?;
    let resource = params.one("resource").map(resource).transpose()?;
    let claims = params.one("claims").map(claims).transpose()?.flatten();

    let owned = |name: &str| params.one(name).map(str::to_owned);
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_sent,
        scope,
        state: owned("state"),
        nonce: nonce.map(str::to_owned),
        code_challenge,
        response_mode,
        prompt,
        max_age,
        login_hint: owned("login_hint"),
        id_token_hint_sub: None,
        ui_locales: owned("ui_locales"),
        acr_values: owned("acr_values"),
        resource,
        claims,
    })
}

/// The raw pairs, read by name.
struct Params<'a>(&'a [(String, String)]);

enum Value<'a> {
    Absent,
    One(&'a str),
    Repeated,
}

impl<'a> Params<'a> {
    fn get(&self, name: &str) -> Value<'a> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (None, _) => Value::Absent,
            (Some(v), None) => Value::One(v),
            (Some(_), Some(_)) => Value::Repeated,
        }
    }

    /// The value when sent exactly once; None when absent or repeated (repetition is refused on its own).
    fn one(&self, name: &str) -> Option<&'a str> {
        match self.get(name) {
            Value::One(v) => Some(v),
            Value::Absent | Value::Repeated => None,
        }
    }
}
