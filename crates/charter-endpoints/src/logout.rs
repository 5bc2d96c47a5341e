//! `/logout` (GET and POST), the `end_session_endpoint`: OpenID Connect RP-Initiated Logout 1.0.
//!
//! The rules are `charter_core::logout::decide`; this module verifies `id_token_hint` against the node's
//! keyring, finds the client, and acts on the outcome. The initial request is a protocol request and carries no
//! CSRF token (SPEC-CHECKLIST "Decisions"); the confirmation form ("Sign out of Charter?") does, and posts the
//! original parameters back, which are validated again from scratch — nothing in a hidden field is trusted.
//!
//! Ending a session ([`end_sessions`]) is the same for every path that ends one (this endpoint, the account
//! page, a password change): one store transaction writes the back-channel logout messages, revokes the
//! session-bound grants and deletes the sessions; then the delivery task is woken. The user never waits on
//! delivery.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::ids::{ClientId, Subject};
use charter_core::logout::outbox::{EndSessions, SessionsEnded};
use charter_core::logout::{
    CurrentSession, Hint, LogoutError, LogoutOutcome, LogoutParams, LogoutRequest, VerifiedHint,
    decide, named_client,
};
use charter_ui::{Locale, LogoutConfirmView};
use jsonwebtoken::Validation;
use serde::Deserialize;
use url::Url;

use crate::error::ApiError;
use crate::pages::browser::{Browser, removal, session_cookie_name};
use crate::pages::{Csp, forbidden, html, message, render_failed};
use crate::state::AppState;

/// Ends sessions through the store and wakes the back-channel delivery task if messages were written.
pub async fn end_sessions(
    state: &AppState,
    which: EndSessions<'_>,
) -> Result<SessionsEnded, ApiError> {
    let now = state.clock.now();
    let ended = state
        .store
        .end_sessions(which, now, state.rng.as_ref())
        .await?;
    if ended.messages > 0 {
        state.logout_outbox.notify_one();
    }
    if ended.grants_revoked > 0 {
        state.revoked().await;
    }
    Ok(ended)
}

