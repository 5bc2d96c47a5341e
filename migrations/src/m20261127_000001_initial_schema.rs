//! The initial schema: users, clients, sessions, consents, grants and their tokens, signing keys, the audit
//! trail and leases.
//!
//! Secrets never appear in clear: browser sessions, authorization codes, refresh tokens and parked requests
//! are keyed by the SHA-256 of the value the client holds (`*_hash` columns), client secrets and passwords are
//! stored as the hashes charter-core computed, and private signing keys are encrypted under a key-encryption
//! key named by `kek_id`.

use sea_orm_migration::{prelude::*, schema::*};

mod tables;
use tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Schema changes are all-or-nothing on both backends (SQLite has transactional DDL too).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_users(manager).await?;
        create_clients(manager).await?;
        create_sessions(manager).await?;
        create_grants(manager).await?;
        create_operations(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so that no foreign key is left dangling mid-way.
        let tables: [DynIden; 13] = [
            Leases::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            SigningKeys::Table.into_iden(),
            PendingAuthorizations::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            AuthorizationCodes::Table.into_iden(),
            Grants::Table.into_iden(),
            Consents::Table.into_iden(),
            SessionClients::Table.into_iden(),
            BrowserSessions::Table.into_iden(),
            ClientRedirectUris::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A Unix-seconds time column.
fn time(col: impl IntoIden) -> ColumnDef {
    big_integer(col)
}

fn time_null(col: impl IntoIden) -> ColumnDef {
    big_integer_null(col)
}

/// A `BOOLEAN NOT NULL DEFAULT FALSE` column.
fn flag(col: impl IntoIden) -> ColumnDef {
    boolean(col).default(false).take()
}

/// A foreign key whose rows go away with their parent.
fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

/// A plain index named `idx_<table>_<column>` (index names are per schema in PostgreSQL, so they carry the
/// table name).
async fn index(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    let col = col.into_iden();
    let name = format!("idx_{table}_{col}");
    manager
        .create_index(Index::create().name(name).table(table).col(col).to_owned())
        .await
}

async fn create_users(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Users::Table)
                .col(text(Users::Sub).primary_key())
                .col(text(Users::Username))
                // Lower-cased: uniqueness without regard to case, on both backends.
                .col(text_uniq(Users::UsernameNormalized))
                .col(text(Users::PasswordHash))
                .col(text_null(Users::Name))
                .col(text_null(Users::GivenName))
                .col(text_null(Users::FamilyName))
                .col(text_null(Users::Email))
                .col(flag(Users::EmailVerified))
                .col(text_null(Users::PhoneNumber))
                .col(flag(Users::PhoneNumberVerified))
                .col(text_null(Users::Address))
                .col(text_null(Users::Locale))
                .col(text_null(Users::Zoneinfo))
                .col(text_null(Users::Picture))
                .col(flag(Users::Disabled))
                .col(time(Users::CreatedAt))
                .col(time(Users::UpdatedAt))
                .to_owned(),
        )
        .await
}

