//! The one place where failures become HTTP responses.
//!
//! Protocol errors carry their RFC code (`as_str()` on each error enum) and are mapped here to status, headers
//! and a JSON body. Unexpected failures are logged with their cause and answered with an opaque 500; an
//! unreachable database is a 503 with `Retry-After`, so clients and load balancers back off instead of failing.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use charter_core::StoreError;
use serde::Serialize;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECS: u32 = 5;

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

/// Failures of JSON endpoints that are not protocol errors.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, description) = match self {
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                (
                    "temporarily_unavailable",
                    "the service is temporarily unavailable; retry later",
                )
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ("server_error", "an unexpected error occurred")
            }
        };
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if matches!(self, Self::Unavailable(_)) {
            res.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        res.json(ErrorBody {
            error: code,
            error_description: Some(description),
        })
    }
}
