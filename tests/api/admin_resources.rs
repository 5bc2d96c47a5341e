//! The admin API's resources, route by route: clients (create, read, PATCH, PUT, rotate, delete) and users
//! (create, read, sessions, consents, disable, enable), with their error codes.

use charter_registry::ClientRequest;
use charter_testkit::{Backend, backend_tests};
use reqwest::Method;
use serde_json::json;

use crate::admin::{PW, REDIRECT, admin_app, call, err, ok};

async fn clients_are_managed_through_the_api(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let created = ok(
        call(
            &app,
            Method::POST,
            "/admin/v1/clients",
            Some(
                json!({"client_name": "Batch", "grant_types": ["client_credentials"],
                        "scope": "reports:read", "audiences": ["https://api.example"]}),
            ),
        )
        .await,
        201,
    )
    .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["audiences"], json!(["https://api.example"]));
    assert_eq!(created["registration"], "operator");

    let cc = |secret: String| {
        let (app, id) = (&app, id.clone());
        async move {
            app.client
                .post(app.url("/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(cc(secret.clone()).await, 200);

    // Errors: RFC 7591 codes for metadata, invalid_request for a body that is not an object.
    let res = call(
        &app,
        Method::POST,
        "/admin/v1/clients",
        Some(json!({"redirect_uris": ["http://app.example/cb"]})),
    )
    .await;
    assert_eq!(err(res).await, (400, "invalid_redirect_uri".to_owned()));
    let res = call(&app, Method::POST, "/admin/v1/clients", Some(json!([1]))).await;
    assert_eq!(err(res).await, (400, "invalid_request".to_owned()));

    let path = format!("/admin/v1/clients/{id}");
    let read = ok(call(&app, Method::GET, &path, None).await, 200).await;
    assert_eq!(read["client_name"], "Batch");
    assert!(read.get("client_secret").is_none());

    // PATCH changes what it names; PUT replaces everything.
    let patched = ok(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(json!({"client_name": "Batch v2"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["client_name"], "Batch v2");
    assert_eq!(patched["audiences"], json!(["https://api.example"]));
    let res = call(
        &app,
        Method::PATCH,
        &path,
        Some(json!({"grant_types": ["password"]})),
    )
    .await;
    assert_eq!(err(res).await, (400, "invalid_client_metadata".to_owned()));
    let replaced = ok(
        call(
            &app,
            Method::PUT,
            &path,
            Some(json!({"client_name": "Web", "redirect_uris": [REDIRECT],
                        "grant_types": ["authorization_code", "client_credentials"],
                        "require_pkce": false, "skip_consent": true})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(replaced["redirect_uris"], json!([REDIRECT]));
    assert_eq!(replaced["audiences"], json!([]));
    assert_eq!(replaced["require_pkce"], false);
    assert!(replaced.get("client_secret").is_none(), "the secret stays");
    assert_eq!(cc(secret.clone()).await, 200);

    // Rotation: the new secret works, the old one stops.
    let rotated = ok(
        call(&app, Method::POST, &format!("{path}/secret"), None).await,
        200,
    )
    .await;
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(cc(new_secret).await, 200);
    assert_eq!(cc(secret).await, 401);

    ok(call(&app, Method::DELETE, &path, None).await, 204).await;
    assert_eq!(
        err(call(&app, Method::GET, &path, None).await).await,
        (404, "not_found".to_owned())
    );
    assert_eq!(
        err(call(&app, Method::DELETE, &path, None).await).await,
        (404, "not_found".to_owned())
    );

    // A public client has no secret to rotate.
    let public = ok(
        call(
            &app,
            Method::POST,
            "/admin/v1/clients",
            Some(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})),
        )
        .await,
        201,
    )
    .await;
    let res = call(
        &app,
        Method::POST,
        &format!(
            "/admin/v1/clients/{}/secret",
            public["client_id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(err(res).await, (409, "no_secret".to_owned()));
}

async fn users_sessions_and_consents_are_managed_through_the_api(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let user = ok(
        call(
            &app,
            Method::POST,
            "/admin/v1/users",
            Some(json!({"username": "carol", "password": PW,
                        "profile": {"name": "Carol", "email": "carol@example.com"}})),
        )
        .await,
        201,
    )
    .await;
    let sub = user["sub"].as_str().unwrap().to_owned();
    assert_eq!(user["username"], "carol");
    assert_eq!(user["profile"]["email"], "carol@example.com");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    for (body, expected) in [
        (
            json!({"username": "carol", "password": PW}),
            (409, "conflict"),
        ),
        (
            json!({"username": "dave", "password": "short"}),
            (400, "weak_password"),
        ),
        (
            json!({"username": "bad name!", "password": PW}),
            (400, "invalid_username"),
        ),
        (
            json!({"username": "erin", "password": PW, "profile": {"email": "nope"}}),
            (400, "invalid_email"),
        ),
        (json!({"password": PW}), (400, "invalid_request")),
    ] {
        let res = call(&app, Method::POST, "/admin/v1/users", Some(body.clone())).await;
        let (status, code) = err(res).await;
        assert_eq!((status, code.as_str()), expected, "{body}");
    }
    let user_path = format!("/admin/v1/users/{sub}");
    assert_eq!(
        ok(call(&app, Method::GET, &user_path, None).await, 200).await["sub"],
        sub.as_str()
    );
    let unknown = "/admin/v1/users/00000000-0000-4000-8000-000000000000";
    assert_eq!(
        err(call(&app, Method::GET, unknown, None).await).await,
        (404, "not_found".to_owned())
    );

    // A code flow gives carol a session (in that browser) and a consent.
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Web".into()),
            redirect_uris: vec![REDIRECT.into()],
            ..ClientRequest::default()
        })
        .await;
    let client_id = c.record.client.id.to_string();
    let tokens = app
        .code_flow_tokens(
            &client_id,
            c.secret.as_deref().unwrap(),
            REDIRECT,
            "openid",
            "carol",
            PW,
        )
        .await;
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let userinfo = || {
        let (app, at) = (&app, at.clone());
        async move {
            app.client
                .get(app.url("/userinfo"))
                .bearer_auth(at)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(userinfo().await, 200);

    let sessions = ok(
        call(&app, Method::GET, &format!("{user_path}/sessions"), None).await,
        200,
    )
    .await;
    let items = sessions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let sid = items[0]["sid"].as_str().unwrap().to_owned();
    assert!(items[0].get("id_hash").is_none(), "never the cookie digest");
    let res = call(
        &app,
        Method::DELETE,
        &format!("{user_path}/sessions/nope"),
        None,
    )
    .await;
    assert_eq!(err(res).await, (404, "not_found".to_owned()));
    ok(
        call(
            &app,
            Method::DELETE,
            &format!("{user_path}/sessions/{sid}"),
            None,
        )
        .await,
        204,
    )
    .await;
    let sessions = ok(
        call(&app, Method::GET, &format!("{user_path}/sessions"), None).await,
        200,
    )
    .await;
    assert_eq!(sessions["items"], json!([]));

    let consents = ok(
        call(&app, Method::GET, &format!("{user_path}/consents"), None).await,
        200,
    )
    .await;
    assert_eq!(consents["items"][0]["client_id"], client_id.as_str());
    let consent_path = format!("{user_path}/consents/{client_id}");
    ok(call(&app, Method::DELETE, &consent_path, None).await, 204).await;
    assert_eq!(userinfo().await, 401, "the grant went with the consent");
    assert_eq!(
        err(call(&app, Method::DELETE, &consent_path, None).await).await,
        (404, "not_found".to_owned())
    );

    // Disabled: no sign-in; enabled again: sign-in works.
    app.sign_in("carol", PW).await;
    let res = ok(
        call(&app, Method::DELETE, &format!("{user_path}/sessions"), None).await,
        200,
    )
    .await;
    assert_eq!(res["ended"], 1);
    let disabled = ok(
        call(&app, Method::POST, &format!("{user_path}/disable"), None).await,
        200,
    )
    .await;
    assert_eq!(disabled["disabled"], true);
    assert_ne!(app.post_login("carol", PW).await.status(), 303);
    let enabled = ok(
        call(&app, Method::POST, &format!("{user_path}/enable"), None).await,
        200,
    )
    .await;
    assert_eq!(enabled["disabled"], false);
    app.sign_in("carol", PW).await;
}

backend_tests!(
    clients_are_managed_through_the_api,
    users_sessions_and_consents_are_managed_through_the_api,
);
