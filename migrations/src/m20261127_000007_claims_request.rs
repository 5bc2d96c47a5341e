//! The `claims` request parameter (OpenID Connect Core §5.5) a grant was authorized with, as JSON, so that the
//! individual claims it asked for go into every ID token of the grant — refreshes included — and into userinfo
//! answers. NULL for grants without one (and for grants created before this migration). Parked requests
//! carry it inside their `request` JSON, which needs no new column.

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
                    .table(Grants::Table)
                    .add_column(text_null(Grants::Claims))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Grants::Table)
                    .drop_column(Grants::Claims)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Claims,
}
