//! Housekeeping: a sweep deletes expired rows only, at most `batch` per table.

use std::time::Duration;

use charter_core::clock::Timestamp;
use charter_core::store::{ClientStore, Housekeeping, Leases};
use charter_storage::SeaStore;
use charter_storage::entity::{
    authorization_codes, browser_sessions, grants, login_throttle, pending_authorizations,
    refresh_tokens, revoked_access_tokens, session_clients,
};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::support::{T0, client, create_user};

on_both_backends!(
    sweeping_deletes_only_what_expired,
    sweeping_respects_the_batch_size
);

fn at(secs: i64) -> i64 {
    T0.unix() + secs
}

/// `per_table` rows in every swept table (and a session-client link per session), hanging off one user,
/// client and grant.
async fn seed(store: &SeaStore, per_table: i64) {
    let db = store.connection();
    let user = create_user(store, "sweepy").await;
    store.create_client(&client("swept")).await.unwrap();
    grants::Entity::insert(grants::ActiveModel {
        id: Set("grant-1".into()),
        user_sub: Set(Some(user.sub.to_string())),
        client_id: Set("swept".into()),
        scope: Set("openid".into()),
        session_sid: Set(None),
        offline_access: Set(true),
        created_at: Set(T0.unix()),
        revoked_at: Set(None),
        auth_time: Set(None),
        claims: Set(None),
    })
    .exec_without_returning(db)
    .await
    .unwrap();

    for i in 0..per_table {
        // Even rows expire at T0+50 (absolute), odd rows at T0+500; sessions and tokens with i == 1 are
        // the exception: their idle deadline (T0+60) passes first.
        let expires_at = if i % 2 == 0 { at(50) } else { at(500) };
        let idle_expires_at = if i == 1 { at(60) } else { at(1000) };
        authorization_codes::Entity::insert(authorization_codes::ActiveModel {
            code_hash: Set(format!("code-{i}")),
            grant_id: Set("grant-1".into()),
            client_id: Set("swept".into()),
            user_sub: Set(user.sub.to_string()),
            session_sid: Set(None),
            redirect_uri: Set("https://swept.example/cb".into()),
            scope: Set("openid".into()),
            nonce: Set(None),
            code_challenge: Set(Some("challenge".into())),
            code_challenge_method: Set(Some("S256".into())),
            auth_time: Set(T0.unix()),
            amr: Set(None),
            claims: Set(None),
            created_at: Set(T0.unix()),
            expires_at: Set(expires_at),
            used_at: Set(None),
            redirect_uri_sent: Set(false),
            resource: Set(None),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        browser_sessions::Entity::insert(browser_sessions::ActiveModel {
            id_hash: Set(format!("session-{i}")),
            sid: Set(format!("sid-{i}")),
            user_sub: Set(user.sub.to_string()),
            auth_time: Set(T0.unix()),
            amr: Set("pwd".into()),
            ip: Set(None),
            user_agent: Set(None),
            created_at: Set(T0.unix()),
            last_seen_at: Set(T0.unix()),
            idle_expires_at: Set(idle_expires_at),
            expires_at: Set(expires_at),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        session_clients::Entity::insert(session_clients::ActiveModel {
            session_id_hash: Set(format!("session-{i}")),
            client_id: Set("swept".into()),
            created_at: Set(T0.unix()),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            token_hash: Set(format!("token-{i}")),
            grant_id: Set("grant-1".into()),
            client_id: Set("swept".into()),
            scope: Set("openid offline_access".into()),
            created_at: Set(T0.unix()),
            idle_expires_at: Set(idle_expires_at),
            expires_at: Set(expires_at),
            used_at: Set(None),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        pending_authorizations::Entity::insert(pending_authorizations::ActiveModel {
            id_hash: Set(format!("pending-{i}")),
            request: Set(r#"{"client_id":"swept"}"#.into()),
            created_at: Set(T0.unix()),
            expires_at: Set(expires_at),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        // Sign-in failures are forgotten a day after the last one.
        login_throttle::Entity::insert(login_throttle::ActiveModel {
            key: Set(format!("user:throttled-{i}")),
            failures: Set(3),
            last_failure_at: Set(expires_at - 24 * 3600),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        revoked_access_tokens::Entity::insert(revoked_access_tokens::ActiveModel {
            jti: Set(format!("jti-{i}")),
            expires_at: Set(expires_at),
            denied_at: Set(expires_at - 600),
        })
        .exec_without_returning(db)
        .await
        .unwrap();
        charter_storage::entity::device_codes::Entity::insert(
            charter_storage::entity::device_codes::ActiveModel {
                device_code_hash: Set(format!("device-{i}")),
                user_code_key: Set(format!("user-code-{i}")),
                client_id: Set("swept".into()),
                scope: Set("openid".into()),
                status: Set("pending".into()),
                user_sub: Set(None),
                auth_time: Set(None),
                amr: Set(None),
                interval_secs: Set(5),
                last_polled_at: Set(None),
                created_at: Set(T0.unix()),
                expires_at: Set(expires_at),
                decided_at: Set(None),
                used_at: Set(None),
            },
        )
        .exec_without_returning(db)
        .await
        .unwrap();
        charter_storage::entity::client_assertion_jtis::Entity::insert(
            charter_storage::entity::client_assertion_jtis::ActiveModel {
                client_id: Set("swept".into()),
                jti: Set(format!("assertion-{i}")),
                expires_at: Set(expires_at),
            },
        )
        .exec_without_returning(db)
        .await
        .unwrap();
        let lease_expires = Timestamp::from_unix(expires_at);
        let ttl = Duration::from_secs(u64::try_from(lease_expires.unix() - T0.unix()).unwrap());
        assert!(
            store
                .try_acquire_lease(&format!("lease-{i}"), "node", T0, ttl)
                .await
                .unwrap()
        );
    }
}

async fn counts(store: &SeaStore) -> [u64; 8] {
    let db = store.connection();
    [
        authorization_codes::Entity::find().count(db).await.unwrap(),
        browser_sessions::Entity::find().count(db).await.unwrap(),
        refresh_tokens::Entity::find().count(db).await.unwrap(),
        pending_authorizations::Entity::find()
            .count(db)
            .await
            .unwrap(),
        charter_storage::entity::leases::Entity::find()
            .count(db)
            .await
            .unwrap(),
        login_throttle::Entity::find().count(db).await.unwrap(),
        revoked_access_tokens::Entity::find()
            .count(db)
            .await
            .unwrap(),
        session_clients::Entity::find().count(db).await.unwrap(),
    ]
}

async fn sweeping_deletes_only_what_expired(store: SeaStore) {
    seed(&store, 4).await;
    assert_eq!(counts(&store).await, [4; 8]);

    // Before anything expires, nothing goes.
    let report = store
        .sweep_expired(T0.plus(Duration::from_secs(49)), 100)
        .await
        .unwrap();
    assert_eq!(report.total(), 0, "{report:?}");

    // At T0+100: rows 0 and 2 (absolute expiry) and, for sessions and refresh tokens, row 1 (idle expiry).
    let report = store
        .sweep_expired(Timestamp::from_unix(at(100)), 100)
        .await
        .unwrap();
    assert_eq!(
        report.deleted,
        vec![
            ("authorization_codes", 2),
            ("browser_sessions", 3),
            ("refresh_tokens", 3),
            ("pending_authorizations", 2),
            ("leases", 2),
            ("login_throttle", 2),
            ("revoked_access_tokens", 2),
            ("device_codes", 2),
            ("client_assertion_jtis", 2),
        ]
    );
    assert_eq!(device_codes(&store).await, 2);
    // A session's client links go with it.
    assert_eq!(counts(&store).await, [2, 1, 1, 2, 2, 2, 2, 1]);
    let survivor = browser_sessions::Entity::find_by_id("session-3")
        .one(store.connection())
        .await
        .unwrap();
    assert!(survivor.is_some());

    // Sweeping again at the same time finds nothing more.
    let report = store
        .sweep_expired(Timestamp::from_unix(at(100)), 100)
        .await
        .unwrap();
    assert_eq!(report.total(), 0);
}

async fn sweeping_respects_the_batch_size(store: SeaStore) {
    seed(&store, 10).await;
    let much_later = Timestamp::from_unix(at(10_000));

    let report = store.sweep_expired(much_later, 3).await.unwrap();
    assert!(report.deleted.iter().all(|(_, n)| *n == 3), "{report:?}");
    assert_eq!(counts(&store).await[..7], [7; 7]);

    let report = store.sweep_expired(much_later, 0).await.unwrap();
    assert_eq!(report.total(), 0);

    let mut rounds = 0;
    while store.sweep_expired(much_later, 3).await.unwrap().total() > 0 {
        rounds += 1;
    }
    assert_eq!(rounds, 3); // 7 left per table: 3 + 3 + 1
    assert_eq!(counts(&store).await, [0; 8]);
    assert_eq!(device_codes(&store).await, 0);
}

async fn device_codes(store: &SeaStore) -> u64 {
    charter_storage::entity::device_codes::Entity::find()
        .count(store.connection())
        .await
        .unwrap()
}
