//! GrantStore: remembered consents and the links between browser sessions and clients.

use charter_core::StoreError;
use charter_core::grant::Consent;
use charter_core::ids::{ClientId, Subject};
use charter_core::random::SystemTokenGenerator;
use charter_core::session::Session;
use charter_core::store::{ClientStore, GrantStore, SessionStore};
use charter_storage::SeaStore;
use charter_storage::entity::{consents, session_clients};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, PaginatorTrait};

use crate::grants::{alice_and_app, at, client_id, scope};
use crate::support::{client, create_user};

on_both_backends!(
    consents_round_trip_and_upsert,
    consents_are_listed_by_client,
    consents_need_their_user_and_client,
    session_clients_are_recorded_once,
);

pub(crate) fn consent(user: &Subject, client: &ClientId) -> Consent {
    Consent {
        user_sub: user.clone(),
        client_id: client.clone(),
        scope: scope("openid profile"),
        created_at: at(10),
        updated_at: at(10),
    }
}

async fn consents_round_trip_and_upsert(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    assert_eq!(store.find_consent(&alice, &app).await.unwrap(), None);

    let first = consent(&alice, &app);
    store.save_consent(&first).await.unwrap();
    assert_eq!(
        store.find_consent(&alice, &app).await.unwrap().as_ref(),
        Some(&first)
    );

    // Saved again: scope and updated_at replaced (narrower, not merged), created_at kept.
    let second = Consent {
        scope: scope("email openid"),
        created_at: at(500),
        updated_at: at(500),
        ..first.clone()
    };
    store.save_consent(&second).await.unwrap();
    assert_eq!(
        store.find_consent(&alice, &app).await.unwrap(),
        Some(Consent {
            created_at: first.created_at,
            ..second
        })
    );
    let row = consents::Entity::find()
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.scope, "email openid");
    assert_eq!(
        consents::Entity::find()
            .count(store.connection())
            .await
            .unwrap(),
        1
    );

    assert!(store.delete_consent(&alice, &app).await.unwrap());
    assert_eq!(store.find_consent(&alice, &app).await.unwrap(), None);
    assert!(!store.delete_consent(&alice, &app).await.unwrap());

    // A stored scope that no longer parses is corrupt.
    store.save_consent(&first).await.unwrap();
    let mut active = row.into_active_model();
    active.scope = Set("openid \"quoted\"".into());
    active.update(store.connection()).await.unwrap();
    let err = store.find_consent(&alice, &app).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                what: "consent scope",
                ..
            }
        ),
        "{err:?}"
    );
}

async fn consents_are_listed_by_client(store: SeaStore) {
    let alice = create_user(&store, "alice").await.sub;
    let bob = create_user(&store, "bob").await.sub;
    assert!(store.list_consents(&alice).await.unwrap().is_empty());
    // Saved out of order.
    for id in ["client-c", "client-a", "client-b"] {
        store.create_client(&client(id)).await.unwrap();
        store
            .save_consent(&consent(&alice, &client_id(id)))
            .await
            .unwrap();
    }
    let bobs = consent(&bob, &client_id("client-b"));
    store.save_consent(&bobs).await.unwrap();
    // Deleting one of hers does not touch his.
    assert!(
        store
            .delete_consent(&alice, &client_id("client-b"))
            .await
            .unwrap()
    );

    let listed = store.list_consents(&alice).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.client_id.as_str()).collect();
    assert_eq!(ids, ["client-a", "client-c"]);
    assert_eq!(listed[0], consent(&alice, &client_id("client-a")));
    assert_eq!(store.list_consents(&bob).await.unwrap(), [bobs]);
    let stranger = Subject::generate(&SystemTokenGenerator::new());
    assert!(store.list_consents(&stranger).await.unwrap().is_empty());
}

async fn consents_need_their_user_and_client(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let stranger = Subject::generate(&SystemTokenGenerator::new());
    for c in [
        consent(&stranger, &app),
        consent(&alice, &client_id("unknown")),
    ] {
        let err = store.save_consent(&c).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
            "{err:?}"
        );
    }
    assert!(store.list_consents(&alice).await.unwrap().is_empty());
}

pub(crate) fn session(user: &Subject) -> Session {
    Session {
        id_hash: "session-digest".into(),
        sid: "sid-1".into(),
        user_sub: user.clone(),
        auth_time: at(3),
        amr: vec!["pwd".into()],
        ip: None,
        user_agent: None,
        created_at: at(3),
        last_seen_at: at(3),
        idle_expires_at: at(1803),
        expires_at: at(36_003),
    }
}

async fn session_clients_are_recorded_once(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    store.create_client(&client("other")).await.unwrap();
    let s = session(&alice);
    store.create_session(&s).await.unwrap();
    let links = |store: SeaStore| async move {
        let mut rows = session_clients::Entity::find()
            .all(store.connection())
            .await
            .unwrap();
        rows.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        rows.into_iter()
            .map(|r| (r.session_id_hash, r.client_id, r.created_at))
            .collect::<Vec<_>>()
    };

    store
        .record_session_client(&s.id_hash, &app, at(10))
        .await
        .unwrap();
    // Again, later: nothing changes, the first time stays.
    store
        .record_session_client(&s.id_hash, &app, at(20))
        .await
        .unwrap();
    store
        .record_session_client(&s.id_hash, &client_id("other"), at(30))
        .await
        .unwrap();
    let expected = vec![
        (s.id_hash.clone(), "app".to_owned(), at(10).unix()),
        (s.id_hash.clone(), "other".to_owned(), at(30).unix()),
    ];
    assert_eq!(links(store.clone()).await, expected);

    // An unknown session or client is refused by a foreign key, as an error rather than a panic.
    for (session_id_hash, client) in [
        ("session-unknown", app.clone()),
        (s.id_hash.as_str(), client_id("unknown")),
    ] {
        let err = store
            .record_session_client(session_id_hash, &client, at(40))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
            "{err:?}"
        );
    }
    assert_eq!(links(store.clone()).await, expected);

    // The links end with their session.
    assert!(store.delete_session(&s.id_hash).await.unwrap());
    assert!(links(store.clone()).await.is_empty());
}
