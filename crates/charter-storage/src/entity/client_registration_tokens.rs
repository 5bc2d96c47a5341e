//! The `client_registration_tokens` table. The SHA-256 digest of each dynamically registered client's
//! registration access token (RFC 7592 §1), deleted with its client.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_registration_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub token_hash: String,
    pub created_at: i64,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
