//! `/account`: every trust the user has granted, and the means to end it — their sessions (one by one, or
//! everywhere), the applications they allowed ("Revoke access" forgets the consent and revokes every grant, so
//! the application's tokens stop working at once), and their password. ("Choose the simplest mechanism that you
//! can explain, revoke, and sleep with", made visible.)
//!
//! Every way a session ends here goes through [`crate::logout::end_sessions`]: relying parties that received
//! an ID token in it are told by back-channel logout, and its refresh tokens issued without `offline_access`
//! end with it.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::Timestamp;
use charter_core::client::Registration;
use charter_core::ids::ClientId;
use charter_core::logout::outbox::EndSessions;
use charter_core::password::{self, Verification};
use charter_core::session::Session;
use charter_ui::{AccountView, AppRow, SessionRow};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::{Browser, SignedIn, cookie, removal, session_cookie_name};
use super::{Csp, forbidden, html, message, render_failed};
use crate::error::ApiError;
use crate::logout::end_sessions;
use crate::state::AppState;

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Not signed in: to the sign-in page, and back here afterwards.
fn to_login() -> HttpResponse {
    see_other("/login?return_to=%2Faccount")
}

/// A short, human description of a user agent for the sessions list.
fn device(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let browser = ["Firefox", "Edg", "Chrome", "Safari", "curl"]
        .into_iter()
        .find(|b| ua.contains(b))
        .map(|b| if b == "Edg" { "Edge" } else { b });
    let os = ["Windows", "Android", "iPhone", "Mac OS", "Linux"]
        .into_iter()
        .find(|o| ua.contains(o));
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) if ua.is_empty() => "Unknown device".to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// `2026-01-01 12:00 UTC`, without pulling in a date library for one column.
fn when(t: Timestamp) -> String {
    let secs = t.unix();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let Some(me) = &browser.signed_in else {
        return Ok(to_login());
    };
    let t = browser.locale.strings();
    let now = state.clock.now();
    let sessions = state
        .store
        .list_sessions(&me.user.sub)
        .await?
        .into_iter()
        .filter(|s| s.is_live(now))
        .map(|s| SessionRow {
            current: s.id_hash == me.session.id_hash,
            device: device(s.user_agent.as_deref()),
            ip: s.ip.clone().unwrap_or_default(),
            signed_in: when(s.auth_time),
            last_active: when(s.last_seen_at),
            sid: s.sid,
        })
        .collect();
    let mut apps = Vec::new();
    for consent in state.store.list_consents(&me.user.sub).await? {
        let Some(record) = state.clients.get(&consent.client_id).await? else {
            continue;
        };
        let client = &record.client;
        apps.push(AppRow {
            client_id: client.id.to_string(),
            name: if client.metadata.client_name.is_empty() {
                client.id.to_string()
            } else {
                client.metadata.client_name.clone()
            },
            scopes: consent.scope.iter().map(|s| s.to_string()).collect(),
            unverified: client.registration == Registration::Dynamic,
        });
    }
    // Notices come from a fixed set, never echoed from the URL.
    let notice = match query.notice.as_deref() {
        Some("password-changed") => Some(t.password_changed),
        Some("session-ended") => Some(t.session_ended),
        Some("app-revoked") => Some(t.app_revoked),
        _ => None,
    };
    let view = AccountView {
        t,
        csrf: browser.csrf_token(&state),
        username: me.user.username.to_string(),
        name: me.user.profile.name.clone(),
        sessions,
        apps,
        notice,
        error: None,
    };
    Ok(match view.render() {
        Ok(body) => html(&state, &browser, StatusCode::OK, Csp::Strict, body),
        Err(e) => render_failed(e),
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for CsrfForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfForm")
    }
}

/// The signed-in user of a form post that passed the CSRF checks, or the response to send instead.
async fn authorised(
    req: &HttpRequest,
    state: &AppState,
    csrf: &str,
) -> Result<Result<(Browser, SignedIn), HttpResponse>, ApiError> {
    let browser = Browser::load(req, state).await?;
    if !browser.form_allowed(req, state, csrf) {
        return Ok(Err(forbidden(state, &browser)));
    }
    match browser.signed_in.clone() {
        Some(me) => Ok(Ok((browser, me))),
        None => Ok(Err(to_login())),
    }
}

/// Ends one session. Ending the current one signs this browser out.
pub async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    sid: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let (_, me) = match authorised(&req, &state, &form.csrf).await? {
        Ok(v) => v,
        Err(res) => return Ok(res),
    };
    let ended = end_sessions(
        &state,
        EndSessions::BySid {
            user: &me.user.sub,
            sid: &sid,
        },
    )
    .await?;
    tracing::info!(sub = %me.user.sub, messages = ended.messages, "session ended from the account page");
    if ended.sessions > 0 {
        // Signing another device out is a security decision of the user's ("that is not me"): on the trail.
        let event = crate::audit::event(&state, charter_core::audit::AuditKind::SessionsEnded)
            .actor(me.user.sub.as_str())
            .user(me.user.sub.as_str())
            .detail("sessions", ended.sessions)
            .detail("sid", sid.as_str())
            .detail("via", "account_page");
        crate::audit::record(&state, &req, event).await;
    }
    if *sid == me.session.sid {
        let mut res = see_other("/login");
        let _ = res.add_cookie(&removal(&state, session_cookie_name(&state)));
        return Ok(res);
    }
    Ok(see_other("/account?notice=session-ended"))
}

