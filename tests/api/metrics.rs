//! `GET /metrics`: Prometheus text that moves with what the server does — requests by route pattern and
//! status, tokens issued by grant type, sign-ins by outcome — and the gauges read at scrape time.

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app, spawn_app_with};

/// The value of the sample `series` (name and labels exactly as rendered), if present.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

pub(crate) async fn scrape(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    res.text().await.unwrap()
}

async fn machine_client(app: &TestApp) -> (String, String) {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Batch".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some("api:read".into()),
            ..ClientRequest::default()
        })
        .await;
    (c.record.client.id.to_string(), c.secret.unwrap())
}

async fn token(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const TOKEN_OK: &str = r#"charter_http_requests_total{route="/token",method="POST",status="200"}"#;
const TOKEN_401: &str = r#"charter_http_requests_total{route="/token",method="POST",status="401"}"#;
const ISSUED: &str = r#"charter_tokens_issued_total{grant_type="client_credentials"}"#;

async fn requests_and_tokens_are_counted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = machine_client(&app).await;
    let before = scrape(&app).await;
    assert_eq!(sample(&before, TOKEN_OK), None);
    assert_eq!(sample(&before, ISSUED), None);
    assert_eq!(sample(&before, "charter_database_up"), Some(1.0));
    assert_eq!(
        sample(&before, "charter_backchannel_outbox_pending"),
        Some(0.0)
    );
    assert!(before.contains("# TYPE charter_logins_total counter"));
    assert!(sample(&before, r#"charter_signing_keys{state="active"}"#).unwrap() >= 1.0);
    assert_eq!(
        sample(&before, "charter_backchannel_outbox_failed"),
        Some(0.0)
    );

    assert_eq!(token(&app, &id, &secret).await, 200);
    assert_eq!(token(&app, &id, &secret).await, 200);
    assert_eq!(token(&app, &id, "wrong").await, 401);
    let after = scrape(&app).await;
    assert!(after.contains("# TYPE charter_http_requests_total counter"));
    assert_eq!(sample(&after, TOKEN_OK), Some(2.0));
    assert_eq!(sample(&after, TOKEN_401), Some(1.0));
    assert_eq!(sample(&after, ISSUED), Some(2.0), "{after}");
    assert_eq!(
        sample(
            &after,
            r#"charter_http_request_duration_seconds_count{route="/token",method="POST"}"#
        ),
        Some(3.0)
    );
    // The previous scrape is counted too, under its own route.
    assert_eq!(
        sample(
            &after,
            r#"charter_http_requests_total{route="/metrics",method="GET",status="200"}"#
        ),
        Some(1.0)
    );
    app.stop().await;
}

async fn routes_are_patterns_never_raw_paths(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.get("/register/some-client-id").await;
    assert!(res.status().is_client_error());
    let status = res.status().as_u16();
    let res = app.get("/no-such-page/secret-looking-path").await;
    assert_eq!(res.status(), 404);
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            &format!(
                r#"charter_http_requests_total{{route="/register/{{client_id}}",method="GET",status="{status}"}}"#
            )
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"charter_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        Some(1.0)
    );
    assert!(!text.contains("some-client-id") && !text.contains("secret-looking-path"));
    app.stop().await;
}

async fn metrics_can_be_turned_off(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_METRICS__ENABLED".into(), "false".into());
    })
    .await
    else {
        return;
    };
    assert_eq!(app.get("/metrics").await.status(), 404);
    app.stop().await;
}

backend_tests!(
    requests_and_tokens_are_counted,
    routes_are_patterns_never_raw_paths,
    metrics_can_be_turned_off,
);
