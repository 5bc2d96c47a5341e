//! GrantStore: grants and authorization codes (consents and session-client links: `consents.rs`).

use std::time::Duration;

use charter_core::StoreError;
use charter_core::clock::Timestamp;
use charter_core::grant::{AuthorizationCode, Grant};
use charter_core::ids::{ClientId, Subject};
use charter_core::random::SystemTokenGenerator;
use charter_core::scope::ScopeSet;
use charter_core::store::{ClientStore, GrantStore, Housekeeping, SessionStore};
use charter_storage::SeaStore;
use charter_storage::entity::{authorization_codes, consents, grants, session_clients};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};

use crate::consents::{consent, session};
use crate::support::{T0, client, create_user};

on_both_backends!(
    grants_round_trip,
    grants_need_their_user_and_client,
    revoking_a_grant,
    revoking_a_users_grants_for_a_client,
    codes_round_trip,
    creating_a_code_is_all_or_nothing,
    a_code_is_consumed_once,
    racing_redemptions_of_a_code_have_one_winner,
    unreadable_grant_and_code_rows_are_corrupt,
    deleting_a_client_deletes_its_grants_and_codes,
    expired_codes_are_swept_and_their_grants_kept,
);

pub(crate) fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

pub(crate) fn client_id(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

pub(crate) fn scope(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

/// User "alice" and client "app".
pub(crate) async fn alice_and_app(store: &SeaStore) -> (Subject, ClientId) {
    let alice = create_user(store, "alice").await;
    store.create_client(&client("app")).await.unwrap();
    (alice.sub, client_id("app"))
}

pub(crate) fn grant(id: &str, user: &Subject, client: &ClientId) -> Grant {
    Grant {
        id: id.to_owned(),
        user_sub: Some(user.clone()),
        client_id: client.clone(),
        scope: scope("openid profile"),
        session_sid: Some("sid-1".into()),
        offline_access: false,
        created_at: at(10),
        revoked_at: None,
        auth_time: Some(at(5)),
        claims: None,
    }
}

/// A code of `grant` with every optional part present, expiring a minute after `T0 + 10`.
fn full_code(hash: &str, grant: &Grant) -> AuthorizationCode {
    AuthorizationCode {
        code_hash: hash.to_owned(),
        grant_id: grant.id.clone(),
        client_id: grant.client_id.clone(),
        user_sub: grant.user_sub.clone().unwrap(),
        session_sid: Some("sid-1".into()),
        redirect_uri: "https://app.example:443/cb?x=1&y=%2F".into(),
        redirect_uri_sent: true,
        scope: scope("openid profile email"),
        nonce: Some("n-0S6_WzA2Mj « été »".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        auth_time: at(3),
        amr: vec!["pwd".into(), "otp".into(), "\"q\"".into()],
        resource: Some("https://api.example/".into()),
        created_at: at(10),
        expires_at: at(70),
        used_at: None,
    }
}

/// A code of `grant` with every optional part left out.
fn sparse_code(hash: &str, grant: &Grant) -> AuthorizationCode {
    AuthorizationCode {
        session_sid: None,
        redirect_uri_sent: false,
        nonce: None,
        code_challenge: None,
        amr: Vec::new(),
        resource: None,
        ..full_code(hash, grant)
    }
}

async fn code_count(store: &SeaStore) -> u64 {
    authorization_codes::Entity::find()
        .count(store.connection())
        .await
        .unwrap()
}

async fn grant_count(store: &SeaStore) -> u64 {
    grants::Entity::find()
        .count(store.connection())
        .await
        .unwrap()
}

async fn grants_round_trip(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let user_grant = Grant {
        scope: scope("profile openid offline_access"),
        offline_access: true,
        // The claims request parameter survives, values and all (m20261127_000007_claims_request).
        claims: Some(
            charter_core::claims_request::ClaimsRequest::parse(
                r#"{"id_token":{"email":{"essential":true},"name":{"values":["A","B"]}},"userinfo":{"phone_number":null}}"#,
            )
            .unwrap(),
        ),
        ..grant("grant-user", &alice, &app)
    };
    let client_grant = Grant {
        user_sub: None,
        session_sid: None,
        scope: ScopeSet::default(),
        revoked_at: Some(at(20)),
        ..grant("grant-client", &alice, &app)
    };
    for g in [&user_grant, &client_grant] {
        store.create_grant(g).await.unwrap();
        assert_eq!(store.find_grant(&g.id).await.unwrap().as_ref(), Some(g));
    }
    assert_eq!(store.find_grant("grant-unknown").await.unwrap(), None);

    // The scope is stored in its string form: sorted, space-separated.
    let row = grants::Entity::find_by_id("grant-user")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.scope, "offline_access openid profile");

    let err = store.create_grant(&user_grant).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("grant")), "{err:?}");
}

