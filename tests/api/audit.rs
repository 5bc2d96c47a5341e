//! The audit trail, black-box: each security event is written by the action that causes it, with the client's
//! address and the request id of the response; old events are swept after the retention.

use std::time::Duration;

use charter_core::Timestamp;
use charter_core::audit::{AuditEvent, AuditKind, AuditQuery, AuditRecord};
use charter_registry::ClientRequest;
use charter_testkit::browser::{PKCE_CHALLENGE, PKCE_VERIFIER};
use charter_testkit::{Backend, T0, TestApp, backend_tests, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::admin::{admin_app, call, ok};
use crate::metrics::{sample, scrape};

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "https://app.example/cb";

/// Every event, newest first.
async fn events(app: &TestApp) -> Vec<AuditRecord> {
    app.key_manager
        .store
        .list_audit(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
}

async fn of_kind(app: &TestApp, kind: AuditKind) -> Vec<AuditEvent> {
    events(app)
        .await
        .into_iter()
        .map(|r| r.event)
        .filter(|e| e.kind == kind)
        .collect()
}

fn request_id(res: &Response) -> String {
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}

async fn sign_in_attempts_are_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let wrong = app.post_login("alice", "not the password at all").await;
    assert_eq!(wrong.status(), 200);
    let unknown = app.post_login("nobody", "not the password at all").await;
    assert_eq!(unknown.status(), 200);
    let right = app.post_login("alice", PW).await;
    assert_eq!(right.status(), 303);

    let failed = of_kind(&app, AuditKind::SignInFailed).await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    // Newest first: the unknown user, then alice's wrong password.
    assert_eq!(failed[0].user, None);
    assert_eq!(failed[0].detail["reason"], "unknown_user");
    assert_eq!(failed[0].request_id, Some(request_id(&unknown)));
    let bad = &failed[1];
    assert_eq!(bad.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(bad.detail["reason"], "bad_password");
    assert_eq!(bad.detail["username"], "alice");
    assert_eq!(bad.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(bad.request_id, Some(request_id(&wrong)));
    assert_eq!(bad.at, Timestamp::from_unix(T0));
    assert!(
        !bad.detail.to_string().contains("not the password"),
        "no password in the trail"
    );

    let ok = of_kind(&app, AuditKind::SignInSucceeded).await;
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(ok[0].actor.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(ok[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ok[0].request_id, Some(request_id(&right)));

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, r#"charter_logins_total{outcome="failed"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, r#"charter_logins_total{outcome="succeeded"}"#),
        Some(1.0)
    );
    app.stop().await;
}

async fn throttled_sign_ins_are_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let mut last = None;
    for _ in 0..10 {
        let res = app.post_login("alice", "not the password at all").await;
        if res.status() == 429 {
            last = Some(res);
            break;
        }
    }
    let throttled = last.expect("sign-in is throttled after repeated failures");
    let events = of_kind(&app, AuditKind::SignInThrottled).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].request_id, Some(request_id(&throttled)));
    assert_eq!(events[0].detail["username"], "alice");
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, r#"charter_logins_total{outcome="throttled"}"#),
        Some(1.0)
    );
    app.stop().await;
}

async fn confidential(app: &TestApp) -> (String, String) {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("App".into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("openid profile offline_access".into()),
            ..ClientRequest::default()
        })
        .await;
    (c.record.client.id.to_string(), c.secret.unwrap())
}

/// Authorize, sign in as alice and allow: the code.
async fn code(app: &TestApp, client_id: &str, scope: &str) -> String {
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = b.get(url.as_str()).send().await.unwrap();
    let res = app.walk(&b, res, "alice", PW, "allow").await;
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    reqwest::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned()
}

async fn token(app: &TestApp, id: &str, secret: &str, form: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn redeem(app: &TestApp, id: &str, secret: &str, code: &str) -> Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", PKCE_VERIFIER),
    ];
    token(app, id, secret, &form).await
}

