//! The `charter` binary as operators and scripts use it: real processes, real exit codes, real output.
//! Each test runs on SQLite and, with `CHARTER_TEST_DATABASE_URL`, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use charter_storage::testing::TestDatabase;
use serde_json::Value;

const PEPPER: &str = "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA=";
const KEK: &str = "a2VrLWtlay1rZWsta2VrLWtlay1rZWsta2VrLWtlay0=";

struct Env {
    vars: HashMap<String, String>,
    _dir: tempfile::TempDir,
    db: TestDatabase,
}

fn env_for(db: TestDatabase) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut vars: HashMap<String, String> = [
        ("CHARTER_DATABASE_URL", db.url.clone()),
        ("CHARTER_DATA_DIR", dir.path().display().to_string()),
        ("CHARTER_SECRET_PEPPER", PEPPER.to_owned()),
        ("CHARTER_LISTEN", "127.0.0.1:0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // PostgreSQL requires a configured key-encryption key; SQLite generates one in the data directory.
    if db.url.starts_with("postgres") {
        vars.insert("CHARTER_KEY_ENCRYPTION_KEY".into(), KEK.into());
    }
    Env {
        vars,
        _dir: dir,
        db,
    }
}

fn backends() -> Vec<Env> {
    let mut v = vec![env_for(TestDatabase::sqlite())];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match rt.block_on(TestDatabase::postgres()) {
        Some(db) => v.push(env_for(db)),
        None => eprintln!("PostgreSQL variant skipped: CHARTER_TEST_DATABASE_URL is not set"),
    }
    v
}

fn charter(env: &Env, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_charter"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&env.vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    let err = stderr(out);
    assert!(
        err.contains(needle),
        "stderr {err:?} should mention {needle:?}"
    );
    assert!(!err.contains("panicked"), "no panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
}

#[test]
fn users_create_prints_sub_and_username() {
    for env in backends() {
        let out = charter(
            &env,
            &[
                "users",
                "create",
                "--json",
                "--username",
                "Alice",
                "--email",
                "alice@example.com",
                "--email-verified",
                "--name",
                "Alice Liddell",
                "--given-name",
                "Alice",
                "--family-name",
                "Liddell",
                "--password-stdin",
            ],
            Some("correct horse battery staple\n"),
        );
        let user = json(&out);
        assert_eq!(user["username"], "Alice");
        assert_eq!(user["sub"].as_str().unwrap().len(), 36);
        assert_eq!(user["email_verified"], true);
        assert!(user.get("password_hash").is_none());

        // Case-insensitive uniqueness.
        let dup = charter(
            &env,
            &[
                "users",
                "create",
                "--json",
                "--username",
                "alice",
                "--email",
                "a@example.com",
                "--name",
                "A",
                "--password-stdin",
            ],
            Some("another long password\n"),
        );
        assert_one_line_error(&dup, "taken");

        // Show by username and by sub; list.
        let shown = json(&charter(&env, &["users", "show", "--json", "alice"], None));
        assert_eq!(shown["sub"], user["sub"]);
        let sub = user["sub"].as_str().unwrap();
        let listed = json(&charter(&env, &["users", "list", "--json"], None));
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["sub"], sub);

        // Disable, enable, set-password.
        let disabled = json(&charter(&env, &["users", "disable", "--json", sub], None));
        assert_eq!(disabled["disabled"], true);
        let enabled = json(&charter(&env, &["users", "enable", "--json", sub], None));
        assert_eq!(enabled["disabled"], false);
        let changed = json(&charter(
            &env,
            &[
                "users",
                "set-password",
                "--json",
                "--password-stdin",
                "alice",
            ],
            Some("a brand new passphrase\r\n"),
        ));
        assert_eq!(changed["password_changed"], true);
        drop(env.db);
    }
}

#[test]
fn users_create_refuses_bad_input_in_one_line() {
    for env in backends() {
        let short = charter(
            &env,
            &[
                "users",
                "create",
                "--username",
                "bob",
                "--email",
                "b@example.com",
                "--name",
                "Bob",
                "--password-stdin",
            ],
            Some("short\n"),
        );
        assert_one_line_error(&short, "shorter than 12");

        let huge = "x".repeat(2000);
        let long = charter(
            &env,
            &[
                "users",
                "create",
                "--username",
                "bob",
                "--email",
                "b@example.com",
                "--name",
                "Bob",
                "--password-stdin",
            ],
            Some(&format!("{huge}\n")),
        );
        assert_one_line_error(&long, "longer than 1024");

        let bad_email = charter(
            &env,
            &[
                "users",
                "create",
                "--username",
                "bob",
                "--email",
                "nope",
                "--name",
                "Bob",
                "--password-stdin",
            ],
            Some("long enough password\n"),
        );
        assert_one_line_error(&bad_email, "email");

        let empty = charter(
            &env,
            &[
                "users",
                "create",
                "--username",
                "bob",
                "--email",
                "b@example.com",
                "--name",
                "Bob",
                "--password-stdin",
            ],
            Some(""),
        );
        assert_one_line_error(&empty, "no password");

        let missing = charter(&env, &["users", "show", "nobody"], None);
        assert_one_line_error(&missing, "no user");
    }
}

#[test]
fn clients_create_prints_rfc7591_fields() {
    for env in backends() {
        let out = charter(
            &env,
            &[
                "clients",
                "create",
                "--json",
                "--name",
                "Web App",
                "--redirect-uri",
                "https://app.example/cb",
                "--redirect-uri",
                "http://127.0.0.1:3000/cb",
                "--grant-type",
                "authorization_code",
                "--grant-type",
                "refresh_token",
                "--scope",
                "openid profile email api:read",
                "--post-logout-redirect-uri",
                "https://app.example/bye",
            ],
            None,
        );
        let c = json(&out);
        let id = c["client_id"].as_str().unwrap();
        assert_eq!(id.len(), 22);
        let secret = c["client_secret"].as_str().unwrap();
        assert_eq!(secret.len(), 43, "256-bit secret");
        assert_eq!(c["client_secret_expires_at"], 0);
        assert_eq!(c["client_name"], "Web App");
        assert_eq!(
            c["redirect_uris"],
            serde_json::json!(["https://app.example/cb", "http://127.0.0.1:3000/cb"])
        );
        assert_eq!(
            c["grant_types"],
            serde_json::json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(c["response_types"], serde_json::json!(["code"]));
        assert_eq!(c["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(c["scope"], "api:read email openid profile");
        assert_eq!(
            c["post_logout_redirect_uris"],
            serde_json::json!(["https://app.example/bye"])
        );
        assert_eq!(c["require_pkce"], true);

        // The secret is shown once: `show` does not reveal it.
        let shown = json(&charter(&env, &["clients", "show", "--json", id], None));
        assert!(shown.get("client_secret").is_none());
        assert_eq!(shown["redirect_uris"], c["redirect_uris"]);

        // Public and machine clients.
        let spa = json(&charter(
            &env,
            &[
                "clients",
                "create",
                "--json",
                "--name",
                "SPA",
                "--redirect-uri",
                "https://spa.example/cb",
                "--auth-method",
                "none",
            ],
            None,
        ));
        assert!(spa.get("client_secret").is_none());
        assert_eq!(spa["token_endpoint_auth_method"], "none");
        let m2m = json(&charter(
            &env,
            &[
                "clients",
                "create",
                "--json",
                "--name",
                "Batch",
                "--grant-type",
                "client_credentials",
                "--scope",
                "api:read",
                "--audience",
                "https://api.example",
            ],
            None,
        ));
        assert!(m2m["redirect_uris"].as_array().unwrap().is_empty());
        assert_eq!(m2m["audiences"], serde_json::json!(["https://api.example"]));

        let listed = json(&charter(&env, &["clients", "list", "--json"], None));
        assert_eq!(listed.as_array().unwrap().len(), 3);

        // Rotation returns a new secret; delete removes the client.
        let rotated = json(&charter(
            &env,
            &[
                "clients",
                "rotate-secret",
                "--json",
                id,
                "--keep-old-for",
                "24h",
            ],
            None,
        ));
        assert_ne!(rotated["client_secret"].as_str().unwrap(), secret);
        let deleted = json(&charter(&env, &["clients", "delete", "--json", id], None));
        assert_eq!(deleted["deleted"], true);
        assert_one_line_error(&charter(&env, &["clients", "show", id], None), "no client");
    }
}

#[test]
fn clients_create_refuses_bad_metadata_with_rfc7591_codes() {
    for env in backends() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["--name", "X", "--redirect-uri", "http://app.example/cb"],
                "invalid_redirect_uri",
            ),
            (
                &[
                    "--name",
                    "X",
                    "--redirect-uri",
                    "https://app.example/cb#frag",
                ],
                "invalid_redirect_uri",
            ),
            (
                &["--name", "X", "--redirect-uri", "https://*.example/cb"],
                "invalid_redirect_uri",
            ),
            (&["--name", "X"], "invalid_redirect_uri"),
            (
                &[
                    "--name",
                    "X",
                    "--redirect-uri",
                    "https://a.example/cb",
                    "--grant-type",
                    "implicit",
                ],
                "invalid_client_metadata",
            ),
            (
                &[
                    "--name",
                    "X",
                    "--grant-type",
                    "client_credentials",
                    "--auth-method",
                    "none",
                ],
                "invalid_client_metadata",
            ),
            (
                &[
                    "--name",
                    "X",
                    "--redirect-uri",
                    "https://a.example/cb",
                    "--scope",
                    "bad\"scope",
                ],
                "invalid_client_metadata",
            ),
            (
                &[
                    "--name",
                    "X",
                    "--redirect-uri",
                    "https://a.example/cb",
                    "--auth-method",
                    "none",
                    "--no-require-pkce",
                ],
                "invalid_client_metadata",
            ),
        ];
        for (args, code) in cases {
            let mut full = vec!["clients", "create", "--json"];
            full.extend_from_slice(args);
            let out = charter(&env, &full, None);
            assert_one_line_error(&out, code);
            assert!(out.stdout.is_empty(), "nothing on stdout for a refusal");
        }
        let listed = json(&charter(&env, &["clients", "list", "--json"], None));
        assert!(
            listed.as_array().unwrap().is_empty(),
            "nothing half-written"
        );
    }
}

#[test]
fn secrets_are_not_stored_in_clear() {
    let env = env_for(TestDatabase::sqlite());
    let c = json(&charter(
        &env,
        &[
            "clients",
            "create",
            "--json",
            "--name",
            "X",
            "--redirect-uri",
            "https://a.example/cb",
        ],
        None,
    ));
    let secret = c["client_secret"].as_str().unwrap();
    json(&charter(
        &env,
        &[
            "users",
            "create",
            "--json",
            "--username",
            "u",
            "--email",
            "u@example.com",
            "--name",
            "U",
            "--password-stdin",
        ],
        Some("a secret passphrase\n"),
    ));
    let path = env.db.url.trim_start_matches("sqlite://");
    let path = path.split('?').next().unwrap();
    // Read the database file and its WAL: neither may contain a secret in clear.
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(!haystack.contains(secret), "client secret in clear");
    assert!(
        !haystack.contains("a secret passphrase"),
        "password in clear"
    );
    assert!(haystack.contains("hmac-sha256$"), "the keyed hash is there");
}

#[test]
fn bad_configuration_is_one_line_and_exit_code_2() {
    let env = env_for(TestDatabase::sqlite());
    let mut bad = Env {
        vars: env.vars.clone(),
        _dir: tempfile::tempdir().unwrap(),
        db: TestDatabase::sqlite(),
    };
    bad.vars
        .insert("CHARTER_ISSUER".into(), "http://id.example".into());
    let out = charter(&bad, &["users", "list"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "issuer");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("charter.toml");
    std::fs::write(&file, "[server]\nworkerz = 1\n").unwrap();
    let out = charter(&env, &["--config", file.to_str().unwrap(), "migrate"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_one_line_error(&out, "server.workerz");

    let out = charter(&env, &["clients", "create", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn secrets_generate_prints_a_32_byte_key() {
    let env = env_for(TestDatabase::sqlite());
    let out = json(&charter(&env, &["secrets", "generate", "--json"], None));
    let key = out["key"].as_str().unwrap();
    assert_eq!(key.len(), 44);
}

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

fn states(keys: &Value, alg: &str) -> Vec<String> {
    let mut v: Vec<String> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == alg)
        .map(|k| k["state"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn keys_list_rotate_revoke_rewrap() {
    for mut env in backends() {
        assert_eq!(
            json(&charter(&env, &["keys", "list", "--json"], None)),
            serde_json::json!([])
        );

        // A rotation on an empty database creates an active and a next key for each algorithm.
        let keys = json(&charter(&env, &["keys", "rotate", "--json"], None));
        for alg in ["RS256", "ES256", "EdDSA"] {
            assert_eq!(states(&keys, alg), ["active", "next"], "{alg}");
        }
        // The next key was published a moment ago: relying parties may not know it yet.
        assert_one_line_error(
            &charter(&env, &["keys", "rotate", "--alg", "ES256"], None),
            "--force",
        );

        let keys = json(&charter(
            &env,
            &["keys", "rotate", "--json", "--alg", "ES256", "--force"],
            None,
        ));
        assert_eq!(states(&keys, "ES256"), ["active", "next", "retired"]);
        assert_eq!(states(&keys, "RS256"), ["active", "next"]);

        let active_rs = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["alg"] == "RS256" && k["state"] == "active")
            .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned();
        let keys = json(&charter(
            &env,
            &["keys", "revoke", "--json", &active_rs],
            None,
        ));
        assert_eq!(states(&keys, "RS256"), ["active", "next", "revoked"]);
        assert_one_line_error(
            &charter(&env, &["keys", "revoke", &active_rs], None),
            "already revoked",
        );
        assert_one_line_error(
            &charter(&env, &["keys", "revoke", "no-such-kid"], None),
            "no key",
        );
        assert_one_line_error(
            &charter(&env, &["keys", "rotate", "--alg", "HS256"], None),
            "is not one of",
        );

        // Rewrap under a new KEK: every key with material is re-encrypted.
        let new_kek = "bmV3LWtlay1uZXcta2VrLW5ldy1rZWstbmV3LWtlay0=";
        let out = json(&charter(
            &env,
            &["keys", "rewrap", "--json", "--new-key-stdin"],
            Some(&format!("{new_kek}\n")),
        ));
        assert_eq!(
            out["rewrapped"], 7,
            "3 active + 3 next + 1 retired; the revoked key has no material"
        );
        if env.vars.contains_key("CHARTER_KEY_ENCRYPTION_KEY") {
            // A configured KEK: the old one no longer opens the keys, the new one does.
            assert_one_line_error(
                &charter(&env, &["keys", "rotate", "--alg", "EdDSA", "--force"], None),
                "key-encryption key",
            );
            env.vars
                .insert("CHARTER_KEY_ENCRYPTION_KEY".into(), new_kek.into());
        }
        // With a data-directory KEK the file was replaced, so this just works.
        let keys = json(&charter(
            &env,
            &["keys", "rotate", "--json", "--alg", "EdDSA", "--force"],
            None,
        ));
        assert_eq!(states(&keys, "EdDSA"), ["active", "next", "retired"]);
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
