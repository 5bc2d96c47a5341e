//! [`ClientRegistrationStore`] on `clients`, `client_redirect_uris`, `client_registration_tokens` and
//! `initial_access_tokens`: what dynamic client registration (RFC 7591, RFC 7592) and operator updates need.
//!
//! Spending an initial access token is one conditional update, so concurrent registrations on any number of
//! nodes never overspend it:
//!
//! ```sql
//! UPDATE initial_access_tokens SET uses_remaining = uses_remaining - 1   -- NULL (unlimited) stays NULL
//! WHERE token_hash = :hash AND (expires_at IS NULL OR expires_at > :now)
//!   AND (uses_remaining IS NULL OR uses_remaining > 0)
//! ```

use async_trait::async_trait;
use charter_core::client::ClientRecord;
use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::registration::InitialAccessToken;
use charter_core::store::{ClientRegistrationStore, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait,
};

use crate::SeaStore;
use crate::clients::{client_row, uri_rows};
use crate::entity::client_redirect_uris::{self as uris, Column as UriColumn};
use crate::entity::client_registration_tokens as reg_tokens;
use crate::entity::clients::{self, Column};
use crate::entity::initial_access_tokens::{self as initial, Column as InitialColumn};
use crate::error::{conflict_as, corrupt, db_err};

#[async_trait]
impl ClientRegistrationStore for SeaStore {
    async fn create_registered_client(
        &self,
        record: &ClientRecord,
        registration_token_hash: &str,
    ) -> Result<(), StoreError> {
        let row = client_row(record)?;
        let uri_rows = uri_rows(&record.client)?;
        // The client, its URIs and its token appear together or not at all.
        let txn = self.db.begin().await.map_err(db_err)?;
        clients::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(conflict_as("client"))?;
        if !uri_rows.is_empty() {
            uris::Entity::insert_many(uri_rows)
                .exec_without_returning(&txn)
                .await
                .map_err(conflict_as("redirect URI"))?;
        }
        reg_tokens::Entity::insert(reg_tokens::ActiveModel {
            client_id: Set(record.client.id.as_str().to_owned()),
            token_hash: Set(registration_token_hash.to_owned()),
            created_at: Set(record.client.created_at.unix()),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(conflict_as("registration access token"))?;
        txn.commit().await.map_err(db_err)
    }

    async fn update_client(&self, record: &ClientRecord) -> Result<bool, StoreError> {
        let id = record.client.id.as_str();
        let mut row = client_row(record)?;
        // Who the client is, how it came to be and when: never changed by an update.
        row.id = NotSet;
        row.registration = NotSet;
        row.created_at = NotSet;
        let uri_rows = uri_rows(&record.client)?;
        let txn = self.db.begin().await.map_err(db_err)?;
        let updated = clients::Entity::update_many()
            .set(row)
            .filter(Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        uris::Entity::delete_many()
            .filter(UriColumn::ClientId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if !uri_rows.is_empty() {
            uris::Entity::insert_many(uri_rows)
                .exec_without_returning(&txn)
                .await
                .map_err(conflict_as("redirect URI"))?;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn registration_token_hash(&self, id: &ClientId) -> Result<Option<String>, StoreError> {
        Ok(reg_tokens::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(|row| row.token_hash))
    }

    async fn create_initial_access_token(
        &self,
        token: &InitialAccessToken,
    ) -> Result<(), StoreError> {
        let uses = token
            .uses_remaining
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Backend("too many uses for one token".to_owned()))?;
        initial::Entity::insert(initial::ActiveModel {
            token_hash: Set(token.token_hash.clone()),
            created_at: Set(token.created_at.unix()),
            expires_at: Set(token.expires_at.map(Timestamp::unix)),
            uses_remaining: Set(uses),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(conflict_as("initial access token"))?;
        Ok(())
    }

    async fn find_initial_access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        let Some(row) = initial::Entity::find_by_id(token_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        Ok(Some(InitialAccessToken {
            token_hash: row.token_hash,
            created_at: Timestamp::from_unix(row.created_at),
            expires_at: row.expires_at.map(Timestamp::from_unix),
            uses_remaining: row
                .uses_remaining
                .map(u32::try_from)
                .transpose()
                .map_err(|e| corrupt("initial access token uses", e))?,
        }))
    }

    async fn spend_initial_access_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = initial::Entity::update_many()
            .col_expr(
                InitialColumn::UsesRemaining,
                Expr::col(InitialColumn::UsesRemaining).sub(1),
            )
            .filter(InitialColumn::TokenHash.eq(token_hash))
            .filter(
                Condition::any()
                    .add(InitialColumn::ExpiresAt.is_null())
                    .add(InitialColumn::ExpiresAt.gt(now.unix())),
            )
            .filter(
                Condition::any()
                    .add(InitialColumn::UsesRemaining.is_null())
                    .add(InitialColumn::UsesRemaining.gt(0)),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }
}
