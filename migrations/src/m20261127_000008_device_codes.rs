//! Device authorization requests (RFC 8628 §3.1-§3.5): one row per device code, keyed by its SHA-256.
//!
//! - `user_code_key` is the user code's keyed hash (charter-core `UserCode::lookup_key`), never the code; it is
//!   unique, so two live requests never share a code (a collision with an old row makes the server draw again).
//! - `status` is `pending`, `approved` or `denied`; the approving user, their `auth_time` and `amr` (a JSON
//!   array) are filled in on approval. `interval_secs` grows with every `slow_down`; `last_polled_at` is the
//!   compare-and-set guard of polling. `used_at` is set once tokens were issued: the device code is single-use.
//! - Rows go with their client or user (`ON DELETE CASCADE`); housekeeping deletes expired rows, hence the
//!   index on `expires_at`.

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
                    .table(DeviceCodes::Table)
                    .col(text(DeviceCodes::DeviceCodeHash).primary_key())
                    .col(text(DeviceCodes::UserCodeKey).unique_key())
                    .col(text(DeviceCodes::ClientId))
                    .col(text(DeviceCodes::Scope))
                    .col(text(DeviceCodes::Status))
                    .col(text_null(DeviceCodes::UserSub))
                    // Unix seconds, like every time column.
                    .col(big_integer_null(DeviceCodes::AuthTime))
                    .col(text_null(DeviceCodes::Amr))
                    .col(big_integer(DeviceCodes::IntervalSecs))
                    .col(big_integer_null(DeviceCodes::LastPolledAt))
                    .col(big_integer(DeviceCodes::CreatedAt))
                    .col(big_integer(DeviceCodes::ExpiresAt))
                    .col(big_integer_null(DeviceCodes::DecidedAt))
                    .col(big_integer_null(DeviceCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_device_codes_client_id")
                            .from(DeviceCodes::Table, DeviceCodes::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_device_codes_user_sub")
                            .from(DeviceCodes::Table, DeviceCodes::UserSub)
                            .to(Users::Table, Users::Sub)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_device_codes_expires_at", DeviceCodes::ExpiresAt),
            ("idx_device_codes_client_id", DeviceCodes::ClientId),
            ("idx_device_codes_user_sub", DeviceCodes::UserSub),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(DeviceCodes::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The indexes go with their table.
        manager
            .drop_table(
                Table::drop()
                    .table(DeviceCodes::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum DeviceCodes {
    Table,
    DeviceCodeHash,
    UserCodeKey,
    ClientId,
    Scope,
    Status,
    UserSub,
    AuthTime,
    Amr,
    IntervalSecs,
    LastPolledAt,
    CreatedAt,
    ExpiresAt,
    DecidedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Sub,
}
