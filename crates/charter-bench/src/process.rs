//! Child processes under measurement — Charter (`charter serve`) and the floor — and what `/proc` says about
//! them: CPU seconds and resident memory.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use crate::load::Conn;

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// A running server process.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// From spawn to the first 200 on `/readyz`.
    pub started_in: Duration,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the process ended, once it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// User + system CPU seconds the process has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())) else {
            return 0.0;
        };
        // Fields after the parenthesised command name (which may contain spaces): utime is the 14th field of
        // the line, the 12th after ")".
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            return 0.0;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (tick(11) + tick(12)) / TICKS_PER_SECOND
    }

    /// Resident set size in MiB.
    pub fn rss_mib(&self) -> f64 {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", self.pid())) else {
            return 0.0;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }

    /// SIGTERM, then wait (up to 15 s, then SIGKILL).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A free loopback port (bound and released; the child binds it a moment later).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `GET /readyz` until it answers 200.
async fn wait_ready(addr: SocketAddr, child: &mut Child, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the server exited during start-up ({status})");
        }
        let mut conn = Conn::new(addr);
        if let Ok(a) = conn.get("/readyz", &[]).await
            && a.status == 200
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server was not ready within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// How to run Charter: its binary, its environment (database, secrets, data directory), its logs.
#[derive(Debug, Clone)]
pub struct Charter {
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
    pub log_dir: PathBuf,
}

impl Charter {
    /// `charter serve` on a fresh port; returns once `/readyz` answers 200.
    pub async fn serve(&self, extra_env: &[(&str, &str)], label: &str) -> anyhow::Result<Server> {
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(self.log_dir.join(format!("charter-{label}.log")))?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("CHARTER_LISTEN", addr.to_string())
            .env("CHARTER_ISSUER", format!("http://{addr}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {}", self.bin.display()))?;
        wait_ready(addr, &mut child, Duration::from_secs(60)).await?;
        Ok(Server {
            child,
            addr,
            started_in: started.elapsed(),
        })
    }

    /// Runs an administrative subcommand with `--json`, feeding `stdin`; returns its JSON output.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<serde_json::Value> {
        use std::io::Write;
        let mut child = Command::new(&self.bin)
            .arg("--json")
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("CHARTER_LOG_LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take()
            && let Some(s) = stdin
        {
            input.write_all(s.as_bytes())?;
            input.write_all(b"\n")?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "charter {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("JSON from charter {}", args.join(" ")))
    }
}

/// Starts this binary's `floor` subcommand and waits until it answers.
pub async fn floor(log_dir: &Path) -> anyhow::Result<Server> {
    use std::io::BufRead;
    let exe = std::env::current_exe()?;
    let log = std::fs::File::create(log_dir.join("floor.log"))?;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg("floor")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    // The floor prints its address first thing, then nothing more.
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr: SocketAddr = loop {
        let line = lines
            .next()
            .ok_or_else(|| anyhow!("the floor server exited"))??;
        if let Some(a) = line.strip_prefix("listening ") {
            break a.parse()?;
        }
    };
    wait_ready(addr, &mut child, Duration::from_secs(10)).await?;
    Ok(Server {
        child,
        addr,
        started_in: started.elapsed(),
    })
}