async fn grants_need_their_user_and_client(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let stranger = Subject::generate(&SystemTokenGenerator::new());
    for g in [
        grant("grant-1", &stranger, &app),
        grant("grant-2", &alice, &client_id("unknown")),
    ] {
        let err = store.create_grant(&g).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
            "{err:?}"
        );
    }
    assert_eq!(grant_count(&store).await, 0);
}

async fn revoking_a_grant(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g = grant("grant-1", &alice, &app);
    store.create_grant(&g).await.unwrap();
    store
        .create_grant(&grant("grant-2", &alice, &app))
        .await
        .unwrap();

    assert!(store.revoke_grant(&g.id, at(100)).await.unwrap());
    let revoked = store.find_grant(&g.id).await.unwrap().unwrap();
    assert_eq!(
        revoked,
        Grant {
            revoked_at: Some(at(100)),
            ..g.clone()
        }
    );
    assert!(!revoked.is_active());

    // Already revoked: nothing changes, and the first revocation time stays.
    assert!(!store.revoke_grant(&g.id, at(200)).await.unwrap());
    assert_eq!(store.find_grant(&g.id).await.unwrap(), Some(revoked));
    assert!(!store.revoke_grant("grant-unknown", at(200)).await.unwrap());
    assert!(
        store
            .find_grant("grant-2")
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
}

async fn revoking_a_users_grants_for_a_client(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let bob = create_user(&store, "bob").await.sub;
    store.create_client(&client("other")).await.unwrap();
    let other = client_id("other");

    let already = Grant {
        revoked_at: Some(at(50)),
        ..grant("alice-app-old", &alice, &app)
    };
    let untouched = [
        grant("alice-other", &alice, &other),
        grant("bob-app", &bob, &app),
        Grant {
            user_sub: None,
            ..grant("app-itself", &alice, &app)
        },
    ];
    for g in [
        grant("alice-app-1", &alice, &app),
        grant("alice-app-2", &alice, &app),
        already.clone(),
    ]
    .iter()
    .chain(&untouched)
    {
        store.create_grant(g).await.unwrap();
    }

    assert_eq!(
        store
            .revoke_client_grants(&alice, &app, at(100))
            .await
            .unwrap(),
        2
    );
    for id in ["alice-app-1", "alice-app-2"] {
        let g = store.find_grant(id).await.unwrap().unwrap();
        assert_eq!(g.revoked_at, Some(at(100)), "{id}");
    }
    assert_eq!(store.find_grant(&already.id).await.unwrap(), Some(already));
    for g in &untouched {
        assert_eq!(store.find_grant(&g.id).await.unwrap().as_ref(), Some(g));
    }

    // Nothing active is left to revoke.
    assert_eq!(
        store
            .revoke_client_grants(&alice, &app, at(200))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .revoke_client_grants(&alice, &client_id("unknown"), at(200))
            .await
            .unwrap(),
        0
    );
}

async fn codes_round_trip(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g1 = Grant {
        offline_access: true,
        ..grant("grant-1", &alice, &app)
    };
    let g2 = Grant {
        session_sid: None,
        ..grant("grant-2", &alice, &app)
    };
    let full = full_code("code-full", &g1);
    let sparse = sparse_code("code-sparse", &g2);
    for (g, c) in [(&g1, &full), (&g2, &sparse)] {
        store.create_code(g, c).await.unwrap();
        assert_eq!(store.find_grant(&g.id).await.unwrap().as_ref(), Some(g));
        assert_eq!(
            store.find_code(&c.code_hash).await.unwrap().as_ref(),
            Some(c)
        );
    }
    assert_eq!(store.find_code("code-unknown").await.unwrap(), None);

    let row = authorization_codes::Entity::find_by_id("code-full")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.amr.as_deref(), Some(r#"["pwd","otp","\"q\""]"#));
    assert_eq!(row.code_challenge_method.as_deref(), Some("S256"));
    assert_eq!(row.scope, "email openid profile");
    assert!(row.redirect_uri_sent);
    let row = authorization_codes::Entity::find_by_id("code-sparse")
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.amr.as_deref(), Some("[]"));
    assert_eq!(row.code_challenge_method, None);
    assert!(!row.redirect_uri_sent);

    // A used code round-trips too.
    let g3 = grant("grant-3", &alice, &app);
    let used = AuthorizationCode {
        used_at: Some(at(20)),
        ..full_code("code-used", &g3)
    };
    store.create_code(&g3, &used).await.unwrap();
    assert_eq!(store.find_code("code-used").await.unwrap(), Some(used));
}

async fn creating_a_code_is_all_or_nothing(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g1 = grant("grant-1", &alice, &app);
    store
        .create_code(&g1, &full_code("code-1", &g1))
        .await
        .unwrap();

    // The grant is written, then the code is refused: the grant is taken back.
    let g2 = grant("grant-2", &alice, &app);
    let err = store
        .create_code(&g2, &full_code("code-1", &g2))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("authorization code")),
        "{err:?}"
    );
    assert_eq!(store.find_grant("grant-2").await.unwrap(), None);

    // The grant is refused: no code.
    let err = store
        .create_code(&g1, &full_code("code-2", &g1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict("grant")), "{err:?}");
    assert_eq!(store.find_code("code-2").await.unwrap(), None);

    // A code must belong to the grant it comes with.
    let err = store
        .create_code(&g2, &full_code("code-3", &g1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");

    // A grant for a client that does not exist: refused by the foreign key, without a trace.
    let g4 = grant("grant-4", &alice, &client_id("unknown"));
    let err = store
        .create_code(&g4, &full_code("code-4", &g4))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("does not exist")),
        "{err:?}"
    );

    assert_eq!(
        (grant_count(&store).await, code_count(&store).await),
        (1, 1)
    );
}

