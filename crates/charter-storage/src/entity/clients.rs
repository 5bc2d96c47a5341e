//! The `clients` table. Registered clients (RFC 7591 §2). `metadata` is JSON of core's `ClientMetadata` without the fields
//! that have columns here or rows in `client_redirect_uris`; `settings` is JSON of `OperatorSettings`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_name: String,
    pub registration: String,
    pub token_endpoint_auth_method: String,
    pub metadata: String,
    pub settings: String,
    pub secret_hash: Option<String>,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
