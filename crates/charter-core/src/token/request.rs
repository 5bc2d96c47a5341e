//! The token request (RFC 6749 §3.2, §4.1.3, §4.4.2, §6; RFC 8628 §3.4; RFC 8707 §2), parsed from the
//! `application/x-www-form-urlencoded` body's name/value pairs.
//!
//! - A parameter sent without a value is treated as omitted (RFC 6749 §3.1).
//! - A parameter sent more than once is `invalid_request` (RFC 6749 §3.2), whether Charter reads it here or not:
//!   the client authentication fields (`client_id`, `client_secret`, `client_assertion`,
//!   `client_assertion_type`) count too, though the client registry interprets them. The one exception is
//!   `resource`, which RFC 8707 §2 allows to repeat: Charter issues one audience per token, so a repeated
//!   `resource` is refused with `invalid_target` instead.
//! - Unknown parameters are ignored (RFC 6749 §3.2).
//! - `grant_type` is one of the four [`GrantType`]s; `password`, `implicit` and anything else is
//!   `unsupported_grant_type` (RFC 9700 §2.4, OAuth 2.1).

use std::collections::HashMap;

use url::Url;

use super::TokenError;
use crate::client::GrantType;
use crate::scope::ScopeSet;

/// The parameters Charter knows at the token endpoint, named in error descriptions. Other names are never
/// echoed back.
const KNOWN: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "resource",
    "device_code",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// What the client asks to exchange, by grant type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.1.3. `redirect_uri` and `code_verifier` are checked against the code by
    /// [`super::check_code`].
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6. `scope: None` keeps the granted scope.
    RefreshToken {
        refresh_token: String,
        scope: Option<ScopeSet>,
    },
    /// RFC 6749 §4.4.2. `scope: None` means the client's registered scopes.
    ClientCredentials { scope: Option<ScopeSet> },
    /// RFC 8628 §3.4.
    DeviceCode { device_code: String },
}

impl Grant {
    pub fn grant_type(&self) -> GrantType {
        match self {
            Self::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Self::RefreshToken { .. } => GrantType::RefreshToken,
            Self::ClientCredentials { .. } => GrantType::ClientCredentials,
            Self::DeviceCode { .. } => GrantType::DeviceCode,
        }
    }
}

/// A syntactically valid token request. Client authentication is not part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant: Grant,
    /// RFC 8707 resource indicator: an absolute URI without a fragment. Whether the client may have it is
    /// [`super::access_token_audience`]'s decision.
    pub resource: Option<String>,
}

impl TokenRequest {
    /// Parses the form body's name/value pairs (already percent-decoded).
    pub fn parse(params: &[(String, String)]) -> Result<Self, TokenError> {
        let mut seen: HashMap<&str, &str> = HashMap::with_capacity(params.len());
        for (name, value) in params {
            if value.is_empty() {
                continue;
            }
            if seen.insert(name.as_str(), value.as_str()).is_none() {
                continue;
            }
            if name == "resource" {
                return Err(TokenError::invalid_target(
                    "only one resource per token request is supported",
                ));
            }
            return Err(match KNOWN.iter().find(|k| **k == name) {
                Some(known) => TokenError::invalid_request(format!("{known} is repeated")),
                None => TokenError::invalid_request("a parameter is repeated"),
            });
        }
        let get = |name: &str| seen.get(name).map(|v| (*v).to_owned());
        let require = |name: &'static str| {
            get(name).ok_or_else(|| TokenError::invalid_request(format!("{name} is missing")))
        };

        let grant_type = require("grant_type")?;
        let grant_type: GrantType = grant_type
            .parse()
            .map_err(|_| TokenError::unsupported_grant_type("grant_type is not supported"))?;
        let grant = match grant_type {
            GrantType::AuthorizationCode => Grant::AuthorizationCode {
                code: require("code")?,
                redirect_uri: get("redirect_uri"),
                code_verifier: get("code_verifier"),
            },
            GrantType::RefreshToken => Grant::RefreshToken {
                refresh_token: require("refresh_token")?,
                scope: parse_scope(seen.get("scope").copied())?,
            },
            GrantType::ClientCredentials => Grant::ClientCredentials {
                scope: parse_scope(seen.get("scope").copied())?,
            },
            GrantType::DeviceCode => Grant::DeviceCode {
                device_code: require("device_code")?,
            },
        };
        let resource = seen
            .get("resource")
            .copied()
            .map(parse_resource)
            .transpose()?;
        Ok(Self { grant, resource })
    }
}

/// A scope of only spaces is as good as none.
fn parse_scope(value: Option<&str>) -> Result<Option<ScopeSet>, TokenError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let scope =
        ScopeSet::parse(value).map_err(|_| TokenError::invalid_scope("scope is malformed"))?;
    Ok((!scope.is_empty()).then_some(scope))
}

/// RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component". Kept byte for byte: audiences
/// are compared as strings.
fn parse_resource(value: &str) -> Result<String, TokenError> {
    let ok = Url::parse(value).is_ok_and(|u| u.fragment().is_none()) && !value.contains('#');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(TokenError::invalid_target(
            "resource is not an absolute URI without a fragment",
        ))
    }
}

#[cfg(test)]
mod tests;
