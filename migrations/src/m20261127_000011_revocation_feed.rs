//! What each node's in-memory revocation view polls for (charter-endpoints `revocations`): revoked access
//! tokens get the time they were denied (`denied_at`, 0 for rows from before this migration: they are read in
//! the view's first full load anyway), and the three "since" queries get an index each — denied tokens by
//! `denied_at`, grants by `revoked_at`, users by `updated_at`.

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
            .alter_table(
                Table::alter()
                    .table(RevokedAccessTokens::Table)
                    .add_column(big_integer(RevokedAccessTokens::DeniedAt).default(0))
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            (
                "idx_revoked_access_tokens_denied_at",
                RevokedAccessTokens::Table.into_iden(),
                RevokedAccessTokens::DeniedAt.into_iden(),
            ),
            (
                "idx_grants_revoked_at",
                Grants::Table.into_iden(),
                Grants::RevokedAt.into_iden(),
            ),
            (
                "idx_users_updated_at",
                Users::Table.into_iden(),
                Users::UpdatedAt.into_iden(),
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_users_updated_at", Users::Table.into_iden()),
            ("idx_grants_revoked_at", Grants::Table.into_iden()),
            (
                "idx_revoked_access_tokens_denied_at",
                RevokedAccessTokens::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(RevokedAccessTokens::Table)
                    .drop_column(RevokedAccessTokens::DeniedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum RevokedAccessTokens {
    Table,
    DeniedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    UpdatedAt,
}
