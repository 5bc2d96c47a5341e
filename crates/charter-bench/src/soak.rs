//! `charter-bench soak`: one Charter process under mixed traffic for a long time (30 minutes by default),
//! counting 5xx responses and sampling its resident memory, to catch what a ten-second benchmark cannot —
//! leaks, pools or caches that grow without bound, a crash after the millionth request.
//!
//! The set-up is the benchmark's: a fresh installation (SQLite, or a new database on `--postgres`),
//! provisioning through the CLI, the closed-loop connections of [`crate::load`]. The traffic is the mix of
//! [`mix`]; the samples, the verdict and the report are in [`report`].

mod mix;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::Args;

use crate::load::{Conn, Exchange, UnexpectedStatus};
use crate::process::Server;
use crate::provision::{api_client, install, relying_party, username, users};
use mix::{Mix, Op};
use report::{Criterion, Facts, Failures, OpCount, Rss, Sample, SoakReport};

/// An operation without an answer by then counts as failed (and its connection is replaced).
const OP_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many users: enough for several sessions per user, few enough to provision quickly.
const MAX_USERS: usize = 8;
/// The first error messages kept for the report.
const FIRST_ERRORS: usize = 5;
/// Charter's settings for the soak. Each node keeps every revocation in memory for the longest access-token
/// lifetime plus the clock skew (62 minutes by default, `revocations.rs`): memory that grows by design for the
/// first hour of traffic, which the leak indicator would mistake for a leak. 30 s + 15 s puts that horizon
/// inside the shortest judged warm-up (60 s), so what grows after the warm-up is not by design.
const SETTINGS: [(&str, &str); 3] = [
    ("CHARTER_TOKENS__ACCESS_TOKEN_LIFETIME", "30s"),
    ("CHARTER_TOKENS__MAX_ACCESS_TOKEN_LIFETIME", "30s"),
    ("CHARTER_TOKENS__CLOCK_SKEW", "15s"),
];

#[derive(Debug, Clone, Args)]
pub struct SoakOpts {
    /// How long the traffic runs: 90s, 30m, 1h, 1h30m.
    #[arg(long, value_parser = crate::duration::parse, default_value = "30m")]
    duration: Duration,
    /// How often memory, requests and errors are sampled (at most a tenth of the duration, at least 1 s).
    #[arg(long, value_parser = crate::duration::parse, default_value = "30s")]
    sample_every: Duration,
    /// Concurrent connections, each a user with its relying party and an API client.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Run Charter on a fresh database on this PostgreSQL server instead of SQLite
    /// (e.g. postgres://postgres@127.0.0.1:5432/postgres; the database is created and dropped).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Where soak.md, soak.json and the server log go. Default: <target dir>/soak.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

impl SoakOpts {
    fn sample_every(&self) -> Duration {
        self.sample_every
            .min(self.duration / 10)
            .max(Duration::from_secs(1))
    }
}

/// What kind of failure an operation's error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Counted from the answers themselves, not from operations.
    ServerError,
    Status(u16),
    Transport,
    Other,
}

fn classify(e: &anyhow::Error) -> Failure {
    if let Some(u) = e.downcast_ref::<UnexpectedStatus>() {
        let status = u.got.as_u16();
        return if status >= 500 {
            Failure::ServerError
        } else {
            Failure::Status(status)
        };
    }
    let transport = e
        .chain()
        .any(|c| c.is::<hyper::Error>() || c.is::<std::io::Error>());
    if transport {
        Failure::Transport
    } else {
        Failure::Other
    }
}

/// What the workers counted since the last sample.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    server_errors: u64,
    latencies_us: Vec<u32>,
    ops: [(u64, u64); Op::ALL.len()],
    failures: Failures,
}

