//! DenyListStore: revoked access tokens by `jti`, and the sweep of those that have expired anyway.

use std::time::Duration;

use charter_core::clock::Timestamp;
use charter_core::store::{DenyListStore, Housekeeping};
use charter_storage::SeaStore;
use charter_storage::entity::revoked_access_tokens;
use sea_orm::EntityTrait;

use crate::support::T0;

on_both_backends!(
    denied_tokens_are_denied,
    denying_twice_is_harmless,
    unknown_tokens_are_not_denied,
    expired_denials_are_swept,
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
    store.deny_access_token("jti-1", at(3600)).await.unwrap();
    assert!(store.is_access_token_denied("jti-1").await.unwrap());
    assert_eq!(rows(&store).await, [("jti-1".to_owned(), at(3600).unix())]);
}

async fn denying_twice_is_harmless(store: SeaStore) {
    store.deny_access_token("jti-1", at(3600)).await.unwrap();
    // A repeated (or racing) revocation neither fails nor moves the first expiry.
    store.deny_access_token("jti-1", at(3600)).await.unwrap();
    store.deny_access_token("jti-1", at(7200)).await.unwrap();
    assert!(store.is_access_token_denied("jti-1").await.unwrap());
    assert_eq!(rows(&store).await, [("jti-1".to_owned(), at(3600).unix())]);
}

async fn unknown_tokens_are_not_denied(store: SeaStore) {
    store.deny_access_token("jti-1", at(3600)).await.unwrap();
    for jti in ["jti-2", "JTI-1", "jti-1 ", "jti-", ""] {
        assert!(!store.is_access_token_denied(jti).await.unwrap(), "{jti:?}");
    }
}

async fn expired_denials_are_swept(store: SeaStore) {
    let now = at(1000);
    store.deny_access_token("expired", at(10)).await.unwrap();
    store.deny_access_token("exactly", now).await.unwrap();
    store.deny_access_token("live", at(1001)).await.unwrap();
    store.deny_access_token("later", at(5000)).await.unwrap();

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
