//! Layering, unknown keys, flat environment names and the one-line errors.

use std::collections::HashMap;
use std::io::Write;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(contents: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    f
}

fn err(r: Result<Settings, ConfigError>) -> ConfigError {
    r.expect_err("expected a configuration error")
}

#[test]
fn zero_configuration() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.issuer, IssuerSetting::FromListen);
    assert_eq!(s.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(s.data_dir, PathBuf::from("./data"));
    assert_eq!(s.database.kind, DatabaseKind::Sqlite);
    assert_eq!(s.database.url, "sqlite://./data/charter.db?mode=rwc");
    assert!(matches!(s.pepper, PepperSource::DataDir(_)));
    assert_eq!(s.password_policy.min_chars, 12);
    let issuer = issuer_from_listen(s.listen).unwrap();
    assert_eq!(issuer.as_str(), "http://127.0.0.1:8080");
}

#[test]
fn flat_environment_names() {
    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_ISSUER", "https://id.example"),
            ("CHARTER_LISTEN", "0.0.0.0:9000"),
            ("CHARTER_DATA_DIR", "/tmp/charter-x"),
            (
                "CHARTER_DATABASE_URL",
                "sqlite:///abs/path/charter.db?mode=rwc",
            ),
        ]),
    )
    .unwrap();
    match &s.issuer {
        IssuerSetting::Configured(i) => assert_eq!(i.as_str(), "https://id.example"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.listen.port(), 9000);
    assert_eq!(s.data_dir, PathBuf::from("/tmp/charter-x"));
    assert_eq!(s.database.url, "sqlite:///abs/path/charter.db?mode=rwc");
}

#[test]
fn sections_lists_and_durations_from_the_environment() {
    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_SERVER__TRUSTED_PROXIES", "10.0.0.0/8,192.168.1.1"),
            ("CHARTER_DATABASE__MAX_CONNECTIONS", "3"),
            ("CHARTER_SWEEPER__INTERVAL", "5m"),
        ]),
    )
    .unwrap();
    assert!(
        s.server
            .trusted_proxies
            .contains("10.1.2.3".parse().unwrap())
    );
    assert!(
        s.server
            .trusted_proxies
            .contains("192.168.1.1".parse().unwrap())
    );
    assert_eq!(s.database.max_connections, 3);
    assert_eq!(s.sweeper.interval, Duration::from_secs(300));
}

#[test]
fn unknown_environment_variables_are_ignored() {
    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_TEST_DATABASE_URL", "postgres://x"),
            ("CHARTER_SOMETHING__ELSE", "1"),
        ]),
    );
    assert!(s.is_ok(), "{s:?}");
}

#[test]
fn file_layer_and_env_wins() {
    let f = file("listen = \"127.0.0.1:7000\"\n[server]\nworkers = 2\n");
    let s = Settings::load_from(Some(f.path()), env(&[])).unwrap();
    assert_eq!(s.listen.port(), 7000);
    assert_eq!(s.server.workers, 2);
    let s =
        Settings::load_from(Some(f.path()), env(&[("CHARTER_LISTEN", "127.0.0.1:7001")])).unwrap();
    assert_eq!(s.listen.port(), 7001);
}

#[test]
fn unknown_keys_in_a_file_are_errors() {
    let f = file("[server]\nworkerz = 2\n");
    let e = err(Settings::load_from(Some(f.path()), env(&[])));
    assert_eq!(e.key, "server.workerz");
    assert!(e.reason.contains("unknown key"), "{e}");

    let f = file("colour = \"blue\"\n");
    assert_eq!(
        err(Settings::load_from(Some(f.path()), env(&[]))).key,
        "colour"
    );
}

#[test]
fn missing_file_is_an_error() {
    let e = err(Settings::load_from(
        Some(Path::new("/nonexistent/charter.toml")),
        env(&[]),
    ));
    assert_eq!(e.key, "--config");
}

