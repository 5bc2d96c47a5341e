//! The `openidconnect` crate exchanges a code with `private_key_jwt`. The library has no native support for
//! it, so it sends the `client_assertion` parameters as extra parameters of the token request, with
//! `client_id` in the body and no secret (`AuthType::RequestBody`).

use charter_core::Clock;
use charter_core::clock::SystemClock;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, TestApp, backend_tests, spawn_app};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use reqwest::Client;

use super::support::{ClientKey, JWT_BEARER, claims, jwks};
use crate::rp_library::{PW, REDIRECT, send};

async fn browse(app: &TestApp, start: &str) -> url::Url {
    url::Url::parse(&crate::rp_library::browse(app, start).await).unwrap()
}

async fn openidconnect_exchanges_the_code_with_a_private_key(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The library checks ID-token expiry against the wall clock.
    app.clock.set(SystemClock.now());
    let alice = app.create_user("alice", PW).await;
    let key = ClientKey::es256("rp-key");
    let registered = app
        .register_client(ClientRequest {
            client_name: Some("Signed RP".into()),
            redirect_uris: vec![REDIRECT.into()],
            scope: Some("openid profile email".into()),
            token_endpoint_auth_method: Some("private_key_jwt".into()),
            jwks: Some(jwks(&[&key])),
            ..ClientRequest::default()
        })
        .await;
    let client_id = registered.record.client.id.to_string();
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let http_client = |req| send(http.clone(), req);

    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.to_string()).unwrap(),
        &http_client,
    )
    .await
    .expect("discovery");
    let methods = metadata
        .token_endpoint_auth_methods_supported()
        .map(|m| m.iter().map(|m| m.as_ref().to_owned()).collect::<Vec<_>>());
    assert!(
        methods
            .unwrap_or_default()
            .contains(&"private_key_jwt".to_owned())
    );
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(client_id.clone()), None)
            .set_auth_type(AuthType::RequestBody)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = browse(&app, url.as_str()).await;
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");

    let assertion = key.sign(&claims(&app, &client_id));
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .add_extra_param("client_assertion_type", JWT_BEARER)
        .add_extra_param("client_assertion", assertion)
        .request_async(&http_client)
        .await
        .expect("code exchange with private_key_jwt");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), alice.sub.as_str());
    app.stop().await;
}

backend_tests!(openidconnect_exchanges_the_code_with_a_private_key);
