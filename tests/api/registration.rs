//! Dynamic client registration (RFC 7591) in each of the three `registration.mode`s: off, initial access
//! token, open (rate-limited per address). Self-management (RFC 7592) is in `registration_manage`, a real
//! relying-party library registering itself in `registration_rp`.

use std::time::Duration;

use charter_core::random::SystemTokenGenerator;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app, spawn_app_with};
use reqwest::Response;
use serde_json::{Value, json};

pub(crate) const PW: &str = "correct horse battery staple";
pub(crate) const REDIRECT: &str = "https://rp.example/cb";

pub(crate) async fn open_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |env| {
        env.insert("CHARTER_REGISTRATION__MODE".into(), "open".into());
    })
    .await
}

pub(crate) async fn post(app: &TestApp, body: &Value, token: Option<&str>) -> Response {
    let mut req = app.client.post(app.url("/register")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

pub(crate) fn metadata() -> Value {
    json!({
        "client_name": "Agent",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile email offline_access",
        "contacts": ["ops@rp.example"],
        "a_field_charter_does_not_know": {"ignored": true},
    })
}

pub(crate) async fn error_of(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn discovery(app: &TestApp) -> Value {
    app.get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap()
}

async fn registration_is_off_by_default(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    assert!(discovery(&app).await.get("registration_endpoint").is_none());
    let res = post(&app, &metadata(), None).await;
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url("/register/some-client"))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn open_registration_answers_with_the_client_and_its_credentials(backend: Backend) {
    let Some(app) = open_app(backend).await else {
        return;
    };
    assert_eq!(
        discovery(&app).await["registration_endpoint"],
        format!("{}/register", app.issuer)
    );
    let res = post(&app, &metadata(), None).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let c: Value = res.json().await.unwrap();
    let id = c["client_id"].as_str().unwrap();
    assert_eq!(c["client_id_issued_at"], charter_testkit::T0);
    assert!(c["client_secret"].as_str().unwrap().len() >= 43);
    assert_eq!(c["client_secret_expires_at"], 0);
    assert_eq!(
        c["registration_client_uri"],
        format!("{}/register/{id}", app.issuer)
    );
    assert!(c["registration_access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(c["client_name"], "Agent");
    assert_eq!(c["redirect_uris"], json!([REDIRECT]));
    assert_eq!(
        c["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(c["response_types"], json!(["code"]));
    assert_eq!(c["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(c["scope"], "email offline_access openid profile");
    assert_eq!(c["contacts"], json!(["ops@rp.example"]));
    for operator_only in ["require_pkce", "skip_consent", "audiences"] {
        assert!(c.get(operator_only).is_none(), "{operator_only} shown");
    }
    assert!(c.get("a_field_charter_does_not_know").is_none());

    // The new client works at once: a whole code flow.
    app.create_user("alice", PW).await;
    let tokens = app
        .code_flow_tokens(
            id,
            c["client_secret"].as_str().unwrap(),
            REDIRECT,
            "openid email",
            "alice",
            PW,
        )
        .await;
    assert!(tokens["id_token"].is_string());

    // A public client gets no secret, and so no secret expiry.
    let res = post(
        &app,
        &json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none",
                "application_type": "native"}),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await.unwrap();
    assert!(c.get("client_secret").is_none() && c.get("client_secret_expires_at").is_none());
}

async fn registration_errors_follow_rfc7591(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_REGISTRATION__MODE".into(), "open".into());
        env.insert(
            "CHARTER_REGISTRATION__ALLOWED_SCOPES".into(),
            "openid,profile".into(),
        );
        env.insert("CHARTER_REGISTRATION__RATE_LIMIT".into(), "100".into());
    })
    .await
    else {
        return;
    };
    let with = |patch: Value| {
        let mut m = json!({"redirect_uris": [REDIRECT], "scope": "openid"});
        for (k, v) in patch.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    };
    let cases = [
        (
            with(json!({"redirect_uris": ["http://rp.example/cb"]})),
            "invalid_redirect_uri",
        ),
        (
            with(json!({"redirect_uris": ["https://rp.example/cb#x"]})),
            "invalid_redirect_uri",
        ),
        (with(json!({"redirect_uris": []})), "invalid_redirect_uri"),
        (
            with(json!({"grant_types": ["implicit"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"redirect_uris": "https://rp.example/cb"})),
            "invalid_client_metadata",
        ),
        // Outside the configured list: refused, not silently dropped.
        (
            with(json!({"scope": "openid email"})),
            "invalid_client_metadata",
        ),
        // Operator-only: charter:* scopes, PKCE off, audiences, lifetimes, consent skipping.
        (
            with(json!({"scope": "openid charter:admin"})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"require_pkce": false})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"skip_consent": true})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"audiences": ["https://api.example"]})),
            "invalid_client_metadata",
        ),
        (
            with(json!({"access_token_lifetime_secs": 86400})),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (body, expected) in cases {
        let (status, error) = error_of(post(&app, &body, None).await).await;
        assert_eq!((status, error.as_str()), (400, expected), "{body}");
    }
    let res = app
        .client
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(res).await,
        (400, "invalid_client_metadata".to_owned())
    );
    // Within the list: fine.
    assert_eq!(
        post(&app, &with(json!({"scope": "openid profile"})), None)
            .await
            .status(),
        201
    );
}

async fn open_registration_is_rate_limited_per_address(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_REGISTRATION__MODE".into(), "open".into());
        env.insert("CHARTER_REGISTRATION__RATE_LIMIT".into(), "2".into());
        env.insert(
            "CHARTER_REGISTRATION__RATE_LIMIT_WINDOW".into(),
            "10m".into(),
        );
    })
    .await
    else {
        return;
    };
    assert_eq!(post(&app, &metadata(), None).await.status(), 201);
    // A refused request counts too.
    assert_eq!(post(&app, &json!({}), None).await.status(), 400);
    let res = post(&app, &metadata(), None).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "600");
    app.clock.advance(Duration::from_secs(300));
    let res = post(&app, &metadata(), None).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "300");
    app.clock.advance(Duration::from_secs(300));
    assert_eq!(post(&app, &metadata(), None).await.status(), 201);
}

