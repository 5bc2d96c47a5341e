//! The `authorization_codes` table. Authorization codes (RFC 6749 §4.1.2), keyed by the SHA-256 of the code; kept after use to detect replay.
//! `amr` is a JSON array of strings; `redirect_uri_sent` and `resource` come from migration `m20261127_000003_code_binding`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_sub: String,
    pub session_sid: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: i64,
    pub amr: Option<String>,
    pub claims: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    // Added by `m20261127_000003_code_binding`, after the initial schema's columns.
    pub redirect_uri_sent: bool,
    pub resource: Option<String>,
}

// Foreign keys live in the migrations; queries here never join through sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
