//! AssertionReplayStore: a client assertion's `jti` is accepted once per client, racing uses get one winner, and
//! expired rows are swept.

use std::time::Duration;

use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::store::{AssertionReplayStore, Housekeeping};
use charter_storage::SeaStore;
use charter_storage::entity::client_assertion_jtis;
use sea_orm::EntityTrait;

use crate::support::T0;

on_both_backends!(
    a_jti_is_accepted_once,
    jtis_are_per_client,
    racing_uses_have_one_winner,
    expired_jtis_are_swept,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn client(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

async fn rows(store: &SeaStore) -> Vec<(String, String, i64)> {
    let mut rows: Vec<_> = client_assertion_jtis::Entity::find()
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.client_id, row.jti, row.expires_at))
        .collect();
    rows.sort();
    rows
}

async fn a_jti_is_accepted_once(store: SeaStore) {
    let c = client("rp");
    assert!(store.remember_assertion(&c, "j-1", at(60)).await.unwrap());
    assert!(!store.remember_assertion(&c, "j-1", at(60)).await.unwrap());
    // A replay with another expiry is still a replay, and does not move the first expiry.
    assert!(!store.remember_assertion(&c, "j-1", at(300)).await.unwrap());
    assert!(store.remember_assertion(&c, "j-2", at(60)).await.unwrap());
    assert_eq!(
        rows(&store).await,
        [
            ("rp".to_owned(), "j-1".to_owned(), at(60).unix()),
            ("rp".to_owned(), "j-2".to_owned(), at(60).unix()),
        ]
    );
}

async fn jtis_are_per_client(store: SeaStore) {
    assert!(
        store
            .remember_assertion(&client("rp-a"), "same", at(60))
            .await
            .unwrap()
    );
    assert!(
        store
            .remember_assertion(&client("rp-b"), "same", at(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_assertion(&client("rp-a"), "same", at(60))
            .await
            .unwrap()
    );
    for jti in ["SAME", "same ", "sam"] {
        assert!(
            store
                .remember_assertion(&client("rp-a"), jti, at(60))
                .await
                .unwrap(),
            "{jti:?}"
        );
    }
}

async fn racing_uses_have_one_winner(store: SeaStore) {
    let c = client("racer");
    let attempts = (0..8).map(|_| {
        let store = store.clone();
        let c = c.clone();
        tokio::spawn(async move { store.remember_assertion(&c, "contested", at(60)).await })
    });
    let mut firsts = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        if attempt.await.unwrap().unwrap() {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
}

async fn expired_jtis_are_swept(store: SeaStore) {
    for i in 0..5 {
        let expires = if i < 3 { at(60) } else { at(600) };
        assert!(
            store
                .remember_assertion(&client("rp-a"), &format!("j-{i}"), expires)
                .await
                .unwrap()
        );
    }
    // The same jti, expired for one client and live for another: only the expired row goes.
    assert!(
        store
            .remember_assertion(&client("rp-b"), "j-0", at(600))
            .await
            .unwrap()
    );

    let swept = |report: &charter_core::store::SweepReport| {
        report
            .deleted
            .iter()
            .find(|(table, _)| *table == "client_assertion_jtis")
            .map(|(_, n)| *n)
    };
    let report = store.sweep_expired(at(59), 100).await.unwrap();
    assert_eq!(swept(&report), Some(0));
    let report = store.sweep_expired(at(60), 2).await.unwrap();
    assert_eq!(swept(&report), Some(2));
    let report = store.sweep_expired(at(60), 100).await.unwrap();
    assert_eq!(swept(&report), Some(1));
    let left: Vec<_> = rows(&store)
        .await
        .into_iter()
        .map(|(c, j, _)| (c, j))
        .collect();
    assert_eq!(
        left,
        [
            ("rp-a".to_owned(), "j-3".to_owned()),
            ("rp-a".to_owned(), "j-4".to_owned()),
            ("rp-b".to_owned(), "j-0".to_owned()),
        ]
    );
    // Once swept, the jti is free again (the assertion that carried it has long expired).
    assert!(
        store
            .remember_assertion(&client("rp-a"), "j-0", at(660))
            .await
            .unwrap()
    );
}
