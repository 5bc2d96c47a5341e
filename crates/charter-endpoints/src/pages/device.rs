//! The device pages (RFC 8628 §3.3): `GET|POST /device` to enter the code a device shows, then
//! `GET|POST /device/consent` to sign in if needed, compare the code and allow or deny.
//!
//! - Every lookup of a user code is throttled against guessing (RFC 8628 §5.1): wrong codes are counted per
//!   client address and per entered code (`charter_core::device::{ADDRESS_POLICY, CODE_POLICY}`), and past the
//!   free attempts every further one must wait (429 with `Retry-After`), the right code included.
//! - The consent step always asks, whatever the client's `skip_consent` or a remembered consent: the user must
//!   see the code and confirm it is the one their device shows (RFC 8628 §5.4, remote phishing). Allowing
//!   remembers the consent like the code flow does, so the account page lists the device and can revoke it,
//!   and audits it like the code flow's consent page: `consent_granted` with `via: "device"`; a denial is
//!   logged, not audited, as on that page.
//! - The decision is one conditional update: a code is approved or denied once, and only while it is pending.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::Registration;
use charter_core::device::{
    ADDRESS_POLICY, CODE_POLICY, DeviceApproval, DeviceAuthorization, DeviceStatus, UserCode,
    address_key, code_key,
};
use charter_core::grant::Consent;
use charter_core::throttle::ThrottlePolicy;
use charter_ui::{DeviceConsentView, DeviceEntryView, ScopeRow};
use serde::Deserialize;

use super::browser::{Browser, SignedIn};
use super::{Csp, forbidden, html, message, render_failed};
use crate::error::ApiError;
use crate::state::AppState;

/// The longest prefilled value echoed back into the form.
const MAX_PREFILL: usize = 20;

#[derive(Debug, Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

#[derive(Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    decision: String,
}

impl std::fmt::Debug for DeviceForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceForm")
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

/// `GET /device[?user_code=..]`: the entry form, prefilled from `verification_uri_complete`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let prefill = query.user_code.as_deref().unwrap_or("");
    Ok(entry(&state, &browser, StatusCode::OK, prefill, None))
}

/// `POST /device`: checks the code, then on to the consent step (which signs in first if needed).
#[tracing::instrument(skip_all, fields(client_ip))]
pub async fn enter(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<DeviceForm>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    tracing::Span::current().record(
        "client_ip",
        tracing::field::display(browser.origin.client_ip),
    );
    if !browser.form_allowed(&req, &state, &form.csrf) {
        return Ok(forbidden(&state, &browser));
    }
    Ok(match lookup(&state, &browser, &form.user_code).await? {
        Lookup::Found(_, code) => see_other(&consent_path(&code)),
        other => refusal(&state, &browser, other, &form.user_code),
    })
}

/// `GET /device/consent?user_code=..`: the confirmation page, after signing in.
pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DeviceQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let input = query.user_code.as_deref().unwrap_or("");
    let (auth, code) = match lookup(&state, &browser, input).await? {
        Lookup::Found(auth, code) => (auth, code),
        other => return Ok(refusal(&state, &browser, other, input)),
    };
    let Some(me) = &browser.signed_in else {
        return Ok(sign_in_first(&code));
    };
    let Some(record) = state.clients.get(&auth.client_id).await? else {
        return Ok(expired(&state, &browser));
    };
    let client = &record.client;
    let t = browser.locale.strings();
    let view = DeviceConsentView {
        t,
        csrf: browser.csrf_token(&state),
        user_code: code.display(),
        client_name: if client.metadata.client_name.is_empty() {
            client.id.to_string()
        } else {
            client.metadata.client_name.clone()
        },
        logo_uri: client.metadata.logo_uri.as_ref().map(|u| u.to_string()),
        scopes: auth
            .scope
            .iter()
            .map(|s| ScopeRow::describe(t, s.as_str()))
            .collect(),
        unverified: client.registration == Registration::Dynamic,
        username: me.user.username.to_string(),
    };
    Ok(match view.render() {
        Ok(body) => html(&state, &browser, StatusCode::OK, Csp::Consent, body),
        Err(e) => render_failed(e),
    })
}

