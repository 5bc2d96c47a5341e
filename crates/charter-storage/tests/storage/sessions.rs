//! SessionStore.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::ids::Subject;
use charter_core::random::SystemTokenGenerator;
use charter_core::session::Session;
use charter_core::store::{Housekeeping, SessionStore};
use charter_storage::SeaStore;
use charter_storage::entity::browser_sessions;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};

use crate::support::{T0, create_user};

on_both_backends!(
    sessions_round_trip,
    duplicate_sessions_conflict,
    touching_moves_the_idle_deadline,
    deleting_sessions,
    deleting_by_sid_only_ends_the_owners_session,
    sessions_are_listed_newest_first,
    ending_all_of_a_users_sessions,
    a_session_needs_an_existing_user,
    unreadable_session_rows_are_corrupt,
    expired_sessions_are_swept,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

/// A session of `user` created at `T0 + created` seconds, with a 30 min idle and 10 h absolute timeout.
fn session(user: &Subject, name: &str, created: u64) -> Session {
    Session {
        id_hash: format!("digest-{name}"),
        sid: format!("sid-{name}"),
        user_sub: user.clone(),
        auth_time: at(created),
        amr: vec!["pwd".into()],
        ip: Some("192.0.2.7".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        created_at: at(created),
        last_seen_at: at(created),
        idle_expires_at: at(created + 1800),
        expires_at: at(created + 36_000),
    }
}

async fn count(store: &SeaStore) -> u64 {
    browser_sessions::Entity::find()
        .count(store.connection())
        .await
        .unwrap()
}

async fn sessions_round_trip(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let full = Session {
        auth_time: at(5),
        amr: vec![
            "pwd".into(),
            "otp".into(),
            "with space".into(),
            "\"q\"".into(),
        ],
        ip: Some("2001:db8::1".into()),
        user_agent: Some("Navigateur « été » 🚀".into()),
        last_seen_at: at(70),
        ..session(&user.sub, "full", 10)
    };
    let sparse = Session {
        amr: Vec::new(),
        ip: None,
        user_agent: None,
        ..session(&user.sub, "sparse", 20)
    };
    for s in [&full, &sparse] {
        store.create_session(s).await.unwrap();
        assert_eq!(
            store.find_session(&s.id_hash).await.unwrap().as_ref(),
            Some(s)
        );
    }
    assert_eq!(store.find_session("digest-unknown").await.unwrap(), None);
    // Looked up by digest only, never by sid.
    assert_eq!(store.find_session(&full.sid).await.unwrap(), None);
}

async fn duplicate_sessions_conflict(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let first = session(&user.sub, "a", 0);
    store.create_session(&first).await.unwrap();

    let same_digest = Session {
        sid: "sid-other".into(),
        ..first.clone()
    };
    let err = store.create_session(&same_digest).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("session")), "{err:?}");

    let same_sid = Session {
        id_hash: "digest-other".into(),
        ..first.clone()
    };
    let err = store.create_session(&same_sid).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("session sid")),
        "{err:?}"
    );

    assert_eq!(count(&store).await, 1);
    assert_eq!(
        store.find_session(&first.id_hash).await.unwrap(),
        Some(first)
    );
}

async fn touching_moves_the_idle_deadline(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let s = session(&user.sub, "a", 0);
    store.create_session(&s).await.unwrap();

    store
        .touch_session(&s.id_hash, at(600), at(2400))
        .await
        .unwrap();
    let touched = store.find_session(&s.id_hash).await.unwrap().unwrap();
    assert_eq!(
        touched,
        Session {
            last_seen_at: at(600),
            idle_expires_at: at(2400),
            ..s.clone()
        }
    );

    // A session that is gone stays gone.
    store
        .touch_session("digest-unknown", at(600), at(2400))
        .await
        .unwrap();
    assert_eq!(store.find_session("digest-unknown").await.unwrap(), None);
    assert_eq!(count(&store).await, 1);
}

async fn deleting_sessions(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let a = session(&user.sub, "a", 0);
    let b = session(&user.sub, "b", 1);
    store.create_session(&a).await.unwrap();
    store.create_session(&b).await.unwrap();

    assert!(store.delete_session(&a.id_hash).await.unwrap());
    assert_eq!(store.find_session(&a.id_hash).await.unwrap(), None);
    assert!(!store.delete_session(&a.id_hash).await.unwrap());
    // Only by digest.
    assert!(!store.delete_session(&b.sid).await.unwrap());
    assert_eq!(store.find_session(&b.id_hash).await.unwrap(), Some(b));
}

async fn deleting_by_sid_only_ends_the_owners_session(store: SeaStore) {
    let alice = create_user(&store, "alice").await;
    let bob = create_user(&store, "bob").await;
    let hers = session(&alice.sub, "alice", 0);
    let his = session(&bob.sub, "bob", 0);
    store.create_session(&hers).await.unwrap();
    store.create_session(&his).await.unwrap();

    // Alice cannot end Bob's session, even knowing its sid.
    assert!(
        !store
            .delete_session_by_sid(&alice.sub, &his.sid)
            .await
            .unwrap()
    );
    assert_eq!(
        store.find_session(&his.id_hash).await.unwrap().as_ref(),
        Some(&his)
    );
    // Nor by passing its digest as a sid.
    assert!(
        !store
            .delete_session_by_sid(&bob.sub, &his.id_hash)
            .await
            .unwrap()
    );

    assert!(
        store
            .delete_session_by_sid(&bob.sub, &his.sid)
            .await
            .unwrap()
    );
    assert_eq!(store.find_session(&his.id_hash).await.unwrap(), None);
    assert!(
        !store
            .delete_session_by_sid(&bob.sub, &his.sid)
            .await
            .unwrap()
    );
    assert_eq!(store.find_session(&hers.id_hash).await.unwrap(), Some(hers));
}

