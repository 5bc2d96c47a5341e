//! Discovery and the JWKS are served from memory: with the database gone they still answer, and the store is
//! never called. `/readyz`, which must reflect the database, turns 503.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/offline.rs"]
mod offline;

use std::sync::atomic::Ordering;

use actix_web::{App, test, web};

#[actix_web::test]
async fn jwks_and_discovery_never_touch_the_database() {
    let (state, store) = offline::offline_state();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(charter_endpoints::configure),
    )
    .await;
    for _ in 0..200 {
        for path in [
            "/jwks",
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status(), 200, "{path}");
        }
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), 0, "no database call");

    let body =
        test::call_and_read_body(&app, test::TestRequest::get().uri("/jwks").to_request()).await;
    let jwks: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 4);

    let res = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(store.calls.load(Ordering::SeqCst) > 0);
}
