//! The `jti`s of client assertions (`private_key_jwt`, RFC 7523 §3 item 7): each is remembered until the
//! assertion expires, so a replayed assertion is refused. Keyed by client and `jti` (one client's `jti`s cannot
//! collide with another's); housekeeping deletes a row once `expires_at` has passed, hence the index.

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
                    .table(ClientAssertionJtis::Table)
                    .col(text(ClientAssertionJtis::ClientId))
                    .col(text(ClientAssertionJtis::Jti))
                    // Unix seconds, like every time column: when the assertion stops being acceptable.
                    .col(big_integer(ClientAssertionJtis::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(ClientAssertionJtis::ClientId)
                            .col(ClientAssertionJtis::Jti),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_client_assertion_jtis_expires_at")
                    .table(ClientAssertionJtis::Table)
                    .col(ClientAssertionJtis::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index goes with its table.
        manager
            .drop_table(
                Table::drop()
                    .table(ClientAssertionJtis::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ClientAssertionJtis {
    Table,
    ClientId,
    Jti,
    ExpiresAt,
}
