//! [`ThrottleStore`] on the `login_throttle` table: consecutive sign-in failures per throttling key.
//!
//! Recording a failure is one upsert, so concurrent failures on any number of nodes all count (PostgreSQL
//! serializes them on the row, SQLite on its write lock), and it hands back the row it left behind
//! (`RETURNING`), so the count the caller sees is the one its own failure produced:
//!
//! ```sql
//! INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (:key, 1, :now)
//! ON CONFLICT (key) DO UPDATE SET
//!     failures = <1 on restart, else login_throttle.failures + 1>,
//!     last_failure_at = excluded.last_failure_at
//! RETURNING key, failures, last_failure_at
//! ```
//!
//! Rows whose last failure is older than every policy's `forget_after` are deleted by housekeeping (`ops`).

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::store::{StoreError, ThrottleStore};
use charter_core::throttle::Failures;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::SeaStore;
use crate::entity::login_throttle::{self, Column};
use crate::error::{corrupt, db_err};

#[async_trait]
impl ThrottleStore for SeaStore {
    async fn failures(&self, key: &str) -> Result<Failures, StoreError> {
        login_throttle::Entity::find_by_id(key)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map_or(Ok(Failures::default()), to_failures)
    }

    async fn record_failure(
        &self,
        key: &str,
        now: Timestamp,
        restart: bool,
    ) -> Result<Failures, StoreError> {
        let failures = if restart {
            // The inserted value: one.
            Expr::col((Alias::new("excluded"), Column::Failures))
        } else {
            // Saturating, so that a key hammered forever stays at the maximum rather than failing.
            let stored = Expr::col((login_throttle::Entity, Column::Failures));
            Expr::case(stored.clone().lt(i32::MAX), stored.clone().add(1))
                .finally(stored)
                .into()
        };
        let row = login_throttle::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(1),
            last_failure_at: Set(now.unix()),
        };
        let row = login_throttle::Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::Key)
                    .value(Column::Failures, failures)
                    .update_column(Column::LastFailureAt)
                    .to_owned(),
            )
            .exec_with_returning(&self.db)
            .await
            .map_err(db_err)?;
        to_failures(row)
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        login_throttle::Entity::delete_by_id(key)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

fn to_failures(row: login_throttle::Model) -> Result<Failures, StoreError> {
    Ok(Failures {
        count: u32::try_from(row.failures).map_err(|e| corrupt("throttle failure count", e))?,
        last_at: Some(Timestamp::from_unix(row.last_failure_at)),
    })
}
