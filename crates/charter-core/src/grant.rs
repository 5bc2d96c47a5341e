//! What an authorization leaves behind: the parked request while the user signs in and consents, the
//! remembered consent, the grant (one token family from one authorization), and the authorization code.
//!
//! A grant is the unit of revocation: every code, refresh token and access token issued from one
//! authorization carries its grant id, so revoking the grant (code replay, refresh-token reuse, the user's
//! "Revoke access") ends all of them at once.

use serde::{Deserialize, Serialize};

use crate::claims_request::ClaimsRequest;
use crate::client::RedirectUri;
use crate::clock::Timestamp;
use crate::ids::{ClientId, Subject};
use crate::scope::ScopeSet;

/// How the authorization response is delivered (OAuth 2.0 Multiple Response Types, Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// `prompt` values (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// A validated authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1), as kept server-side
/// while the user signs in and consents. Never carried in a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    /// The redirect URI the response goes to, exactly as the request sent it (or the single registered one).
    pub redirect_uri: RedirectUri,
    /// Whether the request carried `redirect_uri` (then the token request must repeat it).
    pub redirect_uri_sent: bool,
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// PKCE S256 challenge (RFC 7636); `plain` is never accepted.
    pub code_challenge: Option<String>,
    pub response_mode: ResponseMode,
    pub prompt: Prompt,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`.
    pub id_token_hint_sub: Option<Subject>,
    pub ui_locales: Option<String>,
    pub acr_values: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// The `claims` parameter (OpenID Connect Core §5.5), when it named claims Charter knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsRequest>,
}

/// A parked authorization request, referenced by an opaque id (only its digest is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub id_hash: String,
    pub request: AuthorizationRequest,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One authorization and everything issued from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    /// None for client credentials.
    pub user_sub: Option<Subject>,
    pub client_id: ClientId,
    pub scope: ScopeSet,
    /// The browser session it came from, if any (logout needs it).
    pub session_sid: Option<String>,
    pub offline_access: bool,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When the user authenticated for this grant (the `auth_time` of its ID tokens, refreshes included).
    pub auth_time: Option<Timestamp>,
    /// The individual claims the authorization request asked for (OpenID Connect Core §5.5): they go into
    /// every ID token of the grant (refreshes included) and into userinfo answers for its access tokens.
    pub claims: Option<ClaimsRequest>,
}

impl Grant {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// An authorization code as stored (only its digest identifies it). Valid 60 s, single use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: ClientId,
    pub user_sub: Subject,
    pub session_sid: Option<String>,
    /// The redirect URI of the authorization request, byte for byte.
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (then the token request must repeat it).
    pub redirect_uri_sent: bool,
    pub scope: ScopeSet,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    pub amr: Vec<String>,
    pub resource: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Set once redeemed; a second redemption is a replay.
    pub used_at: Option<Timestamp>,
}

/// A remembered consent: the scopes a user granted a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub user_sub: Subject,
    pub client_id: ClientId,
    pub scope: ScopeSet,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A refresh token as stored (only its digest identifies it): opaque, 256-bit, rotated at every use. A used
/// one presented again is a replay, which revokes its whole grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: ClientId,
    pub scope: ScopeSet,
    pub created_at: Timestamp,
    /// Unused for this long, it expires (sliding with every rotation).
    pub idle_expires_at: Timestamp,
    /// It expires at this time in any case (carried over from the first token of the grant).
    pub expires_at: Timestamp,
    /// Set when it was exchanged for a new one.
    pub used_at: Option<Timestamp>,
}

impl RefreshToken {
    pub fn is_live(&self, now: Timestamp) -> bool {
        !self.idle_expires_at.has_passed(now) && !self.expires_at.has_passed(now)
    }
}
