//! `GET|POST /userinfo` (OpenID Connect Core §5.3, RFC 6750).
//!
//! The access token comes in the `Authorization: Bearer` header, or for POST in the form body (RFC 6750
//! §2.2); never in the query (RFC 6750 §2.3 is refused: tokens in URLs leak). A token is accepted only if
//! Charter signed it with a published key, it is an access token (`typ: at+jwt`) meant for this issuer, it has
//! not expired, its grant is still active, its user is not disabled and its client still exists — so
//! revocation, a disabled user, a deleted client or a revoked key take effect at once. The claims are those of
//! the token's scope plus those its grant's `claims` request parameter asked for userinfo (Core §5.5).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use charter_core::token::userinfo::userinfo_claims;

use crate::access;
use crate::error::ApiError;
use crate::state::AppState;

/// An RFC 6750 §3 error: 401 with `WWW-Authenticate: Bearer ...`.
fn bearer_error(error: Option<&str>, description: &str) -> HttpResponse {
    let challenge = match error {
        Some(e) => {
            format!(r#"Bearer realm="charter", error="{e}", error_description="{description}""#)
        }
        None => r#"Bearer realm="charter""#.to_owned(),
    };
    let status = if error == Some("invalid_request") {
        actix_web::http::StatusCode::BAD_REQUEST
    } else {
        actix_web::http::StatusCode::UNAUTHORIZED
    };
    HttpResponse::build(status)
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn invalid_token() -> HttpResponse {
    bearer_error(
        Some("invalid_token"),
        "the access token is invalid, expired or revoked",
    )
}

/// The bearer token of the request, or the response to send instead.
#[allow(
    clippy::result_large_err,
    reason = "the error is the response itself, built once per request"
)]
fn bearer(req: &HttpRequest, body: &[u8]) -> Result<String, HttpResponse> {
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "access_token") {
        return Err(HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                r#"Bearer realm="charter", error="invalid_request", error_description="access tokens are not accepted in the query""#,
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let from_body: Vec<String> = if req.method() == actix_web::http::Method::POST && is_form {
        url::form_urlencoded::parse(body)
            .filter(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .collect()
    } else {
        Vec::new()
    };
    match (from_header, from_body.as_slice()) {
        (Some(t), []) if !t.is_empty() => Ok(t),
        (None, [t]) if !t.is_empty() => Ok(t.clone()),
        (None, []) => Err(bearer_error(None, "")),
        _ => Err(bearer_error(
            Some("invalid_request"),
            "exactly one access token, in one place",
        )),
    }
}

/// `GET|POST /userinfo`.
pub async fn userinfo(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let token = match bearer(&req, &body) {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let Some(live) = access::live(&state, &token).await? else {
        return Ok(invalid_token());
    };
    // Userinfo answers for users, through tokens meant for this issuer.
    let (Some(user), true) = (live.user, live.claims.aud.contains(state.issuer.as_str())) else {
        return Ok(invalid_token());
    };
    let claims = live.claims;
    let scope = &claims.scope;
    if !scope.contains("openid") {
        return Ok(bearer_error(
            Some("insufficient_scope"),
            "the token was not issued for OpenID Connect",
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(userinfo_claims(&user, scope, live.requested.as_ref())))
}
