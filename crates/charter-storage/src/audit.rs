//! [`AuditStore`] on the `audit_events` table: appended to, listed newest first, deleted past retention.
//!
//! - The table has no foreign keys (the trail outlives the users and clients it mentions); `details` is the
//!   event's JSON object.
//! - Listing pages by id, descending (`before` exclusive), filtered on the indexed `at`, `user_sub`,
//!   `client_id` and on `kind`.
//! - Retention deletes the oldest rows before the cutoff in batches, so no sweep holds a long lock.

use async_trait::async_trait;
use charter_core::audit::{AuditEvent, AuditKind, AuditQuery, AuditRecord};
use charter_core::clock::Timestamp;
use charter_core::store::{AuditStore, Page, StoreError};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::SeaStore;
use crate::entity::audit_events::{self, Column};
use crate::error::{corrupt, db_err};

#[async_trait]
impl AuditStore for SeaStore {
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let row = audit_events::ActiveModel {
            id: NotSet,
            at: Set(event.at.unix()),
            kind: Set(event.kind.as_str().to_owned()),
            actor: Set(event.actor.clone()),
            user_sub: Set(event.user.clone()),
            client_id: Set(event.client_id.clone()),
            ip: Set(event.ip.clone()),
            request_id: Set(event.request_id.clone()),
            details: Set(event.detail.to_string()),
        };
        audit_events::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut select = audit_events::Entity::find();
        if let Some(since) = query.since {
            select = select.filter(Column::At.gte(since.unix()));
        }
        if let Some(until) = query.until {
            select = select.filter(Column::At.lt(until.unix()));
        }
        if let Some(user) = &query.user {
            select = select.filter(Column::UserSub.eq(user.as_str()));
        }
        if let Some(client) = &query.client_id {
            select = select.filter(Column::ClientId.eq(client.as_str()));
        }
        if let Some(kind) = query.kind {
            select = select.filter(Column::Kind.eq(kind.as_str()));
        }
        if let Some(before) = query.before {
            select = select.filter(Column::Id.lt(before));
        }
        select
            .order_by_desc(Column::Id)
            .limit(query.limit.clamp(1, Page::MAX_LIMIT))
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_record)
            .collect()
    }

    async fn delete_audit_before(&self, cutoff: Timestamp, batch: u64) -> Result<u64, StoreError> {
        let ids: Vec<i64> = audit_events::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::At.lt(cutoff.unix()))
            .order_by_asc(Column::Id)
            .limit(batch)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let deleted = audit_events::Entity::delete_many()
            .filter(Column::Id.is_in(ids))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(deleted.rows_affected)
    }
}

fn to_record(row: audit_events::Model) -> Result<AuditRecord, StoreError> {
    let kind = AuditKind::parse(&row.kind).ok_or_else(|| corrupt("audit kind", &row.kind))?;
    let detail = serde_json::from_str(&row.details).map_err(|e| corrupt("audit details", e))?;
    Ok(AuditRecord {
        id: row.id,
        event: AuditEvent {
            at: Timestamp::from_unix(row.at),
            kind,
            actor: row.actor,
            user: row.user_sub,
            client_id: row.client_id,
            ip: row.ip,
            request_id: row.request_id,
            detail,
        },
    })
}
