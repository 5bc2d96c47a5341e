//! The core must stay free of HTTP and database frameworks, so its rules are testable without either. This test
//! reads the real dependency graph (`cargo tree`) and fails if actix-web or sea-orm ever appears in it.

use std::process::Command;

#[test]
fn core_depends_on_neither_actix_nor_sea_orm() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--manifest-path",
            manifest,
            "-p",
            "charter-core",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--offline",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.lines().any(|l| l.starts_with("charter-core ")),
        "sanity: {tree}"
    );
    for forbidden in ["actix-web ", "actix-http ", "sea-orm ", "sqlx "] {
        let hits: Vec<&str> = tree.lines().filter(|l| l.starts_with(forbidden)).collect();
        assert!(
            hits.is_empty(),
            "charter-core must not depend on {forbidden}: {hits:?}"
        );
    }
}
