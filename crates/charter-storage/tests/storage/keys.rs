//! KeyStore.

use std::sync::Arc;
use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::keys::{KeyChange, KeyState, RewrappedKey, StoredKey};
use charter_core::store::KeyStore;
use charter_storage::SeaStore;
use charter_storage::entity::signing_keys;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

use crate::support::T0;

on_both_backends!(
    keys_round_trip,
    duplicate_kids_conflict_and_roll_back,
    keys_move_through_their_lifecycle,
    transitions_require_their_state,
    revoking_and_removing_wipe_the_private_key,
    a_failing_step_rolls_back_the_whole_batch,
    only_one_of_many_racing_rotations_wins,
    rewrapping_replaces_material,
    rewrapping_an_unknown_key_rolls_back,
    unreadable_key_rows_are_corrupt,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

/// A key in `state`, created at `T0 + created` seconds, with material that names it.
fn key(kid: &str, state: KeyState, created: u64) -> StoredKey {
    StoredKey {
        kid: kid.to_owned(),
        alg: "ES256".to_owned(),
        state,
        public_jwk: format!(r#"{{"kty":"EC","crv":"P-256","kid":"{kid}","x":"x","y":"y"}}"#),
        private_key: format!("sealed:{kid}\0\u{ff}").into_bytes(),
        kek_id: "kek-1".to_owned(),
        created_at: at(created),
        activated_at: None,
        retired_at: None,
        remove_after: None,
    }
}

async fn insert(store: &SeaStore, keys: &[StoredKey]) {
    let changes: Vec<_> = keys.iter().cloned().map(KeyChange::Insert).collect();
    assert!(store.apply_key_changes(&changes).await.unwrap());
}

async fn find(store: &SeaStore, kid: &str) -> StoredKey {
    store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.kid == kid)
        .unwrap_or_else(|| panic!("no key {kid}"))
}

fn activate(kid: &str, t: u64) -> KeyChange {
    KeyChange::Activate {
        kid: kid.to_owned(),
        at: at(t),
    }
}

fn retire(kid: &str, t: u64) -> KeyChange {
    KeyChange::Retire {
        kid: kid.to_owned(),
        at: at(t),
        remove_after: at(t + 3600),
    }
}

fn revoke(kid: &str, t: u64) -> KeyChange {
    KeyChange::Revoke {
        kid: kid.to_owned(),
        at: at(t),
    }
}

fn remove(kid: &str) -> KeyChange {
    KeyChange::Remove {
        kid: kid.to_owned(),
    }
}

async fn keys_round_trip(store: SeaStore) {
    assert!(store.list_keys().await.unwrap().is_empty());
    // An empty batch changes nothing and succeeds.
    assert!(store.apply_key_changes(&[]).await.unwrap());

    // Every byte value survives, NUL included.
    let mut binary = key("k-binary", KeyState::Next, 10);
    binary.private_key = (0..=255u8).rev().collect();
    let mut retired = key("k-retired", KeyState::Retired, 0);
    retired.alg = "RS256".to_owned();
    retired.kek_id = "kek-0".to_owned();
    retired.activated_at = Some(at(1));
    retired.retired_at = Some(at(2));
    retired.remove_after = Some(at(3));
    let mut revoked = key("k-revoked", KeyState::Revoked, 5);
    revoked.private_key = Vec::new();
    revoked.retired_at = Some(at(6));
    let mut removed = key("k-removed", KeyState::Removed, 5);
    removed.private_key = Vec::new();
    let mut active = key("k-active", KeyState::Active, 5);
    active.activated_at = Some(at(7));

    // Inserted out of order, in two batches; listed by creation time, then kid.
    insert(&store, &[binary.clone(), revoked.clone()]).await;
    insert(&store, &[removed.clone(), active.clone(), retired.clone()]).await;
    assert_eq!(
        store.list_keys().await.unwrap(),
        vec![retired, active, removed, revoked, binary]
    );
}

async fn duplicate_kids_conflict_and_roll_back(store: SeaStore) {
    let original = key("k1", KeyState::Next, 0);
    insert(&store, std::slice::from_ref(&original)).await;
    let before = store.list_keys().await.unwrap();

    let mut again = key("k1", KeyState::Active, 9);
    again.private_key = b"other".to_vec();
    let err = store
        .apply_key_changes(&[KeyChange::Insert(again)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("signing key")),
        "{err:?}"
    );

    // With other steps before it, none of them survive the conflict.
    let err = store
        .apply_key_changes(&[
            KeyChange::Insert(key("k2", KeyState::Next, 1)),
            activate("k1", 5),
            KeyChange::Insert(key("k1", KeyState::Next, 2)),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("signing key")),
        "{err:?}"
    );
    assert_eq!(store.list_keys().await.unwrap(), before);

    // Two inserts of one kid in the same batch conflict with each other.
    let err = store
        .apply_key_changes(&[
            KeyChange::Insert(key("k3", KeyState::Next, 1)),
            KeyChange::Insert(key("k3", KeyState::Next, 1)),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("signing key")),
        "{err:?}"
    );
    assert_eq!(store.list_keys().await.unwrap(), before);
}

async fn keys_move_through_their_lifecycle(store: SeaStore) {
    let original = key("k1", KeyState::Next, 0);
    insert(&store, std::slice::from_ref(&original)).await;

    assert!(
        store
            .apply_key_changes(&[activate("k1", 10)])
            .await
            .unwrap()
    );
    let active = find(&store, "k1").await;
    assert_eq!(
        active,
        StoredKey {
            state: KeyState::Active,
            activated_at: Some(at(10)),
            ..original.clone()
        }
    );

    assert!(store.apply_key_changes(&[retire("k1", 20)]).await.unwrap());
    let retired = find(&store, "k1").await;
    assert_eq!(
        retired,
        StoredKey {
            state: KeyState::Retired,
            retired_at: Some(at(20)),
            remove_after: Some(at(3620)),
            ..active
        }
    );

    assert!(store.apply_key_changes(&[remove("k1")]).await.unwrap());
    let removed = find(&store, "k1").await;
    assert_eq!(
        removed,
        StoredKey {
            state: KeyState::Removed,
            private_key: Vec::new(),
            ..retired
        }
    );

    // A whole rotation in one batch: the new key comes in, the next one signs, the active one retires.
    insert(
        &store,
        &[key("k2", KeyState::Active, 1), key("k3", KeyState::Next, 2)],
    )
    .await;
    assert!(
        store
            .apply_key_changes(&[
                KeyChange::Insert(key("k4", KeyState::Next, 30)),
                activate("k3", 30),
                retire("k2", 30),
            ])
            .await
            .unwrap()
    );
    let states: Vec<_> = store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect();
    assert_eq!(
        states,
        [
            ("k1".to_owned(), KeyState::Removed),
            ("k2".to_owned(), KeyState::Retired),
            ("k3".to_owned(), KeyState::Active),
            ("k4".to_owned(), KeyState::Next),
        ]
    );
}

async fn transitions_require_their_state(store: SeaStore) {
    let mut keys = vec![
        key("next", KeyState::Next, 0),
        key("active", KeyState::Active, 1),
        key("retired", KeyState::Retired, 2),
        key("revoked", KeyState::Revoked, 3),
        key("removed", KeyState::Removed, 4),
    ];
    keys[3].private_key = Vec::new();
    keys[4].private_key = Vec::new();
    insert(&store, &keys).await;
    let before = store.list_keys().await.unwrap();

    let refused = [
        // Activate needs `next`.
        activate("active", 10),
        activate("retired", 10),
        activate("revoked", 10),
        activate("removed", 10),
        activate("unknown", 10),
        // Retire needs `active`.
        retire("next", 10),
        retire("retired", 10),
        retire("revoked", 10),
        retire("removed", 10),
        retire("unknown", 10),
        // Revoke needs `next`, `active` or `retired`.
        revoke("revoked", 10),
        revoke("removed", 10),
        revoke("unknown", 10),
        // Remove needs `retired`.
        remove("next"),
        remove("active"),
        remove("revoked"),
        remove("removed"),
        remove("unknown"),
    ];
    for change in refused {
        assert!(
            !store
                .apply_key_changes(std::slice::from_ref(&change))
                .await
                .unwrap(),
            "{change:?}"
        );
        assert_eq!(store.list_keys().await.unwrap(), before, "{change:?}");
    }

    // Each allowed transition, once; the second time the key has moved on.
    for change in [
        activate("next", 10),
        retire("active", 10),
        remove("retired"),
    ] {
        assert!(
            store
                .apply_key_changes(std::slice::from_ref(&change))
                .await
                .unwrap(),
            "{change:?}"
        );
        assert!(
            !store
                .apply_key_changes(std::slice::from_ref(&change))
                .await
                .unwrap(),
            "{change:?} twice"
        );
    }
}

async fn revoking_and_removing_wipe_the_private_key(store: SeaStore) {
    let mut active = key("active", KeyState::Active, 1);
    active.activated_at = Some(at(1));
    let mut retired = key("retired", KeyState::Retired, 2);
    retired.activated_at = Some(at(2));
    retired.retired_at = Some(at(3));
    retired.remove_after = Some(at(4));
    let keys = [
        key("next", KeyState::Next, 0),
        active,
        retired,
        key("retired-2", KeyState::Retired, 3),
    ];
    insert(&store, &keys).await;

    // Revoking works from every published state; it records when, and destroys the material.
    for original in &keys[..3] {
        assert!(
            store
                .apply_key_changes(&[revoke(&original.kid, 50)])
                .await
                .unwrap()
        );
        assert_eq!(
            find(&store, &original.kid).await,
            StoredKey {
                state: KeyState::Revoked,
                private_key: Vec::new(),
                retired_at: Some(at(50)),
                ..original.clone()
            }
        );
    }

    assert!(
        store
            .apply_key_changes(&[remove("retired-2")])
            .await
            .unwrap()
    );
    assert_eq!(
        find(&store, "retired-2").await,
        StoredKey {
            state: KeyState::Removed,
            private_key: Vec::new(),
            ..keys[3].clone()
        }
    );

    // The rows hold no material either, not merely the listing.
    for row in signing_keys::Entity::find()
        .all(store.connection())
        .await
        .unwrap()
    {
        assert!(row.private_key.is_empty(), "{}", row.kid);
    }
}

async fn a_failing_step_rolls_back_the_whole_batch(store: SeaStore) {
    insert(
        &store,
        &[
            key("k1", KeyState::Active, 0),
            key("k2", KeyState::Next, 1),
            key("k3", KeyState::Retired, 2),
        ],
    )
    .await;
    let before = store.list_keys().await.unwrap();

    // Every step would apply but the last (and, in the others, one in the middle or the first).
    let batches = [
        vec![
            KeyChange::Insert(key("k4", KeyState::Next, 5)),
            activate("k2", 5),
            retire("k1", 5),
            remove("k3"),
            activate("k1", 5),
        ],
        vec![
            revoke("k3", 5),
            activate("k2", 5),
            remove("k2"),
            KeyChange::Insert(key("k4", KeyState::Next, 5)),
            retire("k1", 5),
        ],
        vec![
            remove("k1"),
            KeyChange::Insert(key("k4", KeyState::Next, 5)),
            activate("k2", 5),
        ],
        // A later step finds its key already moved by an earlier one.
        vec![activate("k2", 5), revoke("k1", 5), retire("k1", 5)],
    ];
    for batch in batches {
        assert!(!store.apply_key_changes(&batch).await.unwrap(), "{batch:?}");
        assert_eq!(store.list_keys().await.unwrap(), before, "{batch:?}");
    }

    // Steps see the batch's earlier steps: retire then remove in one go is fine.
    assert!(
        store
            .apply_key_changes(&[retire("k1", 5), remove("k1")])
            .await
            .unwrap()
    );
    assert_eq!(find(&store, "k1").await.state, KeyState::Removed);
}

async fn only_one_of_many_racing_rotations_wins(store: SeaStore) {
    const NODES: usize = 8;
    let store = Arc::new(store);
    for round in 0..5u64 {
        let active = format!("r{round}-active");
        let next = format!("r{round}-next");
        insert(
            &store,
            &[
                key(&active, KeyState::Active, round * 100),
                key(&next, KeyState::Next, round * 100 + 1),
            ],
        )
        .await;
        let now = round * 100 + 50;
        // Every node saw the same key set and rotates it the same way, each bringing its own new key.
        let tasks: Vec<_> = (0..NODES)
            .map(|node| {
                let store = Arc::clone(&store);
                let changes = vec![
                    KeyChange::Insert(key(&format!("r{round}-new-{node}"), KeyState::Next, now)),
                    activate(&next, now),
                    retire(&active, now),
                ];
                tokio::spawn(async move { store.apply_key_changes(&changes).await.unwrap() })
            })
            .collect();
        let mut winners = Vec::new();
        for (node, task) in tasks.into_iter().enumerate() {
            if task.await.unwrap() {
                winners.push(node);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");

        let keys = store.list_keys().await.unwrap();
        let in_round: Vec<_> = keys
            .iter()
            .filter(|k| k.kid.starts_with(&format!("r{round}-")))
            .map(|k| (k.kid.clone(), k.state))
            .collect();
        assert_eq!(
            in_round,
            [
                (active.clone(), KeyState::Retired),
                (next.clone(), KeyState::Active),
                (format!("r{round}-new-{}", winners[0]), KeyState::Next),
            ],
            "round {round}: only the winner's new key is kept"
        );
    }
}

async fn rewrapping_replaces_material(store: SeaStore) {
    let keys = [
        key("k1", KeyState::Active, 0),
        key("k2", KeyState::Next, 1),
        key("k3", KeyState::Retired, 2),
    ];
    insert(&store, &keys).await;

    // Nothing to rewrap is fine.
    store.rewrap_keys(&[]).await.unwrap();

    let rewrapped = [
        RewrappedKey {
            kid: "k1".to_owned(),
            private_key: vec![0, 1, 2, 255],
            kek_id: "kek-2".to_owned(),
        },
        RewrappedKey {
            kid: "k3".to_owned(),
            private_key: b"k3 under kek-2".to_vec(),
            kek_id: "kek-2".to_owned(),
        },
    ];
    store.rewrap_keys(&rewrapped).await.unwrap();
    assert_eq!(
        store.list_keys().await.unwrap(),
        vec![
            StoredKey {
                private_key: vec![0, 1, 2, 255],
                kek_id: "kek-2".to_owned(),
                ..keys[0].clone()
            },
            keys[1].clone(),
            StoredKey {
                private_key: b"k3 under kek-2".to_vec(),
                kek_id: "kek-2".to_owned(),
                ..keys[2].clone()
            },
        ]
    );
}

async fn rewrapping_an_unknown_key_rolls_back(store: SeaStore) {
    insert(
        &store,
        &[key("k1", KeyState::Active, 0), key("k2", KeyState::Next, 1)],
    )
    .await;
    let before = store.list_keys().await.unwrap();

    let rewrap = |kid: &str| RewrappedKey {
        kid: kid.to_owned(),
        private_key: format!("{kid} under kek-2").into_bytes(),
        kek_id: "kek-2".to_owned(),
    };
    for batch in [
        vec![rewrap("k1"), rewrap("gone"), rewrap("k2")],
        vec![rewrap("k1"), rewrap("k2"), rewrap("gone")],
        vec![rewrap("gone")],
    ] {
        let err = store.rewrap_keys(&batch).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict("signing key")),
            "{err:?}"
        );
        assert_eq!(store.list_keys().await.unwrap(), before);
    }
}

async fn unreadable_key_rows_are_corrupt(store: SeaStore) {
    insert(&store, &[key("k1", KeyState::Active, 0)]).await;
    let row = signing_keys::Entity::find_by_id("k1")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.state = Set("dormant".into());
    row.update(store.connection()).await.unwrap();

    let err = store.list_keys().await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                what: "signing key state",
                ..
            }
        ),
        "{err:?}"
    );
}