impl Tally {
    /// Counts one operation and the requests it made.
    fn record(&mut self, op: Op, exchanges: Vec<Exchange>, outcome: &anyhow::Result<()>) {
        for x in exchanges {
            self.requests += 1;
            self.server_errors += u64::from(x.status >= 500);
            self.latencies_us.push(x.micros);
        }
        let (ok, failed) = &mut self.ops[op.index()];
        let Err(e) = outcome else {
            *ok += 1;
            return;
        };
        *failed += 1;
        let f = &mut self.failures;
        match classify(e) {
            Failure::ServerError => {}
            Failure::Status(s) => *f.statuses.entry(s).or_default() += 1,
            Failure::Transport => f.transport += 1,
            Failure::Other => f.other += 1,
        }
        if f.first.len() < FIRST_ERRORS {
            f.first.push(format!("{}: {e:#}", op.name()));
        }
    }

    /// Adds `other` (a later interval) to this one, latencies aside.
    fn absorb(&mut self, other: Tally) {
        self.requests += other.requests;
        self.server_errors += other.server_errors;
        for (mine, theirs) in self.ops.iter_mut().zip(other.ops) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
        let (f, o) = (&mut self.failures, other.failures);
        for (s, n) in o.statuses {
            *f.statuses.entry(s).or_default() += n;
        }
        f.transport += o.transport;
        f.other += o.other;
        let room = FIRST_ERRORS.saturating_sub(f.first.len());
        f.first.extend(o.first.into_iter().take(room));
    }

    fn other_errors(&self) -> u64 {
        let f = &self.failures;
        f.statuses.values().sum::<u64>() + f.transport + f.other
    }
}

/// The 0.99 quantile of `us`, in milliseconds (sorts `us`).
fn p99_ms(us: &mut [u32]) -> f64 {
    if us.is_empty() {
        return 0.0;
    }
    us.sort_unstable();
    let i = ((us.len() - 1) as f64 * 0.99).round() as usize;
    f64::from(us[i]) / 1000.0
}

/// Adds what the workers counted since the last sample to `total`, and samples.
fn sample(
    tally: &std::sync::Mutex<Tally>,
    total: &mut Tally,
    start: Instant,
    server: &Server,
) -> Sample {
    let mut interval = tally
        .lock()
        .map(|mut t| std::mem::take(&mut *t))
        .unwrap_or_default();
    let p99 = p99_ms(&mut interval.latencies_us);
    let interval_requests = interval.requests;
    total.absorb(interval);
    let s = Sample {
        elapsed_s: start.elapsed().as_secs_f64(),
        requests: total.requests,
        server_errors: total.server_errors,
        other_errors: total.other_errors(),
        rss_mib: server.rss_mib(),
        interval_requests,
        p99_ms: p99,
    };
    eprintln!(
        "  {:>6.0} s  {:>9} requests  {:>4} 5xx  {:>4} other errors  p99 {:>7.2} ms  RSS {:>6.1} MiB",
        s.elapsed_s, s.requests, s.server_errors, s.other_errors, s.p99_ms, s.rss_mib
    );
    s
}