/// The raw parameters of a GET (query) or POST (form body) request, as decoded, repeated ones kept.
fn parameters(req: &HttpRequest, body: &web::Bytes) -> Vec<(String, String)> {
    let raw: &[u8] = if req.method() == actix_web::http::Method::POST {
        body
    } else {
        req.uri().query().unwrap_or("").as_bytes()
    };
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What an `id_token_hint` says, if Charter signed it as an ID token: signature by a published key, `typ`
/// `JWT` (so an access token, `at+jwt`, or a logout token never passes), `iss` this issuer. Expiry is ignored:
/// an expired hint still names the session it came from.
fn verify_hint(state: &AppState, token: Option<&str>) -> Hint {
    #[derive(Deserialize)]
    struct Claims {
        sub: String,
        aud: String,
        #[serde(default)]
        sid: Option<String>,
    }
    let Some(token) = token else {
        return Hint::Absent;
    };
    let mut v = Validation {
        validate_exp: false,
        validate_aud: false,
        ..Validation::default()
    };
    v.required_spec_claims.clear();
    v.set_issuer(&[state.issuer.as_str()]);
    let Ok(claims) = state.keys.current().verify::<Claims>(token, "JWT", v) else {
        return Hint::Invalid;
    };
    match (Subject::parse(&claims.sub), ClientId::parse(&claims.aud)) {
        (Ok(sub), Ok(aud)) => Hint::Valid(VerifiedHint {
            sub,
            aud,
            sid: claims.sid,
        }),
        _ => Hint::Invalid,
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `GET|POST /logout`.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let pairs = parameters(&req, &body);
    let mut browser = Browser::load(&req, &state).await?;
    let params = match LogoutParams::from_pairs(&pairs) {
        Ok(p) => p,
        Err(e) => return Ok(refuse(&state, &browser, e)),
    };
    if params.ui_locales.is_some() {
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        browser.locale = Locale::negotiate(params.ui_locales.as_deref(), accept);
    }
    // The confirmation form comes back with a decision; only it needs (and must have) a CSRF token.
    let decision = (req.method() == actix_web::http::Method::POST)
        .then(|| one(&pairs, "decision"))
        .flatten();
    if decision.is_some() && !browser.form_allowed(&req, &state, one(&pairs, "csrf").unwrap_or(""))
    {
        return Ok(forbidden(&state, &browser));
    }

    let hint = verify_hint(&state, params.id_token_hint.as_deref());
    let client = match named_client(&hint, params.client_id.as_deref()).map(ClientId::parse) {
        Some(Ok(id)) => state.clients.get(&id).await?.map(|r| r.client.clone()),
        _ => None,
    };
    let session = browser.signed_in.as_ref().map(|me| CurrentSession {
        sid: &me.session.sid,
        sub: &me.user.sub,
    });
    let outcome = decide(&LogoutRequest {
        hint: &hint,
        client_id: params.client_id.as_deref(),
        client: client.as_ref(),
        post_logout_redirect_uri: params.post_logout_redirect_uri.as_deref(),
        state: params.state.as_deref(),
        session,
    });
    let t = browser.locale.strings();
    match (outcome, decision) {
        (LogoutOutcome::Refuse(e), _) => Ok(refuse(&state, &browser, e)),
        (LogoutOutcome::Confirm { .. } | LogoutOutcome::SignOut { .. }, Some("cancel")) => {
            Ok(message(
                &state,
                &browser,
                StatusCode::OK,
                t.logout_title,
                t.still_signed_in_text,
                Some(("/account", t.account_title)),
            ))
        }
        (LogoutOutcome::SignOut { redirect }, _)
        | (LogoutOutcome::Confirm { redirect }, Some("logout")) => {
            sign_out(&req, &state, &browser, redirect, t.signed_out_text).await
        }
        (LogoutOutcome::Confirm { .. }, _) => {
            let view = LogoutConfirmView {
                t,
                csrf: browser.csrf_token(&state),
                hidden: params.to_pairs(),
            };
            Ok(match view.render() {
                // The form's post may end in a redirect to the client: no form-action.
                Ok(body) => html(&state, &browser, StatusCode::OK, Csp::NoFormAction, body),
                Err(e) => render_failed(e),
            })
        }
        (LogoutOutcome::NoSession { redirect }, _) => {
            sign_out(&req, &state, &browser, redirect, t.not_signed_in_text).await
        }
    }
}

/// Ends this browser's session (if its cookie names one, live or not), forgets the cookie, and sends the
/// browser to the validated redirect or Charter's signed-out page.
async fn sign_out(
    req: &HttpRequest,
    state: &AppState,
    browser: &Browser,
    redirect: Option<Url>,
    text: &str,
) -> Result<HttpResponse, ApiError> {
    let cookie = req.cookie(session_cookie_name(state));
    if let Some(c) = &cookie {
        let id_hash = charter_core::secret::token_digest(c.value());
        let ended = end_sessions(state, EndSessions::Current { id_hash: &id_hash }).await?;
        if ended.sessions > 0 {
            tracing::info!(
                messages = ended.messages,
                grants_revoked = ended.grants_revoked,
                "signed out (RP-initiated logout)"
            );
        }
    }
    let t = browser.locale.strings();
    let mut res = match redirect {
        Some(url) => see_other(url.as_str()),
        None => message(
            state,
            browser,
            StatusCode::OK,
            t.signed_out_title,
            text,
            Some(("/login", t.sign_in)),
        ),
    };
    if cookie.is_some() {
        let _ = res.add_cookie(&removal(state, session_cookie_name(state)));
    }
    Ok(res)
}

/// An invalid logout request: a page, never a redirect (RP-Initiated Logout §4); nobody is signed out.
fn refuse(state: &AppState, browser: &Browser, error: LogoutError) -> HttpResponse {
    tracing::info!(%error, "logout request refused");
    let t = browser.locale.strings();
    message(
        state,
        browser,
        StatusCode::BAD_REQUEST,
        t.bad_request_title,
        &error.to_string(),
        None,
    )
}
