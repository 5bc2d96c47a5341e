//! ClientRegistrationStore: dynamic clients with their registration access token, client updates, initial
//! access tokens spent by conditional update.

use charter_core::StoreError;
use charter_core::client::{Registration, SecretHashes};
use charter_core::ids::ClientId;
use charter_core::registration::InitialAccessToken;
use charter_core::store::{ClientRegistrationStore, ClientStore};
use charter_storage::SeaStore;

use crate::support::{T0, client, uri};

on_both_backends!(
    dynamic_clients_keep_their_token_digest_until_deleted,
    updates_replace_everything_but_identity,
    initial_access_tokens_are_spent_exactly,
);

async fn dynamic_clients_keep_their_token_digest_until_deleted(store: SeaStore) {
    let mut record = client("agent");
    record.client.registration = Registration::Dynamic;
    store
        .create_registered_client(&record, "digest-1")
        .await
        .unwrap();
    let id = ClientId::parse("agent").unwrap();
    assert_eq!(store.find_client(&id).await.unwrap(), Some(record.clone()));
    assert_eq!(
        store.registration_token_hash(&id).await.unwrap().as_deref(),
        Some("digest-1")
    );
    // A taken id: nothing of the second attempt is left behind.
    assert!(matches!(
        store.create_registered_client(&record, "digest-2").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.registration_token_hash(&id).await.unwrap().as_deref(),
        Some("digest-1")
    );
    // Operator clients have none.
    store.create_client(&client("web")).await.unwrap();
    let web = ClientId::parse("web").unwrap();
    assert_eq!(store.registration_token_hash(&web).await.unwrap(), None);

    assert!(store.delete_client(&id).await.unwrap());
    assert_eq!(store.registration_token_hash(&id).await.unwrap(), None);
}

async fn updates_replace_everything_but_identity(store: SeaStore) {
    let original = client("web");
    store.create_client(&original).await.unwrap();
    let mut changed = original.clone();
    changed.client.metadata.client_name = "Renamed".into();
    changed.client.metadata.redirect_uris =
        vec![uri("https://b.example/cb"), uri("https://a.example/cb")];
    changed.client.metadata.post_logout_redirect_uris = vec![uri("https://b.example/bye")];
    changed.client.settings.skip_consent = true;
    changed.client.updated_at = T0.plus(std::time::Duration::from_secs(60));
    changed.secret = Some(SecretHashes {
        current: "new-hash".into(),
        previous: None,
    });
    // Identity fields are never changed by an update, whatever the record says.
    let mut attempt = changed.clone();
    attempt.client.registration = Registration::Dynamic;
    attempt.client.created_at = T0.plus(std::time::Duration::from_secs(999));
    assert!(store.update_client(&attempt).await.unwrap());
    let id = ClientId::parse("web").unwrap();
    assert_eq!(store.find_client(&id).await.unwrap(), Some(changed.clone()));

    // No secret: the hashes go.
    let mut public = changed.clone();
    public.secret = None;
    assert!(store.update_client(&public).await.unwrap());
    assert_eq!(store.find_client(&id).await.unwrap().unwrap().secret, None);

    let mut missing = changed;
    missing.client.id = ClientId::parse("nobody").unwrap();
    assert!(!store.update_client(&missing).await.unwrap());
    assert_eq!(store.find_client(&missing.client.id).await.unwrap(), None);
}

async fn initial_access_tokens_are_spent_exactly(store: SeaStore) {
    let twice = InitialAccessToken {
        token_hash: "twice".into(),
        created_at: T0,
        expires_at: Some(T0.plus(std::time::Duration::from_secs(60))),
        uses_remaining: Some(2),
    };
    store.create_initial_access_token(&twice).await.unwrap();
    assert_eq!(
        store.find_initial_access_token("twice").await.unwrap(),
        Some(twice.clone())
    );
    assert!(store.spend_initial_access_token("twice", T0).await.unwrap());
    assert_eq!(
        store
            .find_initial_access_token("twice")
            .await
            .unwrap()
            .unwrap()
            .uses_remaining,
        Some(1)
    );
    assert!(store.spend_initial_access_token("twice", T0).await.unwrap());
    assert!(
        !store.spend_initial_access_token("twice", T0).await.unwrap(),
        "used up"
    );

    let unlimited = InitialAccessToken {
        token_hash: "unlimited".into(),
        created_at: T0,
        expires_at: Some(T0.plus(std::time::Duration::from_secs(60))),
        uses_remaining: None,
    };
    store.create_initial_access_token(&unlimited).await.unwrap();
    for _ in 0..3 {
        assert!(
            store
                .spend_initial_access_token("unlimited", T0)
                .await
                .unwrap()
        );
    }
    let expiry = T0.plus(std::time::Duration::from_secs(60));
    assert!(
        !store
            .spend_initial_access_token("unlimited", expiry)
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !store
            .spend_initial_access_token("unknown", T0)
            .await
            .unwrap()
    );
    assert_eq!(
        store.find_initial_access_token("unknown").await.unwrap(),
        None
    );
    assert!(matches!(
        store.create_initial_access_token(&unlimited).await,
        Err(StoreError::Conflict(_))
    ));

    // Concurrent spends of a one-use token: exactly one wins.
    let once = InitialAccessToken {
        token_hash: "once".into(),
        uses_remaining: Some(1),
        ..unlimited
    };
    store.create_initial_access_token(&once).await.unwrap();
    let (a, b) = tokio::join!(
        store.spend_initial_access_token("once", T0),
        store.spend_initial_access_token("once", T0)
    );
    assert_eq!(u8::from(a.unwrap()) + u8::from(b.unwrap()), 1);
}
