//! CORS for browser-based clients: discovery, JWKS, token, userinfo and revocation answer preflights and
//! actual requests from the origins of registered redirect URIs, and from nowhere else; `/authorize` and the
//! pages never carry CORS headers; a new client's origin is allowed within the documented 5 s.

use std::time::Duration;

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use reqwest::{Method, Response};

/// The origin of the registered redirect URI below (a non-default port, spelled as browsers send it).
const ORIGIN: &str = "https://spa.example:8443";
const REDIRECT: &str = "https://spa.example:8443/callback";
/// How stale a node's set of allowed origins may be (`AllowedOrigins::DEFAULT_TTL`, docs/clients.md).
const BOUND: Duration = Duration::from_secs(5);

/// Path, the method a browser would use, and the methods the endpoint allows.
const ENDPOINTS: &[(&str, &str, &str)] = &[
    ("/.well-known/openid-configuration", "GET", "GET"),
    ("/.well-known/oauth-authorization-server", "GET", "GET"),
    ("/jwks", "GET", "GET"),
    ("/token", "POST", "POST"),
    ("/userinfo", "GET", "GET, POST"),
    ("/revoke", "POST", "POST"),
];

async fn setup(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    app.register_client(ClientRequest {
        client_name: Some("Single-page app".into()),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: Some("none".into()),
        ..ClientRequest::default()
    })
    .await;
    Some(app)
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

async fn actual(app: &TestApp, path: &str, method: &str, origin: &str) -> Response {
    let req = match method {
        "GET" => app.client.get(app.url(path)),
        _ => app
            .client
            .post(app.url(path))
            .form(&[("grant_type", "authorization_code"), ("code", "nope")]),
    };
    req.header("Origin", origin).send().await.unwrap()
}

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

fn has_any_cors_header(res: &Response) -> bool {
    res.headers()
        .keys()
        .any(|k| k.as_str().starts_with("access-control-"))
}

fn varies_by_origin(res: &Response) -> bool {
    res.headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("origin"))
        })
}

async fn registered_origins_get_preflights_and_answers(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    for (path, method, allowed) in ENDPOINTS {
        let res = preflight(&app, path, ORIGIN, method).await;
        assert_eq!(res.status(), 204, "{path}: preflight");
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
        assert_eq!(
            header(&res, "access-control-allow-methods"),
            Some(*allowed),
            "{path}"
        );
        let headers = header(&res, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{path}"
        );
        assert_eq!(
            header(&res, "access-control-max-age"),
            Some("600"),
            "{path}"
        );
        assert!(
            header(&res, "access-control-allow-credentials").is_none(),
            "{path}"
        );
        assert!(varies_by_origin(&res), "{path}: preflight Vary");

        let res = actual(&app, path, method, ORIGIN).await;
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some(ORIGIN),
            "{path}: actual"
        );
        assert_eq!(
            header(&res, "access-control-expose-headers"),
            Some("WWW-Authenticate"),
            "{path}"
        );
        assert!(
            header(&res, "access-control-allow-credentials").is_none(),
            "{path}"
        );
        assert!(varies_by_origin(&res), "{path}: actual Vary");
    }
    // The handlers still answer as before behind it: discovery and a bearer challenge a page can read.
    let res = actual(&app, "/.well-known/openid-configuration", "GET", ORIGIN).await;
    assert_eq!(res.status(), 200);
    let res = actual(&app, "/userinfo", "GET", ORIGIN).await;
    assert_eq!(res.status(), 401);
    assert!(
        header(&res, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
}

async fn other_origins_get_nothing(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    for origin in [
        "https://evil.example",
        "https://spa.example",
        "http://spa.example:8443",
        "https://spa.example:8443.evil.example",
        "null",
    ] {
        for (path, method, _) in ENDPOINTS {
            let res = preflight(&app, path, origin, method).await;
            assert!(
                !res.status().is_success(),
                "{origin} {path}: {}",
                res.status()
            );
            assert!(!has_any_cors_header(&res), "{origin} {path}: preflight");
            let res = actual(&app, path, method, origin).await;
            assert!(!has_any_cors_header(&res), "{origin} {path}: actual");
            assert!(varies_by_origin(&res), "{origin} {path}");
        }
    }
    // Same-origin and non-browser callers send no Origin: no CORS headers, but the answer still varies by it.
    let res = app.get("/jwks").await;
    assert_eq!(res.status(), 200);
    assert!(!has_any_cors_header(&res) && varies_by_origin(&res));
}

async fn authorize_and_the_pages_never_do_cors(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    for path in [
        "/authorize",
        "/login",
        "/consent",
        "/account",
        "/authorize/resume",
    ] {
        let res = preflight(&app, path, ORIGIN, "POST").await;
        assert!(!res.status().is_success(), "{path}: {}", res.status());
        assert!(!has_any_cors_header(&res), "{path}: preflight");
        let res = app
            .client
            .get(app.url(path))
            .header("Origin", ORIGIN)
            .send()
            .await
            .unwrap();
        assert!(!has_any_cors_header(&res), "{path}: GET");
    }
}

async fn a_new_clients_origin_is_allowed_within_the_bound(backend: Backend) {
    let Some(app) = setup(backend).await else {
        return;
    };
    let new = "https://new-spa.example";
    // The node has looked at the registered origins (and found no such one)...
    let res = preflight(&app, "/token", new, "POST").await;
    assert!(!has_any_cors_header(&res));
    // ...when a client is registered elsewhere (as the CLI does, behind this node's back).
    app.register_client(ClientRequest {
        redirect_uris: vec![format!("{new}/cb")],
        token_endpoint_auth_method: Some("none".into()),
        ..ClientRequest::default()
    })
    .await;
    app.clock.advance(BOUND);
    let res = preflight(&app, "/token", new, "POST").await;
    assert_eq!(res.status(), 204);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(new));
    // A second node, which never looked before, sees it at once.
    let peer = app.spawn_peer().await;
    let res = preflight(&peer, "/userinfo", new, "GET").await;
    assert_eq!(header(&res, "access-control-allow-origin"), Some(new));
}

backend_tests!(
    registered_origins_get_preflights_and_answers,
    other_origins_get_nothing,
    authorize_and_the_pages_never_do_cors,
    a_new_clients_origin_is_allowed_within_the_bound,
);