async fn a_code_is_consumed_once(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g = grant("grant-1", &alice, &app);
    let code = full_code("code-1", &g);
    store.create_code(&g, &code).await.unwrap();
    let other = grant("grant-2", &alice, &app);
    store
        .create_code(&other, &sparse_code("code-2", &other))
        .await
        .unwrap();

    assert!(store.consume_code("code-1", at(20)).await.unwrap());
    let used = AuthorizationCode {
        used_at: Some(at(20)),
        ..code
    };
    assert_eq!(
        store.find_code("code-1").await.unwrap().as_ref(),
        Some(&used)
    );

    // A replay changes nothing: the first redemption time stays.
    assert!(!store.consume_code("code-1", at(30)).await.unwrap());
    assert_eq!(store.find_code("code-1").await.unwrap(), Some(used));
    assert!(!store.consume_code("code-unknown", at(30)).await.unwrap());
    let untouched = store.find_code("code-2").await.unwrap().unwrap();
    assert_eq!(untouched.used_at, None);
}

async fn racing_redemptions_of_a_code_have_one_winner(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g = grant("grant-1", &alice, &app);
    store
        .create_code(&g, &full_code("code-1", &g))
        .await
        .unwrap();

    let racers: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.consume_code("code-1", at(20 + i)).await })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, racer) in racers.into_iter().enumerate() {
        if racer.await.unwrap().unwrap() {
            winners.push(i as u64);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let used = store.find_code("code-1").await.unwrap().unwrap();
    assert_eq!(used.used_at, Some(at(20 + winners[0])));
}

/// Makes one column of a stored code unreadable.
type Spoil = fn(&mut authorization_codes::ActiveModel);

async fn unreadable_grant_and_code_rows_are_corrupt(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g = grant("grant-1", &alice, &app);
    store
        .create_code(&g, &full_code("code-1", &g))
        .await
        .unwrap();
    let db = store.connection();

    let grant_row = grants::Entity::find_by_id("grant-1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active = grant_row.clone().into_active_model();
    active.scope = Set("openid \"quoted\"".into());
    active.update(db).await.unwrap();
    let err = store.find_grant("grant-1").await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                what: "grant scope",
                ..
            }
        ),
        "{err:?}"
    );

    let code_row = authorization_codes::Entity::find_by_id("code-1")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let cases: [(&str, Spoil); 6] = [
        ("authorization code amr", |r| {
            r.amr = Set(Some("pwd".into()))
        }),
        ("authorization code amr", |r| {
            r.amr = Set(Some("[1]".into()))
        }),
        ("authorization code scope", |r| {
            r.scope = Set("openid\\".into())
        }),
        ("authorization code challenge method", |r| {
            r.code_challenge_method = Set(Some("plain".into()))
        }),
        ("authorization code challenge method", |r| {
            r.code_challenge_method = Set(None)
        }),
        ("authorization code challenge method", |r| {
            r.code_challenge = Set(None)
        }),
    ];
    for (what, spoil) in cases {
        let mut active = code_row.clone().into_active_model();
        spoil(&mut active);
        active.update(db).await.unwrap();
        let err = store.find_code("code-1").await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what: w, .. } if *w == what),
            "{what}: {err:?}"
        );
        code_row
            .clone()
            .into_active_model()
            .reset_all()
            .update(db)
            .await
            .unwrap();
    }
    // Put back as it was, the row reads again.
    assert!(store.find_code("code-1").await.unwrap().is_some());
}

