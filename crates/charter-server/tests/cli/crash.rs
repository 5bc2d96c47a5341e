//! Crash safety (issue 14): `kill -9` in the middle of load loses nothing Charter acknowledged and leaves
//! nothing half-written, because every multi-step change is one transaction.
//!
//! A real `charter serve` takes concurrent dynamic client registrations (RFC 7591: client, secret hash and
//! registration access token written together) and token requests, and is killed with SIGKILL mid-load. Then
//! the database is opened directly: every client answered 201 is there; the key set is valid (one active key
//! per configured algorithm); and after a restart each acknowledged client can still be managed with its
//! registration access token (the client row and its token row both exist) and still gets tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use charter_core::ids::{ClientId, Subject};
use charter_core::keys::KeyState;
use charter_core::store::{ClientStore, GrantStore, KeyStore};
use charter_storage::{ConnectOptions, SeaStore};

use super::*;

mod flows;
use flows::{create_user, create_web_client, flow_worker, refresh};

/// A `charter serve` child process.
fn start(vars: &HashMap<String, String>) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["serve", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    let addr = loop {
        let line = lines.next().expect("the server's log").unwrap();
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["message"] == "charter is serving"
        {
            break v["local_addr"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
    };
    std::thread::spawn(move || lines.map_while(Result::ok).count());
    (child, format!("http://{addr}"))
}

/// One acknowledged registration.
#[derive(Debug, Clone)]
struct Registered {
    id: String,
    secret: String,
    access_token: String,
}

async fn register(http: &reqwest::Client, base: &str, n: usize) -> Option<Registered> {
    let res = http
        .post(format!("{base}/register"))
        .json(&serde_json::json!({
            "client_name": format!("crash {n}"),
            "grant_types": ["client_credentials"],
            "response_types": [],
            "scope": "openid",
        }))
        .send()
        .await
        .ok()?;
    if res.status() != 201 {
        return None;
    }
    let body: Value = res.json().await.ok()?;
    Some(Registered {
        id: body["client_id"].as_str()?.to_owned(),
        secret: body["client_secret"].as_str()?.to_owned(),
        access_token: body["registration_access_token"].as_str()?.to_owned(),
    })
}

async fn client_credentials(http: &reqwest::Client, base: &str, c: &Registered) -> Option<u16> {
    http.post(format!("{base}/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[test]
fn kill_9_under_load_loses_nothing_acknowledged() {
    for env in backends() {
        let mut vars = env.vars.clone();
        vars.insert("CHARTER_REGISTRATION__MODE".into(), "open".into());
        vars.insert("CHARTER_REGISTRATION__RATE_LIMIT".into(), "1000000".into());
        vars.insert("CHARTER_LIMITS__PER_IP_PER_SECOND".into(), "0".into());
        vars.insert("CHARTER_LIMITS__PER_CLIENT_PER_SECOND".into(), "0".into());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sub = create_user(&env);
        let web: Vec<(String, String)> = (0..3).map(|n| create_web_client(&env.vars, n)).collect();
        let (mut child, base) = start(&vars);

        let acknowledged = rt.block_on(async {
            let http = reqwest::Client::new();
            let stop = Arc::new(AtomicBool::new(false));
            let mut workers = Vec::new();
            for w in 0..8 {
                let (http, base, stop) = (http.clone(), base.clone(), stop.clone());
                workers.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    let mut n = w * 100_000;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        if let Some(c) = register(&http, &base, n).await {
                            // Work for the server between writes: a token for the new client.
                            let _ = client_credentials(&http, &base, &c).await;
                            mine.push(c);
                        }
                    }
                    mine
                }));
            }
            let progress = Arc::new(AtomicUsize::new(0));
            let flows: Vec<_> = web
                .iter()
                .map(|(id, secret)| {
                    tokio::spawn(flow_worker(
                        base.clone(),
                        id.clone(),
                        secret.clone(),
                        stop.clone(),
                        progress.clone(),
                    ))
                })
                .collect();
            // Let the load build up, then kill the server in the middle of it.
            // (at least a second, and until a few code flows are through, for at most 30 s).
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30)
                && (started.elapsed() < Duration::from_millis(1500)
                    || progress.load(Ordering::Relaxed) < 3)
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            child.kill().unwrap();
            let _ = child.wait();
            stop.store(true, Ordering::Relaxed);
            let mut all = Vec::new();
            for w in workers {
                all.extend(w.await.unwrap());
            }
            let mut logs = Vec::new();
            for f in flows {
                logs.push(f.await.unwrap());
            }
            (all, logs)
        });
        let (acknowledged, flows) = acknowledged;
        let completed: usize = flows.iter().map(|f| f.flows).sum();
        eprintln!("{completed} code flows acknowledged before the kill");
        assert!(
            completed >= 1,
            "the load should have completed code flows before the kill"
        );
        eprintln!(
            "{} registrations acknowledged before the kill",
            acknowledged.len()
        );
        assert!(
            acknowledged.len() >= 5,
            "the load should have registered clients before the kill: {}",
            acknowledged.len()
        );

        // The database as the crash left it.
        rt.block_on(async {
            let store = SeaStore::connect(&ConnectOptions::new(
                env.vars["CHARTER_DATABASE_URL"].clone(),
            ))
            .await
            .unwrap();
            for c in &acknowledged {
                let id = ClientId::parse(&c.id).unwrap();
                assert!(
                    store.find_client(&id).await.unwrap().is_some(),
                    "client {} was acknowledged (201) but is gone",
                    c.id
                );
            }
            // Every client that completed a flow has its consent (written with the grant, in one transaction).
            let consents = store
                .list_consents(&Subject::parse(&sub).unwrap())
                .await
                .unwrap();
            for f in flows.iter().filter(|f| f.flows > 0) {
                assert!(
                    consents.iter().any(|c| c.client_id.as_str() == f.client_id),
                    "the consent to {} was acknowledged but is gone",
                    f.client_id
                );
            }
            let keys = store.list_keys().await.unwrap();
            for alg in ["RS256", "ES256", "EdDSA"] {
                let active = keys
                    .iter()
                    .filter(|k| k.alg == alg && k.state == KeyState::Active)
                    .count();
                assert_eq!(active, 1, "exactly one active {alg} key");
            }
            store.close().await;
        });

        // A restart serves, and every acknowledged client is whole: manageable with its registration token,
        // and able to get tokens with its secret.
        let (mut child, base) = start(&vars);
        rt.block_on(async {
            let http = reqwest::Client::new();
            let res = http.get(format!("{base}/readyz")).send().await.unwrap();
            assert_eq!(res.status(), 200);
            for c in &acknowledged {
                let res = http
                    .get(format!("{base}/register/{}", c.id))
                    .bearer_auth(&c.access_token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "client {} readable with its token", c.id);
                assert_eq!(client_credentials(&http, &base, c).await, Some(200));
            }
            // The grant behind every acknowledged refresh token is whole: the token still refreshes (unless the
            // kill cut off a request that used it, when the rotation may have committed unseen).
            for f in flows.iter().filter(|f| !f.cut_off) {
                if let Some(token) = &f.last_refresh {
                    let res = refresh(&http, &base, &f.client_id, &f.secret, token).await;
                    assert_eq!(res.map(|r| r.0), Some(200), "refresh for {}", f.client_id);
                }
            }
        });
        child.kill().unwrap();
        let _ = child.wait();
        drop(env);
    }
}
