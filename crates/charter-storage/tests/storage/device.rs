//! DeviceStore: round trips, the conditional decision, poll and redemption (one winner each), the user-code
//! key's uniqueness, cascades and the sweep.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::device::{DeviceApproval, DeviceAuthorization, DeviceStatus};
use charter_core::ids::Subject;
use charter_core::store::{ClientStore, DeviceStore, GrantStore, Housekeeping};
use charter_storage::SeaStore;
use charter_storage::entity::device_codes;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

use crate::grants::{alice_and_app, at, client_id, grant, scope};

on_both_backends!(
    device_requests_round_trip,
    user_code_keys_are_unique,
    a_decision_is_made_once_while_pending,
    polls_compare_and_set,
    redemption_stores_the_grant_once,
    unreadable_device_rows_are_corrupt,
    device_requests_go_with_their_client_and_are_swept,
);

fn pending(hash: &str, key: &str) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_hash: hash.to_owned(),
        user_code_key: key.to_owned(),
        client_id: client_id("app"),
        scope: scope("openid offline_access"),
        status: DeviceStatus::Pending,
        interval: Duration::from_secs(5),
        last_polled_at: None,
        created_at: at(0),
        expires_at: at(600),
        used_at: None,
    }
}

fn approval(sub: &Subject) -> DeviceStatus {
    DeviceStatus::Approved(DeviceApproval {
        user_sub: sub.clone(),
        auth_time: at(3),
        amr: vec!["pwd".into()],
    })
}

async fn device_requests_round_trip(store: SeaStore) {
    alice_and_app(&store).await;
    let d = pending("dc-1", "uc-1");
    store.create_device_authorization(&d).await.unwrap();
    assert_eq!(
        store.find_device_authorization("dc-1").await.unwrap(),
        Some(d.clone())
    );
    assert_eq!(
        store
            .find_device_authorization_by_user_code("uc-1")
            .await
            .unwrap(),
        Some(d)
    );
    assert_eq!(store.find_device_authorization("uc-1").await.unwrap(), None);
    assert_eq!(
        store
            .find_device_authorization_by_user_code("dc-1")
            .await
            .unwrap(),
        None
    );
}

