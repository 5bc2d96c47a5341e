//! The claims the userinfo endpoint releases (OpenID Connect Core §5.3.2), chosen by the access token's scope
//! (Core §5.4):
//!
//! - `sub`, always;
//! - `profile`: `name`, `given_name`, `family_name`, `preferred_username`, `locale`, `zoneinfo`, `picture`,
//!   `updated_at`;
//! - `email`: `email`, `email_verified`;
//! - `address`: `address` (a JSON object, Core §5.1.1);
//! - `phone`: `phone_number`, `phone_number_verified`.
//!
//! Only claims with a value are returned (Core §5.3.2: "if a Claim is not returned, that Claim Name SHOULD be
//! omitted ... rather than being present with a null or empty string value"); a `*_verified` flag travels only
//! with the value it qualifies. Nothing else is ever released: no roles, no internal flags.

use serde_json::{Map, Value};

use crate::scope::ScopeSet;
use crate::user::User;

/// The userinfo response body for `user` under `scope`.
pub fn userinfo_claims(user: &User, scope: &ScopeSet) -> Map<String, Value> {
    let p = &user.profile;
    let mut out = Map::new();
    out.insert("sub".into(), user.sub.as_str().into());
    let mut put = |name: &str, value: Option<&String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.insert(name.into(), v.as_str().into());
        }
    };
    if scope.contains("profile") {
        put("name", p.name.as_ref());
        put("given_name", p.given_name.as_ref());
        put("family_name", p.family_name.as_ref());
        put("locale", p.locale.as_ref());
        put("zoneinfo", p.zoneinfo.as_ref());
        put("picture", p.picture.as_ref());
    }
    if scope.contains("email") {
        put("email", p.email.as_ref());
    }
    if scope.contains("phone") {
        put("phone_number", p.phone_number.as_ref());
    }
    if scope.contains("profile") {
        out.insert("preferred_username".into(), user.username.as_str().into());
        out.insert("updated_at".into(), user.updated_at.unix().into());
    }
    if out.contains_key("email") {
        out.insert("email_verified".into(), p.email_verified.into());
    }
    if out.contains_key("phone_number") {
        out.insert(
            "phone_number_verified".into(),
            p.phone_number_verified.into(),
        );
    }
    if scope.contains("address") {
        let address = p
            .address
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok())
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()));
        if let Some(address) = address {
            out.insert("address".into(), address);
        }
    }
    out
}

#[cfg(test)]
mod tests;
