//! The `revoked_access_tokens` table. The `jti`s of revoked access tokens, kept until the token expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revoked_access_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    pub expires_at: i64,
    /// When it was revoked: what the nodes' revocation views poll by.
    pub denied_at: i64,
}

// No foreign keys: a revoked token outlives nothing it names.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
