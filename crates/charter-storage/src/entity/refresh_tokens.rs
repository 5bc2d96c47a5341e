//! The `refresh_tokens` table. Refresh tokens (RFC 6749 §6), keyed by the SHA-256 of the token; kept after rotation to detect replay.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub idle_expires_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
