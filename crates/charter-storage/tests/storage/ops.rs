//! Health and Leases.

use std::sync::Arc;
use std::time::Duration;

use charter_core::store::{Health, Leases};
use charter_storage::SeaStore;
use charter_storage::entity::leases;
use sea_orm::EntityTrait;

use crate::support::T0;

on_both_backends!(
    ping_answers,
    a_lease_excludes_others_until_it_expires,
    renewing_and_releasing_leases,
    only_one_of_many_racing_nodes_gets_a_lease,
);

const TTL: Duration = Duration::from_secs(30);

async fn ping_answers(store: SeaStore) {
    store.ping().await.unwrap();
}

async fn a_lease_excludes_others_until_it_expires(store: SeaStore) {
    assert!(
        store
            .try_acquire_lease("sweeper", "node-a", T0, TTL)
            .await
            .unwrap()
    );
    let row = leases::Entity::find_by_id("sweeper")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.holder.as_str(), row.expires_at),
        ("node-a", T0.unix() + 30)
    );

    // Up to the last second before expiry, node-b is refused and the row is untouched.
    for t in [0, 1, 29] {
        let now = T0.plus(Duration::from_secs(t));
        assert!(
            !store
                .try_acquire_lease("sweeper", "node-b", now, TTL)
                .await
                .unwrap(),
            "t+{t}"
        );
    }
    let row = leases::Entity::find_by_id("sweeper")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.holder.as_str(), row.expires_at),
        ("node-a", T0.unix() + 30)
    );

    // At expiry it is free for the taking; then node-a is the one refused.
    let expiry = T0.plus(TTL);
    assert!(
        store
            .try_acquire_lease("sweeper", "node-b", expiry, TTL)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_acquire_lease("sweeper", "node-a", expiry, TTL)
            .await
            .unwrap()
    );

    // Leases are independent by name.
    assert!(
        store
            .try_acquire_lease("key-rotation", "node-a", expiry, TTL)
            .await
            .unwrap()
    );
}

async fn renewing_and_releasing_leases(store: SeaStore) {
    assert!(
        store
            .try_acquire_lease("job", "node-a", T0, TTL)
            .await
            .unwrap()
    );
    // The holder renews before expiry, pushing the deadline out.
    let renew_at = T0.plus(Duration::from_secs(20));
    assert!(
        store
            .try_acquire_lease("job", "node-a", renew_at, TTL)
            .await
            .unwrap()
    );
    let past_first_deadline = T0.plus(Duration::from_secs(40));
    assert!(
        !store
            .try_acquire_lease("job", "node-b", past_first_deadline, TTL)
            .await
            .unwrap()
    );

    // Only the holder can release.
    store.release_lease("job", "node-b").await.unwrap();
    assert!(
        !store
            .try_acquire_lease("job", "node-b", past_first_deadline, TTL)
            .await
            .unwrap()
    );
    store.release_lease("job", "node-a").await.unwrap();
    assert!(
        store
            .try_acquire_lease("job", "node-b", past_first_deadline, TTL)
            .await
            .unwrap()
    );
    // Releasing what nobody holds is fine.
    store.release_lease("never-taken", "node-a").await.unwrap();
}

async fn only_one_of_many_racing_nodes_gets_a_lease(store: SeaStore) {
    let store = Arc::new(store);
    for round in 0..5u64 {
        let now = T0.plus(Duration::from_secs(round * 100));
        let name = format!("race-{round}");
        let tasks: Vec<_> = (0..8)
            .map(|node| {
                let store = Arc::clone(&store);
                let name = name.clone();
                tokio::spawn(async move {
                    store
                        .try_acquire_lease(&name, &format!("node-{node}"), now, TTL)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            if task.await.unwrap() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}");
    }
}
