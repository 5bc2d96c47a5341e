//! [`DenyListStore`] on the `revoked_access_tokens` table, and the [`RevocationFeed`] that nodes' revocation
//! views poll (denied tokens, revoked grants and changed users since a moment).
//!
//! - A revoked access token is keyed by its `jti`; denying it again (a repeated or racing revocation) is an
//!   `INSERT ... ON CONFLICT (jti) DO NOTHING`, so the first `expires_at` stays and neither call fails.
//! - A row is only needed until the token would have expired anyway: housekeeping (`ops`) deletes it once
//!   `expires_at <= now`. Until then, the check is a plain lookup by primary key.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::Subject;
use charter_core::store::{DenyListStore, RevocationFeed, Revocations, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::SeaStore;
use crate::entity::{grants, revoked_access_tokens, users};
use crate::error::{corrupt, db_err};

#[async_trait]
impl DenyListStore for SeaStore {
    async fn deny_access_token(
        &self,
        jti: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        use revoked_access_tokens::Column;
        let row = revoked_access_tokens::ActiveModel {
            jti: Set(jti.to_owned()),
            expires_at: Set(expires_at.unix()),
            denied_at: Set(now.unix()),
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

#[async_trait]
impl RevocationFeed for SeaStore {
    async fn revocations_since(&self, since: Timestamp) -> Result<Revocations, StoreError> {
        let denied: Vec<(String, i64)> = revoked_access_tokens::Entity::find()
            .select_only()
            .column(revoked_access_tokens::Column::Jti)
            .column(revoked_access_tokens::Column::ExpiresAt)
            .filter(revoked_access_tokens::Column::DeniedAt.gte(since.unix()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let revoked_grants: Vec<(String, Option<i64>)> = grants::Entity::find()
            .select_only()
            .column(grants::Column::Id)
            .column(grants::Column::RevokedAt)
            .filter(grants::Column::RevokedAt.gte(since.unix()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let changed_users: Vec<(String, bool)> = users::Entity::find()
            .select_only()
            .column(users::Column::Sub)
            .column(users::Column::Disabled)
            .filter(users::Column::UpdatedAt.gte(since.unix()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut users = Vec::with_capacity(changed_users.len());
        for (sub, disabled) in changed_users {
            let sub = Subject::parse(&sub).map_err(|e| corrupt("user sub", e))?;
            users.push((sub, disabled));
        }
        Ok(Revocations {
            denied: denied
                .into_iter()
                .map(|(jti, exp)| (jti, Timestamp::from_unix(exp)))
                .collect(),
            revoked_grants: revoked_grants
                .into_iter()
                .filter_map(|(id, at)| Some((id, Timestamp::from_unix(at?))))
                .collect(),
            users,
        })
    }
}
