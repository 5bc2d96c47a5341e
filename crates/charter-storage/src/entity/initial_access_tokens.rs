//! The `initial_access_tokens` table. Digests of the tokens that allow dynamic registration in
//! `initial_access_token` mode (RFC 7591 §3), with an optional expiry and count of uses left.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "initial_access_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub uses_remaining: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
