//! [`DenyListStore`] on the `revoked_access_tokens` table.
//!
//! - A revoked access token is keyed by its `jti`; denying it again (a repeated or racing revocation) is an
//!   `INSERT ... ON CONFLICT (jti) DO NOTHING`, so the first `expires_at` stays and neither call fails.
//! - A row is only needed until the token would have expired anyway: housekeeping (`ops`) deletes it once
//!   `expires_at <= now`. Until then, the check is a plain lookup by primary key.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::store::{DenyListStore, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::SeaStore;
use crate::entity::revoked_access_tokens;
use crate::error::db_err;

#[async_trait]
impl DenyListStore for SeaStore {
    async fn deny_access_token(&self, jti: &str, expires_at: Timestamp) -> Result<(), StoreError> {
        use revoked_access_tokens::Column;
        let row = revoked_access_tokens::ActiveModel {
            jti: Set(jti.to_owned()),
            expires_at: Set(expires_at.unix()),
        };
        // Already denied: the first row stays.
        revoked_access_tokens::Entity::insert(row)
            .on_conflict(OnConflict::column(Column::Jti).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn is_access_token_denied(&self, jti: &str) -> Result<bool, StoreError> {
        let n = revoked_access_tokens::Entity::find_by_id(jti)
            .count(&self.db)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }
}