async fn sessions_are_listed_newest_first(store: SeaStore) {
    let alice = create_user(&store, "alice").await;
    let bob = create_user(&store, "bob").await;
    assert!(store.list_sessions(&alice.sub).await.unwrap().is_empty());

    // Created out of order; "b" and "c" at the same second are ordered by digest.
    for (name, created) in [("c", 20), ("old", 0), ("new", 50), ("b", 20)] {
        store
            .create_session(&session(&alice.sub, name, created))
            .await
            .unwrap();
    }
    store
        .create_session(&session(&bob.sub, "bob", 100))
        .await
        .unwrap();

    let listed = store.list_sessions(&alice.sub).await.unwrap();
    let names: Vec<_> = listed.iter().map(|s| s.sid.as_str()).collect();
    assert_eq!(names, ["sid-new", "sid-b", "sid-c", "sid-old"]);
    assert_eq!(listed[0], session(&alice.sub, "new", 50));

    let unknown = Subject::generate(&SystemTokenGenerator::new());
    assert!(store.list_sessions(&unknown).await.unwrap().is_empty());
}

async fn ending_all_of_a_users_sessions(store: SeaStore) {
    let alice = create_user(&store, "alice").await;
    let bob = create_user(&store, "bob").await;
    for i in 0..4 {
        store
            .create_session(&session(&alice.sub, &format!("alice-{i}"), i))
            .await
            .unwrap();
    }
    store
        .create_session(&session(&bob.sub, "bob", 0))
        .await
        .unwrap();

    // Keep the current one ("sign out everywhere else").
    let n = store
        .delete_user_sessions(&alice.sub, Some("digest-alice-2"))
        .await
        .unwrap();
    assert_eq!(n, 3);
    let left: Vec<_> = store
        .list_sessions(&alice.sub)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    assert_eq!(left, ["digest-alice-2"]);

    // Keeping a digest that is not one of hers (here Bob's) protects nothing of hers and touches nothing of his.
    assert_eq!(
        store
            .delete_user_sessions(&alice.sub, Some("digest-bob"))
            .await
            .unwrap(),
        1
    );
    assert!(store.list_sessions(&alice.sub).await.unwrap().is_empty());
    assert_eq!(store.list_sessions(&bob.sub).await.unwrap().len(), 1);

    // Nothing left to end.
    assert_eq!(
        store.delete_user_sessions(&alice.sub, None).await.unwrap(),
        0
    );

    // Without `keep`, all of them.
    store
        .create_session(&session(&bob.sub, "bob-2", 1))
        .await
        .unwrap();
    assert_eq!(store.delete_user_sessions(&bob.sub, None).await.unwrap(), 2);
    assert_eq!(count(&store).await, 0);
}

async fn a_session_needs_an_existing_user(store: SeaStore) {
    create_user(&store, "alice").await;
    let stranger = Subject::generate(&SystemTokenGenerator::new());
    let err = store
        .create_session(&session(&stranger, "orphan", 0))
        .await
        .unwrap_err();
    // Refused by the foreign key, and said so: not mistaken for a duplicate.
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("user does not exist")),
        "{err:?}"
    );
    assert_eq!(count(&store).await, 0);
}

async fn unreadable_session_rows_are_corrupt(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let s = session(&user.sub, "a", 0);
    store.create_session(&s).await.unwrap();
    let row = browser_sessions::Entity::find_by_id(s.id_hash.as_str())
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.amr, r#"["pwd"]"#, "amr is a JSON array");

    for bad in ["pwd", "", r#"{"pwd":true}"#, "[1]", r#"["pwd""#] {
        let mut active = row.clone().into_active_model();
        active.amr = Set(bad.to_owned());
        active.update(store.connection()).await.unwrap();
        let err = store.find_session(&s.id_hash).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    what: "session amr",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
        let err = store.list_sessions(&user.sub).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { .. }),
            "{bad:?}: {err:?}"
        );
    }
}

async fn expired_sessions_are_swept(store: SeaStore) {
    let user = create_user(&store, "alice").await;
    let live = session(&user.sub, "live", 0);
    let idle = Session {
        idle_expires_at: at(100),
        ..session(&user.sub, "idle", 0)
    };
    let absolute = Session {
        expires_at: at(100),
        ..session(&user.sub, "absolute", 0)
    };
    for s in [&live, &idle, &absolute] {
        store.create_session(s).await.unwrap();
    }

    let report = store.sweep_expired(at(99), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("browser_sessions", 0)),
        "{report:?}"
    );
    assert_eq!(count(&store).await, 3);

    // At the deadline the session is over (`is_live` is false), and so it is swept.
    assert!(!idle.is_live(at(100)) && !absolute.is_live(at(100)) && live.is_live(at(100)));
    let report = store.sweep_expired(at(100), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("browser_sessions", 2)),
        "{report:?}"
    );
    let left: Vec<_> = store
        .list_sessions(&user.sub)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    assert_eq!(left, [live.id_hash]);
}
