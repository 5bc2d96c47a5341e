//! The `users` table. End users (OpenID Connect Core §5.1 claims); `address` is JSON of core's `Address`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sub: String,
    pub username: String,
    pub username_normalized: String,
    pub password_hash: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub address: Option<String>,
    pub locale: Option<String>,
    pub zoneinfo: Option<String>,
    pub picture: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
