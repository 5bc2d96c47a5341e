//! ThrottleStore, and the sweep of forgotten failures.

use std::sync::Arc;
use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::store::{Housekeeping, ThrottleStore};
use charter_core::throttle::{Failures, ThrottlePolicy};
use charter_storage::SeaStore;
use charter_storage::entity::login_throttle;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::support::T0;

on_both_backends!(
    no_failures_by_default,
    failures_add_up_per_key,
    restarting_counts_from_one,
    clearing_forgets_a_key,
    concurrent_failures_all_count,
    counts_saturate,
    unreadable_throttle_rows_are_corrupt,
    forgotten_failures_are_swept,
);

const DAY: u64 = 24 * 3600;

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn failures(count: u32, last: Timestamp) -> Failures {
    Failures {
        count,
        last_at: Some(last),
    }
}

async fn insert(store: &SeaStore, key: &str, count: i32, last: Timestamp) {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(count),
        last_failure_at: Set(last.unix()),
    })
    .exec_without_returning(store.connection())
    .await
    .unwrap();
}

async fn keys(store: &SeaStore) -> Vec<String> {
    let mut keys: Vec<_> = login_throttle::Entity::find()
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.key)
        .collect();
    keys.sort();
    keys
}

async fn no_failures_by_default(store: SeaStore) {
    assert_eq!(
        store.failures("user:nobody").await.unwrap(),
        Failures::default()
    );
    assert_eq!(store.failures("").await.unwrap(), Failures::default());
}

async fn failures_add_up_per_key(store: SeaStore) {
    for (i, now) in [at(0), at(3), at(10)].into_iter().enumerate() {
        let expected = failures(u32::try_from(i).unwrap() + 1, now);
        assert_eq!(
            store
                .record_failure("user:alice", now, false)
                .await
                .unwrap(),
            expected
        );
        assert_eq!(store.failures("user:alice").await.unwrap(), expected);
    }
    // Keys are independent, and compared exactly.
    assert_eq!(
        store
            .record_failure("ip:192.0.2.1", at(11), false)
            .await
            .unwrap(),
        failures(1, at(11))
    );
    assert_eq!(
        store.failures("user:Alice").await.unwrap(),
        Failures::default()
    );
    assert_eq!(
        store.failures("user:alice").await.unwrap(),
        failures(3, at(10))
    );
}

async fn restarting_counts_from_one(store: SeaStore) {
    for i in 0..7 {
        store
            .record_failure("user:alice", at(i), false)
            .await
            .unwrap();
    }
    assert_eq!(store.failures("user:alice").await.unwrap().count, 7);

    // The old failures were forgotten: this one is the first of a new run.
    let later = at(2 * DAY);
    assert_eq!(
        store
            .record_failure("user:alice", later, true)
            .await
            .unwrap(),
        failures(1, later)
    );
    assert_eq!(
        store
            .record_failure("user:alice", later.plus(Duration::from_secs(1)), false)
            .await
            .unwrap(),
        failures(2, later.plus(Duration::from_secs(1)))
    );
    // Restarting a key that has no row yet is a first failure too.
    assert_eq!(
        store.record_failure("ip:new", later, true).await.unwrap(),
        failures(1, later)
    );
}

async fn clearing_forgets_a_key(store: SeaStore) {
    for key in ["user:alice", "user:bob"] {
        store.record_failure(key, at(0), false).await.unwrap();
        store.record_failure(key, at(1), false).await.unwrap();
    }
    store.clear_failures("user:alice").await.unwrap();
    assert_eq!(
        store.failures("user:alice").await.unwrap(),
        Failures::default()
    );
    assert_eq!(keys(&store).await, ["user:bob"], "the row is deleted");
    assert_eq!(
        store.failures("user:bob").await.unwrap(),
        failures(2, at(1))
    );

    // Clearing what is not there is fine; counting starts again from one.
    store.clear_failures("user:alice").await.unwrap();
    store.clear_failures("user:never").await.unwrap();
    assert_eq!(
        store
            .record_failure("user:alice", at(5), false)
            .await
            .unwrap(),
        failures(1, at(5))
    );
}

/// Many nodes failing the same account at once: every failure counts, and each caller sees the count its
/// own failure produced.
async fn concurrent_failures_all_count(store: SeaStore) {
    const CALLS: u32 = 20;
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..CALLS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .record_failure("user:target", T0, false)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap().count);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=CALLS).collect::<Vec<_>>());
    assert_eq!(
        store.failures("user:target").await.unwrap(),
        failures(CALLS, T0)
    );
}

async fn counts_saturate(store: SeaStore) {
    insert(&store, "user:hammered", i32::MAX, at(0)).await;
    let max = u32::try_from(i32::MAX).unwrap();
    assert_eq!(
        store
            .record_failure("user:hammered", at(1), false)
            .await
            .unwrap(),
        failures(max, at(1))
    );
}

async fn unreadable_throttle_rows_are_corrupt(store: SeaStore) {
    insert(&store, "user:broken", -1, at(0)).await;
    let err = store.failures("user:broken").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    // Clearing still works, and puts the key back in order.
    store.clear_failures("user:broken").await.unwrap();
    assert_eq!(
        store.failures("user:broken").await.unwrap(),
        Failures::default()
    );
}

async fn forgotten_failures_are_swept(store: SeaStore) {
    // Kept as long as the most forgiving policy still counts them.
    let longest = [ThrottlePolicy::ACCOUNT, ThrottlePolicy::ADDRESS]
        .iter()
        .map(|p| p.forget_after)
        .max()
        .unwrap();
    assert_eq!(longest, Duration::from_secs(DAY));

    let now = at(10 * DAY);
    let ago = |secs: u64| now.minus(Duration::from_secs(secs));
    insert(&store, "ip:recent", 60, ago(3600)).await;
    insert(&store, "user:almost", 9, ago(DAY - 1)).await;
    insert(&store, "user:exactly", 9, ago(DAY)).await;
    insert(&store, "user:old", 9, ago(DAY + 1)).await;
    insert(&store, "user:ancient", 9, ago(9 * DAY)).await;
    for key in ["ip:recent", "user:almost"] {
        assert!(
            !ThrottlePolicy::ACCOUNT.is_forgotten(store.failures(key).await.unwrap(), now),
            "{key}"
        );
    }
    for key in ["user:exactly", "user:old", "user:ancient"] {
        assert!(
            ThrottlePolicy::ACCOUNT.is_forgotten(store.failures(key).await.unwrap(), now),
            "{key}"
        );
    }

    // In batches, like every table.
    let report = store.sweep_expired(now, 2).await.unwrap();
    assert!(
        report.deleted.contains(&("login_throttle", 2)),
        "{report:?}"
    );
    let report = store.sweep_expired(now, 2).await.unwrap();
    assert!(
        report.deleted.contains(&("login_throttle", 1)),
        "{report:?}"
    );
    let report = store.sweep_expired(now, 2).await.unwrap();
    assert_eq!(report.total(), 0, "{report:?}");
    assert_eq!(keys(&store).await, ["ip:recent", "user:almost"]);
    assert_eq!(
        login_throttle::Entity::find()
            .count(store.connection())
            .await
            .unwrap(),
        2
    );
}
