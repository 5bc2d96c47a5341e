//! `charter audit list`: events newest first, filtered by time, user, client and kind; bad flags are one-line
//! usage errors.

use std::time::{SystemTime, UNIX_EPOCH};

use charter_core::Timestamp;
use charter_core::audit::{AuditEvent, AuditKind};
use charter_core::store::AuditStore;
use charter_storage::SeaStore;

use super::*;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn seed(env: &Env, events: &[AuditEvent]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = SeaStore::connect(&env.db.connect_options()).await.unwrap();
        for e in events {
            store.record_audit(e).await.unwrap();
        }
        store.close().await;
    });
}

fn kinds(out: &Value) -> Vec<String> {
    out.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn audit_list_filters_and_prints() {
    for env in backends() {
        json(&charter(&env, &["migrate", "--json"], None));
        let t = now();
        let mut failed = AuditEvent::new(AuditKind::SignInFailed, Timestamp::from_unix(t - 3600))
            .user("alice")
            .client("app")
            .detail("reason", "bad_password");
        failed.ip = Some("192.0.2.1".into());
        failed.request_id = Some("req-7".into());
        seed(
            &env,
            &[
                AuditEvent::new(
                    AuditKind::SignInSucceeded,
                    Timestamp::from_unix(t - 2 * 86400),
                )
                .user("alice"),
                failed,
                AuditEvent::new(AuditKind::ClientCreated, Timestamp::from_unix(t - 60))
                    .actor("admin")
                    .client("other"),
            ],
        );

        let all = json(&charter(&env, &["audit", "list", "--json"], None));
        assert_eq!(
            kinds(&all),
            ["client_created", "sign_in_failed", "sign_in_succeeded"]
        );
        let recent = json(&charter(
            &env,
            &[
                "audit", "list", "--json", "--since", "1d", "--user", "alice",
            ],
            None,
        ));
        assert_eq!(kinds(&recent), ["sign_in_failed"]);
        let e = &recent[0];
        assert_eq!(e["user"], "alice");
        assert_eq!(e["client_id"], "app");
        assert_eq!(e["ip"], "192.0.2.1");
        assert_eq!(e["request_id"], "req-7");
        assert_eq!(e["detail"]["reason"], "bad_password");
        assert!(e["time"].as_str().unwrap().ends_with('Z'));

        let by_client = json(&charter(
            &env,
            &["audit", "list", "--json", "--client", "other"],
            None,
        ));
        assert_eq!(kinds(&by_client), ["client_created"]);
        let by_kind = json(&charter(
            &env,
            &[
                "audit",
                "list",
                "--json",
                "--kind",
                "sign_in_succeeded",
                "--until",
                "1d",
            ],
            None,
        ));
        assert_eq!(kinds(&by_kind), ["sign_in_succeeded"]);
        let limited = json(&charter(
            &env,
            &["audit", "list", "--json", "--limit", "1"],
            None,
        ));
        assert_eq!(kinds(&limited), ["client_created"]);

        let text = charter(&env, &["audit", "list", "--user", "alice"], None);
        assert!(text.status.success(), "{}", stderr(&text));
        let text = String::from_utf8_lossy(&text.stdout);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.contains("sign_in_failed") && text.contains("ip=192.0.2.1"),
            "{text}"
        );
    }
}

#[test]
fn audit_list_refuses_bad_flags() {
    for env in backends() {
        json(&charter(&env, &["migrate", "--json"], None));
        let out = charter(&env, &["audit", "list", "--kind", "nope"], None);
        assert_one_line_error(&out, "--kind");
        assert_eq!(out.status.code(), Some(2));
        let out = charter(&env, &["audit", "list", "--since", "yesterday-ish"], None);
        assert_one_line_error(&out, "--since");
        let out = charter(&env, &["audit", "list", "--limit", "0"], None);
        assert_one_line_error(&out, "--limit");
    }
}

#[test]
fn cli_changes_are_audited_as_cli() {
    for env in backends() {
        let created = json(&charter(
            &env,
            &[
                "clients",
                "create",
                "--json",
                "--name",
                "Batch job",
                "--grant-type",
                "client_credentials",
                "--scope",
                "api:read",
            ],
            None,
        ));
        let id = created["client_id"].as_str().unwrap().to_owned();
        json(&charter(
            &env,
            &["clients", "rotate-secret", &id, "--json"],
            None,
        ));
        json(&charter(&env, &["clients", "delete", &id, "--json"], None));
        let trail = json(&charter(
            &env,
            &["audit", "list", "--json", "--client", &id],
            None,
        ));
        assert_eq!(
            kinds(&trail),
            ["client_deleted", "client_secret_rotated", "client_created"]
        );
        for e in trail.as_array().unwrap() {
            assert_eq!(e["actor"], "cli");
            assert_eq!(e["ip"], Value::Null);
        }
    }
}
