//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2.
//!
//! Truthful by construction: the document is built from [`Capabilities`], which say what this build of
//! Charter actually serves. An endpoint appears when it exists; values that would otherwise default to
//! something Charter does not do are published explicitly (`request_parameter_supported: false`, ...).

use serde::Serialize;

use crate::issuer::Issuer;

/// What the running Charter implements. Later issues switch these on as they land.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    /// ID-token signing algorithms (RS256 always among them).
    pub id_token_signing_algs: Vec<String>,
    pub authorization_endpoint: bool,
    pub token_endpoint: bool,
    pub userinfo_endpoint: bool,
    /// RFC 7662 and RFC 7009 endpoints (they authenticate clients like the token endpoint).
    pub introspection_endpoint: bool,
    pub revocation_endpoint: bool,
    /// RFC 8628 §4: `device_authorization_endpoint`.
    pub device_authorization_endpoint: bool,
    /// `token_endpoint_auth_methods_supported`, once the token endpoint exists.
    pub token_endpoint_auth_methods: Vec<String>,
    /// `grant_types_supported`, once the token endpoint exists.
    pub grant_types: Vec<String>,
    pub claims_parameter: bool,
    /// OpenID Connect RP-Initiated Logout 1.0 (`end_session_endpoint`) and Back-Channel Logout 1.0 (with
    /// `sid`). Front-channel logout is not supported and not advertised.
    pub logout: bool,
    /// RFC 7591 dynamic client registration is enabled (`registration.mode` is not `off`).
    pub registration_endpoint: bool,
}

/// Algorithms a `private_key_jwt` client assertion may be signed with (no `none`, no HMAC).
pub const CLIENT_ASSERTION_ALGS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA"];

/// The scopes Charter understands (OpenID Connect Core §5.4, §11).
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// The claims Charter can release (OpenID Connect Core §2, §5.1).
pub const CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "sid",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
    "locale",
    "zoneinfo",
    "picture",
    "updated_at",
];

#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 8414 §2 / OpenID Connect Discovery §3: published with `private_key_jwt`, for each endpoint that
    /// accepts it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub introspection_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub authorization_response_iss_parameter_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}

impl ProviderMetadata {
    pub fn new(issuer: &Issuer, caps: &Capabilities) -> Self {
        let when = |on: bool, path: &str| on.then(|| issuer.endpoint(path));
        let jwt_auth = caps
            .token_endpoint_auth_methods
            .iter()
            .any(|m| m == "private_key_jwt");
        let assertion_algs = |on: bool| {
            if on && jwt_auth {
                CLIENT_ASSERTION_ALGS.to_vec()
            } else {
                Vec::new()
            }
        };
        Self {
            issuer: issuer.as_str().to_owned(),
            authorization_endpoint: when(caps.authorization_endpoint, "/authorize"),
            token_endpoint: when(caps.token_endpoint, "/token"),
            userinfo_endpoint: when(caps.userinfo_endpoint, "/userinfo"),
            jwks_uri: issuer.endpoint("/jwks"),
            introspection_endpoint: when(caps.introspection_endpoint, "/introspect"),
            revocation_endpoint: when(caps.revocation_endpoint, "/revoke"),
            end_session_endpoint: when(caps.logout, "/logout"),
            device_authorization_endpoint: when(
                caps.device_authorization_endpoint,
                "/device_authorization",
            ),
            registration_endpoint: when(caps.registration_endpoint, "/register"),
            scopes_supported: SCOPES.to_vec(),
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query", "form_post"],
            grant_types_supported: if caps.token_endpoint {
                caps.grant_types.clone()
            } else {
                Vec::new()
            },
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: caps.id_token_signing_algs.clone(),
            token_endpoint_auth_methods_supported: if caps.token_endpoint {
                caps.token_endpoint_auth_methods.clone()
            } else {
                Vec::new()
            },
            // Introspection is for confidential clients (resource servers); any client may revoke its tokens.
            introspection_endpoint_auth_methods_supported: if caps.introspection_endpoint {
                caps.token_endpoint_auth_methods
                    .iter()
                    .filter(|m| m.as_str() != "none")
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            revocation_endpoint_auth_methods_supported: if caps.revocation_endpoint {
                caps.token_endpoint_auth_methods.clone()
            } else {
                Vec::new()
            },
            token_endpoint_auth_signing_alg_values_supported: assertion_algs(caps.token_endpoint),
            introspection_endpoint_auth_signing_alg_values_supported: assertion_algs(
                caps.introspection_endpoint,
            ),
            revocation_endpoint_auth_signing_alg_values_supported: assertion_algs(
                caps.revocation_endpoint,
            ),
            claims_supported: CLAIMS.to_vec(),
            claims_parameter_supported: caps.claims_parameter,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            code_challenge_methods_supported: vec!["S256"],
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: caps.logout,
            backchannel_logout_session_supported: caps.logout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_exists_is_listed() {
        let issuer = Issuer::parse("https://id.example", false).unwrap();
        let caps = Capabilities {
            id_token_signing_algs: vec!["RS256".into(), "ES256".into()],
            ..Capabilities::default()
        };
        let doc = serde_json::to_value(ProviderMetadata::new(&issuer, &caps)).unwrap();
        assert_eq!(doc["issuer"], "https://id.example");
        assert_eq!(doc["jwks_uri"], "https://id.example/jwks");
        assert!(doc.get("authorization_endpoint").is_none());
        assert!(doc.get("grant_types_supported").is_none());
        assert_eq!(doc["request_parameter_supported"], false);
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );

        let caps = Capabilities {
            authorization_endpoint: true,
            token_endpoint: true,
            grant_types: vec!["authorization_code".into()],
            ..caps
        };
        let doc = serde_json::to_value(ProviderMetadata::new(&issuer, &caps)).unwrap();
        assert_eq!(
            doc["authorization_endpoint"],
            "https://id.example/authorize"
        );
        assert_eq!(
            doc["grant_types_supported"],
            serde_json::json!(["authorization_code"])
        );
        assert!(
            doc.get("token_endpoint_auth_signing_alg_values_supported")
                .is_none()
        );

        let caps = Capabilities {
            introspection_endpoint: true,
            token_endpoint_auth_methods: vec![
                "client_secret_basic".into(),
                "private_key_jwt".into(),
            ],
            ..caps
        };
        let doc = serde_json::to_value(ProviderMetadata::new(&issuer, &caps)).unwrap();
        let algs = serde_json::json!(["RS256", "PS256", "ES256", "EdDSA"]);
        assert_eq!(
            doc["token_endpoint_auth_signing_alg_values_supported"],
            algs
        );
        assert_eq!(
            doc["introspection_endpoint_auth_signing_alg_values_supported"],
            algs
        );
        assert!(
            doc.get("revocation_endpoint_auth_signing_alg_values_supported")
                .is_none()
        );
    }
}
