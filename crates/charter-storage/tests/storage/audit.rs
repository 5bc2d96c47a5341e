//! AuditStore: events written, listed newest first under each filter, paged, and deleted past retention.

use std::time::Duration;

use charter_core::audit::{AuditEvent, AuditKind, AuditQuery};
use charter_core::clock::Timestamp;
use charter_core::store::AuditStore;
use charter_storage::SeaStore;
use charter_storage::entity::audit_events;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::support::T0;

on_both_backends!(
    events_round_trip_newest_first,
    filters_combine,
    pages_go_backwards_by_id,
    retention_deletes_only_old_rows_in_batches,
    unreadable_audit_rows_are_corrupt,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn query(limit: u64) -> AuditQuery {
    AuditQuery {
        limit,
        ..AuditQuery::default()
    }
}

async fn seed(store: &SeaStore) {
    let events = [
        AuditEvent::new(AuditKind::SignInFailed, at(0))
            .user("alice")
            .client("app")
            .detail("reason", "bad_password"),
        AuditEvent::new(AuditKind::SignInSucceeded, at(10))
            .user("alice")
            .client("app"),
        AuditEvent::new(AuditKind::ClientCreated, at(20))
            .actor("admin")
            .client("other"),
        AuditEvent::new(AuditKind::SignInSucceeded, at(30)).user("bob"),
    ];
    for e in &events {
        store.record_audit(e).await.unwrap();
    }
}

async fn events_round_trip_newest_first(store: SeaStore) {
    let mut event = AuditEvent::new(AuditKind::RefreshReuseDetected, at(5))
        .actor("app")
        .user("alice")
        .client("app")
        .detail("grant", "g1");
    event.ip = Some("192.0.2.7".into());
    event.request_id = Some("req-1".into());
    store.record_audit(&event).await.unwrap();
    let later = AuditEvent::new(AuditKind::KeyRotated, at(6)).actor("system");
    store.record_audit(&later).await.unwrap();

    let listed = store.list_audit(&query(10)).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].event, later);
    assert_eq!(listed[1].event, event);
    assert!(listed[0].id > listed[1].id);
}

async fn filters_combine(store: SeaStore) {
    seed(&store).await;
    let kinds = |q: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .list_audit(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.event.kind, r.event.at))
                .collect::<Vec<_>>()
        }
    };
    let alice = AuditQuery {
        user: Some("alice".into()),
        ..query(10)
    };
    assert_eq!(
        kinds(alice.clone()).await,
        [
            (AuditKind::SignInSucceeded, at(10)),
            (AuditKind::SignInFailed, at(0))
        ]
    );
    let failed = AuditQuery {
        kind: Some(AuditKind::SignInFailed),
        ..alice
    };
    assert_eq!(kinds(failed).await, [(AuditKind::SignInFailed, at(0))]);
    let other = AuditQuery {
        client_id: Some("other".into()),
        ..query(10)
    };
    assert_eq!(kinds(other).await, [(AuditKind::ClientCreated, at(20))]);
    // `since` inclusive, `until` exclusive.
    let window = AuditQuery {
        since: Some(at(10)),
        until: Some(at(30)),
        ..query(10)
    };
    assert_eq!(
        kinds(window).await,
        [
            (AuditKind::ClientCreated, at(20)),
            (AuditKind::SignInSucceeded, at(10))
        ]
    );
    let nobody = AuditQuery {
        user: Some("carol".into()),
        ..query(10)
    };
    assert!(kinds(nobody).await.is_empty());
}

async fn pages_go_backwards_by_id(store: SeaStore) {
    seed(&store).await;
    let first = store.list_audit(&query(3)).await.unwrap();
    assert_eq!(first.len(), 3);
    let next = AuditQuery {
        before: first.last().map(|r| r.id),
        ..query(3)
    };
    let second = store.list_audit(&next).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].event.kind, AuditKind::SignInFailed);
}

async fn retention_deletes_only_old_rows_in_batches(store: SeaStore) {
    seed(&store).await;
    // Rows at 0, 10 and 20 are before the cutoff; a batch of 2 takes the oldest two.
    assert_eq!(store.delete_audit_before(at(25), 2).await.unwrap(), 2);
    assert_eq!(store.delete_audit_before(at(25), 2).await.unwrap(), 1);
    assert_eq!(store.delete_audit_before(at(25), 2).await.unwrap(), 0);
    let left = store.list_audit(&query(10)).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event.at, at(30));
}

async fn unreadable_audit_rows_are_corrupt(store: SeaStore) {
    let row = audit_events::ActiveModel {
        at: Set(at(0).unix()),
        kind: Set("no_such_kind".into()),
        details: Set("{}".into()),
        ..Default::default()
    };
    audit_events::Entity::insert(row)
        .exec_without_returning(store.connection())
        .await
        .unwrap();
    let err = store.list_audit(&query(10)).await.unwrap_err();
    assert!(
        matches!(err, charter_core::StoreError::Corrupt { .. }),
        "{err:?}"
    );
}
