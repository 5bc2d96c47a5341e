//! The client against a tiny HTTP server on a loopback port: what the policy lets through, and the size, time
//! and redirect limits.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A one-answer-fits-all server: every connection gets `answer` after `delay`; the requests it saw are kept.
struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    async fn start(answer: Vec<u8>, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let request = read_request(&mut socket).await;
                    log.lock().unwrap().push(request);
                    tokio::time::sleep(delay).await;
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { addr, seen }
    }

    fn url(&self, scheme: &str, host: &str) -> Url {
        Url::parse(&format!("{scheme}://{host}:{}/jwks", self.addr.port())).unwrap()
    }
}

/// Reads the head and a `Content-Length` body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = socket.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}

fn answer(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn outbound(allow_loopback: bool) -> Outbound {
    Outbound::new(OutboundPolicy {
        allow_loopback,
        allow_private: false,
        timeout: Duration::from_millis(500),
        max_body: 1024,
    })
    .unwrap()
}

#[tokio::test]
async fn loopback_is_served_only_when_allowed() {
    let server = TestServer::start(
        answer(
            "200 OK",
            &["Cache-Control: public, max-age=600"],
            b"{\"keys\":[]}",
        ),
        Duration::ZERO,
    )
    .await;

    let fetched = outbound(true)
        .get(&server.url("http", "127.0.0.1"))
        .await
        .unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, b"{\"keys\":[]}");
    assert_eq!(fetched.max_age, Some(Duration::from_secs(600)));
    let fetched = outbound(true)
        .get(&server.url("http", "localhost"))
        .await
        .unwrap();
    assert_eq!(fetched.status, 200);
    assert_eq!(server.seen.lock().unwrap().len(), 2);

    let strict = outbound(false);
    // Plain http is only for loopback with allow_loopback.
    assert!(matches!(
        strict.get(&server.url("http", "127.0.0.1")).await,
        Err(OutboundError::Scheme)
    ));
    // https to a loopback literal, or to a name resolving to loopback: the address is refused.
    assert!(matches!(
        strict.get(&server.url("https", "127.0.0.1")).await,
        Err(OutboundError::ForbiddenAddress)
    ));
    assert!(matches!(
        strict.get(&server.url("https", "[::ffff:127.0.0.1]")).await,
        Err(OutboundError::ForbiddenAddress)
    ));
    assert!(matches!(
        strict.get(&server.url("https", "localhost")).await,
        Err(OutboundError::ForbiddenAddress)
    ));
    // Nothing reached the server.
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn other_schemes_and_private_addresses_are_refused() {
    let client = outbound(true);
    for url in [
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "http://example.com/jwks",
        "http://10.0.0.1/x",
    ] {
        let url = Url::parse(url).unwrap();
        assert!(
            matches!(client.get(&url).await, Err(OutboundError::Scheme)),
            "{url}"
        );
    }
    for url in [
        "https://10.0.0.1/x",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/",
        "https://0.0.0.0/",
    ] {
        let url = Url::parse(url).unwrap();
        assert!(
            matches!(client.get(&url).await, Err(OutboundError::ForbiddenAddress)),
            "{url}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_too_large() {
    let big = vec![b'a'; 2048];
    let server = TestServer::start(answer("200 OK", &[], &big), Duration::ZERO).await;
    let result = outbound(true).get(&server.url("http", "127.0.0.1")).await;
    assert!(matches!(result, Err(OutboundError::TooLarge)), "{result:?}");

    // Without a Content-Length the limit is counted while reading.
    let mut streamed = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    streamed.extend_from_slice(&big);
    let server = TestServer::start(streamed, Duration::ZERO).await;
    let result = outbound(true).get(&server.url("http", "127.0.0.1")).await;
    assert!(matches!(result, Err(OutboundError::TooLarge)), "{result:?}");

    // Exactly the limit is fine.
    let server = TestServer::start(answer("200 OK", &[], &big[..1024]), Duration::ZERO).await;
    let fetched = outbound(true)
        .get(&server.url("http", "127.0.0.1"))
        .await
        .unwrap();
    assert_eq!(fetched.body.len(), 1024);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = TestServer::start(answer("200 OK", &[], b"late"), Duration::from_secs(3)).await;
    let started = std::time::Instant::now();
    let result = outbound(true).get(&server.url("http", "127.0.0.1")).await;
    assert!(matches!(result, Err(OutboundError::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(result.is_err_and(|e| e.is_retryable()));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = TestServer::start(
        answer(
            "302 Found",
            &["Location: http://127.0.0.1:1/elsewhere"],
            b"",
        ),
        Duration::ZERO,
    )
    .await;
    let result = outbound(true).get(&server.url("http", "127.0.0.1")).await;
    assert!(matches!(result, Err(OutboundError::Redirect)), "{result:?}");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn post_form_sends_an_encoded_form_and_returns_errors_as_statuses() {
    let server = TestServer::start(answer("400 Bad Request", &[], b"no"), Duration::ZERO).await;
    let fetched = outbound(true)
        .post_form(
            &server.url("http", "127.0.0.1"),
            &[("logout_token", "a b&c")],
        )
        .await
        .unwrap();
    assert_eq!(fetched.status, 400);
    assert_eq!(fetched.max_age, None);
    let seen = server.seen.lock().unwrap();
    let request = &seen[0];
    assert!(request.starts_with("POST /jwks HTTP/1.1"), "{request}");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded")
    );
    assert!(request.ends_with("logout_token=a+b%26c"), "{request}");
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let result = outbound(true).get(&url).await;
    assert!(
        matches!(result, Err(OutboundError::Network(_))),
        "{result:?}"
    );
    assert!(result.is_err_and(|e| e.is_retryable()));
}
