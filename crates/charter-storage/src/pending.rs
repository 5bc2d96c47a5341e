//! [`PendingStore`] on the `pending_authorizations` table.
//!
//! Rows are keyed by the digest of the opaque id the browser carries (`id_hash`); `request` is the
//! [`AuthorizationRequest`] as JSON (serde), read back whole. A row whose JSON does not parse back is
//! [`StoreError::Corrupt`]. Expired rows are deleted by housekeeping (`ops`), not here.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::grant::{AuthorizationRequest, PendingAuthorization};
use charter_core::store::{PendingStore, StoreError};
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::SeaStore;
use crate::entity::pending_authorizations;
use crate::error::{conflict_as, corrupt, db_err, encode_err};

#[async_trait]
impl PendingStore for SeaStore {
    async fn create_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        let request =
            serde_json::to_string(&pending.request).map_err(encode_err("a pending request"))?;
        let row = pending_authorizations::ActiveModel {
            id_hash: Set(pending.id_hash.clone()),
            request: Set(request),
            created_at: Set(pending.created_at.unix()),
            expires_at: Set(pending.expires_at.unix()),
        };
        pending_authorizations::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(conflict_as("pending authorization"))?;
        Ok(())
    }

    async fn find_pending(
        &self,
        id_hash: &str,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        pending_authorizations::Entity::find_by_id(id_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_pending)
            .transpose()
    }

    async fn delete_pending(&self, id_hash: &str) -> Result<bool, StoreError> {
        let result = pending_authorizations::Entity::delete_by_id(id_hash)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }
}

fn to_pending(row: pending_authorizations::Model) -> Result<PendingAuthorization, StoreError> {
    let request: AuthorizationRequest = serde_json::from_str(&row.request)
        .map_err(|e| corrupt("pending authorization request", e))?;
    Ok(PendingAuthorization {
        id_hash: row.id_hash,
        request,
        created_at: Timestamp::from_unix(row.created_at),
        expires_at: Timestamp::from_unix(row.expires_at),
    })
}
