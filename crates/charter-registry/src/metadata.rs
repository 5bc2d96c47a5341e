//! Validating client metadata (RFC 7591 §2, OpenID Connect Registration §2, RFC 8252, RFC 9700).
//!
//! [`validate`] is the one place that decides whether a client may exist as described. The CLI, the admin API
//! and dynamic registration all go through it, so a rule added here holds everywhere. Each refusal carries the
//! RFC 7591 §3.2.2 error code: `invalid_redirect_uri` for redirect (and post-logout redirect) URIs,
//! `invalid_client_metadata` for everything else.

use std::fmt;

use charter_core::client::{
    ApplicationType, AuthMethod, ClientMetadata, GrantType, OperatorSettings, RedirectUri,
    ResponseType,
};
use charter_core::scope::ScopeSet;
use serde::Deserialize;
use url::Url;

use crate::redirect::is_loopback_host;

/// RFC 7591 §3.2.2 errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationError {
    InvalidRedirectUri(String),
    InvalidClientMetadata(String),
}

impl RegistrationError {
    /// The RFC 7591 error code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
        }
    }

    /// The human-readable `error_description`.
    pub fn description(&self) -> &str {
        match self {
            Self::InvalidRedirectUri(d) | Self::InvalidClientMetadata(d) => d,
        }
    }
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.as_str(), self.description())
    }
}

impl std::error::Error for RegistrationError {}

fn bad_uri(msg: impl Into<String>) -> RegistrationError {
    RegistrationError::InvalidRedirectUri(msg.into())
}

fn bad_meta(msg: impl Into<String>) -> RegistrationError {
    RegistrationError::InvalidClientMetadata(msg.into())
}

/// Client metadata as requested, before validation. Field names are RFC 7591's; unknown fields are ignored
/// (RFC 7591 §2). Operator-only settings are the `require_pkce`, `audiences`, `skip_consent` and lifetime fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClientRequest {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub scope: Option<String>,
    pub application_type: Option<String>,
    pub contacts: Vec<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    pub jwks: Option<serde_json::Value>,
    pub id_token_signed_response_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    // Operator-only.
    pub require_pkce: Option<bool>,
    pub audiences: Vec<String>,
    pub skip_consent: Option<bool>,
    pub access_token_lifetime_secs: Option<u64>,
    pub refresh_token_idle_lifetime_secs: Option<u64>,
    pub refresh_token_absolute_lifetime_secs: Option<u64>,
}

/// Who is registering, which decides what may be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Operators (CLI, admin API) may set Charter's own settings; dynamically registered clients may not.
    pub operator: bool,
    /// For dynamic registration: the scopes a client may ask for. `None`: any.
    pub allowed_scopes: Option<ScopeSet>,
}

impl RegistrationPolicy {
    pub fn operator() -> Self {
        Self {
            operator: true,
            allowed_scopes: None,
        }
    }
}

/// Algorithms an ID token may be signed with.
pub const ID_TOKEN_ALGS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA"];

const MAX_NAME_CHARS: usize = 200;
const MAX_URIS: usize = 32;

