//! The `session_clients` table. Which clients received ID tokens in a browser session, so logout can notify them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id_hash: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub created_at: i64,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
