//! Rate limits (RFC 6585 §4: 429 with `Retry-After`): a token bucket per client address on every request
//! (health probes excepted), and one per authenticated client at the endpoints that authenticate clients
//! (token, introspection, revocation, device authorization).
//!
//! The buckets live in memory on each node: a limit is per node, so N nodes behind a balancer admit up to N
//! times the configured rate. That is the usual trade for not putting a database write on every request. The
//! client address is the one [`ClientOrigin`] resolves (forwarding headers only from trusted proxies), so a
//! client cannot dodge its limit by sending `X-Forwarded-For`. The client limit is keyed on the client that
//! *authenticated*, never on a claimed `client_id`, so nobody can spend another client's budget.
//!
//! Memory is bounded: keys are spread over shards, and a shard that grows past its cap first forgets buckets
//! that have refilled (their clients are idle, forgetting them changes nothing) and, if that is not enough,
//! starts over (briefly admitting those keys: a flood of fresh addresses is not something per-address buckets
//! can stop anyway).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::origin::ClientOrigin;

const SHARDS: usize = 16;
/// Keys one shard holds before it is cleaned.
const SHARD_CAP: usize = 8192;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets for one kind of key.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    shards: Vec<Mutex<HashMap<String, Bucket>>>,
}

impl Limiter {
    /// None when `rate` admits nothing to limit (a zero rate or burst turns the limit off).
    pub fn new(rate: Rate) -> Option<Self> {
        (rate.per_second > 0.0 && rate.burst > 0).then(|| Self {
            rate,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        })
    }

    /// Takes one token for `key` at `now`; `Err(wait)` when there is none, with how long until there is.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let shard = &self.shards[(hasher.finish() as usize) % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        let burst = f64::from(self.rate.burst);
        if map.len() >= SHARD_CAP && !map.contains_key(key) {
            map.retain(|_, b| self.refill(b, now) < burst);
            if map.len() >= SHARD_CAP {
                map.clear();
            }
        }
        let bucket = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens = self.refill(bucket, now);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.rate.per_second,
            ))
        }
    }

    fn refill(&self, b: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        (b.tokens + elapsed * self.rate.per_second).min(f64::from(self.rate.burst))
    }

    /// Keys currently remembered (tests).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The node's limits, registered as app data (`web::Data<RateLimits>`); a limit that is None is off.
#[derive(Debug, Default)]
pub struct RateLimits {
    pub per_ip: Option<Limiter>,
    pub per_client: Option<Limiter>,
}

impl RateLimits {
    pub fn new(per_ip: Rate, per_client: Rate) -> Self {
        Self {
            per_ip: Limiter::new(per_ip),
            per_client: Limiter::new(per_client),
        }
    }
}

/// The 429 answer: JSON, `Retry-After` in whole seconds (at least 1), never cached.
pub fn too_many_requests(wait: Duration, description: &str) -> HttpResponse {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, secs.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "error": "too_many_requests",
            "error_description": description,
        }))
}

/// Middleware: the per-address limit. Health probes are exempt (a load balancer polls them from one address).
pub async fn per_ip(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    if path != "/healthz"
        && path != "/readyz"
        && let Some(limiter) = req
            .app_data::<web::Data<RateLimits>>()
            .and_then(|l| l.per_ip.as_ref())
    {
        let ip = ClientOrigin::of(req.request()).0.client_ip.to_string();
        if let Err(wait) = limiter.check(&ip, Instant::now()) {
            tracing::warn!(client_ip = %ip, "rate limit: too many requests from this address");
            let res = too_many_requests(wait, "too many requests from this address; retry later");
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The per-client limit, for a client that has just authenticated: `Some(response)` when it is over.
pub fn check_client(req: &HttpRequest, client_id: &str) -> Option<HttpResponse> {
    let limiter = req
        .app_data::<web::Data<RateLimits>>()
        .and_then(|l| l.per_client.as_ref())?;
    let wait = limiter.check(client_id, Instant::now()).err()?;
    tracing::warn!(%client_id, "rate limit: too many requests from this client");
    Some(too_many_requests(
        wait,
        "too many requests from this client; retry later",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: f64, burst: u32) -> Limiter {
        Limiter::new(Rate { per_second, burst }).unwrap()
    }

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let l = limiter(2.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t0).is_ok());
        }
        let wait = l.check("a", t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Other keys have their own bucket.
        assert!(l.check("b", t0).is_ok());
        // Half a second later one token is back, and only one.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.check("a", t1).is_ok());
        assert!(l.check("a", t1).is_err());
        // Long idle: refilled to the burst, no more.
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(l.check("a", t2).is_ok());
        }
        assert!(l.check("a", t2).is_err());
    }

    #[test]
    fn zero_turns_a_limit_off() {
        assert!(
            Limiter::new(Rate {
                per_second: 0.0,
                burst: 10
            })
            .is_none()
        );
        assert!(
            Limiter::new(Rate {
                per_second: 1.0,
                burst: 0
            })
            .is_none()
        );
    }

    #[test]
    fn memory_stays_bounded_and_idle_buckets_go_first() {
        let l = limiter(1.0, 1);
        let t0 = Instant::now();
        for i in 0..(SHARDS * SHARD_CAP * 2) {
            let _ = l.check(&format!("k{i}"), t0);
        }
        assert!(l.len() <= SHARDS * SHARD_CAP);
        // Once refilled, everything old may be forgotten, and a busy key is still limited.
        let t1 = t0 + Duration::from_secs(5);
        assert!(l.check("busy", t1).is_ok());
        assert!(l.check("busy", t1).is_err());
    }
}