/// `POST /device/consent`: Allow or Deny, then the done page.
#[tracing::instrument(skip_all)]
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<DeviceForm>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    if !browser.form_allowed(&req, &state, &form.csrf) {
        return Ok(forbidden(&state, &browser));
    }
    let (auth, code) = match lookup(&state, &browser, &form.user_code).await? {
        Lookup::Found(auth, code) => (auth, code),
        other => return Ok(refusal(&state, &browser, other, &form.user_code)),
    };
    let Some(me) = &browser.signed_in else {
        return Ok(sign_in_first(&code));
    };
    let now = state.clock.now();
    let allow = form.decision == "allow";
    let decision = if allow {
        DeviceStatus::Approved(DeviceApproval {
            user_sub: me.user.sub.clone(),
            auth_time: me.session.auth_time,
            amr: me.session.amr.clone(),
        })
    } else {
        DeviceStatus::Denied
    };
    if !state
        .store
        .decide_device_authorization(&auth.device_code_hash, &decision, now)
        .await?
    {
        return Ok(expired(&state, &browser));
    }
    let t = browser.locale.strings();
    if !allow {
        tracing::info!(client_id = %auth.client_id, sub = %me.user.sub, "device denied");
        return Ok(message(
            &state,
            &browser,
            StatusCode::OK,
            t.denied_title,
            t.device_denied_text,
            None,
        ));
    }
    remember_consent(&state, me, &auth).await?;
    tracing::info!(client_id = %auth.client_id, sub = %me.user.sub, "device approved");
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::ConsentGranted)
        .actor(me.user.sub.as_str())
        .user(me.user.sub.as_str())
        .client(auth.client_id.as_str())
        .detail("scope", auth.scope.to_string())
        .detail("via", "device");
    crate::audit::record(&state, &req, event).await;
    Ok(message(
        &state,
        &browser,
        StatusCode::OK,
        t.device_done_title,
        t.device_done_text,
        None,
    ))
}

/// Adds the device's scopes to the user's remembered consent for its client (as the code flow's consent does).
async fn remember_consent(
    state: &AppState,
    me: &SignedIn,
    auth: &DeviceAuthorization,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let previous = state
        .store
        .find_consent(&me.user.sub, &auth.client_id)
        .await?;
    let scope = match &previous {
        Some(c) => c.scope.iter().chain(auth.scope.iter()).cloned().collect(),
        None => auth.scope.clone(),
    };
    state
        .store
        .save_consent(&Consent {
            user_sub: me.user.sub.clone(),
            client_id: auth.client_id.clone(),
            scope,
            created_at: previous.map(|c| c.created_at).unwrap_or(now),
            updated_at: now,
        })
        .await?;
    Ok(())
}

/// What looking up an entered code found.
#[derive(Debug)]
enum Lookup {
    /// A pending request, awaiting this user.
    Found(Box<DeviceAuthorization>, UserCode),
    /// Too many wrong codes from this address, or for this code: wait this long.
    Throttled(std::time::Duration),
    /// No such code (counted as a failure).
    Invalid,
    /// The code exists but was decided, used or has expired.
    Expired,
}

