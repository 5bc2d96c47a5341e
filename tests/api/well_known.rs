//! Discovery and the JWKS: what relying parties read first, served truthfully and from memory.

use std::collections::HashSet;

use charter_keys::jwk::Jwk;
use charter_testkit::{Backend, backend_tests, spawn_app};
use serde_json::Value;

async fn discovery_is_truthful(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "application/json");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public, max-age=")
        );
        let doc: Value = res.json().await.unwrap();
        assert_eq!(
            doc["issuer"],
            app.issuer.as_str(),
            "issuer exactly as configured"
        );
        assert_eq!(doc["jwks_uri"], format!("{}/jwks", app.issuer));
        let algs = doc["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap();
        assert!(algs.contains(&Value::from("RS256")));
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["public"])
        );
        assert!(
            doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&Value::from("openid"))
        );
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["response_modes_supported"],
            serde_json::json!(["query", "form_post"])
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["request_parameter_supported"], false);
        assert_eq!(doc["request_uri_parameter_supported"], false);
        assert_eq!(doc["claims_parameter_supported"], true);
        for (field, path) in [
            ("authorization_endpoint", "/authorize"),
            ("token_endpoint", "/token"),
            ("userinfo_endpoint", "/userinfo"),
            ("introspection_endpoint", "/introspect"),
            ("revocation_endpoint", "/revoke"),
            ("device_authorization_endpoint", "/device_authorization"),
            ("end_session_endpoint", "/logout"),
        ] {
            assert_eq!(doc[field], format!("{}{path}", app.issuer), "{field}");
        }
        assert_eq!(
            doc["grant_types_supported"],
            serde_json::json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none"
            ])
        );
        // private_key_jwt assertions: asymmetric algorithms only, at every endpoint that takes them.
        let algs = serde_json::json!(["RS256", "PS256", "ES256", "EdDSA"]);
        for field in [
            "token_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
        ] {
            assert_eq!(doc[field], algs, "{field}");
        }
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        // Back-channel logout with sid (OpenID Back-Channel Logout §2.1); no front-channel logout.
        assert_eq!(doc["backchannel_logout_supported"], true);
        assert_eq!(doc["backchannel_logout_session_supported"], true);
        for absent in [
            "frontchannel_logout_supported",
            "frontchannel_logout_session_supported",
        ] {
            assert!(doc.get(absent).is_none(), "{absent}");
        }
        // Dynamic registration is off by default (tests/api/registration.rs covers it on).
        assert!(doc.get("registration_endpoint").is_none());
    }
    app.stop().await;
}

async fn jwks_publishes_every_algorithm_with_thumbprint_kids(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.get("/jwks").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=900");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    // An active and a pre-published next key for each of RS256, ES256, EdDSA.
    assert_eq!(keys.len(), 6, "{body}");
    let mut algs = HashSet::new();
    for k in keys {
        let jwk: Jwk = serde_json::from_value(k.clone()).unwrap();
        assert_eq!(jwk.use_, "sig");
        assert_eq!(jwk.kid, jwk.thumbprint(), "kid is the RFC 7638 thumbprint");
        assert!(
            k.get("d").is_none() && k.get("p").is_none(),
            "no private parts"
        );
        algs.insert(jwk.alg.clone());
    }
    assert_eq!(
        algs,
        HashSet::from(["RS256".to_owned(), "ES256".to_owned(), "EdDSA".to_owned()])
    );

    let again = app
        .client
        .get(app.url("/jwks"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    app.stop().await;
}

async fn readiness_includes_the_keys(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(body["checks"]["keys"], "ok");
    app.stop().await;
}

backend_tests!(
    discovery_is_truthful,
    jwks_publishes_every_algorithm_with_thumbprint_kids,
    readiness_includes_the_keys,
);
