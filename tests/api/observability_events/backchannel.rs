//! Back-channel logout, observed: a message given up on — refused for good (400) or out of time — writes one
//! `backchannel_delivery_failed` event when it is given up, not before; the outbox gauges rise with a logout
//! and fall with the delivery.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use charter_core::Clock;
use charter_core::audit::{AuditEvent, AuditKind};
use charter_core::logout::outbox::OutboxSummary;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{metric, of_kind};
use crate::logout::{PW, browser, claims, logout, rp, tokens_in};

/// A relying party's back-channel logout endpoint answering every request with `status`; while it is 0,
/// connections are dropped unread (a transport failure, retried).
#[derive(Clone)]
struct Endpoint {
    url: String,
    status: Arc<AtomicU16>,
    requests: Arc<AtomicUsize>,
}

impl Endpoint {
    async fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let me = Self {
            url: format!("http://{}/bc", listener.local_addr().unwrap()),
            status: Arc::new(AtomicU16::new(status)),
            requests: Arc::new(AtomicUsize::new(0)),
        };
        let server = me.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        me
    }

    async fn serve(&self, mut stream: TcpStream) {
        let status = self.status.load(Ordering::SeqCst);
        if status == 0 {
            return;
        }
        // Read the whole request (head, then Content-Length bytes) before answering.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        let answer =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn summary(app: &TestApp) -> OutboxSummary {
    let now = app.clock.now();
    app.key_manager.store.outbox_summary(now).await.unwrap()
}

/// Runs delivery rounds (the background task may run some too) until the outbox satisfies `done`.
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

/// Alice signs in to a relying party with a back-channel logout URI, then logs out: (the party's client_id,
/// alice's sub, the session's sid). Nothing has failed before the logout.
async fn log_out_of(app: &TestApp, endpoint: &Endpoint) -> (String, String, String) {
    let rp = rp(app, Some(endpoint.url.clone())).await;
    let b = browser();
    let id_token = tokens_in(app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = claims(&id_token);
    assert!(failures(app).await.is_empty());
    logout(app, &b, &[("id_token_hint", &id_token)]).await;
    let sub = id["sub"].as_str().unwrap().to_owned();
    (rp.id, sub, id["sid"].as_str().unwrap().to_owned())
}

async fn failures(app: &TestApp) -> Vec<AuditEvent> {
    of_kind(app, AuditKind::BackchannelDeliveryFailed).await
}

async fn a_refused_logout_message_is_audited_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let endpoint = Endpoint::start(400).await;
    let (client_id, sub, sid) = log_out_of(&app, &endpoint).await;
    outbox_until(&app, |s| s.failed == 1).await;

    let events = failures(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.actor.as_deref(), Some("system"));
    assert_eq!(e.user.as_deref(), Some(sub.as_str()));
    assert_eq!(e.client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!((e.ip.as_deref(), e.request_id.as_deref()), (None, None));
    assert_eq!(e.detail["sid"], sid.as_str());
    assert_eq!(e.detail["attempts"], 1);
    assert!(e.detail["error"].as_str().unwrap().contains("400"), "{e:?}");
    assert_eq!(metric(&app, "charter_backchannel_outbox_failed").await, 1.0);
    assert_eq!(
        metric(&app, "charter_backchannel_outbox_pending").await,
        0.0
    );

    // Never sent again, never written again.
    app.clock.advance(Duration::from_secs(3600));
    app.tick_logout().await;
    assert_eq!(endpoint.requests(), 1);
    assert_eq!(failures(&app).await.len(), 1);
    app.stop().await;
}

async fn a_logout_message_given_up_on_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let endpoint = Endpoint::start(503).await;
    let (client_id, _, sid) = log_out_of(&app, &endpoint).await;
    // A 503 is retried: pending, not due yet, and no event.
    outbox_until(&app, |s| s.pending == 1 && s.due == 0).await;
    assert!(failures(&app).await.is_empty(), "a retry is no failure");

    // Past the 24 hours delivery is tried for, the next failed attempt is the last.
    app.clock.advance(Duration::from_secs(25 * 3600));
    let s = outbox_until(&app, |s| s.failed == 1).await;
    assert_eq!(s.pending, 0);
    assert_eq!(endpoint.requests(), 2);
    let events = failures(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(e.detail["sid"], sid.as_str());
    assert_eq!(e.detail["attempts"], 2);
    let error = e.detail["error"].as_str().unwrap();
    assert!(
        error.contains("given up") && error.contains("503"),
        "{error}"
    );
    assert_eq!(e.at, app.clock.now());
    app.stop().await;
}

const PENDING: &str = "charter_backchannel_outbox_pending";

async fn the_outbox_gauge_rises_with_a_logout_and_falls_with_delivery(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    // The relying party is down at first: the message waits.
    let endpoint = Endpoint::start(0).await;
    let rp = rp(&app, Some(endpoint.url.clone())).await;
    let b = browser();
    let id_token = tokens_in(&app, &b, &rp, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        metric(&app, PENDING).await,
        0.0,
        "signing in queues nothing"
    );

    logout(&app, &b, &[("id_token_hint", &id_token)]).await;
    assert_eq!(metric(&app, PENDING).await, 1.0, "the logout queued one");
    outbox_until(&app, |s| s.pending == 1 && s.due == 0).await;
    assert_eq!(
        metric(&app, PENDING).await,
        1.0,
        "still waiting after a failed attempt"
    );
    assert_eq!(metric(&app, "charter_backchannel_outbox_due").await, 0.0);

    // Back up, and past the backoff: delivered, and the gauge falls.
    endpoint.status.store(204, Ordering::SeqCst);
    app.clock.advance(Duration::from_secs(60));
    outbox_until(&app, |s| s.pending == 0).await;
    assert_eq!(endpoint.requests(), 1);
    assert_eq!(metric(&app, PENDING).await, 0.0);
    assert_eq!(metric(&app, "charter_backchannel_outbox_failed").await, 0.0);
    assert!(failures(&app).await.is_empty(), "a delivery is no failure");
    app.stop().await;
}

backend_tests!(
    a_refused_logout_message_is_audited_once,
    a_logout_message_given_up_on_is_audited,
    the_outbox_gauge_rises_with_a_logout_and_falls_with_delivery,
);