async fn user_code_keys_are_unique(store: SeaStore) {
    alice_and_app(&store).await;
    store
        .create_device_authorization(&pending("dc-1", "uc-1"))
        .await
        .unwrap();
    let err = store
        .create_device_authorization(&pending("dc-2", "uc-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let mut orphan = pending("dc-3", "uc-3");
    orphan.client_id = client_id("nobody");
    assert!(store.create_device_authorization(&orphan).await.is_err());
}

async fn a_decision_is_made_once_while_pending(store: SeaStore) {
    let (alice, _) = alice_and_app(&store).await;
    store
        .create_device_authorization(&pending("dc-1", "uc-1"))
        .await
        .unwrap();
    store
        .create_device_authorization(&pending("dc-2", "uc-2"))
        .await
        .unwrap();
    assert!(
        store
            .decide_device_authorization("dc-1", &approval(&alice), at(10))
            .await
            .unwrap()
    );
    // Decided: neither a second approval nor a denial changes it.
    for decision in [approval(&alice), DeviceStatus::Denied] {
        assert!(
            !store
                .decide_device_authorization("dc-1", &decision, at(11))
                .await
                .unwrap()
        );
    }
    let d = store
        .find_device_authorization("dc-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status, approval(&alice));
    // Expired: too late to decide.
    assert!(
        !store
            .decide_device_authorization("dc-2", &DeviceStatus::Denied, at(600))
            .await
            .unwrap()
    );
    assert!(
        store
            .decide_device_authorization("dc-2", &DeviceStatus::Denied, at(599))
            .await
            .unwrap()
    );
    let d = store
        .find_device_authorization("dc-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status, DeviceStatus::Denied);
    assert!(
        store
            .decide_device_authorization("dc-2", &DeviceStatus::Pending, at(20))
            .await
            .is_err()
    );
}

async fn polls_compare_and_set(store: SeaStore) {
    let (alice, _) = alice_and_app(&store).await;
    store
        .create_device_authorization(&pending("dc-1", "uc-1"))
        .await
        .unwrap();
    let ten = Duration::from_secs(10);
    assert!(
        store
            .record_device_poll("dc-1", None, at(1), Duration::from_secs(5))
            .await
            .unwrap()
    );
    // A poll that read the row before that one loses.
    assert!(
        !store
            .record_device_poll("dc-1", None, at(2), ten)
            .await
            .unwrap()
    );
    assert!(
        store
            .record_device_poll("dc-1", Some(at(1)), at(2), ten)
            .await
            .unwrap()
    );
    let d = store
        .find_device_authorization("dc-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((d.last_polled_at, d.interval), (Some(at(2)), ten));
    // Once decided, polls are no longer recorded.
    store
        .decide_device_authorization("dc-1", &approval(&alice), at(3))
        .await
        .unwrap();
    assert!(
        !store
            .record_device_poll("dc-1", Some(at(2)), at(4), ten)
            .await
            .unwrap()
    );
}

async fn redemption_stores_the_grant_once(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    store
        .create_device_authorization(&pending("dc-1", "uc-1"))
        .await
        .unwrap();
    let g = grant("grant-1", &alice, &app);
    // Pending: nothing to redeem, and no grant stored.
    assert!(
        !store
            .redeem_device_authorization("dc-1", &g, at(5))
            .await
            .unwrap()
    );
    assert_eq!(store.find_grant("grant-1").await.unwrap(), None);
    store
        .decide_device_authorization("dc-1", &approval(&alice), at(6))
        .await
        .unwrap();
    let racers: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let g = grant(&format!("grant-{i}"), &alice, &app);
            tokio::spawn(async move { store.redeem_device_authorization("dc-1", &g, at(7)).await })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, racer) in racers.into_iter().enumerate() {
        if racer.await.unwrap().unwrap() {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    for i in 0..10 {
        let stored = store.find_grant(&format!("grant-{i}")).await.unwrap();
        assert_eq!(stored.is_some(), winners.contains(&i), "grant-{i}");
    }
    let d = store
        .find_device_authorization("dc-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.used_at, Some(at(7)));

    // Expired before redemption: refused.
    store
        .create_device_authorization(&pending("dc-2", "uc-2"))
        .await
        .unwrap();
    store
        .decide_device_authorization("dc-2", &approval(&alice), at(6))
        .await
        .unwrap();
    let late = grant("grant-late", &alice, &app);
    assert!(
        !store
            .redeem_device_authorization("dc-2", &late, at(600))
            .await
            .unwrap()
    );
    assert_eq!(store.find_grant("grant-late").await.unwrap(), None);
}

async fn unreadable_device_rows_are_corrupt(store: SeaStore) {
    alice_and_app(&store).await;
    type Spoil = fn(&mut device_codes::ActiveModel);
    let spoils: [(&str, Spoil); 4] = [
        ("status", |r| r.status = Set("maybe".into())),
        ("approved without user", |r| {
            r.status = Set("approved".into())
        }),
        ("scope", |r| r.scope = Set("bad\"scope".into())),
        ("interval", |r| r.interval_secs = Set(-1)),
    ];
    for (i, (what, spoil)) in spoils.into_iter().enumerate() {
        let hash = format!("dc-{i}");
        store
            .create_device_authorization(&pending(&hash, &format!("uc-{i}")))
            .await
            .unwrap();
        let mut row = device_codes::Entity::find_by_id(hash.clone())
            .one(store.connection())
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        spoil(&mut row);
        row.update(store.connection()).await.unwrap();
        let err = store.find_device_authorization(&hash).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{what}: {err:?}");
    }
}

async fn device_requests_go_with_their_client_and_are_swept(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    store
        .create_device_authorization(&pending("dc-1", "uc-1"))
        .await
        .unwrap();
    let mut short = pending("dc-2", "uc-2");
    short.expires_at = at(60);
    store.create_device_authorization(&short).await.unwrap();
    let report = store.sweep_expired(at(60), 100).await.unwrap();
    assert!(report.deleted.contains(&("device_codes", 1)), "{report:?}");
    assert_eq!(store.find_device_authorization("dc-2").await.unwrap(), None);
    assert!(
        store
            .find_device_authorization("dc-1")
            .await
            .unwrap()
            .is_some()
    );

    store
        .decide_device_authorization("dc-1", &approval(&alice), at(61))
        .await
        .unwrap();
    assert!(store.delete_client(&app).await.unwrap());
    assert_eq!(store.find_device_authorization("dc-1").await.unwrap(), None);
}