/// Ends every session of the user, this one included.
pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let (browser, me) = match authorised(&req, &state, &form.csrf).await? {
        Ok(v) => v,
        Err(res) => return Ok(res),
    };
    let ended = end_sessions(
        &state,
        EndSessions::AllOfUser {
            user: &me.user.sub,
            keep: None,
        },
    )
    .await?;
    tracing::info!(
        sub = %me.user.sub,
        ended = ended.sessions,
        messages = ended.messages,
        "signed out everywhere"
    );
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::SessionsEnded)
        .actor(me.user.sub.as_str())
        .user(me.user.sub.as_str())
        .detail("sessions", ended.sessions)
        .detail("via", "account_page");
    crate::audit::record(&state, &req, event).await;
    let t = browser.locale.strings();
    let mut res = message(
        &state,
        &browser,
        StatusCode::OK,
        t.signed_out_title,
        t.signed_out_everywhere_text,
        Some(("/login", t.sign_in)),
    );
    let _ = res.add_cookie(&removal(&state, session_cookie_name(&state)));
    Ok(res)
}

/// "Revoke access": forgets the consent and revokes every grant of this user to the client, so its codes and
/// tokens stop working at once.
pub async fn revoke_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let (_, me) = match authorised(&req, &state, &form.csrf).await? {
        Ok(v) => v,
        Err(res) => return Ok(res),
    };
    if let Ok(client) = ClientId::parse(&client_id) {
        let now = state.clock.now();
        state.store.delete_consent(&me.user.sub, &client).await?;
        let revoked = state
            .store
            .revoke_client_grants(&me.user.sub, &client, now)
            .await?;
        state.revoked().await;
        tracing::info!(sub = %me.user.sub, client_id = %client, revoked, "access revoked from the account page");
        let event = crate::audit::event(&state, charter_core::audit::AuditKind::ConsentRevoked)
            .actor(me.user.sub.as_str())
            .user(me.user.sub.as_str())
            .client(client.as_str())
            .detail("grants_revoked", revoked);
        crate::audit::record(&state, &req, event).await;
    }
    Ok(see_other("/account?notice=app-revoked"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm")
    }
}

/// Changes the password: the current one is required; every other session ends and this browser gets a new
/// session id (OWASP: renew the id on privilege change).
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ApiError> {
    let (browser, me) = match authorised(&req, &state, &form.csrf).await? {
        Ok(v) => v,
        Err(res) => return Ok(res),
    };
    let t = browser.locale.strings();
    let failed = |error: &'static str| -> Result<HttpResponse, ApiError> {
        Ok(message(
            &state,
            &browser,
            StatusCode::BAD_REQUEST,
            t.password_not_changed,
            error,
            Some(("/account", t.back)),
        ))
    };
    if let Err(e) = state.password_policy.check(&form.new_password) {
        return failed(match e {
            password::PasswordRejected::TooShort(_) => t.password_too_short,
            password::PasswordRejected::TooLong => t.password_too_long,
        });
    }
    let Some(credentials) = state.store.find_credentials(&me.user.username).await? else {
        return Ok(see_other("/login"));
    };
    let current = SecretString::from(form.current_password.clone());
    let new = SecretString::from(form.new_password.clone());
    let rng = state.rng.clone();
    let outcome = state
        .hash_pool
        .run(
            move || match password::verify_password(&current, &credentials.password_hash) {
                Verification::Match { .. } => Some(password::hash_password(&new, rng.as_ref())),
                Verification::Mismatch => None,
            },
        )
        .await;
    let hash = match outcome {
        Ok(Some(Ok(hash))) => hash,
        Ok(None) => return failed(t.current_password_wrong),
        Ok(Some(Err(e))) => return Err(ApiError::Internal(e.to_string())),
        Err(_) => return failed(t.busy_text),
    };
    let now = state.clock.now();
    state
        .store
        .set_password_hash(&me.user.sub, &hash, now)
        .await?;
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::PasswordChanged)
        .actor(me.user.sub.as_str())
        .user(me.user.sub.as_str());
    crate::audit::record(&state, &req, event).await;
    end_sessions(
        &state,
        EndSessions::AllOfUser {
            user: &me.user.sub,
            keep: None,
        },
    )
    .await?;
    // Whoever knew the old password may hold refresh tokens, offline ones included (OWASP: a password change
    // ends what the old credentials opened).
    let revoked = state.store.revoke_user_grants(&me.user.sub, now).await?;
    if revoked > 0 {
        state.revoked().await;
    }
    let (cookie_value, session) = Session::start(
        state.rng.as_ref(),
        me.user.sub.clone(),
        vec!["pwd".to_owned()],
        Some(browser.origin.client_ip.to_string()),
        browser.user_agent.clone(),
        now,
        &state.session_policy,
    );
    state.store.create_session(&session).await?;
    tracing::info!(sub = %me.user.sub, revoked, "password changed; other sessions and every grant ended");
    let mut res = see_other("/account?notice=password-changed");
    let _ = res.add_cookie(&cookie(&state, session_cookie_name(&state), cookie_value));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(when(Timestamp::from_unix(0)), "1970-01-01 00:00 UTC");
        assert_eq!(
            when(Timestamp::from_unix(1_767_225_600)),
            "2026-01-01 00:00 UTC"
        );
        assert_eq!(
            when(Timestamp::from_unix(951_782_400 + 3_723)),
            "2000-02-29 01:02 UTC"
        );
    }

    #[test]
    fn devices() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device(Some(firefox)), "Firefox on Linux");
        assert_eq!(device(None), "Unknown device");
        assert_eq!(device(Some("curl/8.0")), "curl");
    }
}
