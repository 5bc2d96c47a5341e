//! The `charter` binary as operators and scripts use it: real processes, real exit codes, real output.
//! Each test runs on SQLite and, with `CHARTER_TEST_DATABASE_URL`, on PostgreSQL.
//!
//! - [`users`], [`clients`], [`keys`], [`registration`]: the administrative subcommands;
//! - [`config`]: configuration errors and `secrets generate`;
//! - [`serve`]: `charter serve` start-up, health, shutdown and an unreachable database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use charter_storage::testing::TestDatabase;
use serde_json::Value;

pub(crate) const PEPPER: &str = "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA=";
pub(crate) const KEK: &str = "a2VrLWtlay1rZWsta2VrLWtlay1rZWsta2VrLWtlay0=";

pub(crate) struct Env {
    pub(crate) vars: HashMap<String, String>,
    _dir: tempfile::TempDir,
    db: TestDatabase,
}

pub(crate) fn env_for(db: TestDatabase) -> Env {
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

pub(crate) fn backends() -> Vec<Env> {
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

pub(crate) fn charter(env: &Env, args: &[&str], stdin: Option<&str>) -> Output {
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

pub(crate) fn json(out: &Output) -> Value {
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

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    let err = stderr(out);
    assert!(
        err.contains(needle),
        "stderr {err:?} should mention {needle:?}"
    );
    assert!(!err.contains("panicked"), "no panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
}

mod audit;
mod clients;
mod config;
mod crash;
mod keys;
mod registration;
mod serve;
mod users;
