//! ClientStore.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::client::{AuthMethod, OperatorSettings, Registration, SecretHashes};
use charter_core::ids::ClientId;
use charter_core::store::{ClientStore, Page};
use charter_storage::SeaStore;
use charter_storage::entity::{client_redirect_uris, clients};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::{T0, client, uri};

on_both_backends!(
    clients_round_trip_exactly,
    secrets_are_stored_as_given,
    duplicate_clients_conflict_and_leave_nothing_behind,
    deleting_a_client_cascades,
    clients_page_by_id,
);

async fn clients_round_trip_exactly(store: SeaStore) {
    let mut record = client("web-app");
    let m = &mut record.client.metadata;
    // Order as registered, not sorted; spellings kept exactly (":443" and "/" matter, RFC 9700 §4.1.3).
    m.redirect_uris = vec![
        uri("https://z.example/cb"),
        uri("https://a.example:443/cb"),
        uri("https://a.example/cb"),
        uri("https://a.example/cb/"),
        uri("com.example.app:/oauth?x=1&y=%2F"),
    ];
    m.post_logout_redirect_uris = vec![uri("https://z.example/bye"), uri("https://a.example/bye")];
    m.contacts = vec!["ops@example.org".into()];
    m.logo_uri = Some("https://a.example/logo.png".parse().unwrap());
    m.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}]}));
    m.backchannel_logout_uri = Some("https://a.example/bcl".parse().unwrap());
    m.backchannel_logout_session_required = true;
    m.token_endpoint_auth_method = AuthMethod::ClientSecretPost;
    record.client.settings = OperatorSettings {
        require_pkce: false,
        audiences: vec!["https://api.example".into()],
        skip_consent: true,
        access_token_lifetime_secs: Some(300),
        refresh_token_idle_lifetime_secs: None,
        refresh_token_absolute_lifetime_secs: Some(86_400),
    };
    record.client.registration = Registration::Dynamic;
    record.client.updated_at = T0.plus(Duration::from_secs(1));

    store.create_client(&record).await.unwrap();
    let found = store.find_client(&record.client.id).await.unwrap().unwrap();
    assert_eq!(found, record);
    let spelled: Vec<_> = found
        .client
        .metadata
        .redirect_uris
        .iter()
        .map(|u| u.as_str())
        .collect();
    assert_eq!(spelled[1], "https://a.example:443/cb");

    // URIs live in their own table, not in the JSON.
    let row = clients::Entity::find_by_id("web-app")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert!(!row.metadata.contains("redirect_uris"), "{}", row.metadata);
    assert_eq!(row.registration, "dynamic");
    assert_eq!(row.token_endpoint_auth_method, "client_secret_post");

    // A public client without any URI round-trips too.
    let mut public = client("native");
    public.client.metadata.token_endpoint_auth_method = AuthMethod::None;
    public.client.metadata.redirect_uris.clear();
    store.create_client(&public).await.unwrap();
    assert_eq!(
        store.find_client(&public.client.id).await.unwrap(),
        Some(public)
    );
    let unknown = ClientId::parse("unknown").unwrap();
    assert!(store.find_client(&unknown).await.unwrap().is_none());
}

async fn secrets_are_stored_as_given(store: SeaStore) {
    let mut record = client("confidential");
    record.secret = Some(SecretHashes {
        current: "hmac-sha256:current-digest".into(),
        previous: None,
    });
    store.create_client(&record).await.unwrap();
    let row = clients::Entity::find_by_id("confidential")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.secret_hash.as_deref(),
        Some("hmac-sha256:current-digest")
    );
    assert_eq!(row.previous_secret_hash, None);

    let rotated = SecretHashes {
        current: "hmac-sha256:new-digest".into(),
        previous: Some((
            "hmac-sha256:current-digest".into(),
            T0.plus(Duration::from_secs(3600)),
        )),
    };
    let later = T0.plus(Duration::from_secs(10));
    assert!(
        store
            .set_client_secret(&record.client.id, &rotated, later)
            .await
            .unwrap()
    );
    let found = store.find_client(&record.client.id).await.unwrap().unwrap();
    assert_eq!(found.secret, Some(rotated));
    assert_eq!(found.client.updated_at, later);
    let row = clients::Entity::find_by_id("confidential")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_hash.as_deref(), Some("hmac-sha256:new-digest"));
    assert_eq!(
        row.previous_secret_hash.as_deref(),
        Some("hmac-sha256:current-digest")
    );
    assert_eq!(row.previous_secret_expires_at, Some(T0.unix() + 3600));

    // The rotation window closes: the previous hash goes.
    let settled = SecretHashes {
        current: "hmac-sha256:new-digest".into(),
        previous: None,
    };
    assert!(
        store
            .set_client_secret(&record.client.id, &settled, later)
            .await
            .unwrap()
    );
    let found = store.find_client(&record.client.id).await.unwrap().unwrap();
    assert_eq!(found.secret, Some(settled.clone()));

    let unknown = ClientId::parse("unknown").unwrap();
    assert!(
        !store
            .set_client_secret(&unknown, &settled, later)
            .await
            .unwrap()
    );
}

async fn duplicate_clients_conflict_and_leave_nothing_behind(store: SeaStore) {
    store.create_client(&client("dup")).await.unwrap();
    let err = store.create_client(&client("dup")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("client")), "{err:?}");

    // The URI insert fails after the client row was written: the transaction takes both back.
    let mut bad = client("twice");
    bad.client.metadata.redirect_uris =
        vec![uri("https://a.example/cb"), uri("https://a.example/cb")];
    let err = store.create_client(&bad).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("redirect URI")),
        "{err:?}"
    );
    assert!(store.find_client(&bad.client.id).await.unwrap().is_none());
    assert_eq!(uri_rows(&store, "twice").await, 0);
}

async fn deleting_a_client_cascades(store: SeaStore) {
    let mut record = client("doomed");
    record.client.metadata.post_logout_redirect_uris = vec![uri("https://doomed.example/bye")];
    store.create_client(&record).await.unwrap();
    store.create_client(&client("survivor")).await.unwrap();
    assert_eq!(uri_rows(&store, "doomed").await, 2);

    assert!(store.delete_client(&record.client.id).await.unwrap());
    assert!(
        store
            .find_client(&record.client.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(uri_rows(&store, "doomed").await, 0);
    assert_eq!(uri_rows(&store, "survivor").await, 1);
    assert!(!store.delete_client(&record.client.id).await.unwrap());
}

async fn clients_page_by_id(store: SeaStore) {
    // Ids that sort the same under any collation.
    let ids = ["client-a", "client-b", "client-c", "client-d", "client-e"];
    for id in ids.iter().rev() {
        store.create_client(&client(id)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut page = Page::first(2);
    loop {
        let records = store.list_clients(&page).await.unwrap();
        if records.is_empty() {
            break;
        }
        assert!(records.len() <= 2);
        for r in &records {
            // Each client comes back with its own URIs.
            let expected = format!("https://{}.example/cb", r.client.id);
            assert_eq!(r.client.metadata.redirect_uris, vec![uri(&expected)]);
        }
        page.after = Some(records[records.len() - 1].client.id.to_string());
        seen.extend(records.into_iter().map(|r| r.client.id.into_string()));
    }
    assert_eq!(seen, ids);
}

async fn uri_rows(store: &SeaStore, client_id: &str) -> u64 {
    client_redirect_uris::Entity::find()
        .filter(client_redirect_uris::Column::ClientId.eq(client_id))
        .count(store.connection())
        .await
        .unwrap()
}
