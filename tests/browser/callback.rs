//! A stand-in relying party: a tiny HTTP server on 127.0.0.1 port 0 that answers every request with a small
//! page and records what it was asked for, so a test can see the authorization response a real browser
//! delivered to the redirect URI.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

#[derive(Debug)]
pub struct Callback {
    /// `http://127.0.0.1:PORT/cb`: the redirect URI to register.
    pub redirect_uri: String,
    base: Url,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

/// Minimal HTML escaping for the echoed request target.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Callback {
    pub async fn start() -> Callback {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 2048];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let target = head
                        .lines()
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_owned();
                    record.lock().unwrap().push(target.clone());
                    let (status, body) = if target.starts_with("/cb") {
                        (
                            "200 OK",
                            format!(
                                "<!doctype html><html lang=\"en\"><title>Relying party</title>\
                                 <h1>The application received the callback</h1><p><code>{}</code></p></html>",
                                escape(&target)
                            ),
                        )
                    } else {
                        ("404 Not Found", String::new())
                    };
                    let res = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(res.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        Callback {
            redirect_uri: base.join("cb").unwrap().to_string(),
            base,
            seen,
            task,
        }
    }

    /// The callbacks received so far (`/cb` requests), as full URLs.
    pub fn received(&self) -> Vec<Url> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|t| t.starts_with("/cb"))
            .map(|t| self.base.join(t).unwrap())
            .collect()
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        self.task.abort();
    }
}