#[test]
fn invalid_values_name_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("CHARTER_ISSUER", "http://id.example", "issuer"),
        ("CHARTER_ISSUER", "not a url", "issuer"),
        ("CHARTER_LISTEN", "nowhere", "listen"),
        ("CHARTER_DATABASE_URL", "mysql://x", "database_url"),
        (
            "CHARTER_DATABASE__MAX_CONNECTIONS",
            "many",
            "database.max_connections",
        ),
        (
            "CHARTER_DATABASE__CONNECT_TIMEOUT",
            "soon",
            "database.connect_timeout",
        ),
        (
            "CHARTER_SERVER__TRUSTED_PROXIES",
            "not-an-ip",
            "server.trusted_proxies",
        ),
        ("CHARTER_LOG_FORMAT", "xml", "log_format"),
        ("CHARTER_SECRET_PEPPER", "c2hvcnQ=", "secret_pepper"),
        (
            "CHARTER_USERS__PASSWORD_MIN_LENGTH",
            "4",
            "users.password_min_length",
        ),
        ("CHARTER_SWEEPER__BATCH_SIZE", "0", "sweeper.batch_size"),
        (
            "CHARTER_KEY_ENCRYPTION_KEY",
            "c2hvcnQ=",
            "key_encryption_key",
        ),
        ("CHARTER_KEYS__ALGORITHMS", "ES256", "keys.algorithms"),
        ("CHARTER_KEYS__ALGORITHMS", "RS256,HS256", "keys.algorithms"),
        ("CHARTER_KEYS__RSA_BITS", "1024", "keys.rsa_bits"),
        ("CHARTER_KEYS__PREPUBLISH", "1m", "keys.prepublish"),
        (
            "CHARTER_TOKENS__ACCESS_TOKEN_ALG",
            "PS256",
            "tokens.access_token_alg",
        ),
        (
            "CHARTER_TOKENS__ACCESS_TOKEN_LIFETIME",
            "2h",
            "tokens.access_token_lifetime",
        ),
    ];
    for (var, value, key) in cases {
        let e = err(Settings::load_from(None, env(&[(var, value)])));
        assert_eq!(e.key, *key, "{var}={value}: {e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
}

#[test]
fn postgres_needs_a_configured_pepper_and_kek() {
    let e = err(Settings::load_from(
        None,
        env(&[("CHARTER_DATABASE_URL", "postgres://u@h/db")]),
    ));
    assert_eq!(e.key, "secret_pepper");
    assert!(e.reason.contains("charter secrets generate"));
    let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let e = err(Settings::load_from(
        None,
        env(&[
            ("CHARTER_DATABASE_URL", "postgres://u@h/db"),
            ("CHARTER_SECRET_PEPPER", key),
        ]),
    ));
    assert_eq!(e.key, "key_encryption_key");
    let ok = Settings::load_from(
        None,
        env(&[
            ("CHARTER_DATABASE_URL", "postgres://u@h/db"),
            ("CHARTER_SECRET_PEPPER", key),
            ("CHARTER_KEY_ENCRYPTION_KEY", key),
        ]),
    )
    .unwrap();
    assert_eq!(ok.database.kind, DatabaseKind::Postgres);
}

#[test]
fn key_and_token_defaults() {
    use charter_keys::SigningAlg::*;
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.keys.algorithms, [RS256, ES256, EdDSA]);
    assert_eq!(s.tokens.id_token_alg, RS256);
    assert_eq!(s.tokens.access_token_alg, ES256);
    assert!(matches!(s.kek, KekSource::DataDir(_)));
    let m = s.keys.manager_settings(&s.tokens);
    assert_eq!(m.policy.rotation_interval, Duration::from_secs(30 * 86_400));
    // Retired keys outlive the longest token (1 h access tokens) plus skew.
    assert_eq!(m.policy.retire_for, Duration::from_secs(3600 + 120));
    let s = Settings::load_from(
        None,
        env(&[("CHARTER_KEYS__ALGORITHMS", "RS256,PS256,ES256")]),
    )
    .unwrap();
    assert_eq!(s.keys.algorithms, [RS256, PS256, ES256]);
}

#[test]
fn plain_http_issuer_only_when_allowed() {
    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_ISSUER", "http://id.internal"),
            ("CHARTER_ALLOW_INSECURE_ISSUER", "true"),
        ]),
    );
    assert!(s.is_ok());
}

#[test]
fn listen_address_derives_the_issuer() {
    let i = issuer_from_listen("0.0.0.0:8080".parse().unwrap()).unwrap();
    assert_eq!(i.as_str(), "http://127.0.0.1:8080");
    let i = issuer_from_listen("[::1]:9".parse().unwrap()).unwrap();
    assert_eq!(i.as_str(), "http://[::1]:9");
}

