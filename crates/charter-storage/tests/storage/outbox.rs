//! OutboxStore: ending sessions (messages, session-bound grants, deletion in one step) and the claim /
//! finish protocol of the back-channel logout outbox.

use std::time::Duration;

use charter_core::client::ClientRecord;
use charter_core::ids::Subject;
use charter_core::logout::delivery::MessageState;
use charter_core::logout::outbox::{AttemptResult, EndSessions, SessionsEnded};
use charter_core::random::SystemTokenGenerator;
use charter_core::session::Session;
use charter_core::store::{ClientStore, GrantStore, OutboxStore, SessionStore};
use charter_storage::SeaStore;
use url::Url;

use crate::grants::{alice_and_app, at, client_id, grant};
use crate::support::client;

on_both_backends!(
    ending_a_session_queues_messages_revokes_bound_grants_and_deletes_it,
    sessions_are_selected_by_sid_user_and_expiry,
    a_message_is_claimed_by_one_holder_at_a_time,
    attempts_are_finished_by_their_holder_only,
);

const LEASE: Duration = Duration::from_secs(60);

fn listening(id: &str) -> ClientRecord {
    let mut c = client(id);
    c.client.metadata.backchannel_logout_uri =
        Some(Url::parse(&format!("https://{id}.example/bc")).unwrap());
    c
}

fn session(user: &Subject, n: u32, expires: u64) -> Session {
    Session {
        id_hash: format!("digest-{n}"),
        sid: format!("sid-{n}"),
        user_sub: user.clone(),
        auth_time: at(3),
        amr: vec!["pwd".into()],
        ip: None,
        user_agent: None,
        created_at: at(3),
        last_seen_at: at(3),
        idle_expires_at: at(expires),
        expires_at: at(expires),
    }
}

/// Alice with session 1 in which "app" (no back-channel URI) and "rp" (with one) received ID tokens.
async fn fixture(store: &SeaStore) -> Subject {
    let (alice, app) = alice_and_app(store).await;
    store.create_client(&listening("rp")).await.unwrap();
    store
        .create_session(&session(&alice, 1, 1800))
        .await
        .unwrap();
    for c in [&app, &client_id("rp")] {
        store
            .record_session_client("digest-1", c, at(4))
            .await
            .unwrap();
    }
    alice
}

async fn ending_a_session_queues_messages_revokes_bound_grants_and_deletes_it(store: SeaStore) {
    let alice = fixture(&store).await;
    let bound = grant("bound", &alice, &client_id("app"));
    let offline = charter_core::grant::Grant {
        offline_access: true,
        ..grant("offline", &alice, &client_id("rp"))
    };
    store.create_grant(&bound).await.unwrap();
    store.create_grant(&offline).await.unwrap();

    let ids = SystemTokenGenerator::new();
    let ended = store
        .end_sessions(
            EndSessions::Current {
                id_hash: "digest-1",
            },
            at(100),
            &ids,
        )
        .await
        .unwrap();
    assert_eq!(
        ended,
        SessionsEnded {
            sessions: 1,
            messages: 1,
            grants_revoked: 1
        }
    );
    assert_eq!(store.find_session("digest-1").await.unwrap(), None);
    let revoked = store.find_grant("bound").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(100)));
    assert!(
        store
            .find_grant("offline")
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );

    let claimed = store
        .claim_logout_messages("node-a", at(100), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let m = &claimed[0];
    assert_eq!(m.client_id, client_id("rp"));
    assert_eq!((m.sub.clone(), m.sid.as_str()), (alice, "sid-1"));
    assert_eq!((m.attempts, m.state), (0, MessageState::Pending));
    assert_eq!((m.created_at, m.next_attempt_at), (at(100), at(100)));
    assert!(m.jti.len() >= 16 && m.id != m.jti);

    // Ending it again ends nothing and queues nothing.
    let again = store
        .end_sessions(
            EndSessions::Current {
                id_hash: "digest-1",
            },
            at(101),
            &ids,
        )
        .await
        .unwrap();
    assert_eq!(again, SessionsEnded::default());
}

