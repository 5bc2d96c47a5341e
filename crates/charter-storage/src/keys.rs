//! [`KeyStore`] on the `signing_keys` table.
//!
//! Key-set changes are conditional updates in one transaction: each step names the state its key must be in
//! (`UPDATE ... WHERE kid = ? AND state = 'next'`), and a step that matches no row rolls the whole batch back.
//! When two nodes rotate from the same stale view, the second one's updates find the keys already moved
//! (PostgreSQL re-checks the condition once the first commits; SQLite serializes writers), so exactly one
//! rotation is applied and the other caller learns it lost (`Ok(false)`).
//!
//! The private key column holds the key encrypted under `kek_id`; revoking or removing a key overwrites it
//! with empty bytes.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::keys::{KeyChange, KeyState, RewrappedKey, StoredKey};
use charter_core::store::{KeyStore, StoreError};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};

use crate::SeaStore;
use crate::connect::rollback_after_error;
use crate::entity::signing_keys::{self, Column};
use crate::error::{conflict_as, corrupt, db_err};

/// What a duplicate or vanished key is called in [`StoreError::Conflict`].
const SIGNING_KEY: &str = "signing key";

#[async_trait]
impl KeyStore for SeaStore {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        signing_keys::Entity::find()
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Kid)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_key)
            .collect()
    }

    async fn apply_key_changes(&self, changes: &[KeyChange]) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        match apply(&txn, changes).await {
            Ok(true) => {
                txn.commit().await.map_err(db_err)?;
                Ok(true)
            }
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

    async fn rewrap_keys(&self, keys: &[RewrappedKey]) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        match rewrap(&txn, keys).await {
            Ok(()) => txn.commit().await.map_err(db_err),
            Err(err) => {
                rollback_after_error(txn).await;
                Err(err)
            }
        }
    }
}

/// Applies every change; `Ok(false)` as soon as one conditional step matches no row.
async fn apply(txn: &DatabaseTransaction, changes: &[KeyChange]) -> Result<bool, StoreError> {
    for change in changes {
        let applied = match change {
            KeyChange::Insert(key) => {
                signing_keys::Entity::insert(key_row(key))
                    .exec_without_returning(txn)
                    .await
                    .map_err(conflict_as(SIGNING_KEY))?;
                true
            }
            KeyChange::Activate { kid, at } => {
                transition(
                    txn,
                    kid,
                    &[KeyState::Next],
                    KeyState::Active,
                    vec![(Column::ActivatedAt, Expr::value(at.unix()))],
                )
                .await?
            }
            KeyChange::Retire {
                kid,
                at,
                remove_after,
            } => {
                transition(
                    txn,
                    kid,
                    &[KeyState::Active],
                    KeyState::Retired,
                    vec![
                        (Column::RetiredAt, Expr::value(at.unix())),
                        (Column::RemoveAfter, Expr::value(remove_after.unix())),
                    ],
                )
                .await?
            }
            KeyChange::Revoke { kid, at } => {
                transition(
                    txn,
                    kid,
                    &[KeyState::Next, KeyState::Active, KeyState::Retired],
                    KeyState::Revoked,
                    vec![
                        (Column::RetiredAt, Expr::value(at.unix())),
                        (Column::PrivateKey, Expr::value(Vec::<u8>::new())),
                    ],
                )
                .await?
            }
            KeyChange::Remove { kid } => {
                transition(
                    txn,
                    kid,
                    &[KeyState::Retired],
                    KeyState::Removed,
                    vec![(Column::PrivateKey, Expr::value(Vec::<u8>::new()))],
                )
                .await?
            }
        };
        if !applied {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `UPDATE signing_keys SET state = :to, <set> WHERE kid = :kid AND state IN (:from)`; true when it matched.
async fn transition(
    txn: &DatabaseTransaction,
    kid: &str,
    from: &[KeyState],
    to: KeyState,
    set: Vec<(Column, SimpleExpr)>,
) -> Result<bool, StoreError> {
    let mut update =
        signing_keys::Entity::update_many().col_expr(Column::State, Expr::value(to.as_str()));
    for (column, value) in set {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(Column::Kid.eq(kid))
        .filter(Column::State.is_in(from.iter().map(|s| s.as_str())))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(result.rows_affected > 0)
}

/// Replaces each key's material; a kid that matches no row is a [`StoreError::Conflict`].
async fn rewrap(txn: &DatabaseTransaction, keys: &[RewrappedKey]) -> Result<(), StoreError> {
    for key in keys {
        let result = signing_keys::Entity::update_many()
            .col_expr(Column::PrivateKey, Expr::value(key.private_key.clone()))
            .col_expr(Column::KekId, Expr::value(key.kek_id.clone()))
            .filter(Column::Kid.eq(key.kid.as_str()))
            .exec(txn)
            .await
            .map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(SIGNING_KEY));
        }
    }
    Ok(())
}

fn key_row(key: &StoredKey) -> signing_keys::ActiveModel {
    signing_keys::ActiveModel {
        kid: Set(key.kid.clone()),
        alg: Set(key.alg.clone()),
        state: Set(key.state.as_str().to_owned()),
        public_jwk: Set(key.public_jwk.clone()),
        private_key: Set(key.private_key.clone()),
        kek_id: Set(key.kek_id.clone()),
        created_at: Set(key.created_at.unix()),
        activated_at: Set(key.activated_at.map(Timestamp::unix)),
        retired_at: Set(key.retired_at.map(Timestamp::unix)),
        remove_after: Set(key.remove_after.map(Timestamp::unix)),
    }
}

fn to_key(row: signing_keys::Model) -> Result<StoredKey, StoreError> {
    let state = row
        .state
        .parse::<KeyState>()
        .map_err(|e| corrupt("signing key state", e))?;
    Ok(StoredKey {
        kid: row.kid,
        alg: row.alg,
        state,
        public_jwk: row.public_jwk,
        private_key: row.private_key,
        kek_id: row.kek_id,
        created_at: Timestamp::from_unix(row.created_at),
        activated_at: row.activated_at.map(Timestamp::from_unix),
        retired_at: row.retired_at.map(Timestamp::from_unix),
        remove_after: row.remove_after.map(Timestamp::from_unix),
    })
}
