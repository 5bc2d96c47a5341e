//! The demo's pages and buttons. Each POST is guarded by the session's CSRF token; each action leaves an
//! outcome that the home page shows under the tokens.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::explain;
use crate::rp::{Rp, Tokens, decode};
use crate::sessions::{COOKIE, DemoSession, Outcome, Sessions, random};

#[derive(Debug)]
pub struct Demo {
    pub rp: Rp,
    pub sessions: Sessions,
}

pub type State = web::Data<Arc<Demo>>;

#[derive(Debug)]
pub struct ClaimRow {
    pub name: String,
    pub value: String,
    pub meaning: &'static str,
}

#[derive(Debug)]
pub struct SignedIn {
    pub sub: String,
    pub id_header: Vec<ClaimRow>,
    pub id_claims: Vec<ClaimRow>,
    pub at_header: Vec<ClaimRow>,
    pub at_claims: Vec<ClaimRow>,
    pub at_expires_in: i64,
    pub refresh_preview: Option<String>,
    pub rotations: u32,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeView {
    pub issuer: String,
    pub client_id: String,
    pub csrf: String,
    pub signed_in: Option<SignedIn>,
    pub last: Option<Outcome>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessageView {
    pub title: String,
    pub text: String,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn relative(t: i64) -> String {
    let d = t - now();
    match d {
        0 => "now".to_owned(),
        d if d > 0 => format!("in {}m {}s", d / 60, d % 60),
        d => format!("{}m {}s ago", -d / 60, -d % 60),
    }
}

fn rows(v: &serde_json::Value) -> Vec<ClaimRow> {
    let Some(map) = v.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, value)| {
            let shown = match (name.as_str(), value.as_i64()) {
                ("exp" | "iat" | "auth_time" | "nbf" | "updated_at", Some(t)) => {
                    format!("{t} ({})", relative(t))
                }
                _ => match value.as_str() {
                    Some(s) => s.to_owned(),
                    None => value.to_string(),
                },
            };
            ClaimRow {
                name: name.clone(),
                value: shown,
                meaning: explain::claim(name),
            }
        })
        .collect()
}

fn preview(token: &str) -> String {
    format!("{}…", token.chars().take(10).collect::<String>())
}

fn signed_in(tokens: &Tokens, rotations: u32) -> Option<SignedIn> {
    let (id_header, id_claims) = decode(&tokens.id_token)?;
    let (at_header, at_claims) = decode(&tokens.access_token).unwrap_or_default();
    Some(SignedIn {
        sub: id_claims["sub"].as_str().unwrap_or_default().to_owned(),
        at_expires_in: at_claims["exp"].as_i64().map_or(0, |e| e - now()),
        id_header: rows(&id_header),
        id_claims: rows(&id_claims),
        at_header: rows(&at_header),
        at_claims: rows(&at_claims),
        refresh_preview: tokens.refresh_token.as_deref().map(preview),
        rotations,
    })
}

fn page(status: actix_web::http::StatusCode, html: Result<String, askama::Error>) -> HttpResponse {
    match html {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'",
            ))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn message(status: actix_web::http::StatusCode, title: &str, text: String) -> HttpResponse {
    page(
        status,
        MessageView {
            title: title.to_owned(),
            text,
        }
        .render(),
    )
}

fn session_cookie(id: String) -> Cookie<'static> {
    Cookie::build(COOKIE, id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

fn cookie_id(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| c.value().to_owned())
}

fn see_other(to: &str, id: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .cookie(session_cookie(id))
        .finish()
}

pub async fn home(req: HttpRequest, demo: State) -> HttpResponse {
    let (id, view) = demo
        .sessions
        .with(cookie_id(&req).as_deref(), |s| HomeView {
            issuer: demo.rp.issuer.clone(),
            client_id: demo.rp.registration.client_id.clone(),
            csrf: s.csrf.clone(),
            signed_in: s.tokens.as_ref().and_then(|t| signed_in(t, s.rotations)),
            last: s.last.clone(),
        });
    let mut res = page(actix_web::http::StatusCode::OK, view.render());
    let _ = res.add_cookie(&session_cookie(id));
    res
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Runs a button's action on the caller's session after checking its CSRF token.
async fn action<F, Fut>(req: &HttpRequest, demo: &Demo, form: &CsrfForm, f: F) -> HttpResponse
where
    F: FnOnce(Option<Tokens>) -> Fut,
    Fut: Future<Output = (Option<Tokens>, Outcome, Option<String>)>,
{
    let Some(id) = cookie_id(req) else {
        return message(
            actix_web::http::StatusCode::FORBIDDEN,
            "No session",
            "Open the demo's home page first.".into(),
        );
    };
    let (id, checked) = demo.sessions.with(Some(&id), |s| {
        (s.csrf == form.csrf).then(|| s.tokens.clone())
    });
    let Some(tokens) = checked else {
        return message(
            actix_web::http::StatusCode::FORBIDDEN,
            "Form expired",
            "Go back to the home page and try again.".into(),
        );
    };
    let (tokens, outcome, redirect) = f(tokens).await;
    demo.sessions.with(Some(&id), |s: &mut DemoSession| {
        s.tokens = tokens;
        s.last = Some(outcome);
    });
    see_other(redirect.as_deref().unwrap_or("/"), id)
}

/// "Login with Charter": remember state, nonce and PKCE verifier server-side, send the browser to Charter.
pub async fn login(req: HttpRequest, demo: State, form: web::Form<CsrfForm>) -> HttpResponse {
    let (url, pending) = demo.rp.authorize_url();
    let (id, ok) = demo.sessions.with(cookie_id(&req).as_deref(), |s| {
        if s.csrf != form.csrf {
            return false;
        }
        s.pending = Some(pending);
        true
    });
    if !ok {
        return message(
            actix_web::http::StatusCode::FORBIDDEN,
            "Form expired",
            "Go back to the home page and try again.".into(),
        );
    }
    see_other(&url, id)
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Charter sends the browser back here with a code (or an error).
pub async fn callback(req: HttpRequest, demo: State, q: web::Query<Callback>) -> HttpResponse {
    let q = q.into_inner();
    let (id, pending) = demo
        .sessions
        .with(cookie_id(&req).as_deref(), |s| s.pending.take());
    let Some(pending) = pending.filter(|p| q.state.as_deref() == Some(p.state.as_str())) else {
        return message(
            actix_web::http::StatusCode::BAD_REQUEST,
            "Unexpected answer",
            "This answer does not match a login started from this browser (state mismatch).".into(),
        );
    };
    if let Some(error) = q.error {
        return message(
            actix_web::http::StatusCode::OK,
            "Not signed in",
            format!(
                "Charter answered {error}: {}",
                q.error_description.unwrap_or_default()
            ),
        );
    }
    let Some(code) = q.code else {
        return message(
            actix_web::http::StatusCode::BAD_REQUEST,
            "No code",
            "Charter's answer carried neither a code nor an error.".into(),
        );
    };
    match demo.rp.finish(pending, code).await {
        Ok(tokens) => {
            demo.sessions.with(Some(&id), |s| {
                s.tokens = Some(tokens);
                s.rotations = 0;
                s.last = Some(Outcome {
                    title: "Signed in".into(),
                    lines: vec![
                        "The code was exchanged at the token endpoint (with the PKCE verifier and this app's secret).".into(),
                        "The ID token's signature was checked against Charter's JWKS, and its iss, aud, exp and nonce.".into(),
                    ],
                });
            });
            see_other("/", id)
        }
        Err(e) => message(
            actix_web::http::StatusCode::BAD_GATEWAY,
            "Sign-in failed",
            format!("{e:#}"),
        ),
    }
}

pub async fn userinfo(req: HttpRequest, demo: State, form: web::Form<CsrfForm>) -> HttpResponse {
    let d = demo.clone();
    action(&req, &demo, &form, |tokens| async move {
        let outcome = match &tokens {
            None => Outcome {
                title: "Not signed in".into(),
                lines: vec![],
            },
            Some(t) => match d.rp.userinfo(&t.access_token).await {
                Ok(v) => Outcome {
                    title: "Userinfo answered (with the access token as Bearer)".into(),
                    lines: vec![serde_json::to_string_pretty(&v).unwrap_or_default()],
                },
                Err(e) => Outcome {
                    title: "Userinfo refused the access token".into(),
                    lines: vec![format!("{e:#}")],
                },
            },
        };
        (tokens, outcome, None)
    })
    .await
}

pub async fn refresh(req: HttpRequest, demo: State, form: web::Form<CsrfForm>) -> HttpResponse {
    let d = demo.clone();
    let id = cookie_id(&req);
    action(&req, &demo, &form, |tokens| async move {
        let Some(old) = tokens else {
            return (None, Outcome { title: "Not signed in".into(), lines: vec![] }, None);
        };
        match d.rp.refresh(&old).await {
            Ok(new) => {
                if let Some(id) = id.as_deref() {
                    d.sessions.with(Some(id), |s| s.rotations += 1);
                }
                let outcome = Outcome {
                    title: "Refreshed: the refresh token rotated".into(),
                    lines: vec![
                        format!(
                            "Old refresh token {} is now spent: presenting it again would revoke the whole grant.",
                            old.refresh_token.as_deref().map(preview).unwrap_or_default()
                        ),
                        format!(
                            "New refresh token {}, a new access token and a new ID token (same sub, original auth_time).",
                            new.refresh_token.as_deref().map(preview).unwrap_or_default()
                        ),
                    ],
                };
                (Some(new), outcome, None)
            }
            Err(e) => (
                Some(old),
                Outcome { title: "Refresh refused".into(), lines: vec![format!("{e:#}")] },
                None,
            ),
        }
    })
    .await
}

pub async fn revoke(req: HttpRequest, demo: State, form: web::Form<CsrfForm>) -> HttpResponse {
    let d = demo.clone();
    action(&req, &demo, &form, |tokens| async move {
        let Some(t) = tokens else {
            return (
                None,
                Outcome {
                    title: "Not signed in".into(),
                    lines: vec![],
                },
                None,
            );
        };
        let mut lines = Vec::new();
        let show = |v: anyhow::Result<serde_json::Value>| match v {
            Ok(v) => v.to_string(),
            Err(e) => format!("{e:#}"),
        };
        lines.push(format!(
            "Before: introspection of the access token says {}",
            show(d.rp.introspect(&t.access_token).await)
        ));
        let (token, hint) = match &t.refresh_token {
            Some(r) => (r.as_str(), "refresh_token"),
            None => (t.access_token.as_str(), "access_token"),
        };
        match d.rp.revoke(token, hint).await {
            Ok(status) => lines.push(format!(
                "Revocation endpoint answered {status} for the {hint}."
            )),
            Err(e) => lines.push(format!("Revocation failed: {e:#}")),
        }
        lines.push(format!(
            "After: introspection of the access token says {}",
            show(d.rp.introspect(&t.access_token).await)
        ));
        if let Some(r) = &t.refresh_token {
            lines.push(format!(
                "After: introspection of the refresh token says {}",
                show(d.rp.introspect(r).await)
            ));
        }
        lines.push("Try \"Call userinfo\" or \"Refresh\" now: both are refused.".into());
        (
            Some(t),
            Outcome {
                title: "Revoked".into(),
                lines,
            },
            None,
        )
    })
    .await
}

/// Ends the demo's own session and sends the browser to Charter's end-session endpoint, so Charter's
/// session ends too (RP-initiated logout).
pub async fn logout(req: HttpRequest, demo: State, form: web::Form<CsrfForm>) -> HttpResponse {
    let Some(id) = cookie_id(&req) else {
        return see_other("/", random());
    };
    let state = random();
    let (id, target) = demo.sessions.with(Some(&id), |s| {
        if s.csrf != form.csrf {
            return None;
        }
        let tokens = s.tokens.take();
        s.last = None;
        s.logout_state = Some(state.clone());
        Some(
            tokens
                .and_then(|t| demo.rp.logout_url(&t.id_token, &state))
                .unwrap_or_else(|| "/logged-out".to_owned()),
        )
    });
    match target {
        Some(to) => see_other(&to, id),
        None => message(
            actix_web::http::StatusCode::FORBIDDEN,
            "Form expired",
            "Go back to the home page and try again.".into(),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoggedOut {
    state: Option<String>,
}

/// Where Charter sends the browser back after logout.
pub async fn logged_out(req: HttpRequest, demo: State, q: web::Query<LoggedOut>) -> HttpResponse {
    let came_back = match cookie_id(&req) {
        Some(id) => {
            let (_, expected) = demo.sessions.with(Some(&id), |s| s.logout_state.take());
            let ok = expected.is_some() && expected == q.state;
            demo.sessions.remove(&id);
            ok
        }
        None => false,
    };
    let text = if came_back {
        "Charter ended its session and sent you back here with the state this app sent: you are signed out of \
         the demo and of Charter. Signing in again asks for your password."
    } else {
        "You are signed out of the demo."
    };
    message(
        actix_web::http::StatusCode::OK,
        "Signed out",
        text.to_owned(),
    )
}
