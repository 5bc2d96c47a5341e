//! Revoked access tokens (RFC 7009 §2): a deny list of `jti`s that resource checks (introspection,
//! userinfo) consult. A row is only needed until the token would have expired anyway; housekeeping deletes it
//! then, hence the index on `expires_at`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevokedAccessTokens::Table)
                    .col(text(RevokedAccessTokens::Jti).primary_key())
                    // Unix seconds, like every time column: when the token itself expires.
                    .col(big_integer(RevokedAccessTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revoked_access_tokens_expires_at")
                    .table(RevokedAccessTokens::Table)
                    .col(RevokedAccessTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index goes with its table.
        manager
            .drop_table(
                Table::drop()
                    .table(RevokedAccessTokens::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum RevokedAccessTokens {
    Table,
    Jti,
    ExpiresAt,
}
