//! Bad configuration and usage: one line, exit code 2; `charter secrets generate`.

use super::*;

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
