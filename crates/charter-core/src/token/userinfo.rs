//! The claims the userinfo endpoint releases (OpenID Connect Core §5.3.2), chosen by the access token's scope
//! (Core §5.4) and by the `claims` request parameter (Core §5.5):
//!
//! - `sub`, always;
//! - `profile`: `name`, `given_name`, `family_name`, `preferred_username`, `locale`, `zoneinfo`, `picture`,
//!   `updated_at`;
//! - `email`: `email`, `email_verified`;
//! - `address`: `address` (a JSON object, Core §5.1.1);
//! - `phone`: `phone_number`, `phone_number_verified`;
//! - plus each of these claims requested individually for userinfo, whatever the scope.
//!
//! Only claims with a value are returned (Core §5.3.2: "if a Claim is not returned, that Claim Name SHOULD be
//! omitted ... rather than being present with a null or empty string value"); a `*_verified` flag travels only
//! with the value it qualifies. Nothing else is ever released: no roles, no internal flags.
//!
//! [`requested_id_token_claims`] picks the same user claims for the ID token, when the `claims` parameter asks
//! for them there (Core §5.5: "id_token" member).

use serde_json::{Map, Value};

use crate::claims_request::ClaimsRequest;
use crate::scope::ScopeSet;
use crate::user::User;

/// The user claims each scope releases (Core §5.4), in the order they are listed.
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "locale",
            "zoneinfo",
            "picture",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The scope that releases `claim`, if it is a user claim.
pub fn scope_of_claim(claim: &str) -> Option<&'static str> {
    SCOPE_CLAIMS
        .iter()
        .find(|(_, claims)| claims.contains(&claim))
        .map(|(scope, _)| *scope)
}

/// The value of one user claim, if the user has it (a flag only with the value it qualifies). `None` for names
/// that are not user claims (`sub` included: every token carries it anyway).
pub fn user_claim(user: &User, name: &str) -> Option<Value> {
    let p = &user.profile;
    let text = |v: &Option<String>| {
        v.as_ref()
            .filter(|v| !v.is_empty())
            .map(|v| Value::from(v.as_str()))
    };
    match name {
        "name" => text(&p.name),
        "given_name" => text(&p.given_name),
        "family_name" => text(&p.family_name),
        "locale" => text(&p.locale),
        "zoneinfo" => text(&p.zoneinfo),
        "picture" => text(&p.picture),
        "email" => text(&p.email),
        "phone_number" => text(&p.phone_number),
        "preferred_username" => Some(user.username.as_str().into()),
        "updated_at" => Some(user.updated_at.unix().into()),
        "email_verified" => text(&p.email).map(|_| p.email_verified.into()),
        "phone_number_verified" => text(&p.phone_number).map(|_| p.phone_number_verified.into()),
        "address" => p
            .address
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok())
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty())),
        _ => None,
    }
}

/// The userinfo response body for `user` under `scope`, with the claims `requested` for userinfo.
pub fn userinfo_claims(
    user: &User,
    scope: &ScopeSet,
    requested: Option<&ClaimsRequest>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), user.sub.as_str().into());
    let by_scope = SCOPE_CLAIMS
        .iter()
        .filter(|(s, _)| scope.contains(s))
        .flat_map(|(_, claims)| claims.iter().copied());
    let by_name = requested
        .into_iter()
        .flat_map(|r| r.userinfo.keys().map(String::as_str));
    for name in by_scope.chain(by_name) {
        if !out.contains_key(name)
            && let Some(value) = user_claim(user, name)
        {
            out.insert(name.to_owned(), value);
        }
    }
    out
}

/// The user claims `requested` for the ID token that `user` has, to add to it (Core §5.5). Protocol claims
/// (`sub`, `auth_time`, `acr`, ...) are never among them: the ID token has its own rules for those.
pub fn requested_id_token_claims(
    user: &User,
    requested: Option<&ClaimsRequest>,
) -> Map<String, Value> {
    requested
        .into_iter()
        .flat_map(|r| r.id_token.keys())
        .filter_map(|name| Some((name.clone(), user_claim(user, name)?)))
        .collect()
}

#[cfg(test)]
mod tests;
