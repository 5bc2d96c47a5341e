//! RefreshStore: refresh tokens, their rotation and their lifetime with the grant.

use std::collections::HashSet;
use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::grant::{Grant, RefreshToken};
use charter_core::ids::{ClientId, Subject};
use charter_core::scope::ScopeSet;
use charter_core::store::{ClientStore, GrantStore, Housekeeping, RefreshStore};
use charter_storage::SeaStore;
use charter_storage::entity::refresh_tokens;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};

use crate::support::{T0, client, create_user};

on_both_backends!(
    refresh_tokens_round_trip,
    rotating_marks_the_old_token_used_and_stores_the_new_one,
    a_token_is_rotated_once,
    racing_rotations_of_a_token_have_one_winner,
    a_failed_rotation_leaves_the_old_token_unused,
    refresh_tokens_need_their_grant,
    deleting_a_client_deletes_its_refresh_tokens,
    unreadable_refresh_token_rows_are_corrupt,
    expired_refresh_tokens_are_swept,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn client_id(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

/// User "alice", client `id` and a grant `grant-<id>` of hers to it.
async fn grant_for(store: &SeaStore, user: &Subject, id: &str) -> Grant {
    store.create_client(&client(id)).await.unwrap();
    let grant = Grant {
        id: format!("grant-{id}"),
        user_sub: Some(user.clone()),
        client_id: client_id(id),
        scope: ScopeSet::parse("openid offline_access profile").unwrap(),
        session_sid: None,
        offline_access: true,
        created_at: at(10),
        revoked_at: None,
        auth_time: None,
        claims: None,
    };
    store.create_grant(&grant).await.unwrap();
    grant
}

async fn alice_grant(store: &SeaStore) -> Grant {
    let alice = create_user(store, "alice").await.sub;
    grant_for(store, &alice, "app").await
}

/// A fresh token of `grant`, created at `T0 + 10`.
fn token(hash: &str, grant: &Grant) -> RefreshToken {
    RefreshToken {
        token_hash: hash.to_owned(),
        grant_id: grant.id.clone(),
        client_id: grant.client_id.clone(),
        scope: ScopeSet::parse("profile openid offline_access").unwrap(),
        created_at: at(10),
        idle_expires_at: at(1_000),
        expires_at: at(100_000),
        used_at: None,
    }
}

/// The successor of a token, created at `now`.
fn successor(hash: &str, grant: &Grant, now: u64) -> RefreshToken {
    RefreshToken {
        created_at: at(now),
        idle_expires_at: at(now + 1_000),
        ..token(hash, grant)
    }
}

async fn token_count(store: &SeaStore) -> u64 {
    refresh_tokens::Entity::find()
        .count(store.connection())
        .await
        .unwrap()
}

async fn refresh_tokens_round_trip(store: SeaStore) {
    let grant = alice_grant(&store).await;
    let fresh = token("rt-fresh", &grant);
    let used = RefreshToken {
        scope: ScopeSet::default(),
        used_at: Some(at(20)),
        ..token("rt-used", &grant)
    };
    for t in [&fresh, &used] {
        store.create_refresh(t).await.unwrap();
        assert_eq!(
            store.find_refresh(&t.token_hash).await.unwrap().as_ref(),
            Some(t)
        );
    }
    assert_eq!(store.find_refresh("rt-unknown").await.unwrap(), None);

    // The scope is stored in its string form: sorted, space-separated.
    let row = refresh_tokens::Entity::find_by_id("rt-fresh")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.scope, "offline_access openid profile");

    let err = store.create_refresh(&fresh).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("refresh token")),
        "{err:?}"
    );
    assert_eq!(token_count(&store).await, 2);
}

