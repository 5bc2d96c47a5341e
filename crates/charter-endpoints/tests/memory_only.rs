//! Discovery and the JWKS are served from memory: with the database gone they still answer, and the store is
//! never called. `/readyz`, which must reflect the database, turns 503.
//!
//! The token endpoint's client_credentials grant and introspection of JWT access tokens need no database
//! either once the client is cached and the revocation view is fresh: no write ever, and no read on the hot
//! path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/offline.rs"]
mod offline;

use std::sync::atomic::Ordering;

use actix_web::{App, test, web};

#[actix_web::test]
async fn jwks_and_discovery_never_touch_the_database() {
    let (state, store) = offline::offline_state();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(charter_endpoints::configure),
    )
    .await;
    for _ in 0..200 {
        for path in [
            "/jwks",
            "/.well-known/openid-configuration",
            "/.well-known/oauth-authorization-server",
        ] {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status(), 200, "{path}");
        }
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), 0, "no database call");

    let body =
        test::call_and_read_body(&app, test::TestRequest::get().uri("/jwks").to_request()).await;
    let jwks: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 4);

    let res = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(store.calls.load(Ordering::SeqCst) > 0);
}

#[actix_web::test]
async fn client_credentials_and_introspection_run_from_memory() {
    use base64::Engine;
    use charter_core::client::{Client, ClientRecord, Registration, SecretHashes};
    use charter_core::ids::ClientId;
    use charter_registry::{ClientRequest, RegistrationPolicy, validate};

    let (state, store) = offline::offline_state();
    let (metadata, settings) = validate(
        ClientRequest {
            client_name: Some("API client".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some("read".into()),
            ..ClientRequest::default()
        },
        &RegistrationPolicy::operator(),
    )
    .unwrap();
    let now = state.clock.now();
    *store.client.lock().unwrap() = Some(ClientRecord {
        client: Client {
            id: ClientId::parse("api-client").unwrap(),
            metadata,
            settings,
            registration: Registration::Operator,
            created_at: now,
            updated_at: now,
        },
        secret: Some(SecretHashes {
            current: state.secret_hasher.hash("s3cret"),
            previous: None,
        }),
    });
    store.empty_feed.store(true, Ordering::SeqCst);
    state
        .revocations
        .refresh(state.store.as_ref(), now)
        .await
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(charter_endpoints::configure),
    )
    .await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("api-client:s3cret")
    );
    let token_request = || {
        test::TestRequest::post()
            .uri("/token")
            .insert_header(("authorization", basic.clone()))
            .set_form([("grant_type", "client_credentials")])
            .to_request()
    };
    // The first request reads the client into the cache.
    let res: serde_json::Value = test::call_and_read_body_json(&app, token_request()).await;
    let first = res["access_token"].as_str().unwrap().to_owned();
    let before = store.calls.load(Ordering::SeqCst);
    for _ in 0..50 {
        let res: serde_json::Value = test::call_and_read_body_json(&app, token_request()).await;
        assert!(res["access_token"].is_string(), "{res}");
    }
    for _ in 0..50 {
        let req = test::TestRequest::post()
            .uri("/introspect")
            .insert_header(("authorization", basic.clone()))
            .set_form([("token", first.as_str())])
            .to_request();
        let res: serde_json::Value = test::call_and_read_body_json(&app, req).await;
        assert_eq!(res["active"], true, "{res}");
        assert_eq!(res["client_id"], "api-client");
    }
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        before,
        "no database call on the hot paths"
    );
}
