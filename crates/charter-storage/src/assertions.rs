//! [`AssertionReplayStore`] on the `client_assertion_jtis` table.
//!
//! - Remembering a `jti` is `INSERT ... ON CONFLICT (client_id, jti) DO NOTHING`; the number of rows inserted
//!   (1 or 0) says whether this is the first use. One statement, so two racing uses of one assertion cannot
//!   both see "first" on either backend.
//! - A row is only needed until the assertion expires: housekeeping ([`sweep_expired_assertions`], called by
//!   `ops`) deletes it once `expires_at <= now`.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::store::{AssertionReplayStore, StoreError};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityName, EntityTrait, QueryFilter};

use crate::SeaStore;
use crate::entity::client_assertion_jtis::{ActiveModel, Column, Entity};
use crate::error::db_err;

#[async_trait]
impl AssertionReplayStore for SeaStore {
    async fn remember_assertion(
        &self,
        client: &ClientId,
        jti: &str,
        expires_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let row = ActiveModel {
            client_id: Set(client.as_ref().to_owned()),
            jti: Set(jti.to_owned()),
            expires_at: Set(expires_at.unix()),
        };
        let inserted = Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::ClientId, Column::Jti])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        Ok(inserted == 1)
    }
}

/// `now` in Unix seconds. Deletes at most about `batch` rows whose assertion has expired: `jti`s picked by a bounded subquery, and
/// only expired rows deleted (another client's live row with the same `jti` stays).
pub(crate) async fn sweep_expired_assertions(
    store: &SeaStore,
    now: i64,
    batch: u64,
) -> Result<u64, StoreError> {
    let candidates = Query::select()
        .column(Column::Jti)
        .from(Entity.table_ref())
        .and_where(Column::ExpiresAt.lte(now))
        .limit(batch)
        .to_owned();
    let result = Entity::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .filter(Column::Jti.in_subquery(candidates))
        .exec(&store.db)
        .await
        .map_err(db_err)?;
    Ok(result.rows_affected)
}
