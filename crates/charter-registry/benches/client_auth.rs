//! Client authentication cost: `cargo bench -p charter-registry`.
//!
//! (a) Secret verification per operation: HMAC-SHA-256 under the pepper, checked in constant time, against the
//!     current secret and, during a rotation, the previous one.
//! (b) The token endpoint's whole client-authentication step — parse the Basic header, look the client up
//!     through a warm [`ClientCache`], verify the secret — with 10 registered clients and with 100,000 under the
//!     same traffic, to show the cost does not grow with the number of clients (issue 4); then with the
//!     traffic spread over 1,000 and over all 100,000 clients, which measures the CPU caches, not the lookup.
//!
//! Plain `Instant` loops, best of a few rounds; each figure is nanoseconds per operation.

use std::collections::HashMap;
use std::error::Error;
use std::hint::black_box;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use charter_core::client::{ClientRecord, SecretHashes};
use charter_core::clock::{Clock, SystemClock, Timestamp};
use charter_core::ids::ClientId;
use charter_core::random::SystemTokenGenerator;
use charter_core::secret::{Pepper, SecretHasher};
use charter_core::store::{ClientStore, Page, StoreError};
use charter_registry::{
    ClientCache, ClientRequest, CredentialFields, PresentedCredentials, RegistrationPolicy,
    authenticate, register_client, rotate_secret,
};

type Res<T> = Result<T, Box<dyn Error>>;

const ROUNDS: usize = 5;
const ITERS: u64 = 200_000;
/// Long enough that no entry expires during the run: (b) measures warm hits. With the real 5 s TTL each
/// active client costs one database read per 5 s on top.
const WARM_TTL: Duration = Duration::from_secs(3_600);

/// The database, in memory.
#[derive(Debug, Default)]
struct Memory(RwLock<HashMap<ClientId, ClientRecord>>);

#[async_trait]
impl ClientStore for Memory {
    async fn create_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(client.client.id.clone(), client.clone());
        Ok(())
    }
    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        let map = self.0.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(id).cloned())
    }
    async fn list_clients(&self, _: &Page) -> Result<Vec<ClientRecord>, StoreError> {
        Ok(Vec::new())
    }
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        Ok(map.remove(id).is_some())
    }
    async fn set_client_secret(
        &self,
        id: &ClientId,
        secret: &SecretHashes,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        Ok(map
            .get_mut(id)
            .map(|r| r.secret = Some(secret.clone()))
            .is_some())
    }
}

struct Env {
    hasher: SecretHasher,
    rng: SystemTokenGenerator,
    clock: SystemClock,
}

/// A confidential web client as `charter clients create` registers it; returns its Basic header.
async fn register(env: &Env, store: &Memory) -> Res<(ClientRecord, String, String)> {
    let req = ClientRequest {
        client_name: Some("Bench app".into()),
        redirect_uris: vec!["https://app.example/callback".into()],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        ..ClientRequest::default()
    };
    let policy = RegistrationPolicy::operator();
    let c = register_client(store, &env.hasher, &env.rng, &env.clock, req, &policy).await?;
    let secret = c.secret.ok_or("no secret")?;
    let header = basic(c.record.client.id.as_str(), &secret);
    Ok((c.record, secret, header))
}

fn basic(id: &str, secret: &str) -> String {
    // Client ids and secrets are base64url characters: form-url-encoding leaves them as they are.
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// Best of `ROUNDS` rounds of `ITERS` calls, in ns per call.
fn best(mut f: impl FnMut() -> bool) -> Res<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..ITERS {
            if !black_box(f()) {
                return Err("an operation gave the wrong answer".into());
            }
        }
        best = best.min(ns_per_op(start.elapsed()));
    }
    Ok(best)
}

fn ns_per_op(d: Duration) -> f64 {
    d.as_nanos() as f64 / ITERS as f64
}

fn line(what: &str, ns: f64) {
    println!("{what:<66} {ns:>6.0} ns/op");
}

fn main() -> Res<()> {
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    rt.block_on(run())
}

async fn run() -> Res<()> {
    let env = Env {
        hasher: SecretHasher::new(Pepper::from_bytes(&[42; 32])),
        rng: SystemTokenGenerator::new(),
        clock: SystemClock,
    };
    println!("client_auth: best of {ROUNDS} rounds of {ITERS} operations");
    secret_verification(&env).await?;
    full_path(&env).await
}

