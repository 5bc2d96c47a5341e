//! A real relying-party library (the `openidconnect` crate) signs a user in through Charter: discovery, the
//! authorization code flow with PKCE and a nonce, the code exchange, ID-token verification against the JWKS
//! (signature, issuer, audience, nonce, expiry, at_hash), and userinfo.

use charter_core::Clock;
use charter_core::clock::SystemClock;
use charter_registry::ClientRequest;
use charter_testkit::{Backend, backend_tests, spawn_app};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::Client;

use crate::rp_library::{PW, REDIRECT, browse, send};

async fn the_openidconnect_crate_signs_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // The library checks expiry against the wall clock.
    app.clock.set(SystemClock.now());
    let alice = app.create_user("alice", PW).await;
    let registered = app
        .register_client(ClientRequest {
            client_name: Some("RP library".into()),
            redirect_uris: vec![REDIRECT.into()],
            scope: Some("openid profile email".into()),
            ..ClientRequest::default()
        })
        .await;
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
    .expect("discovery and JWKS");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.record.client.id.to_string()),
        registered.secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let back = url::Url::parse(&browse(&app, url.as_str()).await).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(param("iss").as_deref(), Some(app.issuer.as_str()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http_client)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), alice.sub.as_str());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http_client)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), alice.sub.as_str());
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    app.stop().await;
}

backend_tests!(the_openidconnect_crate_signs_in);
