//! `charter clients ...`, and secrets never stored in clear.

use super::*;

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
fn clients_create_registers_private_key_jwt_clients() {
    // A P-256 public key (the curve's generator point).
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
        "x": "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
        "y": "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
    }]});
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks.to_string()).unwrap();
    let at_file = format!("@{}", file.display());
    let inline = jwks.to_string();
    let mut private = jwks.clone();
    private["keys"][0]["d"] = serde_json::json!("axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY");
    let private = private.to_string();
    for env in backends() {
        let base = [
            "clients",
            "create",
            "--json",
            "--name",
            "Signed",
            "--redirect-uri",
        ];
        let create = |extra: &[&str]| {
            let mut args = base.to_vec();
            args.push("https://signed.example/cb");
            args.extend_from_slice(&["--auth-method", "private_key_jwt"]);
            args.extend_from_slice(extra);
            charter(&env, &args, None)
        };
        for keys in [&at_file, &inline] {
            let c = json(&create(&["--jwks", keys]));
            assert_eq!(c["token_endpoint_auth_method"], "private_key_jwt");
            assert!(
                c.get("client_secret").is_none(),
                "no secret for private_key_jwt"
            );
            assert_eq!(c["jwks"], jwks);
        }
        let c = json(&create(&["--jwks-uri", "https://signed.example/jwks.json"]));
        assert_eq!(c["jwks_uri"], "https://signed.example/jwks.json");
        assert!(c.get("client_secret").is_none());

        assert_one_line_error(&create(&[]), "invalid_client_metadata");
        assert_one_line_error(&create(&["--jwks", &private]), "invalid_client_metadata");
        assert_one_line_error(&create(&["--jwks", "{not json"]), "--jwks is not JSON");
        assert_one_line_error(
            &create(&["--jwks", "@/nonexistent/jwks.json"]),
            "cannot read",
        );
        let both = create(&[
            "--jwks",
            &inline,
            "--jwks-uri",
            "https://signed.example/jwks.json",
        ]);
        assert!(!both.status.success());
    }
}