/// One worker: operations back to back on one connection until `stop`.
async fn work(
    mut mix: Mix,
    addr: std::net::SocketAddr,
    tally: Arc<std::sync::Mutex<Tally>>,
    stop: Arc<AtomicBool>,
) {
    let mut conn = Conn::recording(addr);
    while !stop.load(Ordering::Relaxed) {
        let op = mix.next_op();
        let outcome = match tokio::time::timeout(OP_TIMEOUT, mix.run(op, &mut conn)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                conn = Conn::recording(addr);
                Err(anyhow::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {OP_TIMEOUT:?}"),
                )))
            }
        };
        let failed = outcome.is_err();
        if let Ok(mut t) = tally.lock() {
            t.record(op, conn.take_exchanges(), &outcome);
        }
        if failed {
            // A refused connection fails at once: without a pause a dead server would be hammered.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// What the traffic produced, besides the samples.
#[derive(Debug)]
struct Traffic {
    total: Tally,
    child_exit: Option<String>,
    elapsed: Duration,
}

/// Runs `mixes` against `server` for `duration` (or until it exits), appending a sample every `every` and one
/// at the end.
async fn traffic(
    server: &mut Server,
    mixes: Vec<Mix>,
    duration: Duration,
    every: Duration,
    samples: &mut Vec<Sample>,
) -> Traffic {
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = mixes
        .into_iter()
        .map(|mix| tokio::spawn(work(mix, server.addr, tally.clone(), stop.clone())))
        .collect();
    let mut total = Tally::default();
    let mut child_exit = None;
    let end = start + duration;
    let mut next = start + every;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        next += every;
        if let Some(status) = server.exited() {
            child_exit = Some(status.to_string());
            break;
        }
        samples.push(sample(&tally, &mut total, start, server));
    }
    if child_exit.is_none() {
        tokio::time::sleep_until(end.into()).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    if child_exit.is_none() {
        child_exit = server.exited().map(|status| status.to_string());
    }
    samples.push(sample(&tally, &mut total, start, server));
    Traffic {
        total,
        child_exit,
        elapsed: start.elapsed(),
    }
}

/// Runs the soak test; `Ok(true)` when it passed.
pub async fn run(opts: SoakOpts) -> anyhow::Result<bool> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| crate::target_dir().join("soak"));
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs)?;
    let release = !cfg!(debug_assertions);
    let bin = crate::build_charter(release)?;
    let installation = install(&bin, &logs, opts.postgres.as_deref()).await?;
    let backend = installation.backend;
    let charter = &installation.charter;
    eprintln!("soak: charter on {backend}");
    let mut server = charter.serve(&SETTINGS, &format!("soak-{backend}")).await?;

    let c = opts.concurrency.max(1);
    let n_users = c.min(MAX_USERS);
    users(charter, n_users)?;
    let api = api_client(charter, "soak-api")?;
    let rp = relying_party(charter, "soak-rp", false)?;

    let criterion = Criterion::default();
    let warmup = criterion.warmup(opts.duration);
    let every = opts.sample_every();
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let mut samples = vec![Sample {
        rss_mib: server.rss_mib(),
        ..Sample::default()
    }];
    eprintln!(
        "soak: {c} connections for {:?}, sampling every {every:?}, RSS {:.1} MiB before the traffic",
        opts.duration, samples[0].rss_mib
    );

    // Staggered through the cycle, so that the sign-ins do not all come at once.
    let mixes = (0..c)
        .map(|i| Mix::new(username(i % n_users), &rp, &api, i * 7))
        .collect();
    let traffic = traffic(&mut server, mixes, opts.duration, every, &mut samples).await;
    if traffic.child_exit.is_none() {
        server.stop();
    }
    drop(installation);

    let Traffic {
        total,
        child_exit,
        elapsed,
    } = traffic;
    let operations: Vec<OpCount> = Op::ALL
        .iter()
        .zip(total.ops)
        .map(|(op, (ok, failed))| OpCount {
            name: op.name().to_owned(),
            ok,
            failed,
        })
        .collect();
    let rss = Rss::of(&samples, warmup);
    let verdict = criterion.judge(&Facts {
        run: opts.duration,
        requests: total.requests,
        server_errors: total.server_errors,
        child_exit: child_exit.as_deref(),
        operations: &operations,
        rss,
    });
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report = SoakReport {
        started_at,
        backend: backend.to_owned(),
        profile: if release { "release" } else { "debug" }.to_owned(),
        machine: format!("{cores} cores, {}", std::env::consts::ARCH),
        concurrency: c,
        settings: SETTINGS.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        planned_s: opts.duration.as_secs_f64(),
        elapsed_s: elapsed.as_secs_f64(),
        sample_every_s: every.as_secs_f64(),
        warmup_s: warmup.as_secs_f64(),
        requests: total.requests,
        server_errors: total.server_errors,
        failures: total.failures,
        operations,
        child_exit,
        rss,
        samples,
        criterion,
        verdict,
    };
    report.write(&out).context("write the soak report")?;
    print!("{}", report.summary());
    eprintln!("report: {}", out.join("soak.md").display());
    Ok(report.verdict.pass)
}

#[cfg(test)]
mod tests;
