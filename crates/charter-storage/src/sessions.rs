//! [`SessionStore`] on the `browser_sessions` table.
//!
//! Rows are keyed by the digest of the cookie value (`id_hash`); the public `sid` is unique too. `amr` is
//! kept as a JSON array of strings (`["pwd"]`), which round-trips any method name exactly; a value that does
//! not parse back is [`StoreError::Corrupt`]. A session belongs to a user (`ON DELETE CASCADE`), so creating
//! one for a user that does not exist is refused by the foreign key. Expired sessions are deleted by
//! housekeeping (`ops`), not here.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::Subject;
use charter_core::session::Session;
use charter_core::store::{SessionStore, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, SqlErr};

use crate::SeaStore;
use crate::entity::browser_sessions::{self, Column};
use crate::error::{conflict_by, corrupt, db_err};

#[async_trait]
impl SessionStore for SeaStore {
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let row = browser_sessions::ActiveModel {
            id_hash: Set(session.id_hash.clone()),
            sid: Set(session.sid.clone()),
            user_sub: Set(session.user_sub.as_str().to_owned()),
            auth_time: Set(session.auth_time.unix()),
            amr: Set(encode_amr(&session.amr)?),
            ip: Set(session.ip.clone()),
            user_agent: Set(session.user_agent.clone()),
            created_at: Set(session.created_at.unix()),
            last_seen_at: Set(session.last_seen_at.unix()),
            idle_expires_at: Set(session.idle_expires_at.unix()),
            expires_at: Set(session.expires_at.unix()),
        };
        browser_sessions::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(create_err)?;
        Ok(())
    }

    async fn find_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        browser_sessions::Entity::find_by_id(id_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_session)
            .transpose()
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen_at: Timestamp,
        idle_expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        // A session deleted in the meantime stays deleted: nothing to touch is not an error.
        browser_sessions::Entity::update_many()
            .col_expr(Column::LastSeenAt, Expr::value(last_seen_at.unix()))
            .col_expr(Column::IdleExpiresAt, Expr::value(idle_expires_at.unix()))
            .filter(Column::IdHash.eq(id_hash))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        // Its session-client links go with it, by ON DELETE CASCADE.
        let result = browser_sessions::Entity::delete_by_id(id_hash)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn delete_session_by_sid(&self, user: &Subject, sid: &str) -> Result<bool, StoreError> {
        // Both conditions in the statement: a sid of someone else's session matches nothing.
        let result = browser_sessions::Entity::delete_many()
            .filter(Column::Sid.eq(sid))
            .filter(Column::UserSub.eq(user.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn list_sessions(&self, user: &Subject) -> Result<Vec<Session>, StoreError> {
        browser_sessions::Entity::find()
            .filter(Column::UserSub.eq(user.as_str()))
            .order_by_desc(Column::CreatedAt)
            .order_by_asc(Column::IdHash)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_session)
            .collect()
    }

    async fn delete_user_sessions(
        &self,
        user: &Subject,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut delete =
            browser_sessions::Entity::delete_many().filter(Column::UserSub.eq(user.as_str()));
        if let Some(keep) = keep {
            delete = delete.filter(Column::IdHash.ne(keep));
        }
        let result = delete.exec(&self.db).await.map_err(db_err)?;
        Ok(result.rows_affected)
    }
}

/// A refused new session: a duplicate digest or sid is a conflict; a user that does not exist (the foreign
/// key) is a plain backend error, as callers only start sessions for users they just loaded.
fn create_err(err: DbErr) -> StoreError {
    if let Some(SqlErr::ForeignKeyConstraintViolation(_)) = err.sql_err() {
        return StoreError::Backend(format!("a session's user does not exist: {err}"));
    }
    conflict_by(session_conflict)(err)
}

/// Which unique key refused a new session: the driver names the column (SQLite) or constraint (PostgreSQL).
fn session_conflict(message: &str) -> &'static str {
    if message.contains("sessions.sid") || message.contains("sessions_sid") {
        "session sid"
    } else {
        "session"
    }
}

fn encode_amr(amr: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(amr).map_err(|e| StoreError::Backend(format!("encoding amr: {e}")))
}

fn to_session(row: browser_sessions::Model) -> Result<Session, StoreError> {
    let amr: Vec<String> = serde_json::from_str(&row.amr).map_err(|e| corrupt("session amr", e))?;
    Ok(Session {
        id_hash: row.id_hash,
        sid: row.sid,
        user_sub: Subject::parse(&row.user_sub).map_err(|e| corrupt("session user", e))?,
        auth_time: Timestamp::from_unix(row.auth_time),
        amr,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: Timestamp::from_unix(row.created_at),
        last_seen_at: Timestamp::from_unix(row.last_seen_at),
        idle_expires_at: Timestamp::from_unix(row.idle_expires_at),
        expires_at: Timestamp::from_unix(row.expires_at),
    })
}
