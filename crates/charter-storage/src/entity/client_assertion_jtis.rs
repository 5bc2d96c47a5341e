//! The `client_assertion_jtis` table: `jti`s of client assertions, kept until the assertion expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_assertion_jtis")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    pub expires_at: i64,
}

// No foreign keys: a row lives minutes, and names a client only to keep clients' jtis apart.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
