//! CORS (the Fetch standard's CORS protocol) for the endpoints browser-based clients call from their own
//! origin: the two discovery documents, the JWKS, the token, userinfo and revocation endpoints. Nowhere else:
//! `/authorize` is a top-level navigation, and Charter's pages (`/login`, `/consent`, `/account`, ...) must
//! never be readable by another origin.
//!
//! [`resource`] builds such an endpoint's actix resource with this middleware in front:
//!
//! - A request without `Origin` passes through untouched (plus `Vary: Origin`).
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed origin is
//!   answered here with 204, `Access-Control-Allow-Origin` echoing the origin, the endpoint's methods,
//!   `Access-Control-Allow-Headers: Authorization, Content-Type` and `Access-Control-Max-Age`
//!   ([`PREFLIGHT_MAX_AGE_SECS`]). From any other origin it is refused with 403 and no `Access-Control-*`
//!   header.
//! - An actual request from an allowed origin gets `Access-Control-Allow-Origin` and
//!   `Access-Control-Expose-Headers: WWW-Authenticate` (so a client can read a bearer error); from another
//!   origin, nothing — the browser then withholds the response from the page.
//! - Every response says `Vary: Origin`, so a shared cache never serves one origin's answer to another.
//! - Never `Access-Control-Allow-Credentials`: none of these endpoints is authenticated by cookies, and a
//!   browser therefore never sends Charter's session cookie with these cross-origin requests.
//!
//! The allowed origins are those of registered redirect URIs ([`origins`]), checked against a set kept in
//! memory and at most [`origins::AllowedOrigins::DEFAULT_TTL`] old.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, HttpResponse, Resource, web};

use crate::state::AppState;

pub mod origins;

pub use origins::AllowedOrigins;

/// How long a browser may cache a preflight answer. Short, so that a client deleted from the registry stops
/// being allowed by browsers soon after Charter stops allowing it.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;
/// The request headers a cross-origin call may send beyond the CORS-safelisted ones.
const ALLOW_HEADERS: &str = "Authorization, Content-Type";
/// The response headers a page may read beyond the CORS-safelisted ones.
const EXPOSE_HEADERS: &str = "WWW-Authenticate";

/// The resource at `path`, with CORS for `methods` (such as `"GET, POST"`). Add its routes as usual.
pub fn resource(
    path: &str,
    methods: &'static str,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = Error,
        InitError = (),
    >,
> {
    web::resource(path).wrap(from_fn(move |req: ServiceRequest, next: Next<BoxBody>| {
        cors(req, next, methods)
    }))
}

async fn cors(
    req: ServiceRequest,
    next: Next<BoxBody>,
    methods: &'static str,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        let mut res = next.call(req).await?;
        vary_origin(&mut res);
        return Ok(res);
    };
    let allowed = match req.app_data::<web::Data<AppState>>() {
        Some(state) => state.cors.is_allowed(&origin).await,
        None => false,
    };
    let allow_origin = allowed
        .then(|| HeaderValue::from_str(&origin).ok())
        .flatten();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let res = match allow_origin {
            Some(origin) => HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECS))
                .insert_header((header::VARY, "Origin"))
                .finish(),
            None => HttpResponse::build(StatusCode::FORBIDDEN)
                .insert_header((header::VARY, "Origin"))
                .finish(),
        };
        return Ok(req.into_response(res));
    }
    let mut res = next.call(req).await?;
    vary_origin(&mut res);
    if let Some(origin) = allow_origin {
        let headers = res.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    Ok(res)
}

/// Adds `Origin` to the response's `Vary` (keeping what the handler put there).
fn vary_origin(res: &mut ServiceResponse<BoxBody>) {
    let headers = res.headers_mut();
    let has_origin = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("origin"))
        })
    });
    if !has_origin {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
