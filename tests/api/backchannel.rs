//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0), received by a relying party running inside the
//! test on a loopback port: the logout token verified against Charter's JWKS, retries after a 500, a 400 as a
//! permanent failure, delivery surviving a restart, "Sign out everywhere" reaching every client, and which
//! refresh tokens end with the session.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use charter_core::Clock;
use charter_core::logout::outbox::OutboxSummary;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, hidden_input};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::logout::{
    BYE, REDIRECT, Rp, browser, claims, location, logout, rp, setup, signed_in, tokens_in,
};

/// A relying party's back-channel logout endpoint: records each `logout_token` with the path it came to and
/// answers with the scripted statuses (the last one repeats). While `down`, connections are dropped unread.
#[derive(Clone, Default)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<(String, String)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    down: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let me = Self {
            base: format!("http://{}", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(statuses.iter().copied().collect())),
            ..Self::default()
        };
        let server = me.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        me
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        self.connections.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return;
        }
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
        };
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let path = head.split(' ').nth(1).unwrap_or("").to_owned();
        assert!(head.starts_with("POST "), "{head}");
        assert!(
            head.to_lowercase()
                .contains("content-type: application/x-www-form-urlencoded"),
            "{head}"
        );
        let body = &buf[head_end..head_end + length];
        let token = url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let status = {
            let mut script = self.script.lock().unwrap();
            if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script.front().copied().unwrap_or(200)
            }
        };
        self.got.lock().unwrap().push((path, token));
        let answer =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn tokens(&self) -> Vec<(String, String)> {
        self.got.lock().unwrap().clone()
    }
}

/// Runs delivery rounds (as the background task would) until `receiver` has `n` tokens.
async fn received(app: &TestApp, receiver: &Receiver, n: usize) -> Vec<(String, String)> {
    for _ in 0..100 {
        if receiver.tokens().len() >= n {
            break;
        }
        app.tick_logout().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tokens = receiver.tokens();
    assert_eq!(tokens.len(), n, "logout tokens received");
    tokens
}

async fn summary(app: &TestApp) -> OutboxSummary {
    app.key_manager
        .store
        .outbox_summary(app.clock.now())
        .await
        .unwrap()
}

/// Waits until the outbox satisfies `done`, running rounds meanwhile.
async fn outbox_until(app: &TestApp, done: impl Fn(&OutboxSummary) -> bool) -> OutboxSummary {
    for _ in 0..100 {
        let s = summary(app).await;
        if done(&s) {
            return s;
        }
        app.tick_logout().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox never got there: {:?}", summary(app).await);
}

/// What a relying party checks (Back-Channel Logout §2.6), with keys from Charter's JWKS only.
async fn verified(app: &TestApp, token: &str, client_id: &str) -> Value {
    charter_keys::provider::install();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: Value = app.get("/jwks").await.json().await.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the signing key is in the JWKS")
        .clone();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    // The pinned clock is in the past of the real one; exp is checked against iat below.
    v.validate_exp = false;
    v.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
    v.set_issuer(&[app.issuer.as_str()]);
    v.set_audience(&[client_id]);
    let c: Value = jsonwebtoken::decode(token, &key, &v).unwrap().claims;
    assert_eq!(
        c["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(c.get("nonce").is_none(), "a logout token never has a nonce");
    assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 120, "{c}");
    assert_eq!(iat, app.clock.now().unix(), "signed at the attempt");
    c
}

async fn listening_rp(app: &TestApp, receiver: &Receiver, path: &str) -> Rp {
    rp(app, Some(receiver.url(path))).await
}

async fn the_relying_party_gets_a_verifiable_logout_token(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[200]).await;
    let rp = listening_rp(&app, &receiver, "/bc").await;
    let quiet = crate::logout::rp(&app, None).await;
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokens_in(&app, &b, &quiet, "openid").await;
    let id = claims(&id_token);

    let res = logout(
        &app,
        &b,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", BYE),
        ],
    )
    .await;
    assert_eq!(location(&res), BYE, "the logout does not wait for delivery");
    let tokens = received(&app, &receiver, 1).await;
    assert_eq!(tokens[0].0, "/bc");
    let c = verified(&app, &tokens[0].1, &rp.id).await;
    assert_eq!(c["sub"], id["sub"]);
    assert_eq!(c["sid"], id["sid"]);
    let s = outbox_until(&app, |s| s.pending == 0).await;
    assert_eq!(s.failed, 0, "delivered messages leave the outbox");
    // The client without a back-channel URI was not sent anything, and nothing else is queued.
    app.tick_logout().await;
    assert_eq!(receiver.tokens().len(), 1);
}

async fn a_500_is_retried_with_the_same_jti(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[500, 200]).await;
    let rp = listening_rp(&app, &receiver, "/bc").await;
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    logout(&app, &b, &[("id_token_hint", &id_token)]).await;
    received(&app, &receiver, 1).await;
    let s = outbox_until(&app, |s| s.pending == 1 && s.due == 0).await;
    assert_eq!(s.failed, 0);
    // Not before the backoff...
    app.clock.advance(Duration::from_secs(5));
    app.tick_logout().await;
    assert_eq!(receiver.tokens().len(), 1);
    // ...then again, re-signed now, with the same jti.
    app.clock.advance(Duration::from_secs(6));
    let tokens = received(&app, &receiver, 2).await;
    let first = claims(&tokens[0].1);
    let second = verified(&app, &tokens[1].1, &rp.id).await;
    assert_eq!(first["jti"], second["jti"]);
    assert!(second["iat"].as_i64().unwrap() >= first["iat"].as_i64().unwrap() + 10);
    outbox_until(&app, |s| s.pending == 0 && s.failed == 0).await;
}

