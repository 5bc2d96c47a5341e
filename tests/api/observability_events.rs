//! Issue #13, black-box: each audit event is written by the action that causes it — and not before — with who
//! did it, about whom, from where and in which request; and the counters an operator alerts on move with what
//! the server does. The account page's revocations, sign-out everywhere and password change, disabling a user
//! through the admin API, sign-ins by outcome, replayed codes and refresh tokens, and the app's own sweeper
//! here; back-channel logout (the failed-delivery event and the outbox gauges) in [`backchannel`].

use std::time::Duration;

use charter_core::Timestamp;
use charter_core::audit::{AuditEvent, AuditKind, AuditQuery};
use charter_testkit::{
    Backend, T0, TestApp, backend_tests, hidden_input, spawn_app, spawn_app_with,
};
use reqwest::{Client, Method, Response};
use serde_json::Value;

use crate::admin::{admin_app, call, ok};
use crate::logout::{PW, REDIRECT, Rp, browser, location, query_param, rp, tokens_in};
use crate::metrics::{sample, scrape};

mod backchannel;

/// The events of `kind`, newest first.
async fn of_kind(app: &TestApp, kind: AuditKind) -> Vec<AuditEvent> {
    let query = AuditQuery {
        kind: Some(kind),
        limit: 1000,
        ..AuditQuery::default()
    };
    let records = app.key_manager.store.list_audit(&query).await.unwrap();
    records.into_iter().map(|r| r.event).collect()
}

fn request_id(res: &Response) -> String {
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}

/// The value of `series` in a fresh scrape (0 when absent is not assumed: a missing series fails).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = scrape(app).await;
    sample(&text, series).unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

/// A fresh browser signed in as `user`.
async fn signed_in_browser(app: &TestApp, user: &str, password: &str) -> Client {
    let b = browser();
    let page = b.get(app.url("/login")).send().await.unwrap();
    let csrf = hidden_input(&page.text().await.unwrap(), "csrf").unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[("username", user), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{user} signs in");
    b
}

/// The CSRF token of `b`'s account page.
async fn account_csrf(app: &TestApp, b: &Client) -> String {
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200, "signed in");
    hidden_input(&res.text().await.unwrap(), "csrf").unwrap()
}

async fn introspect(app: &TestApp, rp: &Rp, token: &str) -> Value {
    let res = app
        .client
        .post(app.url("/introspect"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// What every event caused by a request in this suite carries: the loopback address, that request's id, and
/// the pinned clock's time.
fn assert_from(e: &AuditEvent, res: &Response) {
    assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{e:?}");
    assert_eq!(e.request_id, Some(request_id(res)), "{e:?}");
    assert_eq!(e.at, Timestamp::from_unix(T0), "{e:?}");
}

async fn revoking_an_app_on_the_account_page_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let rp = rp(&app, None).await;
    let b = browser();
    let tokens = tokens_in(&app, &b, &rp, "openid offline_access").await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &rp, at).await["active"], true);
    assert_eq!(introspect(&app, &rp, rt).await["active"], true);
    let path = format!("/account/apps/{}/revoke", rp.id);

    // A post without the form's CSRF token is refused, and writes nothing.
    let forged = b
        .post(app.url(&path))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(of_kind(&app, AuditKind::ConsentRevoked).await.is_empty());
    assert_eq!(introspect(&app, &rp, at).await["active"], true);

    let csrf = account_csrf(&app, &b).await;
    let res = b
        .post(app.url(&path))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let events = of_kind(&app, AuditKind::ConsentRevoked).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.actor.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.client_id.as_deref(), Some(rp.id.as_str()));
    assert!(e.detail["grants_revoked"].as_u64().unwrap() >= 1, "{e:?}");
    assert_from(e, &res);
    // And the revocation is real: the application's tokens are dead at once.
    assert_eq!(introspect(&app, &rp, at).await["active"], false);
    assert_eq!(introspect(&app, &rp, rt).await["active"], false);
    app.stop().await;
}