async fn mint(app: &TestApp, expires_in: Option<Duration>, uses: Option<u32>) -> String {
    charter_registry::mint_initial_access_token(
        app.key_manager.store.as_ref(),
        &SystemTokenGenerator::new(),
        app.clock.as_ref(),
        expires_in,
        uses,
    )
    .await
    .unwrap()
    .0
}

async fn initial_access_tokens_gate_registration(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert(
            "CHARTER_REGISTRATION__MODE".into(),
            "initial_access_token".into(),
        );
    })
    .await
    else {
        return;
    };
    assert!(discovery(&app).await["registration_endpoint"].is_string());
    for token in [None, Some("not-a-minted-token")] {
        let res = post(&app, &metadata(), token).await;
        let challenge = res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"));
        assert_eq!(error_of(res).await, (401, "invalid_token".to_owned()));
    }

    let once = mint(&app, Some(Duration::from_secs(3600)), Some(1)).await;
    // Invalid metadata does not spend the token's one use.
    let res = post(
        &app,
        &json!({"redirect_uris": ["http://x.example/cb"]}),
        Some(&once),
    )
    .await;
    assert_eq!(
        error_of(res).await,
        (400, "invalid_redirect_uri".to_owned())
    );
    assert_eq!(post(&app, &metadata(), Some(&once)).await.status(), 201);
    let res = post(&app, &metadata(), Some(&once)).await;
    assert_eq!(
        error_of(res).await,
        (401, "invalid_token".to_owned()),
        "used up"
    );

    let unlimited = mint(&app, Some(Duration::from_secs(60)), None).await;
    for _ in 0..3 {
        assert_eq!(
            post(&app, &metadata(), Some(&unlimited)).await.status(),
            201
        );
    }
    app.clock.advance(Duration::from_secs(60));
    let res = post(&app, &metadata(), Some(&unlimited)).await;
    assert_eq!(
        error_of(res).await,
        (401, "invalid_token".to_owned()),
        "expired"
    );
}

pub(crate) async fn register(app: &TestApp) -> Value {
    register_body(app, &metadata()).await
}

pub(crate) async fn register_body(app: &TestApp, body: &Value) -> Value {
    let res = post(app, body, None).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

backend_tests!(
    registration_is_off_by_default,
    open_registration_answers_with_the_client_and_its_credentials,
    registration_errors_follow_rfc7591,
    open_registration_is_rate_limited_per_address,
    initial_access_tokens_gate_registration,
);