async fn sessions_are_selected_by_sid_user_and_expiry(store: SeaStore) {
    let alice = fixture(&store).await;
    store.create_session(&session(&alice, 2, 50)).await.unwrap();
    store
        .create_session(&session(&alice, 3, 5000))
        .await
        .unwrap();
    let ids = SystemTokenGenerator::new();
    // Someone else's sid matches nothing.
    let bob = crate::support::create_user(&store, "bob").await;
    let none = store
        .end_sessions(
            EndSessions::BySid {
                user: &bob.sub,
                sid: "sid-3",
            },
            at(10),
            &ids,
        )
        .await
        .unwrap();
    assert_eq!(none.sessions, 0);
    // Expiry at T0+100: only session 2 (expired at T0+50).
    let expired = store
        .end_sessions(EndSessions::Expired { batch: 10 }, at(100), &ids)
        .await
        .unwrap();
    assert_eq!(expired.sessions, 1);
    assert_eq!(store.find_session("digest-2").await.unwrap(), None);
    // Every other session of alice but number 3.
    let rest = store
        .end_sessions(
            EndSessions::AllOfUser {
                user: &alice,
                keep: Some("digest-3"),
            },
            at(100),
            &ids,
        )
        .await
        .unwrap();
    assert_eq!((rest.sessions, rest.messages), (1, 1));
    let by_sid = store
        .end_sessions(
            EndSessions::BySid {
                user: &alice,
                sid: "sid-3",
            },
            at(100),
            &ids,
        )
        .await
        .unwrap();
    assert_eq!(by_sid.sessions, 1);
    assert!(store.list_sessions(&alice).await.unwrap().is_empty());
}

async fn a_message_is_claimed_by_one_holder_at_a_time(store: SeaStore) {
    fixture(&store).await;
    let ids = SystemTokenGenerator::new();
    store
        .end_sessions(
            EndSessions::Current {
                id_hash: "digest-1",
            },
            at(100),
            &ids,
        )
        .await
        .unwrap();
    // Racing claimers: exactly one gets it.
    let (a, b) = tokio::join!(
        store.claim_logout_messages("node-a", at(100), LEASE, 10),
        store.claim_logout_messages("node-b", at(100), LEASE, 10),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    let (holder, other) = if a.is_empty() {
        ("node-b", "node-a")
    } else {
        ("node-a", "node-b")
    };
    // Held: nobody else gets it until the lease runs out; then another node may take it over.
    let held = store
        .claim_logout_messages(other, at(159), LEASE, 10)
        .await
        .unwrap();
    assert!(held.is_empty());
    let taken = store
        .claim_logout_messages(other, at(160), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    // The old holder's late result is not recorded.
    assert!(
        !store
            .finish_logout_attempt(&taken[0].id, holder, &AttemptResult::Delivered, at(161))
            .await
            .unwrap()
    );
    // Still pending (and due) until its holder finishes it.
    let s = store.outbox_summary(at(161)).await.unwrap();
    assert_eq!((s.pending, s.due, s.failed), (1, 1, 0));
    assert_eq!(s.oldest_pending, Some(at(100)));
}

async fn attempts_are_finished_by_their_holder_only(store: SeaStore) {
    fixture(&store).await;
    let ids = SystemTokenGenerator::new();
    store
        .end_sessions(
            EndSessions::Current {
                id_hash: "digest-1",
            },
            at(100),
            &ids,
        )
        .await
        .unwrap();
    let m = store
        .claim_logout_messages("a", at(100), LEASE, 10)
        .await
        .unwrap()
        .remove(0);
    let retry = AttemptResult::Retry {
        next_attempt_at: at(110),
        error: "503".into(),
    };
    assert!(
        !store
            .finish_logout_attempt(&m.id, "b", &retry, at(101))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_logout_attempt(&m.id, "a", &retry, at(101))
            .await
            .unwrap()
    );
    // Released and not due until T0+110.
    assert!(
        store
            .claim_logout_messages("b", at(109), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_logout_messages("b", at(110), LEASE, 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (
            again.attempts,
            again.jti.as_str(),
            again.last_error.as_deref()
        ),
        (1, m.jti.as_str(), Some("503"))
    );
    let failed = AttemptResult::Failed {
        error: "400".into(),
    };
    assert!(
        store
            .finish_logout_attempt(&m.id, "b", &failed, at(111))
            .await
            .unwrap()
    );
    let s = store.outbox_summary(at(10_000)).await.unwrap();
    assert_eq!((s.pending, s.failed), (0, 1));
    assert!(
        store
            .claim_logout_messages("c", at(10_000), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Delivered messages are deleted; deleting the client deletes its failed ones.
    store.delete_client(&client_id("rp")).await.unwrap();
    let s = store.outbox_summary(at(10_000)).await.unwrap();
    assert_eq!((s.pending, s.failed), (0, 0));
}
