//! `admin_listen`: the admin API and `/metrics` on a listener of their own, absent from the main one; the health
//! checks on both; one state behind both; one shutdown for both; a taken admin address stops start-up.

use charter_server::startup::StartupError;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app_with};
use reqwest::Response;
use serde_json::{Value, json};

use crate::admin::ADMIN_TOKEN;
use crate::metrics::sample;

async fn app_with_admin_listener(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |env| {
        env.insert("CHARTER_ADMIN_TOKEN".into(), ADMIN_TOKEN.into());
        env.insert("CHARTER_ADMIN_LISTEN".into(), "127.0.0.1:0".into());
        env.insert("CHARTER_METRICS__ENABLED".into(), "true".into());
    })
    .await
}

async fn admin_get(app: &TestApp, url: String) -> Response {
    app.client
        .get(url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
}

async fn the_admin_api_is_only_on_the_admin_listener(backend: Backend) {
    let Some(app) = app_with_admin_listener(backend).await else {
        return;
    };
    let admin_address = app.admin_address.clone().expect("an admin listener");
    assert_ne!(admin_address, app.address);
    assert_eq!(
        app.admin_url("/admin/v1/clients"),
        format!("{admin_address}/admin/v1/clients")
    );

    let res = admin_get(&app, app.admin_url("/admin/v1/clients")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let page: Value = res.json().await.unwrap();
    assert!(page["items"].is_array(), "{page}");
    let res = admin_get(&app, app.admin_url("/admin/v1/openapi.json")).await;
    assert_eq!(res.status(), 200);

    // The main listener has no such routes: a 404 like any unknown path, whatever the credential.
    for path in [
        "/admin/v1/clients",
        "/admin/v1/openapi.json",
        "/admin/v1/users",
    ] {
        let res = admin_get(&app, app.url(path)).await;
        assert_eq!(res.status(), 404, "{path} on the main listener");
    }
    let res = app
        .client
        .post(app.url("/admin/v1/clients"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"client_name": "Nope", "grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Same state behind both: a client created through the admin listener gets tokens on the main one.
    let res = app
        .client
        .post(app.admin_url("/admin/v1/clients"))
        .bearer_auth(ADMIN_TOKEN)
        .json(
            &json!({"client_name": "Batch", "grant_types": ["client_credentials"],
                      "scope": "reports:read"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(
            created["client_id"].as_str().unwrap(),
            created["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

async fn metrics_follow_the_admin_api(backend: Backend) {
    let Some(app) = app_with_admin_listener(backend).await else {
        return;
    };
    assert_eq!(app.get("/metrics").await.status(), 404);
    // Requests to either listener are counted in the one registry.
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(
        admin_get(&app, app.admin_url("/admin/v1/clients"))
            .await
            .status(),
        200
    );

    let res = app
        .client
        .get(app.admin_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = res.text().await.unwrap();
    assert_eq!(sample(&text, "charter_database_up"), Some(1.0), "{text}");
    let healthz = r#"charter_http_requests_total{route="/healthz",method="GET",status="200"}"#;
    assert_eq!(sample(&text, healthz), Some(1.0), "{text}");
    let clients =
        r#"charter_http_requests_total{route="/admin/v1/clients",method="GET",status="200"}"#;
    assert_eq!(sample(&text, clients), Some(1.0), "{text}");
    let main_404 = r#"charter_http_requests_total{route="unmatched",method="GET",status="404"}"#;
    assert_eq!(sample(&text, main_404), Some(1.0), "{text}");
    app.stop().await;
}

async fn health_on_both_and_discovery_on_the_main_listener(backend: Backend) {
    let Some(app) = app_with_admin_listener(backend).await else {
        return;
    };
    for url in [app.url(""), app.admin_url("")] {
        let res = app
            .client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
        let res = app
            .client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ready");
    }

    let res = app.get("/.well-known/openid-configuration").await;
    assert_eq!(res.status(), 200);
    let metadata: Value = res.json().await.unwrap();
    assert_eq!(metadata["issuer"], app.issuer.as_str());
    assert_eq!(
        app.issuer.as_str(),
        app.address,
        "the issuer follows `listen`"
    );
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
        "/token",
        "/login",
    ] {
        let res = app.client.get(app.admin_url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path} on the admin listener");
    }
    app.stop().await;
}

async fn without_admin_listen_everything_is_on_the_main_listener(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_ADMIN_TOKEN".into(), ADMIN_TOKEN.into());
    })
    .await
    else {
        return;
    };
    assert_eq!(app.admin_address, None);
    assert_eq!(app.admin_url("/metrics"), app.url("/metrics"));
    let res = admin_get(&app, app.url("/admin/v1/clients")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/metrics").await.status(), 200);
    app.stop().await;
}

async fn both_listeners_stop_together(backend: Backend) {
    let Some(app) = app_with_admin_listener(backend).await else {
        return;
    };
    let client = app.client.clone();
    let (main, admin) = (app.url("/healthz"), app.admin_url("/healthz"));
    assert_eq!(client.get(&admin).send().await.unwrap().status(), 200);
    // Returns once both servers have drained and the store is closed.
    app.stop().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&main).send().await.is_err(), "main still serving");
    assert!(
        fresh.get(&admin).send().await.is_err(),
        "admin still serving"
    );
}

async fn a_taken_admin_address_stops_start_up(backend: Backend) {
    let Some(app) = app_with_admin_listener(backend).await else {
        return;
    };
    let taken = app
        .admin_address
        .clone()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let failure = app
        .spawn_peer_with(|env| {
            env.insert("CHARTER_ADMIN_LISTEN".into(), taken.clone());
        })
        .await
        .expect_err("the admin address is taken");
    match failure {
        StartupError::Failed(message) => {
            assert!(message.contains("admin_listen"), "{message}");
            assert!(message.contains(&taken), "{message}");
        }
        other => panic!("a runtime failure (exit code 1), got {other:?}"),
    }
    // The node that owns the address is unaffected.
    let res = admin_get(&app, app.admin_url("/admin/v1/clients")).await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

backend_tests!(
    the_admin_api_is_only_on_the_admin_listener,
    metrics_follow_the_admin_api,
    health_on_both_and_discovery_on_the_main_listener,
    without_admin_listen_everything_is_on_the_main_listener,
    both_listeners_stop_together,
    a_taken_admin_address_stops_start_up,
);