async fn consent_and_code_replay_are_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let (id, secret) = confidential(&app).await;
    let code = code(&app, &id, "openid profile").await;

    let granted = of_kind(&app, AuditKind::ConsentGranted).await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(granted[0].client_id.as_deref(), Some(id.as_str()));
    assert_eq!(granted[0].detail["scope"], "openid profile");
    assert!(granted[0].request_id.is_some());

    assert_eq!(redeem(&app, &id, &secret, &code).await.status(), 200);
    assert!(
        of_kind(&app, AuditKind::CodeReplayDetected)
            .await
            .is_empty()
    );
    let replay = redeem(&app, &id, &secret, &code).await;
    assert_eq!(replay.status(), 400);
    let replays = of_kind(&app, AuditKind::CodeReplayDetected).await;
    assert_eq!(replays.len(), 1);
    let e = &replays[0];
    assert_eq!(e.client_id.as_deref(), Some(id.as_str()));
    assert_eq!(e.actor.as_deref(), Some(id.as_str()));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.request_id, Some(request_id(&replay)));
    assert!(e.detail["grant"].is_string());

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "charter_authorization_code_replay_detected_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"charter_tokens_issued_total{grant_type="authorization_code"}"#
        ),
        Some(1.0)
    );
    app.stop().await;
}

async fn refresh_reuse_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let (id, secret) = confidential(&app).await;
    let code = code(&app, &id, "openid offline_access").await;
    let first: Value = redeem(&app, &id, &secret, &code)
        .await
        .json()
        .await
        .unwrap();
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    assert_eq!(token(&app, &id, &secret, &form).await.status(), 200);
    assert!(
        of_kind(&app, AuditKind::RefreshReuseDetected)
            .await
            .is_empty()
    );

    let reuse = token(&app, &id, &secret, &form).await;
    assert_eq!(reuse.status(), 400);
    let events = of_kind(&app, AuditKind::RefreshReuseDetected).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.client_id.as_deref(), Some(id.as_str()));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.request_id, Some(request_id(&reuse)));
    assert_eq!(e.detail["family_revoked"], true);

    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "charter_refresh_token_reuse_detected_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"charter_tokens_issued_total{grant_type="refresh_token"}"#
        ),
        Some(1.0)
    );
    app.stop().await;
}

async fn client_changes_through_the_admin_api_are_audited(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let created = ok(
        call(
            &app,
            Method::POST,
            "/admin/v1/clients",
            Some(json!({"client_name": "Batch", "grant_types": ["client_credentials"], "scope": "api:read"})),
        )
        .await,
        201,
    )
    .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/v1/clients/{id}");
    ok(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(json!({"client_name": "Renamed"})),
        )
        .await,
        200,
    )
    .await;
    ok(
        call(&app, Method::POST, &format!("{path}/secret"), None).await,
        200,
    )
    .await;
    ok(call(&app, Method::DELETE, &path, None).await, 204).await;
    // Refused changes write nothing.
    let res = call(&app, Method::DELETE, &path, None).await;
    assert_eq!(res.status(), 404);

    let trail: Vec<AuditEvent> = events(&app)
        .await
        .into_iter()
        .map(|r| r.event)
        .filter(|e| e.client_id.as_deref() == Some(id.as_str()))
        .collect();
    let kinds: Vec<AuditKind> = trail.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::ClientDeleted,
            AuditKind::ClientSecretRotated,
            AuditKind::ClientUpdated,
            AuditKind::ClientCreated
        ]
    );
    for e in &trail {
        assert_eq!(e.actor.as_deref(), Some("admin"));
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
        assert!(e.request_id.is_some());
        assert!(
            !e.detail.to_string().contains("secret\":\""),
            "no secret: {}",
            e.detail
        );
    }
    app.stop().await;
}

async fn old_events_are_swept_after_the_retention(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let store = app.key_manager.store.clone();
    let now = Timestamp::from_unix(T0);
    let day = Duration::from_secs(24 * 3600);
    for age in [100u32, 91, 1] {
        let e = AuditEvent::new(AuditKind::KeyRotated, now.minus(day * age)).actor("system");
        store.record_audit(&e).await.unwrap();
    }
    let deleted = charter_server::sweeper::sweep_audit(store.as_ref(), now, day * 90, 1)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let left = events(&app).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event.at, now.minus(day));
    app.stop().await;
}

