//! A real relying-party library (the `openidconnect` crate) registers itself through discovery's
//! `registration_endpoint` with an initial access token (RFC 7591, OpenID Connect Registration), parses
//! Charter's answer, and signs a user in with the client it got.

use charter_core::Clock;
use charter_core::clock::SystemClock;
use charter_core::random::SystemTokenGenerator;
use charter_testkit::{Backend, backend_tests, spawn_app_with};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientRegistrationRequest, CoreGrantType,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientName, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, RedirectUrl,
    RegistrationAccessToken, Scope, TokenResponse,
};
use reqwest::Client;

use crate::rp_library::{PW, REDIRECT, browse, send};

async fn the_openidconnect_crate_registers_and_signs_in(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |env| {
        env.insert(
            "CHARTER_REGISTRATION__MODE".into(),
            "initial_access_token".into(),
        );
    })
    .await
    else {
        return;
    };
    // The library checks expiry against the wall clock.
    app.clock.set(SystemClock.now());
    let alice = app.create_user("alice", PW).await;
    let (iat, _) = charter_registry::mint_initial_access_token(
        app.key_manager.store.as_ref(),
        &SystemTokenGenerator::new(),
        app.clock.as_ref(),
        None,
        Some(1),
    )
    .await
    .unwrap();

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
    let endpoint = metadata
        .registration_endpoint()
        .expect("registration_endpoint in discovery")
        .clone();

    let registered = CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new(REDIRECT.to_owned()).unwrap()],
        openidconnect::registration::EmptyAdditionalClientMetadata::default(),
    )
    .set_client_name(Some(
        vec![(None, ClientName::new("Library RP".into()))]
            .into_iter()
            .collect(),
    ))
    .set_grant_types(Some(vec![CoreGrantType::AuthorizationCode]))
    .set_initial_access_token(Some(openidconnect::AccessToken::new(iat)))
    .register_async(&endpoint, &http_client)
    .await
    .expect("registration accepted and its response understood");
    assert!(registered.client_secret().is_some());
    assert!(registered.registration_client_uri().is_some());
    let management: Option<&RegistrationAccessToken> = registered.registration_access_token();
    assert!(management.is_some());

    let client = CoreClient::from_provider_metadata(
        metadata,
        registered.client_id().clone(),
        registered.client_secret().cloned(),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = url::Url::parse(&browse(&app, url.as_str()).await).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http_client)
        .await
        .expect("code exchange");
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.subject().as_str(), alice.sub.as_str());
    app.stop().await;
}

backend_tests!(the_openidconnect_crate_registers_and_signs_in);
