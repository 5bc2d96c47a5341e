//! The admin API's account changes and audit trail: PATCH a user's profile (a JSON merge patch), set a
//! password (sessions and grants end), list audit events (filters, paging), and the `admin_action` events that
//! name who acted — `admin` for the admin token, `client:<client_id>` for a `charter:admin` access token.

use charter_core::audit::{AuditEvent, AuditKind, AuditQuery};
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{ADMIN_TOKEN, PW, REDIRECT, admin_app, call, client_credentials, err, ok};

const NEW_PW: &str = "a different but equally long passphrase";
const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// Every event of `kind`, newest first, read from the store (not through the API under test).
async fn of_kind(app: &TestApp, kind: AuditKind) -> Vec<AuditEvent> {
    app.key_manager
        .store
        .list_audit(&AuditQuery {
            kind: Some(kind),
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect()
}

async fn patch(app: &TestApp, sub: &str, body: Value) -> reqwest::Response {
    call(
        app,
        Method::PATCH,
        &format!("/admin/v1/users/{sub}"),
        Some(body),
    )
    .await
}

async fn profiles_are_changed_by_a_merge_patch(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let alice = app.create_user("alice", PW).await;
    let sub = alice.sub.as_str();
    app.clock.advance(std::time::Duration::from_secs(60));

    let changed = ok(
        patch(
            &app,
            sub,
            json!({"given_name": "Alice", "email": "alice@new.example", "email_verified": true,
                   "name": null, "address": {"locality": "Oxford"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["sub"], sub);
    assert_eq!(changed["username"], "alice");
    let profile = &changed["profile"];
    assert_eq!(profile["given_name"], "Alice");
    assert_eq!(profile["email"], "alice@new.example");
    assert_eq!(profile["email_verified"], true);
    assert!(profile.get("name").is_none(), "null clears: {profile}");
    assert_eq!(profile["address"], json!({"locality": "Oxford"}));
    assert_eq!(
        changed["updated_at"].as_i64().unwrap(),
        alice.updated_at.unix() + 60
    );
    // Stored: a read shows the same, and an empty patch changes nothing.
    let read = ok(
        call(&app, Method::GET, &format!("/admin/v1/users/{sub}"), None).await,
        200,
    )
    .await;
    assert_eq!(read["profile"], changed["profile"]);
    let same = ok(patch(&app, sub, json!({})).await, 200).await;
    assert_eq!(same["profile"], changed["profile"]);
    // A new address without a word on its verification is unverified.
    let moved = ok(
        patch(&app, sub, json!({"email": "alice@other.example"})).await,
        200,
    )
    .await;
    assert_eq!(moved["profile"]["email_verified"], false);
    assert_eq!(moved["profile"]["given_name"], "Alice", "absent: unchanged");

    for (body, expected) in [
        (json!({"email": "not an address"}), (400, "invalid_email")),
        (json!({"emial": "a@b.example"}), (400, "invalid_request")),
        (json!({"username": "mallory"}), (400, "invalid_request")),
        (json!({"name": 5}), (400, "invalid_request")),
        (json!(["name"]), (400, "invalid_request")),
    ] {
        let (status, code) = err(patch(&app, sub, body.clone()).await).await;
        assert_eq!((status, code.as_str()), expected, "{body}");
    }
    let after = ok(
        call(&app, Method::GET, &format!("/admin/v1/users/{sub}"), None).await,
        200,
    )
    .await;
    assert_eq!(
        after["profile"], moved["profile"],
        "refused: nothing stored"
    );
    assert_eq!(
        err(patch(&app, UNKNOWN, json!({"name": "Nobody"})).await).await,
        (404, "not_found".to_owned())
    );
    let res = app
        .client
        .patch(app.url(&format!("/admin/v1/users/{sub}")))
        .json(&json!({"name": "Mallory"}))
        .send()
        .await
        .unwrap();
    assert_eq!(err(res).await, (401, "unauthorized".to_owned()));

    let updates = of_kind(&app, AuditKind::AdminAction).await;
    assert_eq!(updates.len(), 3, "one per change made: {updates:?}");
    assert_eq!(updates[2].detail["action"], "user.update");
    assert_eq!(updates[2].user.as_deref(), Some(sub));
    assert_eq!(updates[2].actor.as_deref(), Some("admin"));
    let fields = updates[2].detail["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 5);
    assert!(
        !updates[2].detail.to_string().contains("alice@new.example"),
        "names, not values"
    );
}

async fn a_password_set_by_an_operator_ends_what_the_old_one_opened(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let bob = app.create_user("bob", PW).await;
    let sub = bob.sub.as_str();
    let web = app
        .register_client(ClientRequest {
            client_name: Some("Web".into()),
            redirect_uris: vec![REDIRECT.into()],
            ..ClientRequest::default()
        })
        .await;
    let tokens = app
        .code_flow_tokens(
            web.record.client.id.as_str(),
            web.secret.as_deref().unwrap(),
            REDIRECT,
            "openid",
            "bob",
            PW,
        )
        .await;
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let userinfo = || async {
        app.client
            .get(app.url("/userinfo"))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(userinfo().await, 200);
    let sessions_path = format!("/admin/v1/users/{sub}/sessions");
    let sessions = || async {
        let list = ok(call(&app, Method::GET, &sessions_path, None).await, 200).await;
        list["items"].as_array().unwrap().len()
    };
    assert_eq!(sessions().await, 1);

    let path = format!("/admin/v1/users/{sub}/password");
    for (body, expected) in [
        (json!({"password": "short"}), (400, "weak_password")),
        (json!({}), (400, "invalid_request")),
        (
            json!({"password": NEW_PW, "end": true}),
            (400, "invalid_request"),
        ),
    ] {
        let (status, code) = err(call(&app, Method::POST, &path, Some(body.clone())).await).await;
        assert_eq!((status, code.as_str()), expected, "{body}");
    }
    let res = call(
        &app,
        Method::POST,
        &format!("/admin/v1/users/{UNKNOWN}/password"),
        Some(json!({"password": NEW_PW})),
    )
    .await;
    assert_eq!(err(res).await, (404, "not_found".to_owned()));
    assert_eq!(
        app.post_login("bob", PW).await.status(),
        303,
        "unchanged so far"
    );
    assert_eq!(sessions().await, 2);

    let done = ok(
        call(&app, Method::POST, &path, Some(json!({"password": NEW_PW}))).await,
        200,
    )
    .await;
    assert_eq!(done["sessions_ended"], 2);
    assert!(done["grants_revoked"].as_u64().unwrap() >= 1, "{done}");
    assert_eq!(sessions().await, 0);
    assert_eq!(
        userinfo().await,
        401,
        "the grant went with the old password"
    );
    assert_ne!(app.post_login("bob", PW).await.status(), 303);
    assert_eq!(app.post_login("bob", NEW_PW).await.status(), 303);

    // end_sessions: false keeps the sessions.
    let kept = ok(
        call(
            &app,
            Method::POST,
            &path,
            Some(json!({"password": PW, "end_sessions": false})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(kept["sessions_ended"], 0);
    assert_eq!(sessions().await, 1);
    assert_eq!(app.post_login("bob", PW).await.status(), 303);

    let changed = of_kind(&app, AuditKind::PasswordChanged).await;
    assert_eq!(changed.len(), 2, "refused requests write nothing");
    assert_eq!(changed[1].actor.as_deref(), Some("admin"));
    assert_eq!(changed[1].user.as_deref(), Some(sub));
    assert_eq!(changed[1].detail["sessions"], 2);
    assert_eq!(changed[0].detail["end_sessions"], false);
    assert!(!changed[1].detail.to_string().contains(NEW_PW));
}

/// `GET /admin/v1/audit` with `query`: the page's kinds and its `next_after`.
async fn audit_page(app: &TestApp, query: &str) -> (Vec<String>, Option<String>) {
    let page = ok(
        call(app, Method::GET, &format!("/admin/v1/audit{query}"), None).await,
        200,
    )
    .await;
    let kinds = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    (kinds, page["next_after"].as_str().map(str::to_owned))
}

async fn the_audit_trail_is_listed_filtered_and_paged(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let carol = app.create_user("carol", PW).await;
    assert_eq!(
        app.post_login("carol", "wrong password, twice over")
            .await
            .status(),
        200
    );
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    app.sign_in("carol", PW).await;
    let created = ok(
        call(
            &app,
            Method::POST,
            "/admin/v1/clients",
            Some(json!({"client_name": "Batch", "grant_types": ["client_credentials"]})),
        )
        .await,
        201,
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap();

    let (all, next) = audit_page(&app, "").await;
    assert_eq!(
        all,
        ["client_created", "sign_in_succeeded", "sign_in_failed"]
    );
    assert_eq!(next, None);
    let first = ok(call(&app, Method::GET, "/admin/v1/audit", None).await, 200).await;
    let newest = &first["items"][0];
    assert_eq!(newest["actor"], "admin");
    assert_eq!(newest["client_id"], client_id);
    assert!(newest["time"].as_str().unwrap().ends_with('Z'));
    assert!(newest["id"].is_i64());

    // Paging: newest first, each event once.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let (kinds, next) = audit_page(&app, &query).await;
        assert!(kinds.len() <= 2);
        seen.extend(kinds);
        match next {
            Some(after) => query = format!("?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen, all);

    // Filters: the CLI's forms.
    let sub = carol.sub.as_str();
    assert_eq!(
        audit_page(&app, &format!("?user={sub}")).await.0,
        ["sign_in_succeeded", "sign_in_failed"]
    );
    assert_eq!(
        audit_page(&app, &format!("?client={client_id}")).await.0,
        ["client_created"]
    );
    assert_eq!(
        audit_page(&app, "?kind=sign_in_failed").await.0,
        ["sign_in_failed"]
    );
    assert_eq!(
        audit_page(&app, "?since=1h").await.0,
        ["client_created", "sign_in_succeeded"]
    );
    assert_eq!(audit_page(&app, "?until=1h").await.0, ["sign_in_failed"]);
    assert_eq!(
        audit_page(&app, "?since=2000-01-01T00:00:00Z&kind=client_created")
            .await
            .0,
        ["client_created"]
    );

    for bad in [
        "?since=yesterday-ish",
        "?until=soon",
        "?kind=nope",
        "?after=abc",
        "?limit=many",
    ] {
        let res = call(&app, Method::GET, &format!("/admin/v1/audit{bad}"), None).await;
        assert_eq!(err(res).await, (400, "invalid_request".to_owned()), "{bad}");
    }
    let res = app.get("/admin/v1/audit").await;
    assert_eq!(err(res).await, (401, "unauthorized".to_owned()));
}

async fn admin_actions_name_who_acted(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let (automation_id, token) = client_credentials(&app, "charter:admin").await;

    // Each change without an event kind of its own, by each credential.
    let mut subs = Vec::new();
    for (i, bearer) in [ADMIN_TOKEN.to_owned(), token.clone()].iter().enumerate() {
        let send = |method: Method, path: String, body: Option<Value>| {
            let mut req = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(bearer);
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move { req.send().await.unwrap() }
        };
        let user = ok(
            send(
                Method::POST,
                "/admin/v1/users".into(),
                Some(json!({"username": format!("user{i}"), "password": PW})),
            )
            .await,
            201,
        )
        .await;
        let sub = user["sub"].as_str().unwrap().to_owned();
        ok(
            send(
                Method::PATCH,
                format!("/admin/v1/users/{sub}"),
                Some(json!({"name": "Renamed"})),
            )
            .await,
            200,
        )
        .await;
        ok(
            send(Method::POST, format!("/admin/v1/users/{sub}/enable"), None).await,
            200,
        )
        .await;
        app.sign_in(&format!("user{i}"), PW).await;
        let sessions = ok(
            send(Method::GET, format!("/admin/v1/users/{sub}/sessions"), None).await,
            200,
        )
        .await;
        let sid = sessions["items"][0]["sid"].as_str().unwrap().to_owned();
        ok(
            send(
                Method::DELETE,
                format!("/admin/v1/users/{sub}/sessions/{sid}"),
                None,
            )
            .await,
            204,
        )
        .await;
        // Refused: no event.
        let res = send(
            Method::DELETE,
            format!("/admin/v1/users/{sub}/sessions/{sid}"),
            None,
        )
        .await;
        assert_eq!(res.status(), 404);
        ok(
            send(Method::POST, format!("/admin/v1/users/{sub}/disable"), None).await,
            200,
        )
        .await;
        subs.push(sub);
    }

    let actions = of_kind(&app, AuditKind::AdminAction).await;
    let expected_actor = ["admin".to_owned(), format!("client:{automation_id}")];
    for (sub, actor) in subs.iter().zip(&expected_actor) {
        let mine: Vec<&AuditEvent> = actions
            .iter()
            .filter(|e| e.user.as_deref() == Some(sub.as_str()))
            .collect();
        let names: Vec<&str> = mine
            .iter()
            .map(|e| e.detail["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["session.end", "user.enable", "user.update", "user.create"],
            "{actor}"
        );
        for e in &mine {
            assert_eq!(e.actor.as_deref(), Some(actor.as_str()));
            assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
            assert!(e.request_id.is_some());
        }
        // A change with a kind of its own is that kind, by the same actor, and no admin_action too.
        let disabled: Vec<AuditEvent> = of_kind(&app, AuditKind::UserDisabled)
            .await
            .into_iter()
            .filter(|e| e.user.as_deref() == Some(sub.as_str()))
            .collect();
        assert_eq!(disabled.len(), 1);
        assert_eq!(disabled[0].actor.as_deref(), Some(actor.as_str()));
    }
    assert_eq!(actions.len(), 8);
}

backend_tests!(
    profiles_are_changed_by_a_merge_patch,
    a_password_set_by_an_operator_ends_what_the_old_one_opened,
    the_audit_trail_is_listed_filtered_and_paged,
    admin_actions_name_who_acted,
);
