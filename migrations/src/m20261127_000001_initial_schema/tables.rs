//! The names of the initial schema's tables and columns. They belong to this migration alone: a later
//! migration declares the names it needs itself, so that editing one never changes another.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Users {
    Table,
    Sub,
    Username,
    UsernameNormalized,
    PasswordHash,
    Name,
    GivenName,
    FamilyName,
    Email,
    EmailVerified,
    PhoneNumber,
    PhoneNumberVerified,
    Address,
    Locale,
    Zoneinfo,
    Picture,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Clients {
    Table,
    Id,
    ClientName,
    Registration,
    TokenEndpointAuthMethod,
    Metadata,
    Settings,
    SecretHash,
    PreviousSecretHash,
    PreviousSecretExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum ClientRedirectUris {
    Table,
    Id,
    ClientId,
    Kind,
    Uri,
    Position,
}

#[derive(DeriveIden)]
pub(super) enum BrowserSessions {
    Table,
    IdHash,
    Sid,
    UserSub,
    AuthTime,
    Amr,
    Ip,
    UserAgent,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub(super) enum SessionClients {
    Table,
    SessionIdHash,
    ClientId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Consents {
    Table,
    UserSub,
    ClientId,
    Scope,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Grants {
    Table,
    Id,
    UserSub,
    ClientId,
    Scope,
    SessionSid,
    OfflineAccess,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
pub(super) enum AuthorizationCodes {
    Table,
    CodeHash,
    GrantId,
    ClientId,
    UserSub,
    SessionSid,
    RedirectUri,
    Scope,
    Nonce,
    CodeChallenge,
    CodeChallengeMethod,
    AuthTime,
    Amr,
    Claims,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
pub(super) enum RefreshTokens {
    Table,
    TokenHash,
    GrantId,
    ClientId,
    Scope,
    CreatedAt,
    IdleExpiresAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
pub(super) enum PendingAuthorizations {
    Table,
    IdHash,
    Request,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub(super) enum SigningKeys {
    Table,
    Kid,
    Alg,
    State,
    PublicJwk,
    PrivateKey,
    KekId,
    CreatedAt,
    ActivatedAt,
    RetiredAt,
    RemoveAfter,
}

#[derive(DeriveIden)]
pub(super) enum AuditEvents {
    Table,
    Id,
    At,
    Kind,
    Actor,
    UserSub,
    ClientId,
    Ip,
    RequestId,
    Details,
}

#[derive(DeriveIden)]
pub(super) enum Leases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}
