//! The `claims` request parameter (OpenID Connect Core §5.5, §5.5.1): individual claims a client asks for, for
//! the ID token and for userinfo, beyond (or instead of) what its scopes name.
//!
//! [`ClaimsRequest::parse`] reads the parameter's JSON text. The rules Charter applies:
//!
//! - The value must be a JSON object of at most [`MAX_LEN`] bytes; its `userinfo` and `id_token` members, when
//!   present, objects mapping claim names to `null` or to an object whose `essential` is a boolean, whose
//!   `values` is an array, and whose `value` is any JSON value. Anything else is malformed (`invalid_request`).
//!   Other members (Core §5.5 allows extensions) are ignored.
//! - Claim names Charter does not know ([`crate::discovery::CLAIMS`], plus `acr`) are dropped, as Core §5.5
//!   says unsupported claims are ("not an error"); so is the content of their requests. What is kept is
//!   therefore bounded by the claims Charter knows.
//! - `sub` with `value`/`values` names the only user(s) the authorization may be for (§5.5.1 and §3.1.2.2):
//!   [`ClaimsRequest::allows_subject`]. A non-string `sub` value is malformed.
//! - `acr`: Charter has one authentication level and issues no `acr`. An essential `acr` with `value`/`values`
//!   can therefore never be met, which Core §5.5.1.1 says fails the authentication
//!   ([`ClaimsRequest::demands_unmet_acr`]); a voluntary one is ignored.
//! - `essential` does not change what is released: a requested claim the user has is released, one they do not
//!   have is left out (Core §5.5.1: a missing essential claim is not an error). `value`/`values` of profile
//!   claims do not change it either: Charter only ever asserts the user's own values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::Subject;

/// The largest `claims` value accepted, in bytes.
pub const MAX_LEN: usize = 4096;

/// One claim's request (Core §5.5.1). `null` on the wire is the default: voluntary, any value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl ClaimRequest {
    /// Whether `v` is acceptable under `value`/`values` (true when neither is given).
    fn accepts(&self, v: &str) -> bool {
        let is = |x: &Value| x.as_str() == Some(v);
        self.value.as_ref().is_none_or(is)
            && self.values.as_ref().is_none_or(|vs| vs.iter().any(is))
    }

    fn names_values(&self) -> bool {
        self.value.is_some() || self.values.is_some()
    }
}

/// A parsed `claims` parameter: the known claims requested for userinfo and for the ID token, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, ClaimRequest>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, ClaimRequest>,
}

/// Why a `claims` value was refused; the text is safe as an `error_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("claims is too long")]
    TooLong,
    #[error("claims must be a JSON object")]
    NotAnObject,
    #[error("claims userinfo and id_token must be JSON objects")]
    MemberNotAnObject,
    #[error("each requested claim must be null or a JSON object")]
    ClaimNotAnObject,
    #[error("essential must be a boolean")]
    Essential,
    #[error("values must be an array")]
    Values,
    #[error("a requested sub value must be a string")]
    SubjectValue,
}

/// Claim names a request may name: the claims Charter releases, and `acr` (read to refuse what cannot be met).
fn is_known(name: &str) -> bool {
    name == "acr" || crate::discovery::CLAIMS.contains(&name)
}

impl ClaimsRequest {
    /// Parses the parameter's value (see the module docs for the rules).
    pub fn parse(raw: &str) -> Result<Self, ClaimsError> {
        if raw.len() > MAX_LEN {
            return Err(ClaimsError::TooLong);
        }
        let Ok(Value::Object(top)) = serde_json::from_str::<Value>(raw) else {
            return Err(ClaimsError::NotAnObject);
        };
        Ok(Self {
            userinfo: member(&top, "userinfo")?,
            id_token: member(&top, "id_token")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    /// Every requested claim name, once, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> = self
            .userinfo
            .keys()
            .chain(self.id_token.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter()
    }

    /// Whether `sub` satisfies every `sub` value the request names (Core §5.5.1: no ID token, and no access
    /// token, for another user).
    pub fn allows_subject(&self, sub: &Subject) -> bool {
        [&self.id_token, &self.userinfo]
            .into_iter()
            .filter_map(|m| m.get("sub"))
            .all(|r| r.accepts(sub.as_str()))
    }

    /// Whether the request names particular users by `sub` value.
    pub fn names_subject(&self) -> bool {
        [&self.id_token, &self.userinfo]
            .into_iter()
            .filter_map(|m| m.get("sub"))
            .any(ClaimRequest::names_values)
    }

    /// An essential `acr` with values for the ID token: Charter issues no `acr`, so this cannot be met.
    pub fn demands_unmet_acr(&self) -> bool {
        self.id_token
            .get("acr")
            .is_some_and(|r| r.essential && r.names_values())
    }
}

fn member(
    top: &Map<String, Value>,
    name: &str,
) -> Result<BTreeMap<String, ClaimRequest>, ClaimsError> {
    let claims = match top.get(name) {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ClaimsError::MemberNotAnObject),
    };
    let mut out = BTreeMap::new();
    for (claim, request) in claims {
        let request = claim_request(request)?;
        if claim == "sub"
            && (request.value.as_ref().is_some_and(|v| !v.is_string())
                || request.values.iter().flatten().any(|v| !v.is_string()))
        {
            return Err(ClaimsError::SubjectValue);
        }
        if is_known(claim) {
            out.insert(claim.clone(), request);
        }
    }
    Ok(out)
}

fn claim_request(v: &Value) -> Result<ClaimRequest, ClaimsError> {
    let o = match v {
        Value::Null => return Ok(ClaimRequest::default()),
        Value::Object(o) => o,
        _ => return Err(ClaimsError::ClaimNotAnObject),
    };
    let essential = match o.get("essential") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ClaimsError::Essential),
    };
    let values = match o.get("values") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(_) => return Err(ClaimsError::Values),
    };
    Ok(ClaimRequest {
        essential,
        value: o.get("value").filter(|v| !v.is_null()).cloned(),
        values,
    })
}

#[cfg(test)]
mod tests;
