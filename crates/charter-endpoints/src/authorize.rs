//! `/authorize` (GET and POST): RFC 6749 §4.1.1, OpenID Connect Core §3.1.2, RFC 9700, RFC 9207.
//!
//! The request rules are `charter_registry::authorize::validate_request`; the next step is
//! `charter_core::flow::decide`. This module only moves between them: a bad `client_id` or `redirect_uri` is an
//! error page (never a redirect), other errors go back to the client with `error`, `state` and `iss`; a request
//! that needs the user is parked server-side and the browser is sent to sign in or consent, carrying only an
//! opaque id; a code goes back by 303 in the query or as an auto-submitted form (`form_post`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::{Client, RedirectUri, Registration};
use charter_core::flow::{Next, decide};
use charter_core::grant::{
    AuthorizationCode, AuthorizationRequest, Grant, PendingAuthorization, ResponseMode,
};
use charter_core::ids::{ClientId, Subject};
use charter_core::random::sizes;
use charter_core::secret::token_digest;
use charter_registry::authorize::{
    AuthorizeError, RedirectError, id_token_hint, redirect_params, success_params, validate_request,
};
use charter_ui::FormPostView;
use jsonwebtoken::Validation;
use serde::Deserialize;
use url::Url;

use crate::error::ApiError;
use crate::pages::browser::{Browser, SignedIn};
use crate::pages::{message, render_failed};
use crate::state::AppState;

/// Authorization codes live 60 s (SPEC-CHECKLIST "Decisions").
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// A parked request waits this long for the user to sign in and consent.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Sends an authorization response (success or error) to the client.
pub fn respond(
    state: &AppState,
    redirect_uri: &RedirectUri,
    mode: ResponseMode,
    params: Vec<(&'static str, String)>,
) -> HttpResponse {
    match mode {
        ResponseMode::Query => {
            let mut url = redirect_uri.url().clone();
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        ResponseMode::FormPost => {
            let nonce = state.rng.token(16);
            let view = FormPostView {
                action: redirect_uri.as_str().to_owned(),
                fields: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                nonce: nonce.clone(),
            };
            let origin = redirect_uri.url().origin().ascii_serialization();
            let form_action = if origin == "null" {
                "*".to_owned()
            } else {
                origin
            };
            let csp = format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; form-action {form_action}; \
                 frame-ancestors 'none'; base-uri 'none'"
            );
            match view.render() {
                Ok(body) => HttpResponse::Ok()
                    .insert_header((header::CONTENT_SECURITY_POLICY, csp))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .insert_header((header::REFERRER_POLICY, "no-referrer"))
                    .content_type("text/html; charset=utf-8")
                    .body(body),
                Err(e) => render_failed(e),
            }
        }
    }
}

/// Sends an error authorization response for `request` (RFC 6749 §4.1.2.1, with `state` and `iss`).
pub fn error_response(
    state: &AppState,
    request: &AuthorizationRequest,
    error: RedirectError,
    description: &str,
) -> HttpResponse {
    respond(
        state,
        &request.redirect_uri,
        request.response_mode,
        redirect_params(
            &error,
            description,
            request.state.as_deref(),
            state.issuer.as_str(),
        ),
    )
}

/// The raw parameters of a GET (query) or POST (form body) authorization request.
fn parameters(req: &HttpRequest, body: &web::Bytes) -> Vec<(String, String)> {
    let raw: &[u8] = if req.method() == actix_web::http::Method::POST {
        body
    } else {
        req.uri().query().unwrap_or("").as_bytes()
    };
    url::form_urlencoded::parse(raw).into_owned().collect()
}

async fn find_client(
    state: &AppState,
    params: &[(String, String)],
) -> Result<Option<Client>, ApiError> {
    let Some(id) = charter_registry::authorize::client_id(params) else {
        return Ok(None);
    };
    let Ok(id) = ClientId::parse(id) else {
        return Ok(None);
    };
    Ok(state.clients.get(&id).await?.map(|r| r.client.clone()))
}

/// `GET|POST /authorize`.
pub async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let params = parameters(&req, &body);
    let client = find_client(&state, &params).await?;
    let mut request = match validate_request(&params, client.as_ref()) {
        Ok(r) => r,
        Err(AuthorizeError::Page(e)) => {
            let t = browser.locale.strings();
            return Ok(message(
                &state,
                &browser,
                StatusCode::BAD_REQUEST,
                t.bad_request_title,
                e.description(),
                None,
            ));
        }
        // RFC 9700 §4.11.2 (SPEC-CHECKLIST A.7): a dynamically registered client nobody vetted must not turn
        // Charter into an open redirector to the URI its registrant chose. With nobody signed in (no user has
        // interacted), its erroneous requests get a page, not a redirect.
        Err(AuthorizeError::Redirect { description, .. })
            if browser.signed_in.is_none()
                && client
                    .as_ref()
                    .is_some_and(|c| c.registration == Registration::Dynamic) =>
        {
            let t = browser.locale.strings();
            return Ok(message(
                &state,
                &browser,
                StatusCode::BAD_REQUEST,
                t.bad_request_title,
                description,
                None,
            ));
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state: st,
            error,
            description,
        }) => {
            return Ok(respond(
                &state,
                &redirect_uri,
                response_mode,
                redirect_params(&error, description, st.as_deref(), state.issuer.as_str()),
            ));
        }
    };
    let Some(client) = client else {
        return Err(ApiError::Internal(
            "a validated request without its client".into(),
        ));
    };
    if let Some(hint) = id_token_hint(&params) {
        match hinted_subject(&state, hint, &client.id) {
            Some(sub) => request.id_token_hint_sub = Some(sub),
            None => {
                return Ok(error_response(
                    &state,
                    &request,
                    RedirectError::InvalidRequest,
                    "id_token_hint is not a valid ID token of this provider for this client",
                ));
            }
        }
    }
    proceed(&state, &browser, &client, request, None).await
}

