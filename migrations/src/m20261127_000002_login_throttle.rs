//! Sign-in throttling: consecutive failures per key (`user:<normalized username>` or `ip:<address>`, see
//! `charter_core::throttle`), shared by every node.
//!
//! Rows are keyed by the throttling key itself; they hold no secret. Housekeeping deletes a row once its last
//! failure is older than the longest `forget_after` of the throttle policies, hence the index.

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
                    .table(LoginThrottle::Table)
                    .col(text(LoginThrottle::Key).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    // Unix seconds, like every time column.
                    .col(big_integer(LoginThrottle::LastFailureAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_throttle_last_failure_at")
                    .table(LoginThrottle::Table)
                    .col(LoginThrottle::LastFailureAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index goes with its table.
        manager
            .drop_table(
                Table::drop()
                    .table(LoginThrottle::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
}
