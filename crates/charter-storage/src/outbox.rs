//! [`OutboxStore`] on `browser_sessions`, `session_clients`, `grants` and `logout_outbox`.
//!
//! - Ending sessions is one write transaction (IMMEDIATE on SQLite): read the sessions and the clients that
//!   received ID tokens in them, write one outbox row per client with a `backchannel_logout_uri`, revoke the
//!   sessions' grants without `offline_access`, delete the sessions (their `session_clients` rows go by
//!   `ON DELETE CASCADE`). A crash leaves either all of it or none.
//! - Claiming is a conditional update per row (`... WHERE id = ? AND state = 'pending' AND next_attempt_at <=
//!   now AND (claimed_until IS NULL OR claimed_until <= now)`): PostgreSQL re-checks the condition once a
//!   concurrent claimer commits and SQLite serialises writers, so exactly one claimer changes a given row.
//! - Finishing an attempt is conditional on still holding the claim (`claimed_by = holder`).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::logout::delivery::{LogoutMessage, MessageState};
use charter_core::logout::outbox::{AttemptResult, EndSessions, OutboxSummary, SessionsEnded};
use charter_core::random::TokenGenerator;
use charter_core::store::{OutboxStore, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::SeaStore;
use crate::connect::rollback_after_error;
use crate::entity::logout_outbox::{self, Column};
use crate::entity::{browser_sessions, clients, grants, session_clients};
use crate::error::{corrupt, db_err};
use crate::grants::{parse_client_id, parse_subject};

/// Random bytes of an outbox id and of a logout token's `jti`.
const ID_BYTES: usize = 16;
/// The longest error text kept on a row.
const MAX_ERROR: usize = 500;

#[async_trait]
impl OutboxStore for SeaStore {
    async fn end_sessions(
        &self,
        which: EndSessions<'_>,
        now: Timestamp,
        ids: &dyn TokenGenerator,
    ) -> Result<SessionsEnded, StoreError> {
        let txn = self.begin_write().await?;
        match end_in(&txn, which, now, ids).await {
            Ok(ended) => {
                txn.commit().await.map_err(db_err)?;
                Ok(ended)
            }
            Err(err) => {
                rollback_after_error(txn).await;
                Err(err)
            }
        }
    }

    async fn claim_logout_messages(
        &self,
        holder: &str,
        now: Timestamp,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<LogoutMessage>, StoreError> {
        let candidates: Vec<String> = logout_outbox::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(claimable(now))
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let until = now.plus(lease).unix();
        let mut claimed = Vec::new();
        for id in candidates {
            let result = logout_outbox::Entity::update_many()
                .col_expr(Column::ClaimedBy, Expr::value(holder))
                .col_expr(Column::ClaimedUntil, Expr::value(until))
                .filter(Column::Id.eq(id.as_str()))
                .filter(claimable(now))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            if result.rows_affected == 1 {
                claimed.push(id);
            }
        }
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        logout_outbox::Entity::find()
            .filter(Column::Id.is_in(claimed))
            .filter(Column::ClaimedBy.eq(holder))
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_message)
            .collect()
    }

    async fn finish_logout_attempt(
        &self,
        id: &str,
        holder: &str,
        result: &AttemptResult,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mine = Condition::all()
            .add(Column::Id.eq(id))
            .add(Column::ClaimedBy.eq(holder))
            .add(Column::State.eq(MessageState::Pending.as_str()));
        let (state, next, error) = match result {
            AttemptResult::Delivered => {
                let deleted = logout_outbox::Entity::delete_many()
                    .filter(mine)
                    .exec(&self.db)
                    .await
                    .map_err(db_err)?;
                return Ok(deleted.rows_affected == 1);
            }
            AttemptResult::Retry {
                next_attempt_at,
                error,
            } => (MessageState::Pending, *next_attempt_at, error),
            AttemptResult::Failed { error } => (MessageState::Failed, now, error),
        };
        let error: String = error.chars().take(MAX_ERROR).collect();
        let updated = logout_outbox::Entity::update_many()
            .col_expr(Column::State, Expr::value(state.as_str()))
            .col_expr(
                Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(Expr::col(Column::Attempts), 1),
            )
            .col_expr(Column::NextAttemptAt, Expr::value(next.unix()))
            .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(Column::ClaimedUntil, Expr::value(Option::<i64>::None))
            .col_expr(Column::LastError, Expr::value(error))
            .col_expr(Column::UpdatedAt, Expr::value(now.unix()))
            .filter(mine)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(updated.rows_affected == 1)
    }

    async fn outbox_summary(&self, now: Timestamp) -> Result<OutboxSummary, StoreError> {
        let pending = || {
            logout_outbox::Entity::find().filter(Column::State.eq(MessageState::Pending.as_str()))
        };
        let count = |q: sea_orm::Select<logout_outbox::Entity>| async move {
            q.count(&self.db).await.map_err(db_err)
        };
        let oldest: Option<i64> = pending()
            .select_only()
            .column(Column::CreatedAt)
            .order_by_asc(Column::CreatedAt)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(OutboxSummary {
            pending: count(pending()).await?,
            due: count(pending().filter(Column::NextAttemptAt.lte(now.unix()))).await?,
            failed: count(
                logout_outbox::Entity::find()
                    .filter(Column::State.eq(MessageState::Failed.as_str())),
            )
            .await?,
            oldest_pending: oldest.map(Timestamp::from_unix),
        })
    }
}

/// Pending, due, and held by nobody (or by a holder whose lease has run out).
fn claimable(now: Timestamp) -> Condition {
    Condition::all()
        .add(Column::State.eq(MessageState::Pending.as_str()))
        .add(Column::NextAttemptAt.lte(now.unix()))
        .add(
            Condition::any()
                .add(Column::ClaimedUntil.is_null())
                .add(Column::ClaimedUntil.lte(now.unix())),
        )
}

async fn end_in(
    txn: &DatabaseTransaction,
    which: EndSessions<'_>,
    now: Timestamp,
    ids: &dyn TokenGenerator,
) -> Result<SessionsEnded, StoreError> {
    use browser_sessions::Column as S;
    let query = browser_sessions::Entity::find();
    let query = match which {
        EndSessions::Current { id_hash } => query.filter(S::IdHash.eq(id_hash)),
        EndSessions::BySid { user, sid } => query
            .filter(S::Sid.eq(sid))
            .filter(S::UserSub.eq(user.as_str())),
        EndSessions::AllOfUser { user, keep } => {
            let query = query.filter(S::UserSub.eq(user.as_str()));
            match keep {
                Some(keep) => query.filter(S::IdHash.ne(keep)),
                None => query,
            }
        }
        EndSessions::Expired { batch } => query
            .filter(
                Condition::any()
                    .add(S::ExpiresAt.lte(now.unix()))
                    .add(S::IdleExpiresAt.lte(now.unix())),
            )
            .order_by_asc(S::IdHash)
            .limit(batch.min(i64::MAX as u64)),
    };
    let sessions = query.all(txn).await.map_err(db_err)?;
    if sessions.is_empty() {
        return Ok(SessionsEnded::default());
    }
    let by_hash: HashMap<&str, &browser_sessions::Model> =
        sessions.iter().map(|s| (s.id_hash.as_str(), s)).collect();
    let hashes: Vec<String> = sessions.iter().map(|s| s.id_hash.clone()).collect();
    let sids: Vec<String> = sessions.iter().map(|s| s.sid.clone()).collect();

    let links = session_clients::Entity::find()
        .filter(session_clients::Column::SessionIdHash.is_in(hashes.clone()))
        .order_by_asc(session_clients::Column::SessionIdHash)
        .order_by_asc(session_clients::Column::ClientId)
        .all(txn)
        .await
        .map_err(db_err)?;
    let client_ids: BTreeSet<String> = links.iter().map(|l| l.client_id.clone()).collect();
    let listening: BTreeSet<String> = clients::Entity::find()
        .filter(clients::Column::Id.is_in(client_ids))
        .all(txn)
        .await
        .map_err(db_err)?
        .into_iter()
        .filter(|c| has_backchannel_uri(&c.metadata))
        .map(|c| c.id)
        .collect();
    let rows: Vec<logout_outbox::ActiveModel> = links
        .iter()
        .filter(|l| listening.contains(&l.client_id))
        .filter_map(|l| by_hash.get(l.session_id_hash.as_str()).map(|s| (l, s)))
        .map(|(link, session)| logout_outbox::ActiveModel {
            id: Set(ids.token(ID_BYTES)),
            client_id: Set(link.client_id.clone()),
            sub: Set(session.user_sub.clone()),
            sid: Set(session.sid.clone()),
            jti: Set(ids.token(ID_BYTES)),
            state: Set(MessageState::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now.unix()),
            claimed_by: Set(None),
            claimed_until: Set(None),
            last_error: Set(None),
            created_at: Set(now.unix()),
            updated_at: Set(now.unix()),
        })
        .collect();
    let messages = rows.len() as u64;
    if !rows.is_empty() {
        logout_outbox::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(db_err)?;
    }
    let revoked = grants::Entity::update_many()
        .col_expr(grants::Column::RevokedAt, Expr::value(now.unix()))
        .filter(grants::Column::SessionSid.is_in(sids))
        .filter(grants::Column::OfflineAccess.eq(false))
        .filter(grants::Column::RevokedAt.is_null())
        .exec(txn)
        .await
        .map_err(db_err)?;
    let deleted = browser_sessions::Entity::delete_many()
        .filter(S::IdHash.is_in(hashes))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(SessionsEnded {
        sessions: deleted.rows_affected,
        messages,
        grants_revoked: revoked.rows_affected,
    })
}

/// Whether stored client metadata names a `backchannel_logout_uri` (validated at registration).
fn has_backchannel_uri(metadata: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(metadata)
        .ok()
        .and_then(|m| {
            m.get("backchannel_logout_uri")
                .and_then(|u| u.as_str())
                .map(|u| !u.is_empty())
        })
        .unwrap_or(false)
}

fn to_message(row: logout_outbox::Model) -> Result<LogoutMessage, StoreError> {
    Ok(LogoutMessage {
        client_id: parse_client_id("outbox client", &row.client_id)?,
        sub: parse_subject("outbox sub", &row.sub)?,
        state: MessageState::parse(&row.state)
            .ok_or_else(|| corrupt("outbox state", &row.state))?,
        attempts: u32::try_from(row.attempts).map_err(|e| corrupt("outbox attempts", e))?,
        next_attempt_at: Timestamp::from_unix(row.next_attempt_at),
        created_at: Timestamp::from_unix(row.created_at),
        id: row.id,
        sid: row.sid,
        jti: row.jti,
        last_error: row.last_error,
    })
}
