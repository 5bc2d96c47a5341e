//! `GET /login` and `POST /login`: Charter's own sign-in form (OWASP Authentication Cheat Sheet).
//!
//! - A wrong password and an unknown user get the same page, status and timing: unknown users are verified
//!   against a dummy hash.
//! - Throttling per account (after 5 consecutive failures a growing delay, never a lockout, counted the same
//!   for unknown usernames) and per client address (failures only).
//! - Passwords over 1 KiB are refused before any hashing; hashing runs on the capped pool.
//! - A successful sign-in always gets a new session id (fixation), and a stored hash with outdated
//!   parameters is re-hashed.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::ids::Username;
use charter_core::navigation::safe_return_to;
use charter_core::password::{self, MAX_PASSWORD_BYTES, Verification};
use charter_core::secret::token_digest;
use charter_core::session::Session;
use charter_core::throttle::{ThrottlePolicy, account_key, address_key};
use charter_ui::LoginView;
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::{Browser, cookie, session_cookie_name};
use super::{Csp, forbidden, html, message, render_failed};
use crate::authorize::load_pending;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    return_to: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Where to go after signing in.
fn destination(return_to: Option<&str>) -> String {
    return_to
        .and_then(safe_return_to)
        .unwrap_or("/account")
        .to_owned()
}

/// The name of the application this sign-in continues to, when `return_to` resumes a parked authorization
/// request ("Sign in to continue to ...").
async fn continuing_to(
    state: &AppState,
    return_to: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let Some(query) = return_to
        .and_then(safe_return_to)
        .and_then(|to| to.strip_prefix("/authorize/resume?"))
    else {
        return Ok(None);
    };
    let Some((_, id)) = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "request")
    else {
        return Ok(None);
    };
    let Some(pending) = load_pending(state, &id).await? else {
        return Ok(None);
    };
    Ok(state
        .clients
        .get(&pending.request.client_id)
        .await?
        .map(|record| {
            let client = &record.client;
            if client.metadata.client_name.is_empty() {
                client.id.to_string()
            } else {
                client.metadata.client_name.clone()
            }
        }))
}

