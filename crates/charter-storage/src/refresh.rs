//! [`RefreshStore`] on the `refresh_tokens` table.
//!
//! - A token is keyed by its digest; the scope is the [`ScopeSet`]'s string form, parsed back with
//!   [`ScopeSet::parse`] (a value that does not parse is [`StoreError::Corrupt`]).
//! - Rotating is one write transaction (IMMEDIATE on SQLite): a conditional update (`SET used_at = :now
//!   WHERE token_hash = :old AND used_at IS NULL`) and, only when it changed the row, the insert of the new
//!   token. However many requests race with the same token, exactly one changes the row (PostgreSQL re-checks
//!   the condition once the winner commits; SQLite serializes writers), and only that one stores a successor.
//!   If the insert fails, the old token is left unused.
//! - Used tokens are kept, so that a replay can be recognized; expired ones are deleted by housekeeping
//!   (`ops`).
//!
//! Tokens hang off their grant (`ON DELETE CASCADE`), which hangs off its user and client: deleting any of
//! them deletes the tokens. A token for a grant that does not exist is refused as [`StoreError::Backend`].

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::grant::RefreshToken;
use charter_core::store::{RefreshStore, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaStore;
use crate::connect::rollback_after_error;
use crate::entity::refresh_tokens;
use crate::error::{db_err, refused_as};
use crate::grants::{parse_client_id, parse_scope, scope_str};

/// What a refused refresh token is missing when a foreign key refuses it.
const TOKEN_PARENTS: &str = "the refresh token's grant";

#[async_trait]
impl RefreshStore for SeaStore {
    async fn create_refresh(&self, token: &RefreshToken) -> Result<(), StoreError> {
        refresh_tokens::Entity::insert(token_row(token))
            .exec_without_returning(&self.db)
            .await
            .map_err(refused_as(TOKEN_PARENTS, |_| "refresh token"))?;
        Ok(())
    }

    async fn find_refresh(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        refresh_tokens::Entity::find_by_id(token_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_token)
            .transpose()
    }

    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        use refresh_tokens::Column;
        let txn = self.begin_write().await?;
        let rotated = async {
            let used = refresh_tokens::Entity::update_many()
                .col_expr(Column::UsedAt, Expr::value(now.unix()))
                .filter(Column::TokenHash.eq(old_hash))
                .filter(Column::UsedAt.is_null())
                .exec(&txn)
                .await
                .map_err(db_err)?;
            if used.rows_affected != 1 {
                return Ok::<_, StoreError>(false);
            }
            refresh_tokens::Entity::insert(token_row(new))
                .exec_without_returning(&txn)
                .await
                .map_err(refused_as(TOKEN_PARENTS, |_| "refresh token"))?;
            Ok(true)
        }
        .await;
        match rotated {
            Ok(true) => {
                txn.commit().await.map_err(db_err)?;
                Ok(true)
            }
            // Nothing was written; end the transaction rather than leave it to the drop.
            Ok(false) => {
                txn.rollback().await.map_err(db_err)?;
                Ok(false)
            }
            Err(err) => {
                rollback_after_error(txn).await;
                Err(err)
            }
        }
    }
}

fn token_row(token: &RefreshToken) -> refresh_tokens::ActiveModel {
    refresh_tokens::ActiveModel {
        token_hash: Set(token.token_hash.clone()),
        grant_id: Set(token.grant_id.clone()),
        client_id: Set(token.client_id.as_str().to_owned()),
        scope: Set(scope_str(&token.scope)),
        created_at: Set(token.created_at.unix()),
        idle_expires_at: Set(token.idle_expires_at.unix()),
        expires_at: Set(token.expires_at.unix()),
        used_at: Set(token.used_at.map(Timestamp::unix)),
    }
}

fn to_token(row: refresh_tokens::Model) -> Result<RefreshToken, StoreError> {
    Ok(RefreshToken {
        client_id: parse_client_id("refresh token client", &row.client_id)?,
        scope: parse_scope("refresh token scope", &row.scope)?,
        token_hash: row.token_hash,
        grant_id: row.grant_id,
        created_at: Timestamp::from_unix(row.created_at),
        idle_expires_at: Timestamp::from_unix(row.idle_expires_at),
        expires_at: Timestamp::from_unix(row.expires_at),
        used_at: row.used_at.map(Timestamp::from_unix),
    })
}
