//! `/healthz`, `/readyz`, request ids and the basics every response shares.

use charter_testkit::{Backend, backend_tests, spawn_app};
use serde_json::Value;

async fn healthz_and_readyz_answer(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };

    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    app.stop().await;
}

async fn every_response_has_a_request_id(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.get("/healthz").await;
    let b = app.get("/no-such-page").await;
    assert_eq!(b.status(), 404);
    let id_a = a.headers()["x-request-id"].to_str().unwrap().to_owned();
    let id_b = b.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id_a.len(), 36, "a UUID: {id_a}");
    assert_ne!(id_a, id_b);
    assert_eq!(a.headers()["x-content-type-options"], "nosniff");
    app.stop().await;
}

async fn issuer_follows_the_bound_port(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    assert_eq!(app.issuer.as_str(), app.address);
    app.stop().await;
}

backend_tests!(
    healthz_and_readyz_answer,
    every_response_has_a_request_id,
    issuer_follows_the_bound_port,
);