async fn create_clients(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Clients::Table)
                .col(text(Clients::Id).primary_key())
                .col(text(Clients::ClientName))
                .col(text(Clients::Registration))
                .col(text(Clients::TokenEndpointAuthMethod))
                .col(text(Clients::Metadata))
                .col(text(Clients::Settings))
                .col(text_null(Clients::SecretHash))
                .col(text_null(Clients::PreviousSecretHash))
                .col(time_null(Clients::PreviousSecretExpiresAt))
                .col(time(Clients::CreatedAt))
                .col(time(Clients::UpdatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(ClientRedirectUris::Table)
                .col(big_pk_auto(ClientRedirectUris::Id))
                .col(text(ClientRedirectUris::ClientId))
                .col(text(ClientRedirectUris::Kind))
                .col(text(ClientRedirectUris::Uri))
                .col(integer(ClientRedirectUris::Position))
                .foreign_key(&mut cascade(
                    "fk_client_redirect_uris_client_id",
                    (ClientRedirectUris::Table, ClientRedirectUris::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uniq_client_redirect_uris_client_id_kind_uri")
                .table(ClientRedirectUris::Table)
                .col(ClientRedirectUris::ClientId)
                .col(ClientRedirectUris::Kind)
                .col(ClientRedirectUris::Uri)
                .unique()
                .to_owned(),
        )
        .await
}

async fn create_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(BrowserSessions::Table)
                .col(text(BrowserSessions::IdHash).primary_key())
                .col(text_uniq(BrowserSessions::Sid))
                .col(text(BrowserSessions::UserSub))
                .col(time(BrowserSessions::AuthTime))
                .col(text(BrowserSessions::Amr))
                .col(text_null(BrowserSessions::Ip))
                .col(text_null(BrowserSessions::UserAgent))
                .col(time(BrowserSessions::CreatedAt))
                .col(time(BrowserSessions::LastSeenAt))
                .col(time(BrowserSessions::IdleExpiresAt))
                .col(time(BrowserSessions::ExpiresAt))
                .foreign_key(&mut cascade(
                    "fk_browser_sessions_user_sub",
                    (BrowserSessions::Table, BrowserSessions::UserSub),
                    (Users::Table, Users::Sub),
                ))
                .to_owned(),
        )
        .await?;
    index(manager, BrowserSessions::Table, BrowserSessions::UserSub).await?;
    index(manager, BrowserSessions::Table, BrowserSessions::ExpiresAt).await?;
    index(
        manager,
        BrowserSessions::Table,
        BrowserSessions::IdleExpiresAt,
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(SessionClients::Table)
                .col(text(SessionClients::SessionIdHash))
                .col(text(SessionClients::ClientId))
                .col(time(SessionClients::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(SessionClients::SessionIdHash)
                        .col(SessionClients::ClientId),
                )
                .foreign_key(&mut cascade(
                    "fk_session_clients_session_id_hash",
                    (SessionClients::Table, SessionClients::SessionIdHash),
                    (BrowserSessions::Table, BrowserSessions::IdHash),
                ))
                .foreign_key(&mut cascade(
                    "fk_session_clients_client_id",
                    (SessionClients::Table, SessionClients::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
    // The primary key leads with the session; "which sessions involve this client" needs its own index.
    index(manager, SessionClients::Table, SessionClients::ClientId).await?;

    manager
        .create_table(
            Table::create()
                .table(Consents::Table)
                .col(text(Consents::UserSub))
                .col(text(Consents::ClientId))
                .col(text(Consents::Scope))
                .col(time(Consents::CreatedAt))
                .col(time(Consents::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(Consents::UserSub)
                        .col(Consents::ClientId),
                )
                .foreign_key(&mut cascade(
                    "fk_consents_user_sub",
                    (Consents::Table, Consents::UserSub),
                    (Users::Table, Users::Sub),
                ))
                .foreign_key(&mut cascade(
                    "fk_consents_client_id",
                    (Consents::Table, Consents::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
    index(manager, Consents::Table, Consents::ClientId).await
}

async fn create_grants(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Grants::Table)
                .col(text(Grants::Id).primary_key())
                // NULL for client_credentials: the client acts for itself.
                .col(text_null(Grants::UserSub))
                .col(text(Grants::ClientId))
                .col(text(Grants::Scope))
                .col(text_null(Grants::SessionSid))
                .col(flag(Grants::OfflineAccess))
                .col(time(Grants::CreatedAt))
                .col(time_null(Grants::RevokedAt))
                .foreign_key(&mut cascade(
                    "fk_grants_user_sub",
                    (Grants::Table, Grants::UserSub),
                    (Users::Table, Users::Sub),
                ))
                .foreign_key(&mut cascade(
                    "fk_grants_client_id",
                    (Grants::Table, Grants::ClientId),
                    (Clients::Table, Clients::Id),
                ))
                .to_owned(),
        )
        .await?;
    index(manager, Grants::Table, Grants::UserSub).await?;
    index(manager, Grants::Table, Grants::ClientId).await?;

    manager
        .create_table(
            Table::create()
                .table(AuthorizationCodes::Table)
                .col(text(AuthorizationCodes::CodeHash).primary_key())
                .col(text(AuthorizationCodes::GrantId))
                .col(text(AuthorizationCodes::ClientId))
                .col(text(AuthorizationCodes::UserSub))
                .col(text_null(AuthorizationCodes::SessionSid))
                .col(text(AuthorizationCodes::RedirectUri))
                .col(text(AuthorizationCodes::Scope))
                .col(text_null(AuthorizationCodes::Nonce))
                .col(text_null(AuthorizationCodes::CodeChallenge))
                .col(text_null(AuthorizationCodes::CodeChallengeMethod))
                .col(time(AuthorizationCodes::AuthTime))
                .col(text_null(AuthorizationCodes::Amr))
                .col(text_null(AuthorizationCodes::Claims))
                .col(time(AuthorizationCodes::CreatedAt))
                .col(time(AuthorizationCodes::ExpiresAt))
                // Kept once used, so that a replayed code can revoke its grant (RFC 6749 §4.1.2).
                .col(time_null(AuthorizationCodes::UsedAt))
                .foreign_key(&mut cascade(
                    "fk_authorization_codes_grant_id",
                    (AuthorizationCodes::Table, AuthorizationCodes::GrantId),
                    (Grants::Table, Grants::Id),
                ))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        AuthorizationCodes::Table,
        AuthorizationCodes::ExpiresAt,
    )
    .await?;
    index(
        manager,
        AuthorizationCodes::Table,
        AuthorizationCodes::GrantId,
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(text(RefreshTokens::TokenHash).primary_key())
                .col(text(RefreshTokens::GrantId))
                .col(text(RefreshTokens::ClientId))
                .col(text(RefreshTokens::Scope))
                .col(time(RefreshTokens::CreatedAt))
                .col(time(RefreshTokens::IdleExpiresAt))
                .col(time(RefreshTokens::ExpiresAt))
                // Rotation keeps the used token to detect replay (RFC 9700 §4.14.2).
                .col(time_null(RefreshTokens::UsedAt))
                .foreign_key(&mut cascade(
                    "fk_refresh_tokens_grant_id",
                    (RefreshTokens::Table, RefreshTokens::GrantId),
                    (Grants::Table, Grants::Id),
                ))
                .to_owned(),
        )
        .await?;
    index(manager, RefreshTokens::Table, RefreshTokens::GrantId).await?;
    index(manager, RefreshTokens::Table, RefreshTokens::ExpiresAt).await?;
    index(manager, RefreshTokens::Table, RefreshTokens::IdleExpiresAt).await
}

async fn create_operations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PendingAuthorizations::Table)
                .col(text(PendingAuthorizations::IdHash).primary_key())
                .col(text(PendingAuthorizations::Request))
                .col(time(PendingAuthorizations::CreatedAt))
                .col(time(PendingAuthorizations::ExpiresAt))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        PendingAuthorizations::Table,
        PendingAuthorizations::ExpiresAt,
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(SigningKeys::Table)
                .col(text(SigningKeys::Kid).primary_key())
                .col(text(SigningKeys::Alg))
                .col(text(SigningKeys::State))
                .col(text(SigningKeys::PublicJwk))
                // Encrypted under `kek_id`; BLOB on SQLite, BYTEA on PostgreSQL.
                .col(blob(SigningKeys::PrivateKey))
                .col(text(SigningKeys::KekId))
                .col(time(SigningKeys::CreatedAt))
                .col(time_null(SigningKeys::ActivatedAt))
                .col(time_null(SigningKeys::RetiredAt))
                .col(time_null(SigningKeys::RemoveAfter))
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(time(AuditEvents::At))
                .col(text(AuditEvents::Kind))
                .col(text_null(AuditEvents::Actor))
                // No foreign keys: the trail must survive the deletion of what it mentions.
                .col(text_null(AuditEvents::UserSub))
                .col(text_null(AuditEvents::ClientId))
                .col(text_null(AuditEvents::Ip))
                .col(text_null(AuditEvents::RequestId))
                .col(text(AuditEvents::Details))
                .to_owned(),
        )
        .await?;
    index(manager, AuditEvents::Table, AuditEvents::At).await?;

    manager
        .create_table(
            Table::create()
                .table(Leases::Table)
                .col(text(Leases::Name).primary_key())
                .col(text(Leases::Holder))
                .col(time(Leases::ExpiresAt))
                .to_owned(),
        )
        .await
}
