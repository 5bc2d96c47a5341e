//! The admin API under `/admin/v1`: clients, users, a user's sessions and consents, as JSON.
//!
//! - **Authentication** ([`Admin`]): `Authorization: Bearer <token>` where the token is either the configured
//!   `admin_token` (compared as a SHA-256 digest in constant time) or a live access token Charter issued
//!   (verified like userinfo's: signature, `typ`, issuer, expiry, deny list, client) to a client for itself
//!   (client credentials: no user, no grant), whose audience is the issuer and whose scope holds
//!   `charter:admin`. No or a wrong token: 401 `unauthorized`; a live token of a user, or without the scope:
//!   403 `forbidden`.
//! - **Errors** ([`AdminError`]): JSON `{"error": "<stable code>", "message": "..."}`. Codes are part of the
//!   API: `unauthorized`, `forbidden`, `not_found`, `invalid_request`, `invalid_redirect_uri`,
//!   `invalid_client_metadata`, `invalid_username`, `invalid_email`, `weak_password`, `conflict`,
//!   `no_secret`, `unavailable`, `internal`.
//! - **Paging**: lists take `?limit=` (1 to 1000, default 100) and `?after=` (the last key of the previous
//!   page) and answer `{"items": [...], "next_after": "<key>" | null}`.
//! - **The route table** is the one list in [`routes!`](self): it registers the handlers and names every
//!   (method, path) in [`ROUTES`], which a test compares with the OpenAPI document ([`openapi`], served at
//!   `/admin/v1/openapi.json`).
//!
//! - **Audit**: every change is an audit event whose actor is who authenticated ([`Admin::actor`]): `admin`
//!   for the admin token, `client:<client_id>` for a client's `charter:admin` token. A change with its own
//!   kind (`client_created`, `user_disabled`, `password_changed`, ...) is recorded as that; every other one as
//!   `admin_action` with `detail.action` naming it (`user.create`, `user.update`, `user.enable`,
//!   `session.end`). Refused requests write nothing. The trail is read at `GET /admin/v1/audit` ([`audit`]).
//!
//! Changes to clients go through `charter_registry::service`, the same functions the CLI and dynamic
//! registration use; changes to users through `charter_core::accounts` and the stores.

pub mod accounts;
pub mod audit;
pub mod clients;
pub mod openapi;
pub mod users;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use charter_core::StoreError;
use charter_core::audit::{AuditEvent, AuditKind};
use charter_core::ids::ClientId;
use charter_core::registration::token_matches;
use charter_core::store::Page;
use serde::{Deserialize, Serialize};

use crate::access;
use crate::error::ApiError;
use crate::state::AppState;

/// The scope that makes an access token an admin credential.
pub const ADMIN_SCOPE: &str = "charter:admin";

/// A failure of an admin request, with its stable code.
#[derive(Debug)]
pub enum AdminError {
    Unauthorized,
    Forbidden,
    NotFound(&'static str),
    /// 400 with a code of the caller's choosing (`invalid_request`, `invalid_client_metadata`, ...).
    Invalid(&'static str, String),
    Conflict(String),
    /// 409: the request conflicts with the resource's state (a code of the caller's choosing).
    Refused(&'static str, String),
    Api(ApiError),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, message) = self.parts();
        write!(f, "{code}: {message}")
    }
}

impl AdminError {
    fn parts(&self) -> (&'static str, String) {
        match self {
            Self::Unauthorized => (
                "unauthorized",
                "an admin token or an access token with the charter:admin scope is required"
                    .to_owned(),
            ),
            Self::Forbidden => (
                "forbidden",
                "the access token is not a client's own token with the charter:admin scope"
                    .to_owned(),
            ),
            Self::NotFound(what) => ("not_found", format!("no such {what}")),
            Self::Invalid(code, message) => (code, message.clone()),
            Self::Conflict(message) => ("conflict", message.clone()),
            Self::Refused(code, message) => (code, message.clone()),
            Self::Api(ApiError::Unavailable(_)) => (
                "unavailable",
                "the service is temporarily unavailable; retry later".to_owned(),
            ),
            Self::Api(ApiError::Internal(_)) => {
                ("internal", "an unexpected error occurred".to_owned())
            }
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            other => Self::Api(other.into()),
        }
    }
}

impl From<ApiError> for AdminError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid(..) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) | Self::Refused(..) => StatusCode::CONFLICT,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Api(e) = self {
            // Logged (with its cause) and answered like every other unexpected failure, in this API's shape.
            let _ = e.error_response();
        }
        let (code, message) = self.parts();
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if matches!(self, Self::Unauthorized) {
            res.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="charter-admin""#));
        }
        if matches!(self, Self::Api(ApiError::Unavailable(_))) {
            res.insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS));
        }
        res.json(ErrorBody {
            error: code,
            message: &message,
        })
    }
}

/// The error body of every admin failure.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// A stable code: `unauthorized`, `forbidden`, `not_found`, `invalid_request`, `conflict`, ...
    pub error: &'a str,
    pub message: &'a str,
}

