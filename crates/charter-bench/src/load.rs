//! A closed-loop HTTP/1.1 load generator: each worker owns one keep-alive connection and sends its next
//! request as soon as the previous answer is read. Latency is measured per operation (an operation may be
//! several requests: the code-flow scenario counts authorize -> token -> userinfo as one).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An answer with another status than the scenario expected: a typed error, so that a caller (the soak test)
/// can tell a 5xx from a 4xx from a broken connection.
#[derive(Debug)]
pub struct UnexpectedStatus {
    pub what: String,
    pub expected: String,
    pub got: StatusCode,
    /// The start of the body, for the report.
    pub body: String,
}

impl std::fmt::Display for UnexpectedStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {} {}",
            self.what, self.expected, self.got, self.body
        )
    }
}

impl std::error::Error for UnexpectedStatus {}

impl Answer {
    pub fn expect(self, status: u16, what: &str) -> anyhow::Result<Answer> {
        if self.status.as_u16() == status {
            Ok(self)
        } else {
            Err(self.unexpected(what, &status.to_string()).into())
        }
    }

    /// The error for this answer when `expected` (a status, or a description such as "a redirect") was wanted.
    pub fn unexpected(&self, what: &str, expected: &str) -> UnexpectedStatus {
        UnexpectedStatus {
            what: what.to_owned(),
            expected: expected.to_owned(),
            got: self.status,
            body: String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned(),
        }
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("a JSON body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `name=value` of every `Set-Cookie`, attributes dropped.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    }
}

/// One request as the soak test accounts for it: the status it got and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub micros: u32,
}

/// One keep-alive connection, re-opened when the server closes it.
#[derive(Debug)]
pub struct Conn {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Every answered request since the last [`Conn::take_exchanges`], when recording (the soak test counts
    /// requests and 5xx per answer, not per operation); `None` for the benchmark, which counts operations only.
    exchanges: Option<Vec<Exchange>>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        let host = HeaderValue::from_str(&addr.to_string())
            .unwrap_or(HeaderValue::from_static("localhost"));
        Self {
            addr,
            host,
            sender: None,
            exchanges: None,
        }
    }

    /// A connection that records every answered request (see [`Conn::take_exchanges`]).
    pub fn recording(addr: SocketAddr) -> Self {
        Self {
            exchanges: Some(Vec::new()),
            ..Self::new(addr)
        }
    }

    /// The requests answered since the last call (always empty unless made by [`Conn::recording`]).
    pub fn take_exchanges(&mut self) -> Vec<Exchange> {
        self.exchanges
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| anyhow!("no connection"))
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> anyhow::Result<Answer> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.clone());
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(b))
            }
            None => Full::new(Bytes::new()),
        };
        let req = builder.body(body)?;
        let started = Instant::now();
        let sender = self.connect().await?;
        sender.ready().await?;
        let res = match sender.send_request(req).await {
            Ok(res) => res,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        if let Some(log) = self.exchanges.as_mut() {
            log.push(Exchange {
                status: parts.status.as_u16(),
                micros: started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32,
            });
        }
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, headers, None).await
    }

    pub async fn post_form(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> anyhow::Result<Answer> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.send(Method::POST, path, headers, Some(body)).await
    }
}

pub type Step<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// One simulated client: its state between operations (cookies, a refresh token, ...).
pub trait Worker: Send + 'static {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a>;
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies of successful operations, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ops as f64 / secs
        } else {
            0.0
        }
    }

    /// The q-quantile (0..=1) latency in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
}

/// Runs `workers` against `addr`: first `warmup` unmeasured, then `duration` measured.
pub async fn drive(
    addr: SocketAddr,
    workers: Vec<Box<dyn Worker>>,
    warmup: Duration,
    duration: Duration,
) -> Stats {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut w| {
            tokio::spawn(async move {
                let mut conn = Conn::new(addr);
                let mut stats = Stats::default();
                loop {
                    let t = Instant::now();
                    if t >= end {
                        break;
                    }
                    let outcome = w.step(&mut conn).await;
                    if t < measure_from {
                        continue;
                    }
                    match outcome {
                        Ok(()) => {
                            stats.ops += 1;
                            let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                            stats.latencies_us.push(us);
                        }
                        Err(e) => {
                            stats.errors += 1;
                            if stats.first_error.is_none() {
                                stats.first_error = Some(format!("{e:#}"));
                            }
                            // A broken worker must not spin: back off a little.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        if let Ok(s) = task.await {
            total.ops += s.ops;
            total.errors += s.errors;
            total.latencies_us.extend(s.latencies_us);
            if total.first_error.is_none() {
                total.first_error = s.first_error;
            }
        }
    }
    total.elapsed = end.saturating_duration_since(measure_from);
    total.latencies_us.sort_unstable();
    total
}

/// A worker that sends the same request again and again, expecting `status`.
#[derive(Debug, Clone)]
pub struct Repeat {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub form: Option<Vec<(String, String)>>,
    pub status: u16,
}

impl Repeat {
    pub fn get(path: &str) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            form: None,
            status: 200,
        }
    }

    pub fn post(path: &str, form: &[(&str, &str)]) -> Self {
        Self {
            method: Method::POST,
            path: path.to_owned(),
            headers: Vec::new(),
            form: Some(
                form.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            status: 200,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl Worker for Repeat {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a> {
        Box::pin(async move {
            let headers: Vec<(&str, &str)> = self
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let body = self.form.as_ref().map(|f| {
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(f)
                    .finish()
            });
            let answer = conn
                .send(self.method.clone(), &self.path, &headers, body)
                .await?;
            answer.expect(self.status, &self.path)?;
            Ok(())
        })
    }
}

/// `n` copies of a worker.
pub fn copies<W: Worker + Clone>(w: &W, n: usize) -> Vec<Box<dyn Worker>> {
    (0..n)
        .map(|_| Box::new(w.clone()) as Box<dyn Worker>)
        .collect()
}
