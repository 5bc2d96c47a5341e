//! `charter keys ...`: list, rotate, revoke, rewrap.

use super::*;

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

/// `keys revoke` writes one `key_revoked` event, as the CLI, naming the key; a refused revoke writes nothing.
#[test]
fn keys_revoke_is_audited() {
    for env in backends() {
        let keys = json(&charter(&env, &["keys", "rotate", "--json"], None));
        let kid = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["alg"] == "ES256" && k["state"] == "active")
            .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned();
        let revoked = || {
            json(&charter(
                &env,
                &["audit", "list", "--json", "--kind", "key_revoked"],
                None,
            ))
        };
        assert_eq!(revoked(), serde_json::json!([]), "nothing before");
        assert_one_line_error(
            &charter(&env, &["keys", "revoke", "no-such-kid"], None),
            "no key",
        );
        assert_eq!(revoked(), serde_json::json!([]), "a refusal is not audited");

        json(&charter(&env, &["keys", "revoke", "--json", &kid], None));
        let trail = revoked();
        assert_eq!(trail.as_array().unwrap().len(), 1, "{trail}");
        let e = &trail[0];
        assert_eq!(e["kind"], "key_revoked");
        assert_eq!(e["actor"], "cli");
        assert_eq!(e["detail"]["kid"], kid.as_str());
        assert_eq!(
            (&e["user"], &e["client_id"], &e["ip"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );

        assert_one_line_error(
            &charter(&env, &["keys", "revoke", &kid], None),
            "already revoked",
        );
        assert_eq!(revoked().as_array().unwrap().len(), 1, "written once");
    }
}
