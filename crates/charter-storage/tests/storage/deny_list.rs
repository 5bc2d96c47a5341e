//! DenyListStore: revoked access tokens by `jti`, and the sweep of those that have expired anyway; the
//! RevocationFeed that nodes poll.

use std::time::Duration;

use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::store::{
    ClientStore, DenyListStore, GrantStore, Housekeeping, RevocationFeed, UserStore,
};
use charter_storage::SeaStore;
use charter_storage::entity::revoked_access_tokens;
use sea_orm::EntityTrait;

use crate::grants::grant;
use crate::support::{T0, client, create_user};

on_both_backends!(
    denied_tokens_are_denied,
    denying_twice_is_harmless,
    unknown_tokens_are_not_denied,
    expired_denials_are_swept,
    the_feed_reports_what_changed_since,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

async fn rows(store: &SeaStore) -> Vec<(String, i64)> {
    let mut rows: Vec<_> = revoked_access_tokens::Entity::find()
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.jti, row.expires_at))
        .collect();
    rows.sort();
    rows
}

async fn denied_tokens_are_denied(store: SeaStore) {
    assert!(!store.is_access_token_denied("jti-1").await.unwrap());
    store
        .deny_access_token("jti-1", at(3600), at(0))
        .await
        .unwrap();
    assert!(store.is_access_token_denied("jti-1").await.unwrap());
    assert_eq!(rows(&store).await, [("jti-1".to_owned(), at(3600).unix())]);
}

async fn denying_twice_is_harmless(store: SeaStore) {
    store
        .deny_access_token("jti-1", at(3600), at(0))
        .await
        .unwrap();
    // A repeated (or racing) revocation neither fails nor moves the first expiry.
    store
        .deny_access_token("jti-1", at(3600), at(0))
        .await
        .unwrap();
    store
        .deny_access_token("jti-1", at(7200), at(0))
        .await
        .unwrap();
    assert!(store.is_access_token_denied("jti-1").await.unwrap());
    assert_eq!(rows(&store).await, [("jti-1".to_owned(), at(3600).unix())]);
}

async fn unknown_tokens_are_not_denied(store: SeaStore) {
    store
        .deny_access_token("jti-1", at(3600), at(0))
        .await
        .unwrap();
    for jti in ["jti-2", "JTI-1", "jti-1 ", "jti-", ""] {
        assert!(!store.is_access_token_denied(jti).await.unwrap(), "{jti:?}");
    }
}

async fn expired_denials_are_swept(store: SeaStore) {
    let now = at(1000);
    store
        .deny_access_token("expired", at(10), at(0))
        .await
        .unwrap();
    store
        .deny_access_token("exactly", now, at(0))
        .await
        .unwrap();
    store
        .deny_access_token("live", at(1001), at(0))
        .await
        .unwrap();
    store
        .deny_access_token("later", at(5000), at(0))
        .await
        .unwrap();

    // In batches, like every table.
    let report = store.sweep_expired(now, 1).await.unwrap();
    assert!(
        report.deleted.contains(&("revoked_access_tokens", 1)),
        "{report:?}"
    );
    let report = store.sweep_expired(now, 1).await.unwrap();
    assert!(
        report.deleted.contains(&("revoked_access_tokens", 1)),
        "{report:?}"
    );
    let report = store.sweep_expired(now, 1).await.unwrap();
    assert_eq!(report.total(), 0, "{report:?}");

    assert_eq!(
        rows(&store).await,
        [
            ("later".to_owned(), at(5000).unix()),
            ("live".to_owned(), at(1001).unix()),
        ]
    );
    assert!(!store.is_access_token_denied("expired").await.unwrap());
    assert!(!store.is_access_token_denied("exactly").await.unwrap());
    assert!(store.is_access_token_denied("live").await.unwrap());
    assert!(store.is_access_token_denied("later").await.unwrap());
}

async fn the_feed_reports_what_changed_since(store: SeaStore) {
    let alice = create_user(&store, "alice").await;
    let bob = create_user(&store, "bob").await;
    store.create_client(&client("app")).await.unwrap();
    let app = ClientId::parse("app").unwrap();
    for id in ["g-old", "g-new", "g-live"] {
        store
            .create_grant(&grant(id, &alice.sub, &app))
            .await
            .unwrap();
    }
    store.revoke_grant("g-old", at(10)).await.unwrap();
    store.revoke_grant("g-new", at(100)).await.unwrap();
    store
        .deny_access_token("jti-old", at(900), at(10))
        .await
        .unwrap();
    store
        .deny_access_token("jti-new", at(900), at(100))
        .await
        .unwrap();
    store
        .set_user_disabled(&alice.sub, true, at(100))
        .await
        .unwrap();
    store
        .set_user_disabled(&bob.sub, true, at(10))
        .await
        .unwrap();

    let feed = store.revocations_since(at(100)).await.unwrap();
    assert_eq!(feed.denied, [("jti-new".to_owned(), at(900))]);
    assert_eq!(feed.revoked_grants, [("g-new".to_owned(), at(100))]);
    assert_eq!(feed.users, [(alice.sub.clone(), true)]);

    // Re-enabling is a change too; the window is inclusive.
    store
        .set_user_disabled(&alice.sub, false, at(200))
        .await
        .unwrap();
    let feed = store.revocations_since(at(200)).await.unwrap();
    assert_eq!(feed.users, [(alice.sub, false)]);
    assert!(feed.denied.is_empty() && feed.revoked_grants.is_empty());

    let all = store.revocations_since(at(0)).await.unwrap();
    assert_eq!(all.denied.len(), 2);
    assert_eq!(
        all.revoked_grants.len(),
        2,
        "live grants are not revocations"
    );
}
