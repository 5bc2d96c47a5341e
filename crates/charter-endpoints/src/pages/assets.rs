//! The one stylesheet Charter serves (no third-party resources anywhere).

use actix_web::HttpResponse;
use actix_web::http::header;

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(charter_ui::CSS)
}
