//! The `grants` table. Grants: one token family from one authorization. `user_sub` is NULL for client_credentials.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_sub: Option<String>,
    pub client_id: String,
    pub scope: String,
    pub session_sid: Option<String>,
    pub offline_access: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub auth_time: Option<i64>,
    /// Added by `m20261127_000007_claims_request`: the `claims` request parameter as JSON.
    pub claims: Option<String>,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
