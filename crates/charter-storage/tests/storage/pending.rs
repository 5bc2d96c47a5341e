//! PendingStore.

use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::grant::{AuthorizationRequest, PendingAuthorization, Prompt, ResponseMode};
use charter_core::ids::{ClientId, Subject};
use charter_core::random::SystemTokenGenerator;
use charter_core::scope::ScopeSet;
use charter_core::store::{Housekeeping, PendingStore};
use charter_storage::SeaStore;
use charter_storage::entity::pending_authorizations;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

use crate::support::{T0, uri};

on_both_backends!(
    pending_requests_round_trip,
    duplicate_pending_requests_conflict,
    deleting_pending_requests,
    unreadable_pending_rows_are_corrupt,
    expired_pending_requests_are_swept,
);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

/// A request with every optional part left out.
fn sparse_request() -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: ClientId::parse("app").unwrap(),
        redirect_uri: uri("https://app.example/cb"),
        redirect_uri_sent: false,
        scope: ScopeSet::parse("openid").unwrap(),
        state: None,
        nonce: None,
        code_challenge: None,
        response_mode: ResponseMode::Query,
        prompt: Prompt::default(),
        max_age: None,
        login_hint: None,
        id_token_hint_sub: None,
        ui_locales: None,
        acr_values: None,
        resource: None,
        claims: None,
    }
}

/// A request with every optional part present, and values that JSON must escape.
fn full_request() -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: ClientId::parse("native_app-2").unwrap(),
        // Spelled exactly as sent: the explicit port and the query survive.
        redirect_uri: uri("https://app.example:443/cb?x=1&y=%2F"),
        redirect_uri_sent: true,
        scope: ScopeSet::parse("openid profile email offline_access").unwrap(),
        state: Some("st\"ate\\ « été » 🚀".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        response_mode: ResponseMode::FormPost,
        prompt: Prompt {
            none: false,
            login: true,
            consent: true,
            select_account: true,
        },
        max_age: Some(0),
        login_hint: Some("alice@example.org".into()),
        id_token_hint_sub: Some(Subject::generate(&SystemTokenGenerator::new())),
        ui_locales: Some("fr-CA fr en".into()),
        acr_values: Some("urn:mace:incommon:iap:silver".into()),
        resource: Some("https://api.example/".into()),
        claims: Some(
            charter_core::claims_request::ClaimsRequest::parse(
                r#"{"id_token":{"email":{"essential":true},"sub":{"value":"al\"ice"}},"userinfo":{"name":null}}"#,
            )
            .unwrap(),
        ),
    }
}

fn pending(name: &str, request: AuthorizationRequest, expires: u64) -> PendingAuthorization {
    PendingAuthorization {
        id_hash: format!("pending-{name}"),
        request,
        created_at: at(1),
        expires_at: at(expires),
    }
}

async fn pending_requests_round_trip(store: SeaStore) {
    let full = pending("full", full_request(), 600);
    let sparse = pending("sparse", sparse_request(), 601);
    for p in [&full, &sparse] {
        store.create_pending(p).await.unwrap();
        assert_eq!(
            store.find_pending(&p.id_hash).await.unwrap().as_ref(),
            Some(p)
        );
    }
    assert_eq!(store.find_pending("pending-unknown").await.unwrap(), None);

    // The request is JSON, read back whole.
    let row = pending_authorizations::Entity::find_by_id("pending-full")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&row.request).unwrap();
    assert_eq!(json["client_id"], "native_app-2");
    assert_eq!(json["response_mode"], "form_post");
    assert_eq!(
        (row.created_at, row.expires_at),
        (at(1).unix(), at(600).unix())
    );
}

async fn duplicate_pending_requests_conflict(store: SeaStore) {
    let first = pending("a", sparse_request(), 600);
    store.create_pending(&first).await.unwrap();
    let again = pending("a", full_request(), 900);
    let err = store.create_pending(&again).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("pending authorization")),
        "{err:?}"
    );
    assert_eq!(
        store.find_pending(&first.id_hash).await.unwrap(),
        Some(first)
    );
}

async fn deleting_pending_requests(store: SeaStore) {
    let a = pending("a", sparse_request(), 600);
    let b = pending("b", full_request(), 600);
    store.create_pending(&a).await.unwrap();
    store.create_pending(&b).await.unwrap();

    assert!(store.delete_pending(&a.id_hash).await.unwrap());
    assert_eq!(store.find_pending(&a.id_hash).await.unwrap(), None);
    assert!(!store.delete_pending(&a.id_hash).await.unwrap());
    assert_eq!(store.find_pending(&b.id_hash).await.unwrap(), Some(b));
}

async fn unreadable_pending_rows_are_corrupt(store: SeaStore) {
    let p = pending("a", full_request(), 600);
    store.create_pending(&p).await.unwrap();
    let row = pending_authorizations::Entity::find_by_id(p.id_hash.as_str())
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();

    let mut missing_field: serde_json::Value = serde_json::from_str(&row.request).unwrap();
    missing_field
        .as_object_mut()
        .unwrap()
        .remove("redirect_uri");
    let mut bad_scope: serde_json::Value = serde_json::from_str(&row.request).unwrap();
    bad_scope["scope"] = "openid \"quoted\"".into();
    let truncated = &row.request[..row.request.len() - 1];
    for bad in [
        "",
        "null",
        "[]",
        truncated,
        &missing_field.to_string(),
        &bad_scope.to_string(),
        r#"{"client_id":"swept"}"#,
    ] {
        let mut active = row.clone().into_active_model();
        active.request = Set(bad.to_owned());
        active.update(store.connection()).await.unwrap();
        let err = store.find_pending(&p.id_hash).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    what: "pending authorization request",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    // A corrupt row can still be deleted.
    assert!(store.delete_pending(&p.id_hash).await.unwrap());
}

async fn expired_pending_requests_are_swept(store: SeaStore) {
    let soon = pending("soon", sparse_request(), 60);
    let later = pending("later", full_request(), 600);
    store.create_pending(&soon).await.unwrap();
    store.create_pending(&later).await.unwrap();

    let report = store.sweep_expired(at(59), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("pending_authorizations", 0)),
        "{report:?}"
    );
    let report = store.sweep_expired(at(60), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("pending_authorizations", 1)),
        "{report:?}"
    );
    assert_eq!(store.find_pending(&soon.id_hash).await.unwrap(), None);
    assert_eq!(
        store.find_pending(&later.id_hash).await.unwrap(),
        Some(later)
    );
}
