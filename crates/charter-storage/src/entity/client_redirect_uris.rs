//! The `client_redirect_uris` table. A client's redirect URIs (`kind = 'redirect'`) and post-logout redirect URIs (`'post_logout'`),
//! exactly as registered, in registration order (`position`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_redirect_uris")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: String,
    pub kind: String,
    pub uri: String,
    pub position: i32,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