/// Extractor: the request is authenticated as an admin (see the module docs), and by which credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// The configured admin token.
    Token,
    /// A client's own access token with the `charter:admin` scope.
    Client(ClientId),
}

impl Admin {
    /// Who did it, for the audit trail: `admin`, or `client:<client_id>`.
    pub fn actor(&self) -> String {
        match self {
            Self::Token => charter_core::audit::actor::ADMIN.to_owned(),
            Self::Client(id) => charter_core::audit::actor::admin_client(id.as_str()),
        }
    }

    /// A new event of `kind`, by this caller.
    pub fn event(&self, state: &AppState, kind: AuditKind) -> AuditEvent {
        crate::audit::event(state, kind).actor(self.actor())
    }

    /// An `admin_action` event naming `action` (`user.create`, ...), for changes without a kind of their own.
    pub fn action(&self, state: &AppState, action: &str) -> AuditEvent {
        self.event(state, AuditKind::AdminAction)
            .detail("action", action)
    }
}

impl FromRequest for Admin {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token) else {
                return Err(AdminError::Unauthorized);
            };
            authenticate(&state, &token).await
        })
    }
}

async fn authenticate(state: &AppState, token: &str) -> Result<Admin, AdminError> {
    if let Some(hash) = &state.admin_token_hash
        && token_matches(token, hash)
    {
        return Ok(Admin::Token);
    }
    // Not the admin token: it may be one of Charter's access tokens (a JWT has two dots; anything else is
    // not worth a signature check).
    if token.matches('.').count() != 2 {
        return Err(AdminError::Unauthorized);
    }
    let Some(live) = access::live(state, token).await? else {
        return Err(AdminError::Unauthorized);
    };
    if !live.claims.aud.contains(state.issuer.as_str()) {
        return Err(AdminError::Unauthorized);
    }
    // A client acting for itself (client credentials), holding the scope: a user signing in through a client
    // never becomes an administrator that way, whatever scopes the client has.
    if live.user.is_some()
        || live.claims.grant.is_some()
        || !live.claims.scope.contains(ADMIN_SCOPE)
    {
        return Err(AdminError::Forbidden);
    }
    Ok(Admin::Client(live.claims.client_id))
}

/// `?limit=&after=` of list requests.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Page {
        Page {
            after: self.after.clone().filter(|a| !a.is_empty()),
            ..Page::first(self.limit.unwrap_or(100))
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<String>,
}

impl<T> Paged<T> {
    /// `key` names an item's position in the list's order.
    pub fn new(items: Vec<T>, page: &Page, key: impl Fn(&T) -> String) -> Self {
        let full = u64::try_from(items.len()).is_ok_and(|n| n == page.limit);
        let next_after = if full { items.last().map(key) } else { None };
        Self { items, next_after }
    }
}

/// A JSON answer with `Cache-Control: no-store` (admin answers may hold secrets).
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// 204, `no-store`.
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A JSON request body as an object, or `invalid_request`.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, AdminError> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(AdminError::Invalid(
            "invalid_request",
            "the body must be a JSON object".to_owned(),
        )),
        Err(e) => Err(AdminError::Invalid(
            "invalid_request",
            format!("the body is not JSON: {e}"),
        )),
    }
}

/// A JSON request body as a typed request (after [`json_object`]), or `invalid_request` naming what is wrong.
pub fn json_request<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_value(serde_json::Value::Object(json_object(body)?))
        .map_err(|e| AdminError::Invalid("invalid_request", e.to_string()))
}

/// Registers every admin route and lists them in [`ROUTES`]: one table, so the two cannot drift apart.
macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Registers the admin API under `/admin/v1`.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.route(concat!("/admin/v1", $path), web::$method().to($handler)); )*
        }

        /// Every admin route: (method, path), paths as in OpenAPI (`{param}`).
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), concat!("/admin/v1", $path)) ),* ];
    };
}

routes! {
    get "/openapi.json" => openapi::document,
    get "/clients" => clients::list,
    post "/clients" => clients::create,
    get "/clients/{client_id}" => clients::show,
    put "/clients/{client_id}" => clients::replace,
    patch "/clients/{client_id}" => clients::patch,
    delete "/clients/{client_id}" => clients::remove,
    post "/clients/{client_id}/secret" => clients::rotate,
    get "/users" => users::list,
    post "/users" => users::create,
    get "/users/{sub}" => users::show,
    post "/users/{sub}/disable" => users::disable,
    post "/users/{sub}/enable" => users::enable,
    get "/users/{sub}/sessions" => users::sessions,
    delete "/users/{sub}/sessions" => users::end_all_sessions,
    delete "/users/{sub}/sessions/{sid}" => users::end_session,
    get "/users/{sub}/consents" => users::consents,
    delete "/users/{sub}/consents/{client_id}" => users::revoke_consent,
    patch "/users/{sub}" => accounts::update_profile,
    post "/users/{sub}/password" => accounts::set_password,
    get "/audit" => audit::list,
}
