//! UserStore.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::ids::{Subject, Username};
use charter_core::random::SystemTokenGenerator;
use charter_core::store::{Page, UserStore};
use charter_core::user::{Address, Profile};
use charter_storage::SeaStore;
use charter_storage::entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

use crate::support::{T0, create_user, new_user};

on_both_backends!(
    users_round_trip,
    usernames_are_unique_without_regard_to_case,
    disabling_and_password_changes,
    users_page_by_sub,
    unreadable_user_rows_are_corrupt,
);

async fn users_round_trip(store: SeaStore) {
    let mut new = new_user("Émilie.Durand");
    new.profile = Profile {
        name: Some("Émilie Durand".into()),
        given_name: Some("Émilie".into()),
        family_name: Some("Durand".into()),
        email: Some("emilie@example.org".into()),
        email_verified: true,
        phone_number: Some("+33 1 23 45 67 89".into()),
        phone_number_verified: false,
        address: Some(Address {
            street_address: Some("1 rue de la Paix\n2e étage".into()),
            locality: Some("Paris".into()),
            country: Some("FR".into()),
            ..Address::default()
        }),
        locale: Some("fr-FR".into()),
        zoneinfo: Some("Europe/Paris".into()),
        picture: Some("https://example.org/e.png".into()),
    };
    let created = store.create_user(new.clone()).await.unwrap();
    assert_eq!(created.sub, new.sub);
    assert_eq!(created.profile, new.profile);
    assert!(!created.disabled);
    assert_eq!((created.created_at, created.updated_at), (T0, T0));

    assert_eq!(
        store.find_user(&new.sub).await.unwrap(),
        Some(created.clone())
    );
    // Looked up without regard to case, shown with the spelling chosen at sign-up.
    let other_case = Username::parse("émilie.DURAND").unwrap();
    let found = store
        .find_user_by_username(&other_case)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, created);
    assert_eq!(found.username.as_str(), "Émilie.Durand");

    let credentials = store.find_credentials(&other_case).await.unwrap().unwrap();
    assert_eq!(credentials.user, created);
    assert_eq!(credentials.password_hash, new.password_hash);

    let nobody = Username::parse("nobody").unwrap();
    assert!(
        store
            .find_user_by_username(&nobody)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.find_credentials(&nobody).await.unwrap().is_none());
    let unknown = Subject::generate(&SystemTokenGenerator::new());
    assert!(store.find_user(&unknown).await.unwrap().is_none());
}

async fn usernames_are_unique_without_regard_to_case(store: SeaStore) {
    create_user(&store, "Alice").await;
    for taken in ["alice", "ALICE", "Alice"] {
        let err = store.create_user(new_user(taken)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict("username")),
            "{taken}: {err:?}"
        );
    }
    // A different name is fine.
    create_user(&store, "alice2").await;
}

async fn disabling_and_password_changes(store: SeaStore) {
    let user = create_user(&store, "bob").await;
    let later = T0.plus(Duration::from_secs(60));

    assert!(
        store
            .set_user_disabled(&user.sub, true, later)
            .await
            .unwrap()
    );
    let found = store.find_user(&user.sub).await.unwrap().unwrap();
    assert!(found.disabled);
    assert_eq!(found.updated_at, later);
    assert_eq!(found.created_at, T0);
    assert!(
        store
            .set_user_disabled(&user.sub, false, later)
            .await
            .unwrap()
    );
    assert!(!store.find_user(&user.sub).await.unwrap().unwrap().disabled);

    let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$new$hash";
    assert!(
        store
            .set_password_hash(&user.sub, new_hash, later)
            .await
            .unwrap()
    );
    let credentials = store
        .find_credentials(&user.username)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.password_hash, new_hash);

    let unknown = Subject::generate(&SystemTokenGenerator::new());
    assert!(
        !store
            .set_user_disabled(&unknown, true, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_password_hash(&unknown, new_hash, later)
            .await
            .unwrap()
    );
}

async fn users_page_by_sub(store: SeaStore) {
    let mut subs = Vec::new();
    for i in 0..5 {
        subs.push(create_user(&store, &format!("user{i}")).await.sub);
    }
    subs.sort();

    let mut seen = Vec::new();
    let mut page = Page::first(2);
    loop {
        let users = store.list_users(&page).await.unwrap();
        assert!(users.len() <= 2);
        if users.is_empty() {
            break;
        }
        page.after = Some(users[users.len() - 1].sub.as_str().to_owned());
        seen.extend(users.into_iter().map(|u| u.sub));
    }
    assert_eq!(seen, subs);

    let all = store.list_users(&Page::first(100)).await.unwrap();
    assert_eq!(all.len(), 5);
    let none = store
        .list_users(&Page {
            after: Some(subs[4].as_str().to_owned()),
            limit: 10,
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn unreadable_user_rows_are_corrupt(store: SeaStore) {
    let user = create_user(&store, "carol").await;
    let row = users::Entity::find_by_id(user.sub.as_str())
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.address = Set(Some("{not json".into()));
    row.update(store.connection()).await.unwrap();

    let err = store.find_user(&user.sub).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                what: "user address",
                ..
            }
        ),
        "{err:?}"
    );
}