async fn rotating_marks_the_old_token_used_and_stores_the_new_one(store: SeaStore) {
    let grant = alice_grant(&store).await;
    let old = token("rt-1", &grant);
    store.create_refresh(&old).await.unwrap();
    let new = successor("rt-2", &grant, 50);

    assert!(store.rotate_refresh("rt-1", &new, at(50)).await.unwrap());
    assert_eq!(
        store.find_refresh("rt-1").await.unwrap(),
        Some(RefreshToken {
            used_at: Some(at(50)),
            ..old
        })
    );
    assert_eq!(store.find_refresh("rt-2").await.unwrap(), Some(new.clone()));

    // The new token rotates in turn.
    let newer = successor("rt-3", &grant, 60);
    assert!(store.rotate_refresh("rt-2", &newer, at(60)).await.unwrap());
    let rotated = store.find_refresh("rt-2").await.unwrap().unwrap();
    assert_eq!(rotated.used_at, Some(at(60)));
    assert_eq!(store.find_refresh("rt-3").await.unwrap(), Some(newer));
    assert_eq!(token_count(&store).await, 3);
}

async fn a_token_is_rotated_once(store: SeaStore) {
    let grant = alice_grant(&store).await;
    store.create_refresh(&token("rt-1", &grant)).await.unwrap();
    assert!(
        store
            .rotate_refresh("rt-1", &successor("rt-2", &grant, 50), at(50))
            .await
            .unwrap()
    );

    // A replay: nothing stored, and the first rotation time stays.
    assert!(
        !store
            .rotate_refresh("rt-1", &successor("rt-replay", &grant, 60), at(60))
            .await
            .unwrap()
    );
    assert_eq!(store.find_refresh("rt-replay").await.unwrap(), None);
    let old = store.find_refresh("rt-1").await.unwrap().unwrap();
    assert_eq!(old.used_at, Some(at(50)));

    // A token that was never issued rotates to nothing either.
    assert!(
        !store
            .rotate_refresh("rt-unknown", &successor("rt-other", &grant, 60), at(60))
            .await
            .unwrap()
    );
    assert_eq!(store.find_refresh("rt-other").await.unwrap(), None);
    // Nor does one stored as already used.
    store
        .create_refresh(&RefreshToken {
            used_at: Some(at(20)),
            ..token("rt-used", &grant)
        })
        .await
        .unwrap();
    assert!(
        !store
            .rotate_refresh("rt-used", &successor("rt-other", &grant, 60), at(60))
            .await
            .unwrap()
    );
    assert_eq!(token_count(&store).await, 3);
}

async fn racing_rotations_of_a_token_have_one_winner(store: SeaStore) {
    const RACERS: u64 = 50;
    let grant = alice_grant(&store).await;
    store.create_refresh(&token("rt-1", &grant)).await.unwrap();

    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = store.clone();
            let new = successor(&format!("rt-new-{i}"), &grant, 20 + i);
            tokio::spawn(async move { store.rotate_refresh("rt-1", &new, at(20 + i)).await })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, racer) in racers.into_iter().enumerate() {
        if racer.await.unwrap().unwrap() {
            winners.push(i as u64);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = winners[0];

    let old = store.find_refresh("rt-1").await.unwrap().unwrap();
    assert_eq!(old.used_at, Some(at(20 + winner)));
    let rows = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.ne("rt-1"))
        .all(store.connection())
        .await
        .unwrap();
    let stored: HashSet<_> = rows.iter().map(|r| r.token_hash.as_str()).collect();
    assert_eq!(stored, HashSet::from([format!("rt-new-{winner}").as_str()]));
    assert_eq!(rows[0].used_at, None);
}

async fn a_failed_rotation_leaves_the_old_token_unused(store: SeaStore) {
    let grant = alice_grant(&store).await;
    store.create_refresh(&token("rt-1", &grant)).await.unwrap();
    store
        .create_refresh(&token("rt-taken", &grant))
        .await
        .unwrap();

    // The new token's digest is taken: refused, and the old token can still be rotated.
    let err = store
        .rotate_refresh("rt-1", &successor("rt-taken", &grant, 50), at(50))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("refresh token")),
        "{err:?}"
    );
    assert_eq!(
        store.find_refresh("rt-1").await.unwrap().unwrap().used_at,
        None
    );

    // The new token names a grant that does not exist: the same.
    let orphan = RefreshToken {
        grant_id: "grant-unknown".into(),
        ..successor("rt-orphan", &grant, 50)
    };
    let err = store
        .rotate_refresh("rt-1", &orphan, at(50))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
        "{err:?}"
    );
    assert_eq!(
        store.find_refresh("rt-1").await.unwrap().unwrap().used_at,
        None
    );
    assert_eq!(store.find_refresh("rt-orphan").await.unwrap(), None);

    assert!(
        store
            .rotate_refresh("rt-1", &successor("rt-2", &grant, 60), at(60))
            .await
            .unwrap()
    );
    assert_eq!(token_count(&store).await, 3);
}

