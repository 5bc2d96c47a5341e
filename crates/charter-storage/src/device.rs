//! [`DeviceStore`] on the `device_codes` table (RFC 8628).
//!
//! Every state change is one conditional update, so concurrent requests cannot both win:
//! - the user's decision: `SET status = .. WHERE device_code_hash = ? AND status = 'pending' AND used_at IS
//!   NULL AND expires_at > :now`;
//! - a poll: `SET last_polled_at = :now, interval_secs = .. WHERE .. AND status = 'pending' AND last_polled_at
//!   IS :seen` (compare and set: of two polls that read the same row, one is told it lost);
//! - redemption: `SET used_at = :now WHERE .. AND status = 'approved' AND used_at IS NULL AND expires_at > :now`
//!   and, in the same transaction, the grant the tokens hang off: never a used code without its grant.
//!
//! A row whose status, scope, user or `amr` does not parse back is [`StoreError::Corrupt`]. Expired rows are
//! deleted by housekeeping (`ops`).

use std::time::Duration;

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::device::{DeviceApproval, DeviceAuthorization, DeviceStatus};
use charter_core::grant::Grant;
use charter_core::store::{DeviceStore, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaStore;
use crate::connect::rollback_after_error;
use crate::entity::{device_codes, grants};
use crate::error::{corrupt, db_err, encode_err, refused_as};
use crate::grants::{grant_row, parse_client_id, parse_scope, parse_subject, scope_str};

use device_codes::Column;

const PENDING: &str = "pending";
const APPROVED: &str = "approved";
const DENIED: &str = "denied";

#[async_trait]
impl DeviceStore for SeaStore {
    async fn create_device_authorization(
        &self,
        auth: &DeviceAuthorization,
    ) -> Result<(), StoreError> {
        device_codes::Entity::insert(row(auth)?)
            .exec_without_returning(&self.db)
            .await
            .map_err(refused_as("the device code's client", |_| "user code"))?;
        Ok(())
    }

    async fn find_device_authorization(
        &self,
        device_code_hash: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        device_codes::Entity::find_by_id(device_code_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_device)
            .transpose()
    }

    async fn find_device_authorization_by_user_code(
        &self,
        user_code_key: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        device_codes::Entity::find()
            .filter(Column::UserCodeKey.eq(user_code_key))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_device)
            .transpose()
    }

    async fn decide_device_authorization(
        &self,
        device_code_hash: &str,
        decision: &DeviceStatus,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (status, user, auth_time, amr) = match decision {
            DeviceStatus::Pending => {
                return Err(StoreError::Backend(
                    "a device decision is approved or denied".into(),
                ));
            }
            DeviceStatus::Denied => (DENIED, None, None, None),
            DeviceStatus::Approved(a) => (
                APPROVED,
                Some(a.user_sub.as_str().to_owned()),
                Some(a.auth_time.unix()),
                Some(serde_json::to_string(&a.amr).map_err(encode_err("amr"))?),
            ),
        };
        let result = device_codes::Entity::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::UserSub, Expr::value(user))
            .col_expr(Column::AuthTime, Expr::value(auth_time))
            .col_expr(Column::Amr, Expr::value(amr))
            .col_expr(Column::DecidedAt, Expr::value(now.unix()))
            .filter(Column::DeviceCodeHash.eq(device_code_hash))
            .filter(Column::Status.eq(PENDING))
            .filter(Column::UsedAt.is_null())
            .filter(Column::ExpiresAt.gt(now.unix()))
            .exec(&self.db)
            .await
            .map_err(refused_as("the approving user", |_| "row"))?;
        Ok(result.rows_affected == 1)
    }

    async fn record_device_poll(
        &self,
        device_code_hash: &str,
        seen: Option<Timestamp>,
        now: Timestamp,
        interval: Duration,
    ) -> Result<bool, StoreError> {
        let seen_filter = match seen {
            Some(t) => Column::LastPolledAt.eq(t.unix()),
            None => Column::LastPolledAt.is_null(),
        };
        let result = device_codes::Entity::update_many()
            .col_expr(Column::LastPolledAt, Expr::value(now.unix()))
            .col_expr(Column::IntervalSecs, Expr::value(secs(interval)))
            .filter(Column::DeviceCodeHash.eq(device_code_hash))
            .filter(Column::Status.eq(PENDING))
            .filter(seen_filter)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn redeem_device_authorization(
        &self,
        device_code_hash: &str,
        grant: &Grant,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let written = async {
            let used = device_codes::Entity::update_many()
                .col_expr(Column::UsedAt, Expr::value(now.unix()))
                .filter(Column::DeviceCodeHash.eq(device_code_hash))
                .filter(Column::Status.eq(APPROVED))
                .filter(Column::UsedAt.is_null())
                .filter(Column::ExpiresAt.gt(now.unix()))
                .exec(&txn)
                .await
                .map_err(db_err)?;
            if used.rows_affected != 1 {
                return Ok(false);
            }
            grants::Entity::insert(grant_row(grant)?)
                .exec_without_returning(&txn)
                .await
                .map_err(refused_as("the grant's user or client", |_| "grant"))?;
            Ok::<_, StoreError>(true)
        }
        .await;
        match written {
            Ok(true) => txn.commit().await.map_err(db_err).map(|()| true),
            Ok(false) => {
                rollback_after_error(txn).await;
                Ok(false)
            }
            Err(err) => {
                rollback_after_error(txn).await;
                Err(err)
            }
        }
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn row(auth: &DeviceAuthorization) -> Result<device_codes::ActiveModel, StoreError> {
    let (user_sub, auth_time, amr) = match &auth.status {
        DeviceStatus::Approved(a) => (
            Some(a.user_sub.as_str().to_owned()),
            Some(a.auth_time.unix()),
            Some(serde_json::to_string(&a.amr).map_err(encode_err("amr"))?),
        ),
        DeviceStatus::Pending | DeviceStatus::Denied => (None, None, None),
    };
    Ok(device_codes::ActiveModel {
        device_code_hash: Set(auth.device_code_hash.clone()),
        user_code_key: Set(auth.user_code_key.clone()),
        client_id: Set(auth.client_id.as_str().to_owned()),
        scope: Set(scope_str(&auth.scope)),
        status: Set(auth.status.as_str().to_owned()),
        user_sub: Set(user_sub),
        auth_time: Set(auth_time),
        amr: Set(amr),
        interval_secs: Set(secs(auth.interval)),
        last_polled_at: Set(auth.last_polled_at.map(Timestamp::unix)),
        created_at: Set(auth.created_at.unix()),
        expires_at: Set(auth.expires_at.unix()),
        decided_at: Set(None),
        used_at: Set(auth.used_at.map(Timestamp::unix)),
    })
}

fn to_device(row: device_codes::Model) -> Result<DeviceAuthorization, StoreError> {
    let status = match (row.status.as_str(), &row.user_sub, row.auth_time) {
        (PENDING, None, None) => DeviceStatus::Pending,
        (DENIED, None, None) => DeviceStatus::Denied,
        (APPROVED, Some(sub), Some(auth_time)) => {
            let amr: Vec<String> = match row.amr.as_deref() {
                Some(amr) => serde_json::from_str(amr).map_err(|e| corrupt("device amr", e))?,
                None => Vec::new(),
            };
            DeviceStatus::Approved(DeviceApproval {
                user_sub: parse_subject("device approver", sub)?,
                auth_time: Timestamp::from_unix(auth_time),
                amr,
            })
        }
        (other, _, _) => return Err(corrupt("device status", other)),
    };
    let interval =
        u64::try_from(row.interval_secs).map_err(|e| corrupt("device polling interval", e))?;
    Ok(DeviceAuthorization {
        client_id: parse_client_id("device client", &row.client_id)?,
        scope: parse_scope("device scope", &row.scope)?,
        device_code_hash: row.device_code_hash,
        user_code_key: row.user_code_key,
        status,
        interval: Duration::from_secs(interval),
        last_polled_at: row.last_polled_at.map(Timestamp::from_unix),
        created_at: Timestamp::from_unix(row.created_at),
        expires_at: Timestamp::from_unix(row.expires_at),
        used_at: row.used_at.map(Timestamp::from_unix),
    })
}
