//! The admin API (`/admin/v1`): authentication by the admin token or a `charter:admin` access token, paging,
//! and an OpenAPI document that names exactly the routes served. Each resource's routes are in
//! `admin_resources`.

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app, spawn_app_with};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub(crate) const ADMIN_TOKEN: &str = "admin-token-admin-token-admin-token-0123456789";
pub(crate) const PW: &str = "correct horse battery staple";
pub(crate) const REDIRECT: &str = "https://app.example/cb";

pub(crate) async fn admin_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |env| {
        env.insert("CHARTER_ADMIN_TOKEN".into(), ADMIN_TOKEN.into());
    })
    .await
}

pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(ADMIN_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

pub(crate) async fn ok(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "{:?}", res.url().path());
    assert_eq!(res.headers()["cache-control"], "no-store");
    if status == 204 {
        return Value::Null;
    }
    res.json().await.unwrap()
}

pub(crate) async fn err(res: Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    (status, body["error"].as_str().unwrap().to_owned())
}

async fn client_credentials_token(app: &TestApp, scope: &str) -> String {
    client_credentials(app, scope).await.1
}

/// A new client with `scope` and an access token it got for itself (client credentials): `(client_id, token)`.
pub(crate) async fn client_credentials(app: &TestApp, scope: &str) -> (String, String) {
    let c = app
        .register_client(ClientRequest {
            client_name: Some("Automation".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some(scope.into()),
            ..ClientRequest::default()
        })
        .await;
    let res = app
        .client
        .post(app.url("/token"))
        .basic_auth(c.record.client.id.as_str(), c.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (
        c.record.client.id.to_string(),
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

async fn the_admin_api_requires_an_admin_credential(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let get = |token: Option<&'static str>| {
        let app = &app;
        async move {
            let mut req = app.client.get(app.url("/admin/v1/clients"));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap()
        }
    };
    for token in [None, Some("wrong"), Some("a.b.c")] {
        let res = get(token).await;
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_eq!(
            err(res).await,
            (401, "unauthorized".to_owned()),
            "{token:?}"
        );
    }
    assert_eq!(get(Some(ADMIN_TOKEN)).await.status(), 200);

    // A client token: with charter:admin it is an admin credential; without, it is refused.
    let admin = client_credentials_token(&app, "charter:admin").await;
    let res = app
        .client
        .get(app.url("/admin/v1/users"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let other = client_credentials_token(&app, "reports:read").await;
    let res = app
        .client
        .get(app.url("/admin/v1/users"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(err(res).await, (403, "forbidden".to_owned()));

    // A user's token through a client that holds charter:admin: signing in makes nobody an administrator.
    let web = app
        .register_client(ClientRequest {
            client_name: Some("Console".into()),
            redirect_uris: vec![REDIRECT.into()],
            scope: Some("openid charter:admin".into()),
            ..ClientRequest::default()
        })
        .await;
    app.create_user("mallory", PW).await;
    let tokens = app
        .code_flow_tokens(
            web.record.client.id.as_str(),
            web.secret.as_deref().unwrap(),
            REDIRECT,
            "openid charter:admin",
            "mallory",
            PW,
        )
        .await;
    assert!(tokens["scope"].as_str().unwrap().contains("charter:admin"));
    let res = app
        .client
        .get(app.url("/admin/v1/users"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(err(res).await, (403, "forbidden".to_owned()));
}

async fn without_an_admin_token_only_scoped_access_tokens_work(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app
        .client
        .get(app.url("/admin/v1/users"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(err(res).await, (401, "unauthorized".to_owned()));
    let admin = client_credentials_token(&app, "charter:admin").await;
    let res = app
        .client
        .get(app.url("/admin/v1/users"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn the_openapi_document_describes_the_served_routes(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let res = app.get("/admin/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    // Every documented operation is served: an unknown id is this API's 404, never the router's.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{client_id}", "no-such-client")
                .replace("{sub}", "00000000-0000-4000-8000-000000000000")
                .replace("{sid}", "no-such-session");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = call(&app, method.clone(), &concrete, Some(json!({}))).await;
            let status = res.status().as_u16();
            assert_ne!(status, 405, "{method} {path}");
            if status == 404 {
                assert_eq!(err(res).await.1, "not_found", "{method} {path}");
            }
        }
    }
}

async fn lists_page_by_key(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    for i in 0..5 {
        app.create_user(&format!("user{i}"), PW).await;
        ok(
            call(
                &app,
                Method::POST,
                "/admin/v1/clients",
                Some(json!({"client_name": format!("c{i}"), "redirect_uris": [REDIRECT]})),
            )
            .await,
            201,
        )
        .await;
    }
    for (list, key) in [
        ("/admin/v1/clients", "client_id"),
        ("/admin/v1/users", "sub"),
    ] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("{list}?limit=2");
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let page = ok(call(&app, Method::GET, &path, None).await, 200).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            seen.extend(items.iter().map(|i| i[key].as_str().unwrap().to_owned()));
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen, sorted, "{list}: in key order, no repeats");
        assert_eq!(seen.len(), 5, "{list}: every item once");
    }
}

backend_tests!(
    the_admin_api_requires_an_admin_credential,
    without_an_admin_token_only_scoped_access_tokens_work,
    the_openapi_document_describes_the_served_routes,
    lists_page_by_key,
);
