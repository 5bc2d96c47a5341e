//! The consent page (`GET /consent?request=ID`, `POST /consent`): the user sees which client asks for what —
//! its name, its logo (verified clients only), where they will be sent, each scope in plain words — and
//! allows or denies. A remembered consent is stored per user and client; the parked request never leaves the
//! server. Claims asked for individually (the `claims` parameter, OpenID Connect Core §5.5) are shown, and
//! remembered, as the scope that releases them (`email` for the `email` claim): `flow::consent_scope`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::client::Registration;
use charter_core::flow::consent_scope;
use charter_core::grant::Consent;
use charter_registry::authorize::RedirectError;
use charter_ui::{ConsentView, ScopeRow};
use serde::Deserialize;

use super::browser::Browser;
use super::{Csp, forbidden, html, render_failed};
use crate::authorize::{error_response, expired, issue_code, load_pending};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ConsentQuery {
    request: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ConsentQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    let id = query.request.clone().unwrap_or_default();
    let Some(pending) = load_pending(&state, &id).await? else {
        return Ok(expired(&state, &browser));
    };
    let (Some(me), Some(record)) = (
        &browser.signed_in,
        state.clients.get(&pending.request.client_id).await?,
    ) else {
        return Ok(expired(&state, &browser));
    };
    let client = &record.client;
    let t = browser.locale.strings();
    let view = ConsentView {
        t,
        csrf: browser.csrf_token(&state),
        request_id: id,
        client_name: if client.metadata.client_name.is_empty() {
            client.id.to_string()
        } else {
            client.metadata.client_name.clone()
        },
        logo_uri: client.metadata.logo_uri.as_ref().map(|u| u.to_string()),
        redirect_host: pending
            .request
            .redirect_uri
            .url()
            .host_str()
            .unwrap_or("")
            .to_owned(),
        scopes: consent_scope(&pending.request)
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

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    decision: String,
}

impl std::fmt::Debug for ConsentForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentForm")
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, ApiError> {
    let browser = Browser::load(&req, &state).await?;
    if !browser.form_allowed(&req, &state, &form.csrf) {
        return Ok(forbidden(&state, &browser));
    }
    let Some(pending) = load_pending(&state, &form.request_id).await? else {
        return Ok(expired(&state, &browser));
    };
    let (Some(me), Some(record)) = (
        &browser.signed_in,
        state.clients.get(&pending.request.client_id).await?,
    ) else {
        return Ok(expired(&state, &browser));
    };
    // One decision per parked request.
    state.store.delete_pending(&pending.id_hash).await?;
    let request = &pending.request;
    if form.decision != "allow" {
        tracing::info!(client_id = %request.client_id, sub = %me.user.sub, "consent denied");
        return Ok(error_response(
            &state,
            request,
            RedirectError::AccessDenied,
            "the user denied the request",
        ));
    }
    let now = state.clock.now();
    let previous = state
        .store
        .find_consent(&me.user.sub, &request.client_id)
        .await?;
    let asked = consent_scope(request);
    let asked_text = asked.to_string();
    let scope = match &previous {
        Some(c) => c.scope.iter().chain(asked.iter()).cloned().collect(),
        None => asked,
    };
    state
        .store
        .save_consent(&Consent {
            user_sub: me.user.sub.clone(),
            client_id: request.client_id.clone(),
            scope,
            created_at: previous.map(|c| c.created_at).unwrap_or(now),
            updated_at: now,
        })
        .await?;
    tracing::info!(client_id = %request.client_id, sub = %me.user.sub, "consent granted");
    let event = crate::audit::event(&state, charter_core::audit::AuditKind::ConsentGranted)
        .actor(me.user.sub.as_str())
        .user(me.user.sub.as_str())
        .client(request.client_id.as_str())
        .detail("scope", asked_text);
    crate::audit::record(&state, &req, event).await;
    issue_code(&state, &record.client, request, me).await
}