async fn render(
    state: &AppState,
    browser: &Browser,
    status: StatusCode,
    username: &str,
    return_to: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let client_name = continuing_to(state, return_to).await?;
    let view = LoginView {
        t: browser.locale.strings(),
        csrf: browser.csrf_token(state),
        username: username.to_owned(),
        return_to: return_to.and_then(safe_return_to).map(str::to_owned),
        error,
        client_name,
    };
    Ok(match view.render() {
        // The login post may continue to /authorize and from there to a client: no form-action.
        Ok(body) => html(state, browser, status, Csp::NoFormAction, body),
        Err(e) => render_failed(e),
    })
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, ApiError> {
    // The form is shown even to a signed-in browser: re-authentication (prompt=login, max_age) and switching
    // accounts both start here.
    let browser = Browser::load(&req, &state).await?;
    let hint = query.login_hint.as_deref().unwrap_or("");
    render(
        &state,
        &browser,
        StatusCode::OK,
        hint,
        query.return_to.as_deref(),
        None,
    )
    .await
}

#[tracing::instrument(skip_all, fields(client_ip))]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    tracing::Span::current().record(
        "client_ip",
        tracing::field::display(browser.origin.client_ip),
    );
    if !browser.form_allowed(&req, &state, &form.csrf) {
        return Ok(forbidden(&state, &browser));
    }
    let t = browser.locale.strings();
    let return_to = form.return_to.as_deref();
    if form.password.len() > MAX_PASSWORD_BYTES {
        return render(
            &state,
            &browser,
            StatusCode::BAD_REQUEST,
            &form.username,
            return_to,
            Some(t.password_too_long),
        )
        .await;
    }

    let now = state.clock.now();
    // Unknown and malformed usernames are throttled and verified exactly like real ones.
    let normalized = Username::parse(&form.username)
        .map(|u| u.normalized())
        .unwrap_or_else(|_| form.username.to_lowercase());
    let account = account_key(&normalized);
    let address = address_key(&browser.origin.client_ip.to_string());
    // Read once: the same counts decide the throttle now and whether a failure below restarts them.
    let throttles = [
        (
            &account,
            ThrottlePolicy::ACCOUNT,
            state.store.failures(&account).await?,
        ),
        (
            &address,
            ThrottlePolicy::ADDRESS,
            state.store.failures(&address).await?,
        ),
    ];
    for (key, policy, failures) in &throttles {
        if let Some(wait) = policy.wait(*failures, now) {
            tracing::warn!(throttle = %key.split(':').next().unwrap_or(""), wait_secs = wait.as_secs(), "sign-in throttled");
            state.metrics.login(crate::metrics::LoginOutcome::Throttled);
            let event =
                crate::audit::event(&state, charter_core::audit::AuditKind::SignInThrottled)
                    .detail("username", normalized.as_str())
                    .detail("throttle", key.split(':').next().unwrap_or(""))
                    .detail("wait_secs", wait.as_secs());
            crate::audit::record(&state, &req, event).await;
            let mut res = message(
                &state,
                &browser,
                StatusCode::TOO_MANY_REQUESTS,
                t.too_many_title,
                t.too_many_text,
                None,
            );
            res.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs().max(1)),
            );
            return Ok(res);
        }
    }

    let credentials = match Username::parse(&form.username) {
        Ok(u) => state.store.find_credentials(&u).await?,
        Err(_) => None,
    };
    let stored_hash = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let password = SecretString::from(form.password.clone());
    let verified = {
        let password = password.clone();
        state
            .hash_pool
            .run(move || password::verify_password(&password, &stored_hash))
            .await
    };
    let Ok(verification) = verified else {
        let mut res = message(
            &state,
            &browser,
            StatusCode::TOO_MANY_REQUESTS,
            t.busy_title,
            t.busy_text,
            None,
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(1u32));
        return Ok(res);
    };

    // For the audit trail: whose account was tried, and why it failed if it did.
    let attempted_sub = credentials.as_ref().map(|c| c.user.sub.to_string());
    let failure = match (&credentials, &verification) {
        (None, _) => "unknown_user",
        (Some(c), Verification::Match { .. }) if c.user.disabled => "disabled",
        _ => "bad_password",
    };
    let user = match (credentials, verification) {
        (Some(c), Verification::Match { needs_rehash }) if !c.user.disabled => {
            if needs_rehash {
                rehash(&state, &c.user.sub, password).await;
            }
            c.user
        }
        _ => {
            for (key, policy, previous) in &throttles {
                state
                    .store
                    .record_failure(key, now, policy.is_forgotten(*previous, now))
                    .await?;
            }
            tracing::info!(outcome = "failure", "sign-in failed");
            state.metrics.login(crate::metrics::LoginOutcome::Failed);
            let mut event =
                crate::audit::event(&state, charter_core::audit::AuditKind::SignInFailed)
                    .detail("username", normalized.as_str())
                    .detail("reason", failure);
            if let Some(sub) = attempted_sub {
                event = event.user(sub);
            }
            crate::audit::record(&state, &req, event).await;
            return render(
                &state,
                &browser,
                StatusCode::OK,
                &form.username,
                return_to,
                Some(t.sign_in_failed),
            )
            .await;
        }
    };

    state.store.clear_failures(&account).await?;
    // Fixation: whatever session this browser had ends (as a logout: its relying parties are told); the new
    // one gets a new id.
    if let Some(old) = req.cookie(session_cookie_name(&state)) {
        let id_hash = token_digest(old.value());
        crate::logout::end_sessions(
            &state,
            charter_core::logout::outbox::EndSessions::Current { id_hash: &id_hash },
        )
        .await?;
    }
    let (cookie_value, session) = Session::start(
        state.rng.as_ref(),
        user.sub.clone(),
        vec!["pwd".to_owned()],
        Some(browser.origin.client_ip.to_string()),
        browser.user_agent.clone(),
        now,
        &state.session_policy,
    );
    state.store.create_session(&session).await?;
    tracing::info!(outcome = "success", sub = %user.sub, "signed in");
    state.metrics.login(crate::metrics::LoginOutcome::Succeeded);
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::SignInSucceeded)
        .actor(user.sub.as_str())
        .user(user.sub.as_str())
        .detail("sid", session.sid.as_str());
    crate::audit::record(&state, &req, event).await;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, destination(return_to)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(&state, session_cookie_name(&state), cookie_value))
        .finish())
}

/// Stores a hash with today's parameters. A failure here must not fail the sign-in: it is retried next time.
async fn rehash(state: &AppState, sub: &charter_core::ids::Subject, password: SecretString) {
    let rng = state.rng.clone();
    let hashed = state
        .hash_pool
        .run(move || password::hash_password(&password, rng.as_ref()))
        .await;
    match hashed {
        Ok(Ok(hash)) => {
            if let Err(e) = state
                .store
                .set_password_hash(sub, &hash, state.clock.now())
                .await
            {
                tracing::warn!(error = %e, "could not store the re-hashed password");
            }
        }
        _ => tracing::warn!("could not re-hash the password; retrying at the next sign-in"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_stay_on_charter() {
        assert_eq!(destination(None), "/account");
        assert_eq!(
            destination(Some("/authorize/resume?id=x")),
            "/authorize/resume?id=x"
        );
        assert_eq!(destination(Some("//evil.example")), "/account");
        assert_eq!(destination(Some("https://evil.example")), "/account");
    }
}
