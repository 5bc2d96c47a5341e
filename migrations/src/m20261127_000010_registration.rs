//! Dynamic client registration (RFC 7591, RFC 7592): the digest of each dynamic client's registration access
//! token, and the initial access tokens operators mint for registering (RFC 7591 §3).
//!
//! The registration access token lives in a table of its own, one row per client, deleted with it
//! (`ON DELETE CASCADE`): operator-registered clients have none, and the `clients` table stays as it was.
//! Initial access tokens are stored by digest with an optional expiry and an optional count of uses left.

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
                    .table(ClientRegistrationTokens::Table)
                    .col(text(ClientRegistrationTokens::ClientId).primary_key())
                    .col(text(ClientRegistrationTokens::TokenHash))
                    // Unix seconds, like every time column.
                    .col(big_integer(ClientRegistrationTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_client_registration_tokens_client_id")
                            .from(
                                ClientRegistrationTokens::Table,
                                ClientRegistrationTokens::ClientId,
                            )
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InitialAccessTokens::Table)
                    .col(text(InitialAccessTokens::TokenHash).primary_key())
                    .col(big_integer(InitialAccessTokens::CreatedAt))
                    .col(big_integer_null(InitialAccessTokens::ExpiresAt))
                    .col(integer_null(InitialAccessTokens::UsesRemaining))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InitialAccessTokens::Table.into_iden(),
            ClientRegistrationTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ClientRegistrationTokens {
    Table,
    ClientId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InitialAccessTokens {
    Table,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsesRemaining,
}
