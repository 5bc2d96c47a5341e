//! The `device_codes` table (migration `m20261127_000008_device_codes`). Device authorization requests (RFC
//! 8628), keyed by the SHA-256 of the device code; the user code only as its keyed hash. `amr` is a JSON array.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_code_hash: String,
    #[sea_orm(unique)]
    pub user_code_key: String,
    pub client_id: String,
    pub scope: String,
    pub status: String,
    pub user_sub: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: Option<String>,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub decided_at: Option<i64>,
    pub used_at: Option<i64>,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