async fn a_400_is_a_permanent_failure(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[400]).await;
    let rp = listening_rp(&app, &receiver, "/bc").await;
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    logout(&app, &b, &[("id_token_hint", &id_token)]).await;
    received(&app, &receiver, 1).await;
    let s = outbox_until(&app, |s| s.failed == 1).await;
    assert_eq!(s.pending, 0);
    app.clock.advance(Duration::from_secs(3600));
    app.tick_logout().await;
    assert_eq!(receiver.tokens().len(), 1, "never sent again");
}

async fn pending_deliveries_survive_a_restart(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[200]).await;
    receiver.down.store(true, Ordering::SeqCst);
    let rp = listening_rp(&app, &receiver, "/bc").await;
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    logout(&app, &b, &[("id_token_hint", &id_token)]).await;
    outbox_until(&app, |s| s.pending == 1 && s.due == 0).await;
    assert!(
        receiver.connections.load(Ordering::SeqCst) >= 1,
        "it was tried"
    );

    let app = app.restart().await;
    receiver.down.store(false, Ordering::SeqCst);
    // The restarted node's pinned clock starts at T0 again: move it past the backoff.
    app.clock.advance(Duration::from_secs(60));
    let tokens = received(&app, &receiver, 1).await;
    let c = verified(&app, &tokens[0].1, &rp.id).await;
    assert_eq!(c["sid"], claims(&id_token)["sid"]);
    outbox_until(&app, |s| s.pending == 0 && s.failed == 0).await;
}

