//! `charter users ...`.

use super::*;

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
fn users_update_changes_only_the_claims_given() {
    for env in backends() {
        let created = json(&charter(
            &env,
            &[
                "users",
                "create",
                "--json",
                "--username",
                "bob",
                "--email",
                "bob@example.com",
                "--email-verified",
                "--name",
                "Bob",
                "--locale",
                "en-GB",
                "--password-stdin",
            ],
            Some("correct horse battery staple\n"),
        ));
        let updated = json(&charter(
            &env,
            &[
                "users", "update", "--json", "bob", "--name", "Robert", "--clear", "locale",
            ],
            None,
        ));
        assert_eq!(updated["sub"], created["sub"]);
        assert_eq!(updated["name"], "Robert");
        assert!(updated.get("locale").is_none(), "{updated}");
        assert_eq!(updated["email"], "bob@example.com", "not given: kept");
        assert_eq!(updated["email_verified"], true);
        // A new address is unverified unless said otherwise.
        let moved = json(&charter(
            &env,
            &[
                "users",
                "update",
                "--json",
                "bob",
                "--email",
                "bob@new.example",
            ],
            None,
        ));
        assert_eq!(moved["email_verified"], false);
        let shown = json(&charter(&env, &["users", "show", "--json", "bob"], None));
        assert_eq!(shown["name"], "Robert");
        assert_eq!(shown["email"], "bob@new.example");

        for (args, needle) in [
            (vec!["users", "update", "bob", "--email", "nope"], "email"),
            (
                vec!["users", "update", "bob", "--clear", "nickname"],
                "nickname",
            ),
            (vec!["users", "update", "bob"], "nothing to change"),
            (vec!["users", "update", "nobody", "--name", "X"], "nobody"),
        ] {
            assert_one_line_error(&charter(&env, &args, None), needle);
        }
        drop(env.db);
    }
}
