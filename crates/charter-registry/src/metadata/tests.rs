//! One test per registration rule, as a table: (what the request changes, the expected error code or success).

use super::*;
use serde_json::json;

/// A P-256 public key (the generator point).
const EC_X: &str = "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY";
const EC_Y: &str = "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";

fn ec_key() -> serde_json::Value {
    json!({"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "kid": "k1"})
}

fn base() -> serde_json::Value {
    json!({ "client_name": "App", "redirect_uris": ["https://app.example/cb"] })
}

fn run(
    patch: serde_json::Value,
    policy: &RegistrationPolicy,
) -> Result<(ClientMetadata, OperatorSettings), RegistrationError> {
    let mut v = base();
    if let (Some(obj), Some(p)) = (v.as_object_mut(), patch.as_object()) {
        for (k, val) in p {
            if val.is_null() {
                obj.remove(k);
            } else {
                obj.insert(k.clone(), val.clone());
            }
        }
    }
    let req: ClientRequest = serde_json::from_value(v).unwrap();
    validate(req, policy)
}

fn code(r: &Result<(ClientMetadata, OperatorSettings), RegistrationError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.as_str(),
    }
}

#[test]
fn rules() {
    let op = RegistrationPolicy::operator();
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("defaults", json!({}), "ok"),
        (
            "https redirect",
            json!({"redirect_uris": ["https://a.example/cb?x=1"]}),
            "ok",
        ),
        (
            "http loopback v4",
            json!({"redirect_uris": ["http://127.0.0.1:8080/cb"]}),
            "ok",
        ),
        (
            "http loopback v6",
            json!({"redirect_uris": ["http://[::1]/cb"]}),
            "ok",
        ),
        (
            "http localhost",
            json!({"redirect_uris": ["http://localhost:3000/cb"]}),
            "ok",
        ),
        (
            "http non-loopback",
            json!({"redirect_uris": ["http://app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "fragment",
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            "wildcard",
            json!({"redirect_uris": ["https://*.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "relative",
            json!({"redirect_uris": ["/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "javascript",
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (
            "data",
            json!({"redirect_uris": ["data:text/html,x"]}),
            "invalid_redirect_uri",
        ),
        (
            "credentials",
            json!({"redirect_uris": ["https://u:p@a.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "private scheme web",
            json!({"redirect_uris": ["com.example.app:/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "private scheme native",
            json!({"application_type": "native", "redirect_uris": ["com.example.app:/cb"]}),
            "ok",
        ),
        (
            "scheme without dot native",
            json!({"application_type": "native", "redirect_uris": ["myapp:/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "code without redirect",
            json!({"redirect_uris": []}),
            "invalid_redirect_uri",
        ),
        (
            "cc with redirect",
            json!({"grant_types": ["client_credentials"]}),
            "invalid_redirect_uri",
        ),
        (
            "cc without redirect",
            json!({"grant_types": ["client_credentials"], "redirect_uris": null}),
            "ok",
        ),
        (
            "device without redirect",
            json!({"grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "token_endpoint_auth_method": "none", "redirect_uris": null}),
            "ok",
        ),
        (
            "post logout fragment",
            json!({"post_logout_redirect_uris": ["https://a.example/bye#x"]}),
            "invalid_redirect_uri",
        ),
        (
            "implicit grant",
            json!({"grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            "password grant",
            json!({"grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            "token response type",
            json!({"response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            "code response without code grant",
            json!({"grant_types": ["client_credentials"], "response_types": ["code"], "redirect_uris": null}),
            "invalid_client_metadata",
        ),
        (
            "code grant without code response",
            json!({"response_types": []}),
            "invalid_client_metadata",
        ),
        (
            "refresh alone",
            json!({"grant_types": ["refresh_token"], "redirect_uris": null}),
            "invalid_client_metadata",
        ),
        (
            "refresh with code",
            json!({"grant_types": ["authorization_code", "refresh_token"]}),
            "ok",
        ),
        (
            "unknown auth method",
            json!({"token_endpoint_auth_method": "client_secret_jwt"}),
            "invalid_client_metadata",
        ),
        (
            "public cc",
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none", "redirect_uris": null}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt without keys",
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt with an empty jwks",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt with jwks",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [ec_key()]}}),
            "ok",
        ),
        (
            "private_key_jwt with jwks_uri",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://a.example/jwks"}),
            "ok",
        ),
        (
            "private_key_jwt with a private key in jwks",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{
                "kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "d": EC_X,
            }]}}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt with a symmetric key",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt with jwks and jwks_uri",
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [ec_key()]}, "jwks_uri": "https://a.example/jwks"}),
            "invalid_client_metadata",
        ),
        (
            "jwks not a set",
            json!({"jwks": {"kty": "EC"}}),
            "invalid_client_metadata",
        ),
        (
            "jwks and jwks_uri",
            json!({"jwks": {"keys": []}, "jwks_uri": "https://a.example/jwks"}),
            "invalid_client_metadata",
        ),
        (
            "bad scope token",
            json!({"scope": "openid bad\"scope"}),
            "invalid_client_metadata",
        ),
        (
            "logo http",
            json!({"logo_uri": "http://a.example/logo.png"}),
            "invalid_client_metadata",
        ),
        (
            "logo https",
            json!({"logo_uri": "https://a.example/logo.png"}),
            "ok",
        ),
        (
            "policy http",
            json!({"policy_uri": "http://a.example/p"}),
            "invalid_client_metadata",
        ),
        (
            "tos javascript",
            json!({"tos_uri": "javascript:alert(1)"}),
            "invalid_client_metadata",
        ),
        (
            "jwks_uri http",
            json!({"jwks_uri": "http://a.example/jwks"}),
            "invalid_client_metadata",
        ),
        (
            "backchannel fragment",
            json!({"backchannel_logout_uri": "https://a.example/bc#x"}),
            "invalid_client_metadata",
        ),
        (
            "id token alg none",
            json!({"id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
        (
            "id token alg HS256",
            json!({"id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
        ),
        (
            "id token alg ES256",
            json!({"id_token_signed_response_alg": "ES256"}),
            "ok",
        ),
        (
            "unknown application type",
            json!({"application_type": "tv"}),
            "invalid_client_metadata",
        ),
        (
            "name with control char",
            json!({"client_name": "a\u{7}b"}),
            "invalid_client_metadata",
        ),
        (
            "public without pkce",
            json!({"token_endpoint_auth_method": "none", "require_pkce": false}),
            "invalid_client_metadata",
        ),
        (
            "confidential without pkce",
            json!({"require_pkce": false}),
            "ok",
        ),
        (
            "audience relative",
            json!({"audiences": ["api"]}),
            "invalid_client_metadata",
        ),
        (
            "audience uri",
            json!({"audiences": ["https://api.example"]}),
            "ok",
        ),
        (
            "zero lifetime",
            json!({"access_token_lifetime_secs": 0}),
            "invalid_client_metadata",
        ),
        ("unknown fields ignored", json!({"software_id": "x"}), "ok"),
    ];
    for (name, patch, expected) in cases {
        let got = run(patch, &op);
        assert_eq!(code(&got), expected, "{name}: {got:?}");
    }
}

#[test]
fn dynamic_clients_cannot_set_operator_fields() {
    let dynamic = RegistrationPolicy {
        operator: false,
        allowed_scopes: Some(ScopeSet::parse("openid profile email").unwrap()),
    };
    let cases = [
        (json!({"skip_consent": true}), "invalid_client_metadata"),
        (json!({"require_pkce": false}), "invalid_client_metadata"),
        (
            json!({"audiences": ["https://api.example"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"access_token_lifetime_secs": 60}),
            "invalid_client_metadata",
        ),
        (
            json!({"scope": "openid charter:admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({"scope": "openid api:write"}),
            "invalid_client_metadata",
        ),
        (json!({"scope": "openid email"}), "ok"),
    ];
    for (patch, expected) in cases {
        let got = run(patch.clone(), &dynamic);
        assert_eq!(code(&got), expected, "{patch}: {got:?}");
    }
}

#[test]
fn defaults_follow_rfc7591() {
    let (m, s) = run(json!({}), &RegistrationPolicy::operator()).unwrap();
    assert_eq!(m.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(m.response_types, [ResponseType::Code]);
    assert_eq!(m.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(m.application_type, ApplicationType::Web);
    assert_eq!(m.scope.to_string(), "email openid profile");
    assert!(s.require_pkce);
    assert!(!s.skip_consent);

    let (m, _) = run(
        json!({"grant_types": ["authorization_code", "refresh_token"]}),
        &RegistrationPolicy::operator(),
    )
    .unwrap();
    assert!(m.scope.contains("offline_access"));

    let (m, _) = run(
        json!({"grant_types": ["client_credentials"], "redirect_uris": null}),
        &RegistrationPolicy::operator(),
    )
    .unwrap();
    assert!(m.scope.is_empty());
    assert!(m.response_types.is_empty());
}

#[test]
fn repeated_grant_types_collapse() {
    let (m, _) = run(
        json!({"grant_types": ["authorization_code", "authorization_code"]}),
        &RegistrationPolicy::operator(),
    )
    .unwrap();
    assert_eq!(m.grant_types, [GrantType::AuthorizationCode]);
}
