//! A panic in a handler is a 500 for that request only.
//!
//! Without this, actix-web lets the panic unwind out of the connection's task: tokio catches it there, so the
//! worker keeps serving, but the client gets its connection dropped with no answer at all, and nothing says
//! which request it was. [`catch_panic`] turns it into an opaque 500 with `Cache-Control: no-store`, logged
//! with the request's span. Code never panics on purpose (the workspace lints forbid `unwrap`, `expect` and
//! `panic!`); this is the net under a bug.
//!
//! Unwinding through a handler is safe for Charter's state: everything shared is behind `Arc`s of immutable
//! data, locks that recover from poisoning, and the database, whose open transaction is rolled back when the
//! panic drops it.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

/// Polls a future, catching a panic in any poll.
struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                Poll::Ready(Err(message))
            }
        }
    }
}

/// A handler panicked: an opaque 500.
#[derive(Debug, thiserror::Error)]
#[error("a handler panicked")]
pub struct Panicked;

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({
                "error": "server_error",
                "error_description": "an unexpected error occurred",
            }))
    }
}

/// Middleware: a panic below it becomes a 500 for this request. The answer is an error rather than a
/// response because the request went down with the handler (actix routing needs the only copy of it, so none
/// can be kept aside); actix turns the error into [`Panicked`]'s response.
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let caught = CatchUnwind {
        inner: Box::pin(next.call(req)),
    }
    .await;
    match caught {
        Ok(res) => res,
        Err(message) => {
            tracing::error!(panic = %message, %path, "a handler panicked");
            Err(Panicked.into())
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use actix_web::dev::Service;
    use actix_web::middleware::from_fn;
    use actix_web::{App, test, web};

    use super::catch_panic;

    async fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    async fn fine() -> &'static str {
        "fine"
    }

    #[actix_web::test]
    async fn a_panic_is_a_500_for_that_request_and_the_next_one_is_served() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(catch_panic))
                .route("/boom", web::get().to(boom))
                .route("/fine", web::get().to(fine)),
        )
        .await;
        for _ in 0..2 {
            let err = match app
                .call(test::TestRequest::get().uri("/boom").to_request())
                .await
            {
                Ok(res) => panic!("a response despite the panic: {}", res.status()),
                Err(e) => e,
            };
            let res = err.error_response();
            assert_eq!(res.status(), 500);
            assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
            let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], "server_error");
            let res =
                test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
            assert_eq!(res.status(), 200);
            assert_eq!(test::read_body(res).await, "fine");
        }
    }
}
