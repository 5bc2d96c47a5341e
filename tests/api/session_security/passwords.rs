//! SPEC-CHECKLIST part C on passwords: an unknown user costs a (dummy) hash like a wrong password (C.10), long
//! Unicode passwords are accepted and never truncated, the minimum counts characters (C.11), and password fields
//! let managers fill them and allow paste (C.16).

use std::time::{Duration, Instant};

use charter_testkit::{Backend, backend_tests, hidden_input, spawn_app};

use super::{PW, browser, login};

async fn an_unknown_user_costs_a_hash_like_a_wrong_password(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for name in ["alice", "bob", "carol"] {
        app.create_user(name, PW).await;
    }
    // Different accounts each time, so per-account throttling stays out of the measurement.
    let attempt = |user: String| {
        let app = &app;
        async move {
            let b = browser();
            let html = b
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden_input(&html, "csrf").unwrap();
            let start = Instant::now();
            let res = b
                .post(app.url("/login"))
                .form(&[
                    ("username", user.as_str()),
                    ("password", "wrong wrong wrong"),
                    ("csrf", csrf.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (start.elapsed(), res)
        }
    };
    let mut wrong = Duration::MAX;
    let mut unknown = Duration::MAX;
    for (i, name) in ["alice", "bob", "carol"].into_iter().enumerate() {
        let (t, res) = attempt(name.to_owned()).await;
        assert_eq!(res.status(), 200);
        wrong = wrong.min(t);
        let (t, res) = attempt(format!("ghost{i}")).await;
        assert_eq!(res.status(), 200);
        unknown = unknown.min(t);
    }
    assert!(
        unknown * 2 >= wrong,
        "an unknown user must cost a (dummy) hash too: unknown {unknown:?}, wrong password {wrong:?}"
    );
    app.stop().await;
}

async fn long_unicode_passwords_are_kept_whole(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = browser();
    login(&app, &b, "alice", PW).await;
    let change = |new: String| {
        let b = b.clone();
        let app = &app;
        async move {
            let html = b
                .get(app.url("/account"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden_input(&html, "csrf").unwrap();
            b.post(app.url("/account/password"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("current_password", PW),
                    ("new_password", new.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Eleven characters are too few, however many bytes they take.
    assert_eq!(change("ééééééééééé".into()).await.status(), 400);
    // 200 characters of Unicode (well past 128, under 1 KiB).
    let long: String = "Pässwörd 🔑 ünïcode – ".chars().cycle().take(200).collect();
    assert!(long.len() < 1024);
    assert_eq!(change(long.clone()).await.status(), 303);
    assert_eq!(login(&app, &browser(), "alice", &long).await.status(), 303);
    // Neither a prefix nor a change in the last character is the same password: nothing is truncated.
    let prefix: String = long.chars().take(199).collect();
    let mut last_changed = prefix.clone();
    last_changed.push('!');
    let first_128: String = long.chars().take(128).collect();
    for wrong in [prefix, last_changed, first_128] {
        assert_eq!(
            login(&app, &browser(), "alice", &wrong).await.status(),
            200,
            "{} characters",
            wrong.chars().count()
        );
    }
    app.stop().await;
}

async fn password_fields_allow_managers_and_paste(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_user("alice", PW).await;
    let b = browser();
    let login_page = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login_page.contains(r#"autocomplete="username""#));
    assert!(login_page.contains(r#"type="password" autocomplete="current-password""#));
    login(&app, &b, "alice", PW).await;
    let account = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains(r#"autocomplete="current-password""#));
    assert!(account.contains(r#"autocomplete="new-password""#));
    for page in [&login_page, &account] {
        for blocker in ["onpaste", "oncopy", "<script", "maxlength"] {
            assert!(!page.contains(blocker), "{blocker} on a password page");
        }
    }
    app.stop().await;
}

backend_tests!(
    an_unknown_user_costs_a_hash_like_a_wrong_password,
    long_unicode_passwords_are_kept_whole,
    password_fields_allow_managers_and_paste,
);
