//! # charter-bench: Charter's benchmark harness
//!
//! `cargo run --release -p charter-bench -- all` builds Charter in release mode, measures two floors on this
//! machine (a minimal actix-web server answering a precomputed body, and one signing an ES256 JWT per request
//! with ring), starts Charter on a fresh SQLite database (and with `--postgres URL` on a fresh PostgreSQL
//! database too), provisions users and clients through the `charter` CLI, drives load over loopback with the
//! closed-loop generator in [`load`], and writes `target/bench/report.md` and `report.json`.
//!
//! Machines are shared and noisy, so each target is judged as a ratio to a floor measured in the same run.
//! `--smoke` runs everything briefly on the debug build, to check that the harness works (CI does this);
//! smoke numbers mean nothing.
//!
//! `cargo run --release -p charter-bench -- soak` is the soak test ([`soak`]): one Charter under mixed traffic
//! for 30 minutes, reporting 5xx responses and resident memory over time.

mod duration;
mod floor;
mod load;
mod process;
mod provision;
mod report;
mod scenarios;
mod soak;
mod suite;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::load::{Repeat, copies, drive};
use crate::report::{Report, Row};

#[derive(Debug, Parser)]
#[command(name = "charter-bench", about = "Charter's benchmark harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Every scenario; writes <out>/report.md and <out>/report.json.
    All(Opts),
    /// One Charter under mixed traffic for a long time: 5xx count and memory over time; writes
    /// <out>/soak.md and <out>/soak.json, and exits 1 unless the run passed.
    Soak(soak::SoakOpts),
    /// The floor server (started by `all`; prints `listening ADDR`).
    #[command(hide = true)]
    Floor,
}

#[derive(Debug, Clone, Args)]
pub struct Opts {
    /// Also run every Charter scenario on a fresh database on this PostgreSQL server
    /// (e.g. postgres://postgres@127.0.0.1:5432/postgres; the database is created and dropped).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Short runs on the debug build, to check that the harness works. Numbers are not judged.
    #[arg(long)]
    smoke: bool,
    /// Measured time per scenario.
    #[arg(long, value_parser = duration::parse, default_value = "10")]
    seconds: Duration,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Clients registered for the "many clients" scenario.
    #[arg(long, default_value_t = 100_000)]
    many_clients: usize,
    /// Where the report goes. Default: <target dir>/bench.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

impl Opts {
    pub fn seconds(&self) -> Duration {
        if self.smoke {
            Duration::from_millis(700)
        } else {
            self.seconds
        }
    }

    pub fn warmup(&self) -> Duration {
        if self.smoke {
            Duration::from_millis(200)
        } else {
            (self.seconds / 5).min(Duration::from_secs(3))
        }
    }

    pub fn concurrency(&self) -> usize {
        if self.smoke {
            4
        } else {
            self.concurrency.max(1)
        }
    }

    pub fn many_clients(&self) -> usize {
        if self.smoke {
            100
        } else {
            self.many_clients.max(11)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("start the runtime")
    };
    let outcome = match cli.command {
        Cmd::Floor => floor::serve().map(|()| true),
        Cmd::All(opts) => runtime().and_then(|rt| rt.block_on(all(opts)).map(|()| true)),
        Cmd::Soak(opts) => runtime().and_then(|rt| rt.block_on(soak::run(opts))),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds the `charter` binary and returns its path.
fn build_charter(release: bool) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "-p", "charter-server", "--bin", "charter"]);
    if release {
        cmd.arg("--release");
    }
    eprintln!(
        "building charter ({})",
        if release { "release" } else { "debug" }
    );
    if !cmd.status().context("run cargo build")?.success() {
        bail!("cargo build of charter failed");
    }
    let bin = target_dir()
        .join(if release { "release" } else { "debug" })
        .join("charter");
    if !bin.exists() {
        bail!("{} was not built", bin.display());
    }
    Ok(bin)
}

/// Measures one scenario against `server`.
pub async fn measure(
    report: &mut Report,
    opts: &Opts,
    server: &process::Server,
    backend: &str,
    scenario: &str,
    workers: Vec<Box<dyn load::Worker>>,
) -> Row {
    let concurrency = workers.len();
    eprintln!("  {backend}: {scenario} ({concurrency} connections)");
    let cpu = server.cpu_seconds();
    let stats = drive(server.addr, workers, opts.warmup(), opts.seconds()).await;
    let row = Row::new(
        backend,
        scenario,
        concurrency,
        &stats,
        server.cpu_seconds() - cpu,
    );
    report.rows.push(row.clone());
    row
}

async fn all(opts: Opts) -> anyhow::Result<()> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| target_dir().join("bench"));
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs)?;
    let bin = build_charter(!opts.smoke)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut report = Report {
        mode: if opts.smoke { "smoke" } else { "full" }.to_owned(),
        machine: format!("{cores} cores, {}", std::env::consts::ARCH),
        profile: if opts.smoke { "debug" } else { "release" }.to_owned(),
        ..Report::default()
    };

    eprintln!("floors");
    let floor = process::floor(&logs).await?;
    let c = opts.concurrency();
    let http = measure(
        &mut report,
        &opts,
        &floor,
        "floor",
        "HTTP ceiling (precomputed body)",
        copies(&Repeat::get("/"), c),
    )
    .await;
    let sign = measure(
        &mut report,
        &opts,
        &floor,
        "floor",
        "signing ceiling (ES256 per request)",
        copies(&Repeat::post("/sign", &[]), c),
    )
    .await;
    floor.stop();
    let floors = suite::Floors {
        http: http.per_second,
        sign: sign.per_second,
    };

    suite::run(&mut report, &opts, &bin, &logs, None, &floors).await?;
    if let Some(url) = opts.postgres.as_deref() {
        suite::run(&mut report, &opts, &bin, &logs, Some(url), &floors).await?;
    }

    report.write(&out)?;
    println!("{}", report.markdown());
    eprintln!("report: {}", out.join("report.md").display());
    // Smoke mode exists to prove every scenario works: any failed request or empty scenario fails it.
    let broken: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.errors > 0 || r.ops == 0)
        .map(|r| format!("{} / {}", r.backend, r.scenario))
        .collect();
    if opts.smoke && !broken.is_empty() {
        bail!("scenarios with errors: {}", broken.join(", "));
    }
    Ok(())
}
