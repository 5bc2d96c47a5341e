//! `charter serve`: start-up, health, graceful shutdown, zero configuration, an unreachable database.

use super::*;

/// A `charter serve` child process, stopped with SIGTERM.
struct Served {
    child: std::process::Child,
    addr: String,
    drain: std::thread::JoinHandle<usize>,
}

fn serve(vars: &HashMap<String, String>, cwd: Option<&std::path::Path>) -> Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_charter"));
    cmd.args(["serve", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let mut addr = None;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["message"] == "charter is serving"
        {
            addr = v["local_addr"].as_str().map(str::to_owned);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
    }
    let addr = addr.expect("serving line with local_addr");
    // Keep draining the log so the server never writes into a closed pipe.
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).count());
    Served { child, addr, drain }
}

impl Served {
    fn get_ok(&self, paths: &[&str]) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // reqwest is built without a TLS crypto provider in this workspace; whoever installs one first wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        rt.block_on(async {
            let client = reqwest::Client::new();
            for path in paths {
                let res = client
                    .get(format!("http://{}{path}", self.addr))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "{path}");
            }
        });
    }

    fn sigterm(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        let _ = self.drain.join();
        exit.code()
    }
}

/// `charter serve`: starts, answers /healthz, /readyz, discovery and the JWKS; a client created by the CLI
/// meanwhile is fine; SIGTERM exits 0.
#[test]
fn serve_starts_answers_and_stops_on_sigterm() {
    for env in backends() {
        let served = serve(&env.vars, None);
        served.get_ok(&[
            "/healthz",
            "/readyz",
            "/.well-known/openid-configuration",
            "/jwks",
        ]);
        // A CLI command against the running server's database is safe.
        json(&charter(
            &env,
            &[
                "clients",
                "create",
                "--json",
                "--name",
                "While serving",
                "--redirect-uri",
                "https://a.example/cb",
            ],
            None,
        ));
        assert_eq!(served.sigterm(), Some(0), "SIGTERM exits 0");
    }
}

/// Zero configuration: SQLite, the pepper and the key-encryption key all created under ./data.
#[test]
fn serve_with_zero_configuration_uses_the_data_directory() {
    let cwd = tempfile::tempdir().unwrap();
    // Only the port is set, so the test does not depend on 8080 being free.
    let vars = HashMap::from([("CHARTER_LISTEN".to_owned(), "127.0.0.1:0".to_owned())]);
    let served = serve(&vars, Some(cwd.path()));
    served.get_ok(&["/readyz"]);
    assert_eq!(served.sigterm(), Some(0));
    for file in ["charter.db", "secret-pepper", "key-encryption-key"] {
        assert!(cwd.path().join("data").join(file).is_file(), "{file}");
    }
}

/// An unreachable database at start-up: retried with backoff for `database.startup_timeout`, then one clear line
/// and a non-zero exit (never a panic).
#[test]
fn serve_gives_up_on_an_unreachable_database() {
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("CHARTER_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "CHARTER_DATA_DIR".to_owned(),
            dir.path().display().to_string(),
        ),
        // Port 1 on loopback: nothing listens there, connections are refused at once.
        (
            "CHARTER_DATABASE_URL".to_owned(),
            "postgres://charter:hunter2@127.0.0.1:1/charter".to_owned(),
        ),
        ("CHARTER_SECRET_PEPPER".to_owned(), PEPPER.to_owned()),
        ("CHARTER_KEY_ENCRYPTION_KEY".to_owned(), KEK.to_owned()),
        (
            "CHARTER_DATABASE__STARTUP_TIMEOUT".to_owned(),
            "2s".to_owned(),
        ),
        (
            "CHARTER_DATABASE__CONNECT_TIMEOUT".to_owned(),
            "1s".to_owned(),
        ),
    ]);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["serve", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&vars)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr(&out);
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is redacted: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
    let retries = String::from_utf8_lossy(&out.stdout)
        .matches("retrying")
        .count();
    assert!(retries >= 1, "it retried: {retries}");
    assert!(started.elapsed() < Duration::from_secs(30));
}
