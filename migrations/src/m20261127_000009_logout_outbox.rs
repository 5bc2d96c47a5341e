//! The back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0): one row per logout to tell one
//! client about, written in the transaction that ends the session, so it survives restarts.
//!
//! - `state` is `pending` (waiting for `next_attempt_at`) or `failed` (refused for good, kept for audit);
//!   delivered rows are deleted. `jti` is fixed when the row is written; every attempt re-signs with it.
//! - `claimed_by` / `claimed_until` are a per-row lease: a node claims a due row with a conditional update, so
//!   exactly one node attempts a message at a time; a node that dies loses its claims when they run out.
//! - Rows go with their client (`ON DELETE CASCADE`: nobody left to tell). No foreign key to the user or the
//!   session: the session is gone by the time the message is sent.
//! - The index on `(state, next_attempt_at)` serves the claim query; the one on `grants.session_sid` serves
//!   revoking a session's grants when it ends.

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
                    .table(LogoutOutbox::Table)
                    .col(text(LogoutOutbox::Id).primary_key())
                    .col(text(LogoutOutbox::ClientId))
                    .col(text(LogoutOutbox::Sub))
                    .col(text(LogoutOutbox::Sid))
                    .col(text(LogoutOutbox::Jti))
                    .col(text(LogoutOutbox::State))
                    .col(integer(LogoutOutbox::Attempts).default(0))
                    // Unix seconds, like every time column.
                    .col(big_integer(LogoutOutbox::NextAttemptAt))
                    .col(text_null(LogoutOutbox::ClaimedBy))
                    .col(big_integer_null(LogoutOutbox::ClaimedUntil))
                    .col(text_null(LogoutOutbox::LastError))
                    .col(big_integer(LogoutOutbox::CreatedAt))
                    .col(big_integer(LogoutOutbox::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_logout_outbox_client_id")
                            .from(LogoutOutbox::Table, LogoutOutbox::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_logout_outbox_state_next_attempt_at")
                    .table(LogoutOutbox::Table)
                    .col(LogoutOutbox::State)
                    .col(LogoutOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_logout_outbox_client_id")
                    .table(LogoutOutbox::Table)
                    .col(LogoutOutbox::ClientId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grants_session_sid")
                    .table(Grants::Table)
                    .col(Grants::SessionSid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_grants_session_sid")
                    .table(Grants::Table)
                    .to_owned(),
            )
            .await?;
        // The outbox's indexes go with its table.
        manager
            .drop_table(
                Table::drop()
                    .table(LogoutOutbox::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LogoutOutbox {
    Table,
    Id,
    ClientId,
    Sub,
    Sid,
    Jti,
    State,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    SessionSid,
}
