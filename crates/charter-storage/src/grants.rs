//! [`GrantStore`] on the `grants` and `authorization_codes` tables; its consent and session-client methods
//! live in `consents`.
//!
//! - A grant's scope is the [`ScopeSet`]'s string form (space-separated, sorted) and is parsed back with
//!   [`ScopeSet::parse`]; a value that does not parse is [`StoreError::Corrupt`].
//! - Revoking is a conditional update (`SET revoked_at = :now WHERE ... AND revoked_at IS NULL`), so a grant
//!   keeps the time it was first revoked and a second revocation reports that nothing changed.
//! - A code and its grant are written in one transaction (IMMEDIATE on SQLite): never a code without its grant.
//! - Redeeming a code is one conditional update (`SET used_at = :now WHERE code_hash = ? AND used_at IS
//!   NULL`): however many requests race with the same code, exactly one changes the row (PostgreSQL re-checks
//!   the condition once the winner commits; SQLite serializes writers), and only that one is told `true`.
//! - A grant's `claims` is the `claims` request parameter it was authorized with (charter-core's
//!   `ClaimsRequest`) as JSON, NULL when there was none; a value that does not parse back is corrupt.
//! - A code's `amr` is a JSON array of strings, like a session's; `code_challenge_method` is `S256` whenever
//!   there is a challenge (charter-core accepts nothing else), and a row that says otherwise is corrupt.
//!
//! Grants and codes hang off their user and client (`ON DELETE CASCADE`): deleting either deletes them.
//! Expired codes are deleted by housekeeping (`ops`).

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::grant::{AuthorizationCode, Consent, Grant};
use charter_core::ids::{ClientId, Subject};
use charter_core::scope::ScopeSet;
use charter_core::store::{GrantStore, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::connect::rollback_after_error;
use crate::entity::{authorization_codes, grants};
use crate::error::{corrupt, db_err, encode_err, refused_as};
use crate::{SeaStore, consents};

/// The only PKCE method stored (RFC 7636 §4.2); `plain` is never accepted.
const S256: &str = "S256";

#[async_trait]
impl GrantStore for SeaStore {
    async fn create_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        grants::Entity::insert(grant_row(grant)?)
            .exec_without_returning(&self.db)
            .await
            .map_err(refused_as(GRANT_PARENTS, |_| "grant"))?;
        Ok(())
    }

    async fn find_grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        grants::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_grant)
            .transpose()
    }

    async fn revoke_grant(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let result = grants::Entity::update_many()
            .col_expr(grants::Column::RevokedAt, Expr::value(now.unix()))
            .filter(grants::Column::Id.eq(id))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn revoke_client_grants(
        &self,
        user: &Subject,
        client: &ClientId,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let result = grants::Entity::update_many()
            .col_expr(grants::Column::RevokedAt, Expr::value(now.unix()))
            .filter(grants::Column::UserSub.eq(user.as_str()))
            .filter(grants::Column::ClientId.eq(client.as_str()))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected)
    }

    async fn revoke_user_grants(&self, user: &Subject, now: Timestamp) -> Result<u64, StoreError> {
        let result = grants::Entity::update_many()
            .col_expr(grants::Column::RevokedAt, Expr::value(now.unix()))
            .filter(grants::Column::UserSub.eq(user.as_str()))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected)
    }

    async fn create_code(&self, grant: &Grant, code: &AuthorizationCode) -> Result<(), StoreError> {
        if code.grant_id != grant.id {
            return Err(StoreError::Backend(
                "an authorization code must belong to the grant stored with it".to_owned(),
            ));
        }
        let grant_row = grant_row(grant)?;
        let code_row = code_row(code)?;
        let txn = self.begin_write().await?;
        let written = async {
            grants::Entity::insert(grant_row)
                .exec_without_returning(&txn)
                .await
                .map_err(refused_as(GRANT_PARENTS, |_| "grant"))?;
            authorization_codes::Entity::insert(code_row)
                .exec_without_returning(&txn)
                .await
                .map_err(refused_as(CODE_PARENTS, |_| "authorization code"))?;
            Ok::<_, StoreError>(())
        }
        .await;
        match written {
            Ok(()) => txn.commit().await.map_err(db_err),
            Err(err) => {
                rollback_after_error(txn).await;
                Err(err)
            }
        }
    }

    async fn find_code(&self, code_hash: &str) -> Result<Option<AuthorizationCode>, StoreError> {
        authorization_codes::Entity::find_by_id(code_hash)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_code)
            .transpose()
    }

    async fn consume_code(&self, code_hash: &str, now: Timestamp) -> Result<bool, StoreError> {
        use authorization_codes::Column;
        let result = authorization_codes::Entity::update_many()
            .col_expr(Column::UsedAt, Expr::value(now.unix()))
            .filter(Column::CodeHash.eq(code_hash))
            .filter(Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn find_consent(
        &self,
        user: &Subject,
        client: &ClientId,
    ) -> Result<Option<Consent>, StoreError> {
        consents::find(self, user, client).await
    }

    async fn save_consent(&self, consent: &Consent) -> Result<(), StoreError> {
        consents::save(self, consent).await
    }

    async fn delete_consent(&self, user: &Subject, client: &ClientId) -> Result<bool, StoreError> {
        consents::delete(self, user, client).await
    }

    async fn list_consents(&self, user: &Subject) -> Result<Vec<Consent>, StoreError> {
        consents::list(self, user).await
    }

    async fn record_session_client(
        &self,
        session_id_hash: &str,
        client: &ClientId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        consents::record_session_client(self, session_id_hash, client, now).await
    }
}

/// What a refused grant or code is missing when a foreign key refuses it.
const GRANT_PARENTS: &str = "the grant's user or client";
const CODE_PARENTS: &str = "the authorization code's grant";

/// A scope as stored: the set's canonical string form.
pub(crate) fn scope_str(scope: &ScopeSet) -> String {
    scope.to_string()
}

/// A stored scope, parsed back.
pub(crate) fn parse_scope(what: &'static str, s: &str) -> Result<ScopeSet, StoreError> {
    ScopeSet::parse(s).map_err(|e| corrupt(what, e))
}

pub(crate) fn parse_subject(what: &'static str, s: &str) -> Result<Subject, StoreError> {
    Subject::parse(s).map_err(|e| corrupt(what, e))
}

pub(crate) fn parse_client_id(what: &'static str, s: &str) -> Result<ClientId, StoreError> {
    ClientId::parse(s).map_err(|e| corrupt(what, e))
}

pub(crate) fn grant_row(grant: &Grant) -> Result<grants::ActiveModel, StoreError> {
    let claims = grant
        .claims
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(encode_err("a grant's claims request"))?;
    Ok(grants::ActiveModel {
        id: Set(grant.id.clone()),
        user_sub: Set(grant.user_sub.as_ref().map(|s| s.as_str().to_owned())),
        client_id: Set(grant.client_id.as_str().to_owned()),
        scope: Set(scope_str(&grant.scope)),
        session_sid: Set(grant.session_sid.clone()),
        offline_access: Set(grant.offline_access),
        created_at: Set(grant.created_at.unix()),
        revoked_at: Set(grant.revoked_at.map(Timestamp::unix)),
        auth_time: Set(grant.auth_time.map(Timestamp::unix)),
        claims: Set(claims),
    })
}

fn to_grant(row: grants::Model) -> Result<Grant, StoreError> {
    Ok(Grant {
        user_sub: row
            .user_sub
            .as_deref()
            .map(|s| parse_subject("grant user", s))
            .transpose()?,
        client_id: parse_client_id("grant client", &row.client_id)?,
        scope: parse_scope("grant scope", &row.scope)?,
        id: row.id,
        session_sid: row.session_sid,
        offline_access: row.offline_access,
        created_at: Timestamp::from_unix(row.created_at),
        revoked_at: row.revoked_at.map(Timestamp::from_unix),
        auth_time: row.auth_time.map(Timestamp::from_unix),
        claims: row
            .claims
            .as_deref()
            .map(|c| serde_json::from_str(c).map_err(|e| corrupt("grant claims request", e)))
            .transpose()?,
    })
}

fn code_row(code: &AuthorizationCode) -> Result<authorization_codes::ActiveModel, StoreError> {
    let amr = serde_json::to_string(&code.amr).map_err(encode_err("amr"))?;
    Ok(authorization_codes::ActiveModel {
        code_hash: Set(code.code_hash.clone()),
        grant_id: Set(code.grant_id.clone()),
        client_id: Set(code.client_id.as_str().to_owned()),
        user_sub: Set(code.user_sub.as_str().to_owned()),
        session_sid: Set(code.session_sid.clone()),
        redirect_uri: Set(code.redirect_uri.clone()),
        scope: Set(scope_str(&code.scope)),
        nonce: Set(code.nonce.clone()),
        code_challenge: Set(code.code_challenge.clone()),
        code_challenge_method: Set(code.code_challenge.as_ref().map(|_| S256.to_owned())),
        auth_time: Set(code.auth_time.unix()),
        amr: Set(Some(amr)),
        claims: Set(None),
        created_at: Set(code.created_at.unix()),
        expires_at: Set(code.expires_at.unix()),
        used_at: Set(code.used_at.map(Timestamp::unix)),
        redirect_uri_sent: Set(code.redirect_uri_sent),
        resource: Set(code.resource.clone()),
    })
}

fn to_code(row: authorization_codes::Model) -> Result<AuthorizationCode, StoreError> {
    match (&row.code_challenge, row.code_challenge_method.as_deref()) {
        (Some(_), Some(S256)) | (None, None) => {}
        (_, method) => {
            return Err(corrupt(
                "authorization code challenge method",
                format!("{method:?}"),
            ));
        }
    }
    // The column allows NULL (the initial schema's choice); a code without one carries no methods.
    let amr: Vec<String> = match row.amr.as_deref() {
        Some(amr) => serde_json::from_str(amr).map_err(|e| corrupt("authorization code amr", e))?,
        None => Vec::new(),
    };
    Ok(AuthorizationCode {
        client_id: parse_client_id("authorization code client", &row.client_id)?,
        user_sub: parse_subject("authorization code user", &row.user_sub)?,
        scope: parse_scope("authorization code scope", &row.scope)?,
        code_hash: row.code_hash,
        grant_id: row.grant_id,
        session_sid: row.session_sid,
        redirect_uri: row.redirect_uri,
        redirect_uri_sent: row.redirect_uri_sent,
        nonce: row.nonce,
        code_challenge: row.code_challenge,
        auth_time: Timestamp::from_unix(row.auth_time),
        amr,
        resource: row.resource,
        created_at: Timestamp::from_unix(row.created_at),
        expires_at: Timestamp::from_unix(row.expires_at),
        used_at: row.used_at.map(Timestamp::from_unix),
    })
}
