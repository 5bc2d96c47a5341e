//! Indexes for reading the audit trail (`charter audit list`): by user and by client. The table itself (and
//! its index on `at`, which the retention sweep and time filters use) is in the initial schema; it has no
//! foreign keys so that it outlives what it mentions.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const USER_INDEX: &str = "idx_audit_events_user_sub";
const CLIENT_INDEX: &str = "idx_audit_events_client_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(USER_INDEX)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::UserSub)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(CLIENT_INDEX)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ClientId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [CLIENT_INDEX, USER_INDEX] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(AuditEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    UserSub,
    ClientId,
}