#[test]
fn outbound_defaults_and_bounds() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.outbound, charter_outbound::OutboundPolicy::default());
    assert!(!s.outbound.allow_loopback && !s.outbound.allow_private);
    assert_eq!(s.outbound.timeout, Duration::from_secs(5));
    assert_eq!(s.outbound.max_body, 65536);

    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_OUTBOUND__ALLOW_LOOPBACK", "true"),
            ("CHARTER_OUTBOUND__ALLOW_PRIVATE", "true"),
            ("CHARTER_OUTBOUND__TIMEOUT", "750ms"),
            ("CHARTER_OUTBOUND__MAX_BODY", "4096"),
        ]),
    )
    .unwrap();
    assert!(s.outbound.allow_loopback && s.outbound.allow_private);
    assert_eq!(s.outbound.timeout, Duration::from_millis(750));
    assert_eq!(s.outbound.max_body, 4096);

    for (var, value, key) in [
        ("CHARTER_OUTBOUND__TIMEOUT", "10ms", "outbound.timeout"),
        ("CHARTER_OUTBOUND__TIMEOUT", "2m", "outbound.timeout"),
        ("CHARTER_OUTBOUND__TIMEOUT", "soon", "outbound.timeout"),
        ("CHARTER_OUTBOUND__MAX_BODY", "100", "outbound.max_body"),
        (
            "CHARTER_OUTBOUND__MAX_BODY",
            "100000000",
            "outbound.max_body",
        ),
        (
            "CHARTER_OUTBOUND__ALLOW_LOOPBACK",
            "perhaps",
            "outbound.allow_loopback",
        ),
    ] {
        let e = err(Settings::load_from(None, env(&[(var, value)])));
        assert_eq!(e.key, key, "{var}={value}: {e}");
    }
}

#[test]
fn admin_listen_is_optional_and_names_its_key() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.admin_listen, None);
    let s = Settings::load_from(None, env(&[("CHARTER_ADMIN_LISTEN", "  ")])).unwrap();
    assert_eq!(s.admin_listen, None);

    let s = Settings::load_from(None, env(&[("CHARTER_ADMIN_LISTEN", "127.0.0.1:9091")])).unwrap();
    assert_eq!(s.admin_listen, Some("127.0.0.1:9091".parse().unwrap()));
    let f = file("admin_listen = \"[::1]:9092\"\n");
    let s = Settings::load_from(Some(f.path()), env(&[])).unwrap();
    assert_eq!(s.admin_listen, Some("[::1]:9092".parse().unwrap()));

    for value in ["9091", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:8080"] {
        let e = err(Settings::load_from(
            None,
            env(&[("CHARTER_ADMIN_LISTEN", value)]),
        ));
        assert_eq!(e.key, "admin_listen", "{value}: {e}");
        assert!(e.to_string().contains("admin_listen"), "{e}");
    }
    // Port 0 on both: two different ephemeral ports (the test kit's case).
    let s = Settings::load_from(
        None,
        env(&[
            ("CHARTER_LISTEN", "127.0.0.1:0"),
            ("CHARTER_ADMIN_LISTEN", "127.0.0.1:0"),
        ]),
    )
    .unwrap();
    assert_eq!(s.admin_listen, Some("127.0.0.1:0".parse().unwrap()));
}

#[test]
fn the_pool_size_defaults_by_backend() {
    let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let size = |url: &str, configured: Option<&str>| {
        let mut vars = vec![
            ("CHARTER_DATABASE_URL", url),
            ("CHARTER_SECRET_PEPPER", key),
            ("CHARTER_KEY_ENCRYPTION_KEY", key),
        ];
        if let Some(n) = configured {
            vars.push(("CHARTER_DATABASE__MAX_CONNECTIONS", n));
        }
        Settings::load_from(None, env(&vars))
            .unwrap()
            .database
            .max_connections
    };
    assert_eq!(size("sqlite:///tmp/charter-test.db", None), 4);
    assert_eq!(size("postgres://db.internal/charter", None), 16);
    assert_eq!(size("sqlite:///tmp/charter-test.db", Some("0")), 4);
    assert_eq!(size("sqlite:///tmp/charter-test.db", Some("9")), 9);
    assert_eq!(size("postgres://db.internal/charter", Some("40")), 40);
}
