//! The database going away and coming back (issue 14): a TCP proxy written here sits between Charter and
//! PostgreSQL, and "cutting" it drops every live connection and refuses new ones, as a failed database host or
//! a network partition would. The shared PostgreSQL server itself is never touched.
//!
//! PostgreSQL only: SQLite runs inside the process, so there is no connection to cut (its failure modes are
//! a full disk or a locked file, which `sqlite_busy_timeout` and the storage tests cover).

use std::sync::Arc;
use std::time::Duration;

use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, spawn_app_with};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy with a switch. While cut, live connections are dropped and new ones closed at once.
struct Proxy {
    addr: std::net::SocketAddr,
    cut: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, cut_rx) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let mut cut_rx = cut_rx.clone();
                if *cut_rx.borrow() {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.wait_for(|cut| *cut) => {}
                    }
                    // Both sockets are dropped here: the connection is gone for both ends.
                });
            }
        });
        Proxy { addr, cut }
    }

    fn cut(&self) {
        self.cut.send_replace(true);
    }

    fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// Polls `/readyz` until it answers `status`, for at most `within`.
async fn wait_ready(app: &TestApp, status: u16, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let res = app.get("/readyz").await;
        if res.status() == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz did not turn {status} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    app.client
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn introspect(app: &TestApp, id: &str, secret: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn post_login(app: &TestApp, csrf: &str) -> reqwest::Response {
    app.client
        .post(app.url("/login"))
        // What a browser sends with a form post.
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .form(&[
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap()
}

fn assert_unavailable(res: &reqwest::Response, what: &str) {
    assert_eq!(res.status(), 503, "{what} while the database is away");
    assert_eq!(
        res.headers()["retry-after"],
        "5",
        "{what}: Retry-After tells clients when to come back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charter_answers_503_without_its_database_and_recovers_by_itself() {
    let Ok(base) = std::env::var("CHARTER_TEST_DATABASE_URL") else {
        eprintln!(
            "skipped: set CHARTER_TEST_DATABASE_URL to run the database fault test (PostgreSQL only)"
        );
        return;
    };
    let base = url::Url::parse(&base).unwrap();
    let upstream = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port().unwrap_or(5432)
    );
    let proxy = Arc::new(Proxy::start(upstream).await);
    let proxy_addr = proxy.addr;
    let Some(app) = spawn_app_with(Backend::Postgres, |env| {
        // The test database the kit created, reached through the proxy.
        let mut url = url::Url::parse(&env["CHARTER_DATABASE_URL"]).unwrap();
        url.set_host(Some(&proxy_addr.ip().to_string())).unwrap();
        url.set_port(Some(proxy_addr.port())).unwrap();
        env.insert("CHARTER_DATABASE_URL".into(), url.to_string());
        env.insert("CHARTER_DATABASE__CONNECT_TIMEOUT".into(), "2s".into());
    })
    .await
    else {
        return;
    };
    app.create_user("alice", "correct horse battery").await;
    let (warm_id, warm_secret) = machine_client(&app).await;
    let (cold_id, cold_secret) = machine_client(&app).await;
    // A token from before the cut, and a client whose record is already cached.
    let res = client_credentials(&app, &warm_id, &warm_secret).await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = app.login_csrf().await;
    wait_ready(&app, 200, Duration::from_secs(5)).await;

    proxy.cut();

    let res = app.get("/readyz").await;
    assert_unavailable(&res, "/readyz");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "unreachable");

    // APIs: RFC 6749 §5.2-style JSON with the code clients know means "later".
    let res = client_credentials(&app, &cold_id, &cold_secret).await;
    assert_unavailable(&res, "a token request for an uncached client");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "temporarily_unavailable"
    );
    let res = introspect(&app, &cold_id, &cold_secret, &token).await;
    assert_unavailable(&res, "introspection");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "temporarily_unavailable"
    );

    // A browser gets a page it can read, not JSON.
    let res = post_login(&app, &csrf).await;
    assert_unavailable(&res, "a sign-in");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "a page for browsers"
    );
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html") && !html.contains("temporarily_unavailable"));

    // The same request without a browser's Accept stays JSON.
    let res = client_credentials(&app, &cold_id, &cold_secret).await;
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    // No process restart, no operator: the pool reconnects on its own.
    proxy.restore();
    wait_ready(&app, 200, Duration::from_secs(15)).await;

    let res = client_credentials(&app, &cold_id, &cold_secret).await;
    assert_eq!(res.status(), 200, "tokens again after the database is back");
    let res = introspect(&app, &cold_id, &cold_secret, &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
    let csrf = app.login_csrf().await;
    let res = post_login(&app, &csrf).await;
    assert_eq!(res.status(), 303, "signing in works again");

    app.stop().await;
}