/// Validates requested metadata. Returns the metadata and the operator settings to store.
pub fn validate(
    req: ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<(ClientMetadata, OperatorSettings), RegistrationError> {
    let settings = operator_settings(&req, policy)?;
    let client_name = req.client_name.unwrap_or_default().trim().to_owned();
    if client_name.chars().count() > MAX_NAME_CHARS || client_name.chars().any(char::is_control) {
        return Err(bad_meta(
            "client_name has at most 200 characters and no control characters",
        ));
    }

    let application_type = match req.application_type.as_deref() {
        None => ApplicationType::Web,
        Some(s) => s.parse().map_err(|e| bad_meta(format!("{e}")))?,
    };

    let grant_types = parse_list(req.grant_types, &["authorization_code"], |s| {
        s.parse::<GrantType>().map_err(|e| bad_meta(e.to_string()))
    })?;
    let has_code = grant_types.contains(&GrantType::AuthorizationCode);
    let default_response: &[&str] = if has_code { &["code"] } else { &[] };
    let response_types = parse_list(req.response_types, default_response, |s| {
        s.parse::<ResponseType>().map_err(|_| {
            bad_meta(format!(
                "response_type {s:?} is not supported; only \"code\""
            ))
        })
    })?;
    // RFC 7591 §2.1: `code` goes with `authorization_code`, and only with it.
    if has_code != response_types.contains(&ResponseType::Code) {
        return Err(bad_meta(
            "the response type \"code\" and the grant type \"authorization_code\" go together",
        ));
    }
    if grant_types.contains(&GrantType::RefreshToken)
        && !(has_code || grant_types.contains(&GrantType::DeviceCode))
    {
        return Err(bad_meta(
            "refresh_token needs a grant that issues refresh tokens (authorization_code or device_code)",
        ));
    }

    let auth_method = match req.token_endpoint_auth_method.as_deref() {
        None => AuthMethod::ClientSecretBasic,
        Some(s) => s.parse().map_err(|e| bad_meta(format!("{e}")))?,
    };
    if auth_method.is_public() && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(bad_meta(
            "a public client (token_endpoint_auth_method \"none\") cannot use client_credentials",
        ));
    }

    let redirect_uris = req
        .redirect_uris
        .iter()
        .map(|u| redirect_uri(u, application_type))
        .collect::<Result<Vec<_>, _>>()?;
    if has_code && redirect_uris.is_empty() {
        return Err(bad_uri(
            "the authorization_code grant needs at least one redirect URI",
        ));
    }
    if !has_code && !redirect_uris.is_empty() {
        return Err(bad_uri(
            "redirect URIs are only for clients of the authorization_code grant",
        ));
    }
    let post_logout_redirect_uris = req
        .post_logout_redirect_uris
        .iter()
        .map(|u| redirect_uri(u, application_type))
        .collect::<Result<Vec<_>, _>>()?;
    for list in [&redirect_uris, &post_logout_redirect_uris] {
        if list.len() > MAX_URIS {
            return Err(bad_uri("at most 32 redirect URIs"));
        }
    }

    let scope = match req.scope.as_deref() {
        Some(s) => ScopeSet::parse(s).map_err(|e| bad_meta(format!("scope: {e}")))?,
        None => default_scope(&grant_types),
    };
    if !policy.operator {
        if let Some(s) = scope.iter().find(|s| s.as_str().starts_with("charter:")) {
            return Err(bad_meta(format!(
                "scope {s} can only be granted by an operator"
            )));
        }
        if let Some(allowed) = &policy.allowed_scopes
            && let Some(extra) = scope.difference(allowed).next()
        {
            return Err(bad_meta(format!(
                "scope {extra} is not available to dynamically registered clients"
            )));
        }
    }

    let logo_uri = https_uri("logo_uri", req.logo_uri.as_deref(), false)?;
    let policy_uri = https_uri("policy_uri", req.policy_uri.as_deref(), false)?;
    let tos_uri = https_uri("tos_uri", req.tos_uri.as_deref(), false)?;
    let client_uri = https_uri("client_uri", req.client_uri.as_deref(), true)?;
    let jwks_uri = https_uri("jwks_uri", req.jwks_uri.as_deref(), true)?;
    let backchannel_logout_uri = https_uri(
        "backchannel_logout_uri",
        req.backchannel_logout_uri.as_deref(),
        true,
    )?;

    if req.jwks.is_some() && jwks_uri.is_some() {
        return Err(bad_meta("jwks and jwks_uri are mutually exclusive"));
    }
    // Public signature keys only: a pasted private key is refused, not stored.
    if let Some(jwks) = &req.jwks {
        crate::auth::jwks::validate_registered(jwks).map_err(|e| bad_meta(format!("jwks: {e}")))?;
    }
    if auth_method == AuthMethod::PrivateKeyJwt {
        let inline_keys = req
            .jwks
            .as_ref()
            .and_then(|j| j.get("keys"))
            .and_then(serde_json::Value::as_array)
            .map(Vec::len);
        if inline_keys.is_none() && jwks_uri.is_none() {
            return Err(bad_meta("private_key_jwt needs jwks or jwks_uri"));
        }
        if inline_keys == Some(0) {
            return Err(bad_meta("private_key_jwt needs at least one key in jwks"));
        }
    }

    if let Some(alg) = &req.id_token_signed_response_alg
        && !ID_TOKEN_ALGS.contains(&alg.as_str())
    {
        return Err(bad_meta(format!(
            "id_token_signed_response_alg {alg:?} is not one of {ID_TOKEN_ALGS:?}"
        )));
    }

    for c in &req.contacts {
        if c.is_empty() || c.len() > 254 || c.chars().any(char::is_control) {
            return Err(bad_meta("each contact has 1 to 254 characters"));
        }
    }

    if !settings.require_pkce && auth_method.is_public() {
        return Err(bad_meta("a public client cannot turn PKCE off"));
    }

    let metadata = ClientMetadata {
        client_name,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        response_types,
        token_endpoint_auth_method: auth_method,
        scope,
        application_type,
        contacts: req.contacts,
        logo_uri,
        client_uri,
        policy_uri,
        tos_uri,
        jwks_uri,
        jwks: req.jwks,
        id_token_signed_response_alg: req.id_token_signed_response_alg,
        backchannel_logout_uri,
        backchannel_logout_session_required: req
            .backchannel_logout_session_required
            .unwrap_or(false),
    };
    Ok((metadata, settings))
}

