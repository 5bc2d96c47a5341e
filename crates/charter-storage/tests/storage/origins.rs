//! `RedirectOriginStore`: every distinct redirect URI of every client, and no post-logout URI.

use charter_core::store::{ClientStore, RedirectOriginStore};
use charter_storage::SeaStore;

use crate::support::{client, uri};

async fn all_redirect_uris_of_every_client(store: SeaStore) {
    assert!(store.all_redirect_uris().await.unwrap().is_empty());
    let mut a = client("a");
    a.client.metadata.redirect_uris = vec![
        uri("https://shared.example/cb"),
        uri("https://a.example:8443/cb"),
    ];
    a.client.metadata.post_logout_redirect_uris = vec![uri("https://logout-only.example/bye")];
    let mut b = client("b");
    b.client.metadata.redirect_uris = vec![uri("https://shared.example/cb")];
    store.create_client(&a).await.unwrap();
    store.create_client(&b).await.unwrap();

    let mut got = store.all_redirect_uris().await.unwrap();
    got.sort();
    assert_eq!(
        got,
        ["https://a.example:8443/cb", "https://shared.example/cb"]
    );

    // A deleted client's URIs go with it.
    store.delete_client(&a.client.id).await.unwrap();
    assert_eq!(
        store.all_redirect_uris().await.unwrap(),
        ["https://shared.example/cb"]
    );
}

on_both_backends!(all_redirect_uris_of_every_client);