async fn ending_sessions_on_the_account_page_tells_every_client(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[204]).await;
    let one = listening_rp(&app, &receiver, "/one").await;
    let two = listening_rp(&app, &receiver, "/two").await;
    // Two browsers, two sessions, one client each (and the first browser uses both).
    let a = browser();
    let b = browser();
    let a_one = claims(
        tokens_in(&app, &a, &one, "openid").await["id_token"]
            .as_str()
            .unwrap(),
    );
    let a_two = claims(
        tokens_in(&app, &a, &two, "openid").await["id_token"]
            .as_str()
            .unwrap(),
    );
    let b_two = claims(
        tokens_in(&app, &b, &two, "openid").await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_ne!(a_one["sid"], b_two["sid"]);

    let page = a
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf").unwrap();
    // One session ended from the account page: its client hears about it first.
    let b_sid = b_two["sid"].as_str().unwrap();
    let res = a
        .post(app.url(&format!("/account/sessions/{b_sid}/end")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!signed_in(&app, &b).await && signed_in(&app, &a).await);
    let first = received(&app, &receiver, 1).await.remove(0);
    assert_eq!(first.0, "/two");
    assert_eq!(verified(&app, &first.1, &two.id).await["sid"], b_two["sid"]);

    // Then every other session.
    let res = a
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!signed_in(&app, &a).await && !signed_in(&app, &b).await);

    let mut got = Vec::new();
    for (path, token) in received(&app, &receiver, 3).await {
        let aud = if path == "/one" { &one.id } else { &two.id };
        let c = verified(&app, &token, aud).await;
        got.push((path, c["sid"].as_str().unwrap().to_owned()));
    }
    got.sort();
    let mut want = vec![
        ("/one".to_owned(), a_one["sid"].as_str().unwrap().to_owned()),
        ("/two".to_owned(), a_two["sid"].as_str().unwrap().to_owned()),
        ("/two".to_owned(), b_two["sid"].as_str().unwrap().to_owned()),
    ];
    want.sort();
    assert_eq!(got, want);
}

async fn session_bound_refresh_tokens_end_with_the_session(backend: Backend) {
    let Some((app, rp)) = setup(backend).await else {
        return;
    };
    // A plain OAuth client: its refresh token comes without offline_access, so it is bound to the session.
    let plain = app
        .register_client(ClientRequest {
            client_name: Some("Plain".into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            scope: Some("profile".into()),
            ..ClientRequest::default()
        })
        .await;
    let plain = Rp {
        id: plain.record.client.id.to_string(),
        secret: plain.secret.unwrap(),
    };
    let b = browser();
    let bound = tokens_in(&app, &b, &plain, "profile").await;
    let offline = tokens_in(&app, &b, &rp, "openid offline_access").await;
    let refresh = |rp: &Rp, token: &Value| {
        let req = app
            .client
            .post(app.url("/token"))
            .basic_auth(&rp.id, Some(&rp.secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token["refresh_token"].as_str().unwrap()),
            ]);
        async move { req.send().await.unwrap() }
    };
    let bound = {
        let res = refresh(&plain, &bound).await;
        assert_eq!(res.status(), 200, "usable while the session lasts");
        res.json::<Value>().await.unwrap()
    };

    let id_token = offline["id_token"].as_str().unwrap().to_owned();
    logout(&app, &b, &[("id_token_hint", &id_token)]).await;
    assert!(!signed_in(&app, &b).await);

    let res = refresh(&plain, &bound).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        refresh(&rp, &offline).await.status(),
        200,
        "offline_access outlives the session"
    );
}

async fn expired_sessions_are_logged_out_by_the_sweeper(backend: Backend) {
    let Some((app, _)) = setup(backend).await else {
        return;
    };
    let receiver = Receiver::start(&[200]).await;
    let rp = listening_rp(&app, &receiver, "/bc").await;
    let b = browser();
    let id = claims(
        tokens_in(&app, &b, &rp, "openid").await["id_token"]
            .as_str()
            .unwrap(),
    );
    app.clock.advance(Duration::from_secs(31 * 60));
    let settings = charter_server::settings::SweeperSettings {
        enabled: true,
        interval: Duration::from_secs(60),
        batch_size: 100,
    };
    let store = app.key_manager.store.clone();
    charter_server::sweeper::sweep_once(store.as_ref(), app.clock.as_ref(), &settings, "t")
        .await
        .unwrap();
    let tokens = received(&app, &receiver, 1).await;
    assert_eq!(verified(&app, &tokens[0].1, &rp.id).await["sid"], id["sid"]);
}

backend_tests!(
    the_relying_party_gets_a_verifiable_logout_token,
    a_500_is_retried_with_the_same_jti,
    a_400_is_a_permanent_failure,
    pending_deliveries_survive_a_restart,
    ending_sessions_on_the_account_page_tells_every_client,
    session_bound_refresh_tokens_end_with_the_session,
    expired_sessions_are_logged_out_by_the_sweeper,
);