fn operator_settings(
    req: &ClientRequest,
    policy: &RegistrationPolicy,
) -> Result<OperatorSettings, RegistrationError> {
    let sets_operator_fields = req.require_pkce.is_some()
        || !req.audiences.is_empty()
        || req.skip_consent.is_some()
        || req.access_token_lifetime_secs.is_some()
        || req.refresh_token_idle_lifetime_secs.is_some()
        || req.refresh_token_absolute_lifetime_secs.is_some();
    if !policy.operator && sets_operator_fields {
        return Err(bad_meta(
            "require_pkce, audiences, skip_consent and token lifetimes can only be set by an operator",
        ));
    }
    let require_pkce = req.require_pkce.unwrap_or(true);
    for aud in &req.audiences {
        // RFC 8707 §2: a resource is an absolute URI without a fragment.
        let ok = Url::parse(aud).is_ok_and(|u| u.fragment().is_none() && !aud.contains('#'));
        if !ok {
            return Err(bad_meta(format!(
                "audience {aud:?} is not an absolute URI without a fragment"
            )));
        }
    }
    for (name, v) in [
        ("access_token_lifetime_secs", req.access_token_lifetime_secs),
        (
            "refresh_token_idle_lifetime_secs",
            req.refresh_token_idle_lifetime_secs,
        ),
        (
            "refresh_token_absolute_lifetime_secs",
            req.refresh_token_absolute_lifetime_secs,
        ),
    ] {
        if v == Some(0) {
            return Err(bad_meta(format!("{name} must be positive")));
        }
    }
    Ok(OperatorSettings {
        require_pkce,
        audiences: req.audiences.clone(),
        skip_consent: req.skip_consent.unwrap_or(false),
        access_token_lifetime_secs: req.access_token_lifetime_secs,
        refresh_token_idle_lifetime_secs: req.refresh_token_idle_lifetime_secs,
        refresh_token_absolute_lifetime_secs: req.refresh_token_absolute_lifetime_secs,
    })
}

/// Scopes a client gets when it asks for none: the OpenID basics, plus `offline_access` when it may refresh.
fn default_scope(grants: &[GrantType]) -> ScopeSet {
    let mut s = String::from("openid profile email");
    if grants.contains(&GrantType::RefreshToken) {
        s.push_str(" offline_access");
    }
    if grants == [GrantType::ClientCredentials] {
        s.clear();
    }
    ScopeSet::parse(&s).unwrap_or_default()
}

/// Parses a list field, refusing duplicates; `default` applies when the field is absent.
fn parse_list<T: PartialEq>(
    given: Option<Vec<String>>,
    default: &[&str],
    parse: impl Fn(&str) -> Result<T, RegistrationError>,
) -> Result<Vec<T>, RegistrationError> {
    let raw: Vec<String> =
        given.unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect());
    let mut out = Vec::with_capacity(raw.len());
    for s in &raw {
        let v = parse(s)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// A redirect URI that may be registered (RFC 9700 §2.1, RFC 8252 §7).
fn redirect_uri(raw: &str, app: ApplicationType) -> Result<RedirectUri, RegistrationError> {
    if raw.contains('*') {
        return Err(bad_uri(format!("{raw:?}: wildcards are not allowed")));
    }
    let uri = RedirectUri::parse(raw).map_err(|e| bad_uri(e.to_string()))?;
    let url = uri.url();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad_uri(format!(
            "{raw:?}: no credentials in a redirect URI"
        )));
    }
    match url.scheme() {
        "https" => Ok(uri),
        "http" if url.host_str().is_some_and(is_loopback_host) => Ok(uri),
        "http" => Err(bad_uri(format!(
            "{raw:?}: plain http is only allowed for loopback hosts (127.0.0.1, [::1], localhost)"
        ))),
        scheme if app == ApplicationType::Native && is_private_use_scheme(scheme) => Ok(uri),
        scheme if is_private_use_scheme(scheme) => Err(bad_uri(format!(
            "{raw:?}: private-use URI schemes are for native applications (application_type \"native\")"
        ))),
        _ => Err(bad_uri(format!("{raw:?}: the scheme is not allowed"))),
    }
}

/// RFC 8252 §7.1: a reverse-domain scheme such as `com.example.app`. Schemes browsers act on are refused.
fn is_private_use_scheme(scheme: &str) -> bool {
    scheme.contains('.')
        && !matches!(
            scheme,
            "javascript" | "data" | "file" | "vbscript" | "about" | "blob"
        )
}

/// A URI that must be https (or, where `loopback_http`, http on a loopback host for development).
fn https_uri(
    field: &str,
    raw: Option<&str>,
    loopback_http: bool,
) -> Result<Option<Url>, RegistrationError> {
    let Some(raw) = raw else { return Ok(None) };
    let url = Url::parse(raw).map_err(|_| bad_meta(format!("{field} is not an absolute URI")))?;
    if url.fragment().is_some() {
        return Err(bad_meta(format!("{field} has a fragment")));
    }
    let ok = url.scheme() == "https"
        || (loopback_http
            && url.scheme() == "http"
            && url.host_str().is_some_and(is_loopback_host));
    if !ok {
        return Err(bad_meta(format!("{field} must use https")));
    }
    Ok(Some(url))
}

#[cfg(test)]
mod tests;