async fn signing_out_everywhere_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let here = signed_in_browser(&app, "alice", PW).await;
    let there = signed_in_browser(&app, "alice", PW).await;
    let sids = || async {
        let sessions = app
            .key_manager
            .store
            .list_sessions(&alice.sub)
            .await
            .unwrap();
        sessions.into_iter().map(|s| s.sid).collect::<Vec<_>>()
    };
    let before = sids().await;
    let lost = signed_in_browser(&app, "alice", PW).await;
    let lost_sid = sids()
        .await
        .into_iter()
        .find(|sid| !before.contains(sid))
        .unwrap();
    let csrf = account_csrf(&app, &here).await;
    assert!(of_kind(&app, AuditKind::SessionsEnded).await.is_empty());

    // Ending one other session (the lost device's) is audited on its own, naming it.
    let res = here
        .post(app.url(&format!("/account/sessions/{lost_sid}/end")))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let events = of_kind(&app, AuditKind::SessionsEnded).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].detail["sessions"], 1);
    assert_eq!(events[0].detail["sid"], lost_sid.as_str());
    assert_eq!(events[0].actor.as_deref(), Some(alice.sub.as_str()));
    assert_from(&events[0], &res);
    let res = lost.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the lost device is signed out");

    let res = here
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = of_kind(&app, AuditKind::SessionsEnded).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let e = &events[0];
    assert_eq!(e.actor.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.client_id, None);
    assert_eq!(e.detail["sessions"], 2, "both browsers: {e:?}");
    assert_eq!(e.detail["via"], "account_page");
    assert_from(e, &res);
    for b in [&here, &there] {
        let res = b.get(app.url("/account")).send().await.unwrap();
        assert_eq!(res.status(), 303, "signed out");
    }
    app.stop().await;
}

async fn changing_the_password_on_the_account_page_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let b = signed_in_browser(&app, "alice", PW).await;
    let csrf = account_csrf(&app, &b).await;
    let change = |current: &'static str| {
        let req = b.post(app.url("/account/password")).form(&[
            ("csrf", csrf.as_str()),
            ("current_password", current),
            ("new_password", "a whole new passphrase"),
        ]);
        async move { req.send().await.unwrap() }
    };

    // A wrong current password changes nothing and writes nothing.
    assert_eq!(change("not the password at all").await.status(), 400);
    assert!(of_kind(&app, AuditKind::PasswordChanged).await.is_empty());

    let res = change(PW).await;
    assert_eq!(res.status(), 303);
    let events = of_kind(&app, AuditKind::PasswordChanged).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.actor.as_deref(), Some(alice.sub.as_str()));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_from(e, &res);
    assert!(
        !e.detail.to_string().contains("passphrase") && !e.detail.to_string().contains(PW),
        "no password in the trail: {e:?}"
    );
    // The change took: the new password signs in.
    signed_in_browser(&app, "alice", "a whole new passphrase").await;
    app.stop().await;
}

async fn disabling_a_user_through_the_admin_api_is_audited(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    signed_in_browser(&app, "alice", PW).await;
    // Disabling someone who does not exist is refused and writes nothing.
    let missing = call(
        &app,
        Method::POST,
        "/admin/v1/users/no-such-user/disable",
        None,
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert!(of_kind(&app, AuditKind::UserDisabled).await.is_empty());

    let path = format!("/admin/v1/users/{}/disable", alice.sub.as_str());
    let res = call(&app, Method::POST, &path, None).await;
    let events = of_kind(&app, AuditKind::UserDisabled).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.actor.as_deref(), Some("admin"));
    assert_eq!(e.user.as_deref(), Some(alice.sub.as_str()));
    assert_from(e, &res);
    assert_eq!(ok(res, 200).await["disabled"], true);
    // And it is real: alice can no longer sign in.
    assert_eq!(app.post_login("alice", PW).await.status(), 200);
    app.stop().await;
}

const SUCCEEDED: &str = r#"charter_logins_total{outcome="succeeded"}"#;
const FAILED: &str = r#"charter_logins_total{outcome="failed"}"#;
const THROTTLED: &str = r#"charter_logins_total{outcome="throttled"}"#;

/// `[succeeded, failed, throttled]` sign-ins so far.
async fn logins(app: &TestApp) -> [f64; 3] {
    let text = scrape(app).await;
    [SUCCEEDED, FAILED, THROTTLED].map(|s| sample(&text, s).unwrap())
}

