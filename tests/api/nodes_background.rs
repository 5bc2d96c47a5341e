//! Background work on several nodes sharing one database: the sweeper runs on one node at a time (a lease),
//! and another takes over when the holder goes quiet (after the lease's three intervals) or stops (at once, the
//! lease is released on shutdown); each back-channel logout message is delivered once, however many nodes run
//! delivery rounds at the same moment (a per-row claim).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use charter_core::Clock;
use charter_core::logout::outbox::OutboxSummary;
use charter_core::secret::token_digest;
use charter_testkit::browser::PKCE_CHALLENGE;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::logout::{
    PW, REDIRECT, Rp, browser, claims, location, logout, query_param, rp, tokens_in,
};

/// Two nodes behind one load balancer: same database, same configuration, same issuer.
async fn two_nodes(backend: Backend, env: &[(&str, &str)]) -> Option<(TestApp, TestApp)> {
    let a = spawn_app_with(backend, |e| {
        for (k, v) in env {
            e.insert((*k).to_owned(), (*v).to_owned());
        }
    })
    .await?;
    let issuer = a.issuer.to_string();
    let b = a
        .spawn_peer_with(|e| {
            e.insert("CHARTER_ISSUER".into(), issuer);
        })
        .await
        .unwrap();
    Some((a, b))
}

/// Moves both nodes' pinned clocks, as real time moves for every node at once.
fn advance(a: &TestApp, b: &TestApp, by: Duration) {
    a.clock.advance(by);
    b.clock.advance(by);
}

/// Signs alice in on `app` in browser `br` and returns an authorization code that nobody redeems.
async fn unredeemed_code(app: &TestApp, br: &reqwest::Client, rp: &Rp) -> String {
    let mut url = reqwest::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = br.get(url.as_str()).send().await.unwrap();
    let res = app.walk(br, res, "alice", PW, "allow").await;
    query_param(&location(&res), "code").expect("a code")
}

async fn the_sweeper_runs_on_one_node_at_a_time(backend: Backend) {
    let Some((a, b)) = two_nodes(backend, &[]).await else {
        return;
    };
    let store = a.key_manager.store.clone();
    let alice = a.create_user("alice", PW).await;
    let rp = rp(&a, None).await;
    // Expirable state: a browser session (signed in on A) and a code nobody redeems (issued by B).
    let br = browser();
    unredeemed_code(&a, &br, &rp).await;
    let code = unredeemed_code(&b, &br, &rp).await;
    let code_hash = token_digest(&code);
    assert_eq!(store.list_sessions(&alice.sub).await.unwrap().len(), 1);
    assert!(store.find_code(&code_hash).await.unwrap().is_some());

    // Past the session's absolute lifetime (10 h) and the code's, both nodes sweep at the same moment.
    advance(&a, &b, Duration::from_secs(11 * 3600));
    let (holder, other, swept) = match tokio::join!(a.tick_sweeper(), b.tick_sweeper()) {
        (Some(n), None) => (a, b, n),
        (None, Some(n)) => (b, a, n),
        both => panic!("exactly one node sweeps a round: {both:?}"),
    };
    assert!(swept >= 2, "the session and the code, at least: {swept}");
    assert!(store.list_sessions(&alice.sub).await.unwrap().is_empty());
    assert!(store.find_code(&code_hash).await.unwrap().is_none());
    // Nothing is left for anyone, and the holder keeps the lease by renewing it.
    assert_eq!(
        tokio::join!(holder.tick_sweeper(), other.tick_sweeper()),
        (Some(0), None)
    );

    // The holder goes quiet (a crash: nothing releases its lease). The lease lasts three intervals (3 × 60 s
    // by default) from its last renewal; until then the other node keeps out, then it takes over.
    advance(&holder, &other, Duration::from_secs(179));
    assert_eq!(other.tick_sweeper().await, None, "the lease still runs");
    advance(&holder, &other, Duration::from_secs(1));
    assert_eq!(other.tick_sweeper().await, Some(0), "the lease lapsed");
    assert_eq!(holder.tick_sweeper().await, None, "the old holder lost it");

    // A node that stops releases the lease on its way out: the other takes over without waiting.
    other.stop().await;
    assert_eq!(holder.tick_sweeper().await, Some(0));
    holder.stop().await;
}