/// (a): the HMAC itself, then `authenticate` with the record in hand (no lookup).
async fn secret_verification(env: &Env) -> Res<()> {
    let store = Memory::default();
    let (record, secret, _) = register(env, &store).await?;
    let stored = record.secret.as_ref().ok_or("no secret")?.current.clone();
    let h = &env.hasher;
    line("SecretHasher::hash", best(|| !h.hash(&secret).is_empty())?);
    line(
        "SecretHasher::verify, right secret (HMAC-SHA-256, constant time)",
        best(|| h.verify(&secret, &stored))?,
    );
    line(
        "SecretHasher::verify, wrong secret",
        best(|| !h.verify("not-the-secret-not-the-secret-not-the-secre", &stored))?,
    );

    let now = env.clock.now();
    let presented = PresentedCredentials::extract(
        Some(&basic(record.client.id.as_str(), &secret)),
        CredentialFields::default(),
    )?;
    line(
        "authenticate, current secret, no rotation (1 HMAC)",
        best(|| authenticate(&presented, Some(&record), h, now).is_ok())?,
    );

    let id = record.client.id.clone();
    let keep = Some(Duration::from_secs(86_400));
    let new = rotate_secret(&store, h, &env.rng, &env.clock, &id, keep).await?;
    let rotated = store.find_client(&id).await?.ok_or("gone")?;
    let with_new =
        PresentedCredentials::extract(Some(&basic(id.as_str(), &new)), Default::default())?;
    line(
        "authenticate during a rotation, current secret (2 HMACs)",
        best(|| authenticate(&with_new, Some(&rotated), h, now).is_ok())?,
    );
    line(
        "authenticate during a rotation, previous secret (2 HMACs)",
        best(|| authenticate(&presented, Some(&rotated), h, now).is_ok())?,
    );
    line(
        "authenticate, unknown client (1 dummy HMAC)",
        best(|| authenticate(&presented, None, h, now).is_err())?,
    );
    Ok(())
}

/// Registered clients, all in a warm cache, and Basic headers for each in a fixed shuffled order.
struct Population {
    cache: ClientCache,
    headers: Vec<String>,
}

async fn population(env: &Env, clients: usize) -> Res<Population> {
    let store = Arc::new(Memory::default());
    let mut headers = Vec::with_capacity(clients);
    for _ in 0..clients {
        headers.push(register(env, &store).await?.2);
    }
    // A fixed shuffle, so large populations are not walked in the order they were allocated.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..headers.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1))?;
        headers.swap(i, j);
    }
    let cache = ClientCache::new(store, Arc::new(SystemClock), WARM_TTL, clients * 2);
    for h in &headers {
        if !one(&cache, &env.hasher, &env.clock, h).await {
            return Err("warm-up failed".into());
        }
    }
    Ok(Population { cache, headers })
}

/// One round of `ITERS` authentications cycling through `headers`, in ns per authentication.
async fn round(env: &Env, cache: &ClientCache, headers: &[String]) -> Res<f64> {
    let start = Instant::now();
    for h in headers.iter().cycle().take(usize::try_from(ITERS)?) {
        if !black_box(one(cache, &env.hasher, &env.clock, h).await) {
            return Err("authentication failed".into());
        }
    }
    Ok(ns_per_op(start.elapsed()))
}

/// (b): the same traffic (10 clients making requests) with 10 and with 100,000 clients registered; then the
/// traffic spread over 1,000 and over all 100,000. Rounds are interleaved so all see the same machine noise.
async fn full_path(env: &Env) -> Res<()> {
    let small = population(env, 10).await?;
    let large = population(env, 100_000).await?;
    let active = |n: usize| large.headers.get(..n).ok_or("too few clients");
    let traffic: [(&str, &ClientCache, &[String]); 4] = [
        ("10 registered, 10 active", &small.cache, &small.headers),
        ("100000 registered, 10 active", &large.cache, active(10)?),
        (
            "100000 registered, 1000 active",
            &large.cache,
            active(1_000)?,
        ),
        (
            "100000 registered, all active",
            &large.cache,
            &large.headers,
        ),
    ];
    println!(
        "full path = parse the Basic header, look up through a warm ClientCache, authenticate:"
    );
    let mut best = [f64::INFINITY; 4];
    for _ in 0..ROUNDS {
        for (b, (_, cache, headers)) in best.iter_mut().zip(&traffic) {
            *b = b.min(round(env, cache, headers).await?);
        }
    }
    for (ns, (name, _, _)) in best.iter().zip(&traffic) {
        line(&format!("full path, {name}"), *ns);
    }
    let [ten, large_ten, _, large_all] = best;
    println!(
        "ratio 100000 / 10 registered clients, same traffic: {:.2}",
        large_ten / ten
    );
    println!(
        "ratio with all 100000 active (a working set beyond the CPU caches): {:.2}",
        large_all / ten
    );
    Ok(())
}

/// One client authentication at the token endpoint, as the handler will do it.
async fn one(
    cache: &ClientCache,
    hasher: &SecretHasher,
    clock: &SystemClock,
    header: &str,
) -> bool {
    let Ok(presented) = PresentedCredentials::extract(Some(header), CredentialFields::default())
    else {
        return false;
    };
    let Some(id) = presented.client_id() else {
        return false;
    };
    let Ok(record) = cache.get(&id).await else {
        return false;
    };
    authenticate(&presented, record.as_deref(), hasher, clock.now()).is_ok()
}
