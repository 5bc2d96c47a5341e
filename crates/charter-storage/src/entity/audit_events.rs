//! The `audit_events` table. The audit trail; no foreign keys, so it outlives the users and clients it mentions. `details` is JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub user_sub: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