/// A relying party's back-channel logout endpoint: answers 503 to the first `refuse` requests and 200 after,
/// keeping the logout tokens it accepted.
#[derive(Clone, Default)]
struct Receiver {
    base: String,
    refuse: usize,
    requests: Arc<AtomicUsize>,
    accepted: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start(refuse: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let me = Self {
            base: format!("http://{}", listener.local_addr().unwrap()),
            refuse,
            ..Self::default()
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

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Read the head, then the body its Content-Length announces.
        let complete = |buf: &[u8]| {
            let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            (buf.len() >= end + length).then_some(end)
        };
        let body_start = loop {
            if let Some(end) = complete(&buf) {
                break end;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let token = url::form_urlencoded::parse(&buf[body_start..])
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let status = if self.requests.fetch_add(1, Ordering::SeqCst) < self.refuse {
            503
        } else {
            self.accepted.lock().unwrap().push(token);
            200
        };
        let answer =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }
}

async fn summary(app: &TestApp) -> OutboxSummary {
    app.key_manager
        .store
        .outbox_summary(app.clock.now())
        .await
        .unwrap()
}

async fn each_logout_message_is_delivered_once(backend: Backend) {
    // Rounds run only when the test runs them, or when a logout wakes its node: no periodic round interferes.
    let Some((a, b)) = two_nodes(backend, &[("CHARTER_LOGOUT__DELIVERY_INTERVAL", "1h")]).await
    else {
        return;
    };
    const SESSIONS: usize = 3;
    a.create_user("alice", PW).await;
    // The first attempt at each message fails (503), so every message is still queued when the race starts.
    let receiver = Receiver::start(SESSIONS).await;
    let rp = rp(&a, Some(format!("{}/bc", receiver.base))).await;

    // Alice signs in through the relying party in three browsers, on either node, and signs out of each on A.
    let mut sids = BTreeSet::new();
    for i in 0..SESSIONS {
        let node = if i % 2 == 0 { &a } else { &b };
        let br = browser();
        let id_token = tokens_in(node, &br, &rp, "openid").await["id_token"]
            .as_str()
            .unwrap()
            .to_owned();
        sids.insert(claims(&id_token)["sid"].as_str().unwrap().to_owned());
        logout(&a, &br, &[("id_token_hint", &id_token)]).await;
    }
    assert_eq!(sids.len(), SESSIONS);
    for _ in 0..100 {
        if receiver.requests.load(Ordering::SeqCst) >= SESSIONS {
            break;
        }
        a.tick_logout().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let a round the last logout woke finish before looking.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.requests.load(Ordering::SeqCst), SESSIONS);
    let s = summary(&a).await;
    assert_eq!((s.pending, s.due, s.failed), (SESSIONS as u64, 0, 0));

    // The retries fall due on both nodes at once, and both run a round at the same moment.
    advance(&a, &b, Duration::from_secs(10));
    assert_eq!(summary(&b).await.due, SESSIONS as u64);
    let (ra, rb) = tokio::join!(a.tick_logout(), b.tick_logout());
    assert_eq!(
        (ra.claimed + rb.claimed, ra.delivered + rb.delivered),
        (SESSIONS, SESSIONS),
        "each message claimed and delivered by one node: {ra:?} {rb:?}"
    );
    assert_eq!(
        receiver.requests.load(Ordering::SeqCst),
        2 * SESSIONS,
        "one refused and one accepted attempt per message"
    );
    let accepted = receiver.accepted();
    let got_sids: BTreeSet<String> = accepted
        .iter()
        .map(|t| claims(t)["sid"].as_str().unwrap().to_owned())
        .collect();
    let jtis: BTreeSet<String> = accepted
        .iter()
        .map(|t| claims(t)["jti"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got_sids, sids, "one logout token per ended session");
    assert_eq!(jtis.len(), SESSIONS, "no message delivered twice");

    // Delivered messages are gone: another round on either node, now or much later, sends nothing.
    let again = tokio::join!(a.tick_logout(), b.tick_logout());
    assert_eq!((again.0.claimed, again.1.claimed), (0, 0));
    advance(&a, &b, Duration::from_secs(3600));
    assert_eq!(a.tick_logout().await.claimed, 0);
    assert_eq!(b.tick_logout().await.claimed, 0);
    assert_eq!(receiver.requests.load(Ordering::SeqCst), 2 * SESSIONS);
    let s = summary(&b).await;
    assert_eq!((s.pending, s.failed), (0, 0));
    b.stop().await;
    a.stop().await;
}

backend_tests!(
    the_sweeper_runs_on_one_node_at_a_time,
    each_logout_message_is_delivered_once
);
