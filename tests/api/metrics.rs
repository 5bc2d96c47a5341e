//! `GET /metrics`: Prometheus text that moves with what the server does — requests by route pattern and
//! status, tokens issued by grant type, sign-ins by outcome — and the gauges read at scrape time.

use std::time::Duration;

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

const DAY: u64 = 86_400;
const ALGS: [&str; 3] = ["EdDSA", "ES256", "RS256"];
const SCHEDULED: &str = r#"charter_key_rotations_total{trigger="scheduled"}"#;

fn key_age(text: &str, alg: &str) -> Option<f64> {
    sample(
        text,
        &format!(r#"charter_signing_key_active_age_seconds{{alg="{alg}"}}"#),
    )
}

/// The key task counts the rotations it makes (one per algorithm), and each algorithm's key age starts again.
async fn scheduled_rotations_are_counted_and_reset_the_key_age(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let text = scrape(&app).await;
    assert!(text.contains("# TYPE charter_key_rotations_total counter"));
    assert_eq!(
        sample(&text, SCHEDULED),
        Some(0.0),
        "present from the start"
    );
    for alg in ALGS {
        assert_eq!(key_age(&text, alg), Some(0.0), "{alg}: made at start-up");
    }

    // Not due yet: nothing rotates, the keys just age.
    app.clock.advance(Duration::from_secs(30 * DAY - 10));
    app.tick_keys().await;
    let text = scrape(&app).await;
    assert_eq!(sample(&text, SCHEDULED), Some(0.0));
    for alg in ALGS {
        assert_eq!(key_age(&text, alg), Some((30 * DAY - 10) as f64), "{alg}");
    }

    app.clock.advance(Duration::from_secs(10));
    app.tick_keys().await;
    let text = scrape(&app).await;
    assert_eq!(sample(&text, SCHEDULED), Some(3.0), "one per algorithm");
    for alg in ALGS {
        assert_eq!(key_age(&text, alg), Some(0.0), "{alg}: a new key signs");
    }
    // A round with nothing due counts nothing more.
    app.tick_keys().await;
    assert_eq!(sample(&scrape(&app).await, SCHEDULED), Some(3.0));
    app.stop().await;
}

/// The pool gauges are read from the pool at scrape time: the configured maximum (4 in tests), and never
/// more idle connections than open ones.
async fn pool_gauges_describe_the_pool(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let text = scrape(&app).await;
    for name in [
        "charter_db_pool_connections",
        "charter_db_pool_idle",
        "charter_db_pool_max",
    ] {
        assert!(text.contains(&format!("# TYPE {name} gauge")), "{name}");
    }
    let open = sample(&text, "charter_db_pool_connections").unwrap();
    let idle = sample(&text, "charter_db_pool_idle").unwrap();
    let max = sample(&text, "charter_db_pool_max").unwrap();
    assert_eq!(max, 4.0, "CHARTER_DATABASE__MAX_CONNECTIONS in tests");
    assert!(open >= 1.0, "the server has used the database: {open}");
    assert!(
        idle <= open && open <= max,
        "idle {idle}, open {open}, max {max}"
    );

    let bigger = spawn_app_with(backend, |env| {
        env.insert("CHARTER_DATABASE__MAX_CONNECTIONS".into(), "7".into());
    })
    .await
    .unwrap();
    assert_eq!(
        sample(&scrape(&bigger).await, "charter_db_pool_max"),
        Some(7.0)
    );
    bigger.stop().await;
    app.stop().await;
}

backend_tests!(
    requests_and_tokens_are_counted,
    routes_are_patterns_never_raw_paths,
    metrics_can_be_turned_off,
    scheduled_rotations_are_counted_and_reset_the_key_age,
    pool_gauges_describe_the_pool,
);
