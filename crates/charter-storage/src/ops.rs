//! Operational stores: [`Health`] for `/readyz`, [`Leases`] so that one node at a time runs a background job,
//! and [`Housekeeping`] to delete what has expired (and sign-in failures too old to count).

use std::time::Duration;

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::store::{Health, Housekeeping, Leases, StoreError, SweepReport};
use charter_core::throttle::ThrottlePolicy;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityName, EntityTrait,
    QueryFilter, Statement,
};

use crate::SeaStore;
use crate::entity::{
    authorization_codes, browser_sessions, device_codes, leases, login_throttle,
    pending_authorizations, refresh_tokens, revoked_access_tokens,
};
use crate::error::db_err;

/// Bound on a sweep batch: drivers bind `LIMIT` as a signed 64-bit integer.
const MAX_BATCH: u64 = i64::MAX as u64;

/// How long a `login_throttle` row is kept after its last failure: the longest `forget_after` of the throttle
/// policies (24 h, per account). Older failures no longer count under any policy, so the row is dead weight.
pub(crate) const THROTTLE_RETENTION: Duration = Duration::from_secs(max_secs(
    ThrottlePolicy::ACCOUNT.forget_after,
    ThrottlePolicy::ADDRESS.forget_after,
));

const fn max_secs(a: Duration, b: Duration) -> u64 {
    if a.as_secs() > b.as_secs() {
        a.as_secs()
    } else {
        b.as_secs()
    }
}

#[async_trait]
impl Health for SeaStore {
    async fn ping(&self) -> Result<(), StoreError> {
        // A real round trip through the pool, not just a pool check.
        self.db
            .query_one_raw(Statement::from_string(self.db_backend(), "SELECT 1"))
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl Leases for SeaStore {
    async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        use leases::Column;
        // Scoped: ExprTrait is implemented for every value, and would shadow `Ord::min` elsewhere.
        use sea_orm::sea_query::ExprTrait;
        // One statement, so two nodes cannot both win: insert the lease, or take over the existing row only
        // if it has expired or is already ours. When the condition fails no row changes.
        //   INSERT INTO leases (name, holder, expires_at) VALUES (..)
        //   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        //   WHERE leases.expires_at <= :now OR leases.holder = excluded.holder
        let takeover = Expr::col((leases::Entity, Column::ExpiresAt))
            .lte(now.unix())
            .or(Expr::col((leases::Entity, Column::Holder))
                .eq(Expr::col((Alias::new("excluded"), Column::Holder))));
        let row = leases::ActiveModel {
            name: Set(name.to_owned()),
            holder: Set(holder.to_owned()),
            expires_at: Set(now.plus(ttl).unix()),
        };
        let changed = leases::Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::Name)
                    .update_columns([Column::Holder, Column::ExpiresAt])
                    .action_and_where(takeover)
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        Ok(changed > 0)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        leases::Entity::delete_many()
            .filter(leases::Column::Name.eq(name))
            .filter(leases::Column::Holder.eq(holder))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl Housekeeping for SeaStore {
    async fn sweep_expired(&self, now: Timestamp, batch: u64) -> Result<SweepReport, StoreError> {
        // Same boundary as `ThrottlePolicy::is_forgotten`: forgotten once last failure + retention <= now.
        let throttle_cutoff = now.minus(THROTTLE_RETENTION).unix();
        let now = now.unix();
        let batch = batch.min(MAX_BATCH);
        let mut report = SweepReport::default();
        {
            use authorization_codes::{Column, Entity};
            let expired = Condition::all().add(Column::ExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::CodeHash, expired, batch).await?;
            report.deleted.push(("authorization_codes", n));
        }
        {
            use browser_sessions::{Column, Entity};
            let expired = Condition::any()
                .add(Column::ExpiresAt.lte(now))
                .add(Column::IdleExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::IdHash, expired, batch).await?;
            report.deleted.push(("browser_sessions", n));
        }
        {
            use refresh_tokens::{Column, Entity};
            let expired = Condition::any()
                .add(Column::ExpiresAt.lte(now))
                .add(Column::IdleExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::TokenHash, expired, batch).await?;
            report.deleted.push(("refresh_tokens", n));
        }
        {
            use pending_authorizations::{Column, Entity};
            let expired = Condition::all().add(Column::ExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::IdHash, expired, batch).await?;
            report.deleted.push(("pending_authorizations", n));
        }
        {
            use leases::{Column, Entity};
            let expired = Condition::all().add(Column::ExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::Name, expired, batch).await?;
            report.deleted.push(("leases", n));
        }
        {
            use login_throttle::{Column, Entity};
            let forgotten = Condition::all().add(Column::LastFailureAt.lte(throttle_cutoff));
            let n = sweep(self, Entity, Column::Key, forgotten, batch).await?;
            report.deleted.push(("login_throttle", n));
        }
        {
            use revoked_access_tokens::{Column, Entity};
            let expired = Condition::all().add(Column::ExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::Jti, expired, batch).await?;
            report.deleted.push(("revoked_access_tokens", n));
        }
        {
            use device_codes::{Column, Entity};
            let expired = Condition::all().add(Column::ExpiresAt.lte(now));
            let n = sweep(self, Entity, Column::DeviceCodeHash, expired, batch).await?;
            report.deleted.push(("device_codes", n));
        }
        {
            let n = crate::assertions::sweep_expired_assertions(self, now, batch).await?;
            report.deleted.push(("client_assertion_jtis", n));
        }
        Ok(report)
    }
}

/// `DELETE FROM t WHERE pk IN (SELECT pk FROM t WHERE expired LIMIT batch)`: a bounded delete on both
/// backends (neither PostgreSQL nor a default SQLite build accepts `DELETE ... LIMIT`). Each call is its own
/// short transaction, so a large backlog never holds a long write lock.
async fn sweep<E>(
    store: &SeaStore,
    entity: E,
    pk: E::Column,
    expired: Condition,
    batch: u64,
) -> Result<u64, StoreError>
where
    E: EntityTrait + EntityName,
{
    let candidates = Query::select()
        .column(pk)
        .from(entity.table_ref())
        .cond_where(expired)
        .limit(batch)
        .to_owned();
    let result = E::delete_many()
        .filter(pk.in_subquery(candidates))
        .exec(&store.db)
        .await
        .map_err(db_err)?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_rows_outlive_every_policy() {
        assert_eq!(THROTTLE_RETENTION, Duration::from_secs(24 * 3600));
        for policy in [
            ThrottlePolicy::ACCOUNT,
            ThrottlePolicy::ADDRESS,
            charter_core::device::ADDRESS_POLICY,
            charter_core::device::CODE_POLICY,
        ] {
            assert!(policy.forget_after <= THROTTLE_RETENTION, "{policy:?}");
        }
    }
}
