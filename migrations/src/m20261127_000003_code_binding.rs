//! What an authorization code must be bound to beyond the initial schema: whether the authorization request
//! carried `redirect_uri` (then the token request must repeat it, RFC 6749 §4.1.3) and the RFC 8707 resource
//! indicator it named.
//!
//! Codes live for a minute, so existing rows need no backfill: the defaults (not sent, no resource) are what
//! a code issued before this migration meant.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE takes a single change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .add_column(
                        boolean(AuthorizationCodes::RedirectUriSent)
                            .default(false)
                            .take(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuthorizationCodes::Table)
                    .add_column(text_null(AuthorizationCodes::Resource))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            AuthorizationCodes::Resource,
            AuthorizationCodes::RedirectUriSent,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuthorizationCodes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    RedirectUriSent,
    Resource,
}