async fn refresh_tokens_need_their_grant(store: SeaStore) {
    let grant = alice_grant(&store).await;
    let orphan = RefreshToken {
        grant_id: "grant-unknown".into(),
        ..token("rt-orphan", &grant)
    };
    let err = store.create_refresh(&orphan).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
        "{err:?}"
    );
    assert_eq!(token_count(&store).await, 0);
}

async fn deleting_a_client_deletes_its_refresh_tokens(store: SeaStore) {
    let alice = create_user(&store, "alice").await.sub;
    for id in ["doomed", "survivor"] {
        let grant = grant_for(&store, &alice, id).await;
        store
            .create_refresh(&token(&format!("rt-{id}-1"), &grant))
            .await
            .unwrap();
        assert!(
            store
                .rotate_refresh(
                    &format!("rt-{id}-1"),
                    &successor(&format!("rt-{id}-2"), &grant, 50),
                    at(50)
                )
                .await
                .unwrap()
        );
    }

    assert!(store.delete_client(&client_id("doomed")).await.unwrap());
    assert_eq!(store.find_grant("grant-doomed").await.unwrap(), None);
    for hash in ["rt-doomed-1", "rt-doomed-2"] {
        assert_eq!(store.find_refresh(hash).await.unwrap(), None, "{hash}");
    }
    let mut left: Vec<_> = refresh_tokens::Entity::find()
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.token_hash)
        .collect();
    left.sort();
    assert_eq!(left, ["rt-survivor-1", "rt-survivor-2"]);
}

/// Makes one column of a stored token unreadable.
type Spoil = fn(&mut refresh_tokens::ActiveModel);

async fn unreadable_refresh_token_rows_are_corrupt(store: SeaStore) {
    let grant = alice_grant(&store).await;
    store.create_refresh(&token("rt-1", &grant)).await.unwrap();
    let db = store.connection();
    let row = refresh_tokens::Entity::find_by_id("rt-1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let cases: [(&str, Spoil); 2] = [
        ("refresh token scope", |r| {
            r.scope = Set("openid \"quoted\"".into())
        }),
        ("refresh token client", |r| r.client_id = Set(String::new())),
    ];
    for (what, spoil) in cases {
        let mut active = row.clone().into_active_model();
        spoil(&mut active);
        active.update(db).await.unwrap();
        let err = store.find_refresh("rt-1").await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what: w, .. } if *w == what),
            "{what}: {err:?}"
        );
        row.clone()
            .into_active_model()
            .reset_all()
            .update(db)
            .await
            .unwrap();
    }
    assert!(store.find_refresh("rt-1").await.unwrap().is_some());
}

async fn expired_refresh_tokens_are_swept(store: SeaStore) {
    let grant = alice_grant(&store).await;
    let idle = token("rt-idle", &grant);
    let absolute = RefreshToken {
        idle_expires_at: at(5_000),
        expires_at: at(2_000),
        ..token("rt-absolute", &grant)
    };
    let live = RefreshToken {
        idle_expires_at: at(5_000),
        ..token("rt-live", &grant)
    };
    for t in [&idle, &absolute, &live] {
        store.create_refresh(t).await.unwrap();
    }

    let report = store.sweep_expired(at(999), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("refresh_tokens", 0)),
        "{report:?}"
    );
    let report = store.sweep_expired(at(2_000), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("refresh_tokens", 2)),
        "{report:?}"
    );
    assert_eq!(store.find_refresh("rt-live").await.unwrap(), Some(live));
    // The grant outlives its tokens.
    assert!(store.find_grant(&grant.id).await.unwrap().is_some());
}