/// Two nodes run the key task on one database when rotations fall due: the node that rotated writes one
/// `key_rotated` per algorithm (actor `system`, naming the key that signs now and the one retired) and counts
/// it; the other writes and counts nothing.
async fn a_scheduled_rotation_is_audited_once_across_nodes(backend: Backend) {
    let Some(a) = spawn_app(backend).await else {
        return;
    };
    let b = a.spawn_peer().await;
    let before = a.key_manager.list().await.unwrap();
    let active = |alg: &str| {
        before
            .iter()
            .find(|k| k.alg == alg && k.state == "active")
            .unwrap()
            .kid
            .clone()
    };
    assert!(of_kind(&a, AuditKind::KeyRotated).await.is_empty());

    let due = Duration::from_secs(30 * 86_400);
    a.clock.advance(due);
    b.clock.advance(due);
    tokio::join!(a.tick_keys(), b.tick_keys());
    tokio::join!(a.tick_keys(), b.tick_keys());

    let rotated = of_kind(&a, AuditKind::KeyRotated).await;
    assert_eq!(rotated.len(), 3, "one per algorithm, once: {rotated:?}");
    let after = a.key_manager.list().await.unwrap();
    for alg in ["RS256", "ES256", "EdDSA"] {
        let e = rotated
            .iter()
            .find(|e| e.detail["alg"] == alg)
            .unwrap_or_else(|| panic!("{alg}: {rotated:?}"));
        assert_eq!(e.actor.as_deref(), Some("system"));
        assert_eq!(e.detail["trigger"], "scheduled");
        assert_eq!(e.at, Timestamp::from_unix(T0).plus(due));
        let now_signing = after
            .iter()
            .find(|k| k.alg == alg && k.state == "active")
            .unwrap();
        assert_eq!(e.detail["kid"], now_signing.kid.as_str());
        assert_eq!(e.detail["retired"], json!([active(alg)]));
        assert!(e.detail["remove_after"].is_i64());
        assert_eq!((&e.user, &e.client_id, &e.ip), (&None, &None, &None));
    }

    let series = r#"charter_key_rotations_total{trigger="scheduled"}"#;
    let counts = (
        sample(&scrape(&a).await, series).unwrap(),
        sample(&scrape(&b).await, series).unwrap(),
    );
    assert!(
        counts == (3.0, 0.0) || counts == (0.0, 3.0),
        "counted on the node that rotated: {counts:?}"
    );
    b.stop().await;
    a.stop().await;
}

/// Allowing a device on `/device/consent` is a consent like the code flow's, recorded as such (`via`
/// `device`); denying is not audited, as on the code flow's consent page.
async fn device_approval_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let tv = crate::device::tv(&app).await;

    let denied = crate::device::codes(&app, &tv, "openid").await;
    let b = crate::device::browser();
    let page = crate::device::approve(
        &app,
        &b,
        denied["user_code"].as_str().unwrap(),
        "alice",
        "deny",
    )
    .await;
    assert_eq!(page.status(), 200);
    assert!(of_kind(&app, AuditKind::ConsentGranted).await.is_empty());

    let allowed = crate::device::codes(&app, &tv, "openid profile").await;
    let done = crate::device::approve(
        &app,
        &b,
        allowed["user_code"].as_str().unwrap(),
        "alice",
        "allow",
    )
    .await;
    assert_eq!(done.status(), 200);
    let granted = of_kind(&app, AuditKind::ConsentGranted).await;
    assert_eq!(granted.len(), 1, "{granted:?}");
    let e = &granted[0];
    assert_eq!(e.detail["via"], "device");
    assert_eq!(e.detail["scope"], "openid profile");
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.actor.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.client_id.as_deref(), Some(tv.as_str()));
    assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(e.request_id, Some(request_id(&done)));
    app.stop().await;
}

backend_tests!(
    sign_in_attempts_are_audited,
    throttled_sign_ins_are_audited,
    consent_and_code_replay_are_audited,
    refresh_reuse_is_audited,
    client_changes_through_the_admin_api_are_audited,
    old_events_are_swept_after_the_retention,
    a_scheduled_rotation_is_audited_once_across_nodes,
    device_approval_is_audited,
);