/// Looks up an entered code under both throttles, counting a wrong code against both.
async fn lookup(state: &AppState, browser: &Browser, input: &str) -> Result<Lookup, ApiError> {
    let now = state.clock.now();
    let code = UserCode::parse(input).ok();
    let lookup_key = code.as_ref().map(|c| c.lookup_key(&state.secret_hasher));
    let mut throttles: Vec<(String, ThrottlePolicy)> = vec![(
        address_key(&browser.origin.client_ip.to_string()),
        ADDRESS_POLICY,
    )];
    if let Some(key) = &lookup_key {
        throttles.push((code_key(key), CODE_POLICY));
    }
    let mut counts = Vec::with_capacity(throttles.len());
    for (key, policy) in &throttles {
        let failures = state.store.failures(key).await?;
        if let Some(wait) = policy.wait(failures, now) {
            tracing::warn!(throttle = %key.split(':').next().unwrap_or(""), wait_secs = wait.as_secs(), "user-code entry throttled");
            return Ok(Lookup::Throttled(wait));
        }
        counts.push(failures);
    }
    let found = match (&code, &lookup_key) {
        (Some(code), Some(key)) => state
            .store
            .find_device_authorization_by_user_code(key)
            .await?
            .map(|auth| (auth, code.clone())),
        _ => None,
    };
    match found {
        Some((auth, code)) if auth.awaits_user(now) => Ok(Lookup::Found(Box::new(auth), code)),
        Some(_) => Ok(Lookup::Expired),
        None => {
            for ((key, policy), previous) in throttles.iter().zip(counts) {
                state
                    .store
                    .record_failure(key, now, policy.is_forgotten(previous, now))
                    .await?;
            }
            tracing::info!(outcome = "failure", "wrong user code entered");
            Ok(Lookup::Invalid)
        }
    }
}

/// The page for a lookup that found nothing usable.
fn refusal(state: &AppState, browser: &Browser, lookup: Lookup, input: &str) -> HttpResponse {
    let t = browser.locale.strings();
    match lookup {
        Lookup::Throttled(wait) => {
            let mut res = message(
                state,
                browser,
                StatusCode::TOO_MANY_REQUESTS,
                t.too_many_title,
                t.too_many_text,
                None,
            );
            res.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
            res
        }
        Lookup::Expired => expired(state, browser),
        Lookup::Invalid | Lookup::Found(..) => entry(
            state,
            browser,
            StatusCode::BAD_REQUEST,
            input,
            Some(t.device_code_invalid),
        ),
    }
}

fn entry(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    prefill: &str,
    error: Option<&str>,
) -> HttpResponse {
    let view = DeviceEntryView {
        t: browser.locale.strings(),
        csrf: browser.csrf_token(state),
        user_code: prefill.chars().take(MAX_PREFILL).collect(),
        error,
    };
    match view.render() {
        Ok(body) => html(state, browser, status, Csp::Strict, body),
        Err(e) => render_failed(e),
    }
}

fn expired(state: &AppState, browser: &Browser) -> HttpResponse {
    let t = browser.locale.strings();
    message(
        state,
        browser,
        StatusCode::BAD_REQUEST,
        t.device_expired_title,
        t.device_expired_text,
        Some(("/device", t.back)),
    )
}

/// `/device/consent?user_code=XXXX-XXXX`.
fn consent_path(code: &UserCode) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", &code.display())
        .finish();
    format!("/device/consent?{query}")
}

/// To the sign-in page, coming back to the consent step (a relative path: `safe_return_to` accepts it).
fn sign_in_first(code: &UserCode) -> HttpResponse {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", &consent_path(code))
        .finish();
    see_other(&format!("/login?{query}"))
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_core::navigation::safe_return_to;

    #[test]
    fn the_way_back_from_sign_in_stays_on_charter() {
        let code = UserCode::parse("bcdf-ghjk").unwrap_or_else(|e| panic!("{e}"));
        let path = consent_path(&code);
        assert_eq!(path, "/device/consent?user_code=BCDF-GHJK");
        assert_eq!(safe_return_to(&path), Some(path.as_str()));
        let res = sign_in_first(&code);
        assert_eq!(
            res.headers().get(header::LOCATION).map(|v| v.as_bytes()),
            Some(&b"/login?return_to=%2Fdevice%2Fconsent%3Fuser_code%3DBCDF-GHJK"[..])
        );
    }
}