async fn deleting_a_client_deletes_its_grants_and_codes(store: SeaStore) {
    let alice = create_user(&store, "alice").await.sub;
    let session = session(&alice);
    store.create_session(&session).await.unwrap();
    for id in ["doomed", "survivor"] {
        store.create_client(&client(id)).await.unwrap();
        let c = client_id(id);
        let g = grant(&format!("grant-{id}"), &alice, &c);
        store
            .create_code(&g, &full_code(&format!("code-{id}"), &g))
            .await
            .unwrap();
        store
            .create_grant(&grant(&format!("grant-{id}-2"), &alice, &c))
            .await
            .unwrap();
        store.save_consent(&consent(&alice, &c)).await.unwrap();
        store
            .record_session_client(&session.id_hash, &c, at(10))
            .await
            .unwrap();
    }

    assert!(store.delete_client(&client_id("doomed")).await.unwrap());
    for id in ["grant-doomed", "grant-doomed-2"] {
        assert_eq!(store.find_grant(id).await.unwrap(), None);
    }
    assert_eq!(store.find_code("code-doomed").await.unwrap(), None);
    assert_eq!(
        store
            .find_consent(&alice, &client_id("doomed"))
            .await
            .unwrap(),
        None
    );
    let db = store.connection();
    let links = session_clients::Entity::find().all(db).await.unwrap();
    assert_eq!(
        links
            .iter()
            .map(|l| l.client_id.as_str())
            .collect::<Vec<_>>(),
        ["survivor"]
    );

    // The other client's rows are all there.
    assert_eq!(
        (grant_count(&store).await, code_count(&store).await),
        (2, 1)
    );
    assert!(store.find_code("code-survivor").await.unwrap().is_some());
    assert_eq!(
        consents::Entity::find()
            .filter(consents::Column::ClientId.eq("survivor"))
            .count(db)
            .await
            .unwrap(),
        1
    );
}

async fn expired_codes_are_swept_and_their_grants_kept(store: SeaStore) {
    let (alice, app) = alice_and_app(&store).await;
    let g1 = grant("grant-1", &alice, &app);
    let soon = full_code("code-soon", &g1);
    let g2 = grant("grant-2", &alice, &app);
    let later = AuthorizationCode {
        expires_at: at(700),
        ..sparse_code("code-later", &g2)
    };
    store.create_code(&g1, &soon).await.unwrap();
    store.create_code(&g2, &later).await.unwrap();

    let report = store.sweep_expired(at(69), 100).await.unwrap();
    assert!(
        report.deleted.contains(&("authorization_codes", 0)),
        "{report:?}"
    );
    let report = store.sweep_expired(soon.expires_at, 100).await.unwrap();
    assert!(
        report.deleted.contains(&("authorization_codes", 1)),
        "{report:?}"
    );
    assert_eq!(store.find_code("code-soon").await.unwrap(), None);
    assert_eq!(store.find_code("code-later").await.unwrap(), Some(later));
    // The grant outlives its code: refresh tokens may hang off it.
    assert_eq!(store.find_grant("grant-1").await.unwrap(), Some(g1));
}
