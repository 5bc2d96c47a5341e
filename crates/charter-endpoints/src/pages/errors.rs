//! Failures a browser sees as a page, not as JSON.
//!
//! Handlers answer an unexpected failure with [`ApiError`] (503 with `Retry-After` when the database is
//! unreachable, an opaque 500 otherwise), whose body is the JSON an API client expects. A person in a browser
//! should get a readable page instead, in their language. [`html_errors`] makes that choice in one place: when
//! a response carries an `ApiError` and the request asks for HTML (every browser navigation and form post
//! sends `Accept: text/html`), the body becomes the message page; status, `Retry-After` and
//! `Cache-Control: no-store` stay. API clients, which do not ask for HTML, keep the JSON.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use charter_ui::{Locale, MessageView};

use super::Csp;
use crate::error::{ApiError, RETRY_AFTER_SECS};

/// Whether the request's `Accept` names `text/html`.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
        })
}

/// The message page for an [`ApiError`], in the browser's language.
pub fn error_page(req: &HttpRequest, error: &ApiError) -> HttpResponse {
    let locale = Locale::negotiate(
        None,
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let t = locale.strings();
    let (status, title, text) = match error {
        ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, t.busy_title, t.busy_text),
        ApiError::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            t.error_title,
            t.error_text,
        ),
    };
    let view = MessageView {
        t,
        title: title.to_owned(),
        message: text.to_owned(),
        link: None,
    };
    let body = match view.render() {
        Ok(body) => body,
        Err(e) => return super::render_failed(e),
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_SECURITY_POLICY, Csp::Strict.header()))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, locale.tag()));
    if matches!(error, ApiError::Unavailable(_)) {
        res.insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS)));
    }
    res.content_type("text/html; charset=utf-8").body(body)
}

/// Middleware: an [`ApiError`] answered to a request that asks for HTML becomes the message page.
pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let html = wants_html(req.request());
    let res = next.call(req).await?;
    if html
        && let Some(page) = res
            .response()
            .error()
            .and_then(|e| e.as_error::<ApiError>())
            .map(|e| error_page(res.request(), e))
    {
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, page).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::html_errors;
    use crate::error::ApiError;

    async fn unavailable() -> Result<HttpResponse, ApiError> {
        Err(ApiError::Unavailable("the database is away".into()))
    }

    #[actix_web::test]
    async fn browsers_get_a_page_and_api_clients_json() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(html_errors))
                .route("/x", web::post().to(unavailable)),
        )
        .await;
        let browser = test::TestRequest::post()
            .uri("/x")
            .insert_header(("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"))
            .insert_header(("accept-language", "fr"))
            .to_request();
        let res = test::call_service(&app, browser).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "5");
        assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(res.headers().get("content-language").unwrap(), "fr");
        assert!(
            res.headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(body.contains("<html") && !body.contains("temporarily_unavailable"));

        for accept in [None, Some("application/json"), Some("*/*")] {
            let mut req = test::TestRequest::post().uri("/x");
            if let Some(a) = accept {
                req = req.insert_header(("accept", a));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status(), 503);
            assert_eq!(res.headers().get("retry-after").unwrap(), "5");
            let body: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(body["error"], "temporarily_unavailable", "{accept:?}");
        }
    }
}
