//! The consent and session-client half of [`GrantStore`](charter_core::store::GrantStore) (the trait impl is
//! in `grants`), on the `consents` and `session_clients` tables.
//!
//! - Saving a consent is one upsert keyed by (user, client): a new row, or the stored one with its scope and
//!   `updated_at` replaced and its `created_at` kept.
//! - Recording that a client received an ID token in a session is an insert that does nothing when the link
//!   already exists, so repeating it is harmless and racing it is too.
//!
//! Both hang off users, clients and sessions (`ON DELETE CASCADE`). A row naming a user, client or session
//! that does not exist is refused by the foreign key and reported as [`StoreError::Backend`].

use charter_core::clock::Timestamp;
use charter_core::grant::Consent;
use charter_core::ids::{ClientId, Subject};
use charter_core::store::StoreError;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::SeaStore;
use crate::entity::consents::{self, Column};
use crate::entity::session_clients;
use crate::error::{db_err, refused_as};
use crate::grants::{parse_client_id, parse_scope, parse_subject, scope_str};

pub(crate) async fn find(
    store: &SeaStore,
    user: &Subject,
    client: &ClientId,
) -> Result<Option<Consent>, StoreError> {
    consents::Entity::find_by_id((user.as_str().to_owned(), client.as_str().to_owned()))
        .one(&store.db)
        .await
        .map_err(db_err)?
        .map(to_consent)
        .transpose()
}

pub(crate) async fn save(store: &SeaStore, consent: &Consent) -> Result<(), StoreError> {
    let row = consents::ActiveModel {
        user_sub: Set(consent.user_sub.as_str().to_owned()),
        client_id: Set(consent.client_id.as_str().to_owned()),
        scope: Set(scope_str(&consent.scope)),
        created_at: Set(consent.created_at.unix()),
        updated_at: Set(consent.updated_at.unix()),
    };
    //   INSERT INTO consents (...) VALUES (...)
    //   ON CONFLICT (user_sub, client_id) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at
    consents::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::UserSub, Column::ClientId])
                .update_columns([Column::Scope, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&store.db)
        .await
        .map_err(refused_as("the consent's user or client", |_| "consent"))?;
    Ok(())
}

pub(crate) async fn delete(
    store: &SeaStore,
    user: &Subject,
    client: &ClientId,
) -> Result<bool, StoreError> {
    let result = consents::Entity::delete_many()
        .filter(Column::UserSub.eq(user.as_str()))
        .filter(Column::ClientId.eq(client.as_str()))
        .exec(&store.db)
        .await
        .map_err(db_err)?;
    Ok(result.rows_affected > 0)
}

pub(crate) async fn list(store: &SeaStore, user: &Subject) -> Result<Vec<Consent>, StoreError> {
    consents::Entity::find()
        .filter(Column::UserSub.eq(user.as_str()))
        .order_by_asc(Column::ClientId)
        .all(&store.db)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(to_consent)
        .collect()
}

pub(crate) async fn record_session_client(
    store: &SeaStore,
    session_id_hash: &str,
    client: &ClientId,
    now: Timestamp,
) -> Result<(), StoreError> {
    use session_clients::Column;
    let row = session_clients::ActiveModel {
        session_id_hash: Set(session_id_hash.to_owned()),
        client_id: Set(client.as_str().to_owned()),
        created_at: Set(now.unix()),
    };
    // Already recorded: the first time stays.
    session_clients::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::SessionIdHash, Column::ClientId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&store.db)
        .await
        .map_err(refused_as("the session or client", |_| "session client"))?;
    Ok(())
}

fn to_consent(row: consents::Model) -> Result<Consent, StoreError> {
    Ok(Consent {
        user_sub: parse_subject("consent user", &row.user_sub)?,
        client_id: parse_client_id("consent client", &row.client_id)?,
        scope: parse_scope("consent scope", &row.scope)?,
        created_at: Timestamp::from_unix(row.created_at),
        updated_at: Timestamp::from_unix(row.updated_at),
    })
}
