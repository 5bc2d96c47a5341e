//! Hostile input (issue 14): body and parameter size limits, and rate limits per client address and per
//! authenticated client (RFC 6585 §4: 429 with `Retry-After`).

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app_with};
use reqwest::Response;
use serde_json::Value;

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

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> Response {
    app.client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn error(res: Response) -> String {
    res.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn retry_after(res: &Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn oversized_bodies_are_413(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_SERVER__MAX_BODY_SIZE".into(), "4096".into());
        env.insert("CHARTER_REGISTRATION__MODE".into(), "open".into());
    })
    .await
    else {
        return;
    };
    let (id, secret) = machine_client(&app).await;
    let big = "x".repeat(8 * 1024);

    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", &big)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a form body over server.max_body_size");

    let res = app
        .client
        .post(app.url("/register"))
        .json(&serde_json::json!({
            "redirect_uris": ["https://rp.example/cb"],
            "client_name": big,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a JSON body over server.max_body_size");

    // Just under the limit is read and judged on its merits.
    let res = client_credentials(&app, &id, &secret).await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

async fn oversized_parameters_are_client_errors(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let (id, secret) = machine_client(&app).await;
    let c = app
        .register_client(ClientRequest {
            redirect_uris: vec!["https://rp.example/cb".into()],
            ..ClientRequest::default()
        })
        .await;
    let web_id = c.record.client.id.to_string();

    // Inside the body limit, but far beyond any sane scope.
    let scope = "s".repeat(50 * 1024);
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", &scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let code = error(res).await;
    assert!(
        code == "invalid_scope" || code == "invalid_request",
        "{code}"
    );

    // Huge parameters: never a 500, whichever limit catches them. (A URI cannot exceed 64 KiB on the client
    // side, so the query gets 60 KB; the form gets 100 KB.)
    for (name, query_len, form_len) in [("state", 60, 100), ("scope", 60, 100)] {
        let value = "t".repeat(query_len * 1024);
        let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &web_id)
            .append_pair("redirect_uri", "https://rp.example/cb")
            .append_pair(name, &value);
        let res = app.client.get(url.as_str()).send().await.unwrap();
        // RFC 6749 §4.1.2.1: invalid_request at the redirect URI, without echoing the monster.
        assert_eq!(res.status(), 303, "a {query_len} KB {name} in the query");
        let to = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        assert!(to.as_str().starts_with("https://rp.example/cb?"), "{to}");
        let pairs: Vec<(String, String)> = to.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("error".into(), "invalid_request".into())));
        assert!(pairs.iter().all(|(k, _)| k != "state"));
        let value = "t".repeat(form_len * 1024);
        let res = app
            .client
            .post(app.url("/authorize"))
            .form(&[
                ("response_type", "code"),
                ("client_id", web_id.as_str()),
                ("redirect_uri", "https://rp.example/cb"),
                (name, value.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "a {form_len} KB {name} in a form");
    }
    app.stop().await;
}

async fn one_address_over_its_rate_is_429_and_others_are_not(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_LIMITS__PER_IP_PER_SECOND".into(), "0.2".into());
        env.insert("CHARTER_LIMITS__PER_IP_BURST".into(), "5".into());
        // The test client is a trusted proxy, so X-Forwarded-For names the client address.
        env.insert("CHARTER_SERVER__TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await
    else {
        return;
    };
    let from = |ip: &'static str| {
        app.client
            .get(app.url("/jwks"))
            .header("x-forwarded-for", ip)
    };
    for _ in 0..5 {
        assert_eq!(from("203.0.113.7").send().await.unwrap().status(), 200);
    }
    let res = from("203.0.113.7").send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!((1..=5).contains(&retry_after(&res)), "about 1/0.2 s");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(error(res).await, "too_many_requests");

    // Another address has its own budget; health probes are never limited.
    assert_eq!(from("203.0.113.8").send().await.unwrap().status(), 200);
    for _ in 0..10 {
        let res = app
            .client
            .get(app.url("/readyz"))
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    app.stop().await;
}

async fn forged_forwarding_headers_do_not_dodge_the_limit(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_LIMITS__PER_IP_PER_SECOND".into(), "0.2".into());
        env.insert("CHARTER_LIMITS__PER_IP_BURST".into(), "3".into());
    })
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    for i in 0..4 {
        let res = app
            .client
            .get(app.url("/jwks"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "no trusted proxy: one address"
    );
    app.stop().await;
}

async fn one_client_over_its_rate_is_429_and_others_are_not(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_LIMITS__PER_CLIENT_PER_SECOND".into(), "0.2".into());
        env.insert("CHARTER_LIMITS__PER_CLIENT_BURST".into(), "2".into());
    })
    .await
    else {
        return;
    };
    let (a, a_secret) = machine_client(&app).await;
    let (b, b_secret) = machine_client(&app).await;

    // Failed authentications in b's name spend nothing of b's budget: the limit is keyed on the client that
    // authenticated, not on a claimed client_id.
    for _ in 0..3 {
        let res = client_credentials(&app, &b, "not-the-secret").await;
        assert_eq!(res.status(), 401);
    }

    for _ in 0..2 {
        assert_eq!(client_credentials(&app, &a, &a_secret).await.status(), 200);
    }
    let res = client_credentials(&app, &a, &a_secret).await;
    assert_eq!(res.status(), 429);
    assert!((1..=10).contains(&retry_after(&res)));
    assert_eq!(error(res).await, "too_many_requests");
    // Introspection and revocation draw on the same budget.
    let res = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&a, Some(&a_secret))
        .form(&[("token", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);

    for _ in 0..2 {
        assert_eq!(client_credentials(&app, &b, &b_secret).await.status(), 200);
    }
    app.stop().await;
}

async fn a_client_that_never_finishes_its_request_is_cut_off(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_SERVER__REQUEST_TIMEOUT".into(), "500ms".into());
    })
    .await
    else {
        return;
    };
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Half a request head, then nothing (slowloris).
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the connection is closed by the server");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Everyone else is served meanwhile.
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

backend_tests!(
    a_client_that_never_finishes_its_request_is_cut_off,
    oversized_bodies_are_413,
    oversized_parameters_are_client_errors,
    one_address_over_its_rate_is_429_and_others_are_not,
    forged_forwarding_headers_do_not_dodge_the_limit,
    one_client_over_its_rate_is_429_and_others_are_not,
);