async fn sign_in_counters_move_with_each_outcome(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    app.create_user("bob", PW).await;
    assert_eq!(logins(&app).await, [0.0, 0.0, 0.0], "every outcome from 0");

    assert_eq!(
        app.post_login("alice", "not the password").await.status(),
        200
    );
    assert_eq!(logins(&app).await, [0.0, 1.0, 0.0]);
    assert_eq!(app.post_login("alice", PW).await.status(), 303);
    assert_eq!(logins(&app).await, [1.0, 1.0, 0.0]);

    let mut failed = 1.0;
    let throttled = loop {
        let res = app.post_login("bob", "not the password").await;
        if res.status() == 429 {
            break res;
        }
        assert_eq!(res.status(), 200);
        failed += 1.0;
        assert!(
            failed < 20.0,
            "sign-in is throttled after repeated failures"
        );
    };
    assert_eq!(logins(&app).await, [1.0, failed, 1.0]);
    let events = of_kind(&app, AuditKind::SignInThrottled).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].request_id, Some(request_id(&throttled)));
    app.stop().await;
}

/// The authorization code for `rp` in browser `b` (alice, consent allowed).
async fn code(app: &TestApp, b: &Client, rp: &Rp) -> String {
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", charter_testkit::browser::PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = b.get(url.as_str()).send().await.unwrap();
    let res = app.walk(b, res, "alice", PW, "allow").await;
    query_param(&location(&res), "code").expect("a code")
}

async fn token(app: &TestApp, rp: &Rp, form: &[(&str, &str)]) -> u16 {
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

const CODE_REPLAY: &str = "charter_authorization_code_replay_detected_total";
const REFRESH_REUSE: &str = "charter_refresh_token_reuse_detected_total";

async fn replay_counters_move_only_on_a_replay(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let rp = rp(&app, None).await;
    let b = browser();

    // A refresh token rotated, then the old one presented again.
    let tokens = tokens_in(&app, &b, &rp, "openid offline_access").await;
    let old = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    assert_eq!(token(&app, &rp, &old).await, 200);
    assert_eq!(
        metric(&app, REFRESH_REUSE).await,
        0.0,
        "a rotation is no reuse"
    );
    assert_eq!(token(&app, &rp, &old).await, 400);
    assert_eq!(metric(&app, REFRESH_REUSE).await, 1.0);
    assert_eq!(metric(&app, CODE_REPLAY).await, 0.0);

    // A code redeemed, then redeemed again.
    let code = code(&app, &b, &rp).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", charter_testkit::browser::PKCE_VERIFIER),
    ];
    assert_eq!(token(&app, &rp, &form).await, 200);
    assert_eq!(
        metric(&app, CODE_REPLAY).await,
        0.0,
        "one redemption is no replay"
    );
    assert_eq!(token(&app, &rp, &form).await, 400);
    assert_eq!(metric(&app, CODE_REPLAY).await, 1.0);
    assert_eq!(metric(&app, REFRESH_REUSE).await, 1.0, "unchanged");
    app.stop().await;
}

const SWEPT: &str = "charter_sweeper_deleted_rows_total";

/// The app's own sweeper (enabled here, every second) counts what it deletes. Its rounds run on real time; the
/// pinned clock decides what has expired.
async fn the_sweeper_counts_the_rows_it_deletes(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert("CHARTER_SWEEPER__ENABLED".into(), "true".into());
        env.insert("CHARTER_SWEEPER__INTERVAL".into(), "1s".into());
    })
    .await
    else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    signed_in_browser(&app, "alice", PW).await;
    // Rounds with nothing expired count nothing, and delete nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(metric(&app, SWEPT).await, 0.0);
    let sessions = || app.key_manager.store.list_sessions(&alice.sub);
    assert_eq!(sessions().await.unwrap().len(), 1);

    // Past the idle timeout (30 minutes), the session is expired: the next round ends and deletes it.
    app.clock.advance(Duration::from_secs(31 * 60));
    let mut swept = 0.0;
    for _ in 0..100 {
        swept = metric(&app, SWEPT).await;
        if swept > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(swept >= 1.0, "the sweeper ran and counted: {swept}");
    assert!(
        sessions().await.unwrap().is_empty(),
        "the session was deleted"
    );
    app.stop().await;
}

backend_tests!(
    revoking_an_app_on_the_account_page_is_audited,
    signing_out_everywhere_is_audited,
    changing_the_password_on_the_account_page_is_audited,
    disabling_a_user_through_the_admin_api_is_audited,
    sign_in_counters_move_with_each_outcome,
    replay_counters_move_only_on_a_replay,
    the_sweeper_counts_the_rows_it_deletes,
);