/// The `sub` of an ID token Charter issued to `client` (expired ones count: a hint names a user, it does not
/// authenticate anyone).
fn hinted_subject(state: &AppState, token: &str, client: &ClientId) -> Option<Subject> {
    #[derive(Deserialize)]
    struct Hint {
        sub: String,
    }
    let mut v = Validation {
        validate_exp: false,
        ..Validation::default()
    };
    v.required_spec_claims.clear();
    v.set_issuer(&[state.issuer.as_str()]);
    v.set_audience(&[client.as_str()]);
    let hint: Hint = state.keys.current().verify(token, "JWT", v).ok()?;
    Subject::parse(&hint.sub).ok()
}

/// Decides and acts: sign in, consent, a `prompt=none` error, or the code.
pub async fn proceed(
    state: &AppState,
    browser: &Browser,
    client: &Client,
    request: AuthorizationRequest,
    parked: Option<(&str, &PendingAuthorization)>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let session = browser.signed_in.as_ref();
    let consent = match session {
        Some(me) => state.store.find_consent(&me.user.sub, &client.id).await?,
        None => None,
    };
    let next = decide(
        &request,
        client,
        session.map(|s| &s.session),
        consent.as_ref(),
        now,
        parked.map(|(_, p)| p.created_at),
    );
    match (next, session) {
        (Next::Fail(code), _) => {
            let (error, description) = match code {
                "consent_required" => (
                    RedirectError::ConsentRequired,
                    "the user must interact with the provider",
                ),
                "access_denied" => (
                    RedirectError::AccessDenied,
                    "the signed-in user is not the one the claims parameter names by sub",
                ),
                _ => (
                    RedirectError::LoginRequired,
                    "the user must interact with the provider",
                ),
            };
            if let Some((id, _)) = parked {
                state.store.delete_pending(&token_digest(id)).await?;
            }
            Ok(error_response(state, &request, error, description))
        }
        (Next::Issue, Some(me)) => {
            if let Some((id, _)) = parked {
                state.store.delete_pending(&token_digest(id)).await?;
            }
            issue_code(state, client, &request, me).await
        }
        (Next::Login, _) | (Next::Issue, None) => {
            let id = match parked {
                Some((id, _)) => id.to_owned(),
                None => park(state, &request).await?,
            };
            let mut to = Url::parse("http://charter.invalid/login")
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            {
                let mut q = to.query_pairs_mut();
                q.append_pair("return_to", &resume_path(&id));
                if let Some(hint) = &request.login_hint {
                    q.append_pair("login_hint", hint);
                }
                if let Some(locales) = &request.ui_locales {
                    q.append_pair("ui_locales", locales);
                }
            }
            Ok(see_other(&format!("/login?{}", to.query().unwrap_or(""))))
        }
        (Next::Consent, _) => {
            let id = match parked {
                Some((id, _)) => id.to_owned(),
                None => park(state, &request).await?,
            };
            let mut to = Url::parse("http://charter.invalid/consent")
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            to.query_pairs_mut().append_pair("request", &id);
            if let Some(locales) = &request.ui_locales {
                to.query_pairs_mut().append_pair("ui_locales", locales);
            }
            Ok(see_other(&format!("/consent?{}", to.query().unwrap_or(""))))
        }
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn resume_path(id: &str) -> String {
    let mut to = String::from("/authorize/resume?");
    to.push_str(
        &url::form_urlencoded::Serializer::new(String::new())
            .append_pair("request", id)
            .finish(),
    );
    to
}

/// Parks `request` and returns its opaque id (only the digest is stored).
async fn park(state: &AppState, request: &AuthorizationRequest) -> Result<String, ApiError> {
    let id = state.rng.token(sizes::SESSION_ID);
    let now = state.clock.now();
    state
        .store
        .create_pending(&PendingAuthorization {
            id_hash: token_digest(&id),
            request: request.clone(),
            created_at: now,
            expires_at: now.plus(PENDING_LIFETIME),
        })
        .await?;
    Ok(id)
}

/// A parked request by its id, if it exists and has not expired.
pub async fn load_pending(
    state: &AppState,
    id: &str,
) -> Result<Option<PendingAuthorization>, ApiError> {
    let Some(p) = state.store.find_pending(&token_digest(id)).await? else {
        return Ok(None);
    };
    if p.expires_at.has_passed(state.clock.now()) {
        state.store.delete_pending(&p.id_hash).await?;
        return Ok(None);
    }
    Ok(Some(p))
}

/// The page for an unknown or expired parked request: readable, never a redirect.
pub fn expired(state: &AppState, browser: &Browser) -> HttpResponse {
    let t = browser.locale.strings();
    message(
        state,
        browser,
        StatusCode::BAD_REQUEST,
        t.expired_title,
        t.expired_text,
        None,
    )
}

#[derive(Debug, Deserialize)]
pub struct ResumeQuery {
    request: Option<String>,
}

/// `GET /authorize/resume?request=ID`: back from the sign-in page.
pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ResumeQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let id = query.request.as_deref().unwrap_or("");
    let Some(pending) = load_pending(&state, id).await? else {
        return Ok(expired(&state, &browser));
    };
    let Some(client) = state.clients.get(&pending.request.client_id).await? else {
        return Ok(expired(&state, &browser));
    };
    let client = client.client.clone();
    let request = pending.request.clone();
    proceed(&state, &browser, &client, request, Some((id, &pending))).await
}

/// Issues the code: a new grant, the code bound to everything the token request must match, and the response.
pub async fn issue_code(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    me: &SignedIn,
) -> Result<HttpResponse, ApiError> {
    // The decision checked this already; the consent page may be answered later, by whoever is signed in then.
    if !request
        .claims
        .as_ref()
        .is_none_or(|c| c.allows_subject(&me.user.sub))
    {
        return Ok(error_response(
            state,
            request,
            RedirectError::AccessDenied,
            "the signed-in user is not the one the claims parameter names by sub",
        ));
    }
    let now = state.clock.now();
    let grant = Grant {
        id: state.rng.token(16),
        user_sub: Some(me.user.sub.clone()),
        client_id: client.id.clone(),
        scope: request.scope.clone(),
        session_sid: Some(me.session.sid.clone()),
        offline_access: request.scope.contains("offline_access"),
        created_at: now,
        revoked_at: None,
        auth_time: Some(me.session.auth_time),
        claims: request.claims.clone(),
    };
    let code = state.rng.token(sizes::CODE);
    let stored = AuthorizationCode {
        code_hash: token_digest(&code),
        grant_id: grant.id.clone(),
        client_id: client.id.clone(),
        user_sub: me.user.sub.clone(),
        session_sid: Some(me.session.sid.clone()),
        redirect_uri: request.redirect_uri.as_str().to_owned(),
        redirect_uri_sent: request.redirect_uri_sent,
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: me.session.auth_time,
        amr: me.session.amr.clone(),
        resource: request.resource.clone(),
        created_at: now,
        expires_at: now.plus(CODE_LIFETIME),
        used_at: None,
    };
    state.store.create_code(&grant, &stored).await?;
    if request.scope.contains("openid") {
        state
            .store
            .record_session_client(&me.session.id_hash, &client.id, now)
            .await?;
    }
    tracing::info!(client_id = %client.id, sub = %me.user.sub, "authorization code issued");
    Ok(respond(
        state,
        &request.redirect_uri,
        request.response_mode,
        success_params(&code, request.state.as_deref(), state.issuer.as_str()),
    ))
}
