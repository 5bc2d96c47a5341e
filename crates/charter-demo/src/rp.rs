//! The relying party's side of each step, done with the `openidconnect` crate the way any app would:
//! discovery, the authorization request with PKCE and a nonce, the code exchange with ID-token verification
//! against the JWKS, userinfo, refresh. Revocation (RFC 7009) and introspection (RFC 7662) are plain form
//! posts, shown raw on the page.

use anyhow::{Context, anyhow, bail};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse,
};

use crate::register::Registration;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A failure of the RP library's HTTP transport.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Reqwest(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] http::Error),
}

/// The RP library's HTTP, carried by reqwest (no redirects followed: OpenID endpoints never need them).
async fn send(
    http: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let mut builder = http.request(parts.method, parts.uri.to_string()).body(body);
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let res = builder.send().await?;
    let mut out = http::Response::builder().status(res.status());
    for (name, value) in res.headers() {
        out = out.header(name, value);
    }
    Ok(out.body(res.bytes().await?.to_vec())?)
}

/// What the authorization request leaves behind, to check the answer against.
#[derive(Debug)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Tokens as the relying party keeps them, server-side.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

#[derive(Debug)]
pub struct Rp {
    client: Client,
    http: reqwest::Client,
    pub issuer: String,
    pub registration: Registration,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    pub post_logout_uri: String,
}

impl Rp {
    /// Discovers Charter and builds the client.
    pub async fn discover(
        issuer: &str,
        registration: Registration,
        redirect_uri: &str,
        post_logout_uri: &str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let h = http.clone();
        let metadata =
            CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned())?, &move |req| {
                send(h.clone(), req)
            })
            .await
            .map_err(|e| anyhow!("discovery at {issuer}: {e}"))?;
        // The endpoints openidconnect's core metadata type does not carry, from the same document.
        let raw: serde_json::Value = http
            .get(format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ))
            .send()
            .await?
            .json()
            .await?;
        let endpoint = |name: &str| raw[name].as_str().map(str::to_owned);
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(registration.client_id.clone()),
            Some(ClientSecret::new(registration.secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned())?);
        Ok(Self {
            client,
            revocation_endpoint: endpoint("revocation_endpoint"),
            introspection_endpoint: endpoint("introspection_endpoint"),
            end_session_endpoint: endpoint("end_session_endpoint"),
            http,
            issuer: issuer.to_owned(),
            registration,
            post_logout_uri: post_logout_uri.to_owned(),
        })
    }

    fn http_client(
        &self,
    ) -> impl Fn(
        openidconnect::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<openidconnect::HttpResponse, HttpError>> + Send>,
    > + use<> {
        let http = self.http.clone();
        move |req| Box::pin(send(http.clone(), req))
    }

    /// The authorization request: code flow, PKCE S256, a nonce, and `offline_access` for a refresh token.
    pub fn authorize_url(&self) -> (String, Pending) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("offline_access".into()))
            .add_extra_param("prompt", "consent")
            .set_pkce_challenge(challenge)
            .url();
        (
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
            },
        )
    }

    /// Redeems the code and verifies the ID token (signature against the JWKS, iss, aud, exp, nonce).
    pub async fn finish(&self, pending: Pending, code: String) -> anyhow::Result<Tokens> {
        let response: CoreTokenResponse = self
            .client
            .exchange_code(AuthorizationCode::new(code))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http_client())
            .await
            .map_err(|e| anyhow!("code exchange: {e:?}"))?;
        let id_token = response.id_token().context("no ID token")?;
        id_token
            .claims(&self.client.id_token_verifier(), &Nonce::new(pending.nonce))
            .map_err(|e| anyhow!("ID token rejected: {e}"))?;
        Ok(Tokens {
            id_token: id_token.to_string(),
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        })
    }

    pub async fn userinfo(&self, access_token: &str) -> anyhow::Result<serde_json::Value> {
        let claims: CoreUserInfoClaims = self
            .client
            .user_info(AccessToken::new(access_token.to_owned()), None)?
            .request_async(&self.http_client())
            .await
            .map_err(|e| anyhow!("userinfo: {e:?}"))?;
        Ok(serde_json::to_value(claims)?)
    }

    /// Spends the refresh token; Charter rotates it and sends a new ID token (verified, no nonce expected).
    pub async fn refresh(&self, tokens: &Tokens) -> anyhow::Result<Tokens> {
        let refresh = tokens
            .refresh_token
            .clone()
            .context("no refresh token (offline_access was not granted)")?;
        let response: CoreTokenResponse = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh))?
            .request_async(&self.http_client())
            .await
            .map_err(|e| anyhow!("refresh: {e:?}"))?;
        let id_token = match response.id_token() {
            Some(t) => {
                t.claims(&self.client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
                    .map_err(|e| anyhow!("refreshed ID token rejected: {e}"))?;
                t.to_string()
            }
            None => tokens.id_token.clone(),
        };
        Ok(Tokens {
            id_token,
            access_token: response.access_token().secret().clone(),
            refresh_token: response
                .refresh_token()
                .map(|t| t.secret().clone())
                .or_else(|| tokens.refresh_token.clone()),
        })
    }

    async fn client_post(&self, url: &str, form: &[(&str, &str)]) -> anyhow::Result<(u16, String)> {
        let res = self
            .http
            .post(url)
            .basic_auth(
                &self.registration.client_id,
                Some(&self.registration.secret),
            )
            .form(form)
            .send()
            .await?;
        Ok((res.status().as_u16(), res.text().await?))
    }

    /// RFC 7009: revoking the refresh token revokes its whole grant, access tokens included.
    pub async fn revoke(&self, token: &str, hint: &str) -> anyhow::Result<u16> {
        let url = self
            .revocation_endpoint
            .as_deref()
            .context("Charter advertises no revocation endpoint")?;
        let (status, _) = self
            .client_post(url, &[("token", token), ("token_type_hint", hint)])
            .await?;
        Ok(status)
    }

    /// RFC 7662, as a resource server would ask: is this token live?
    pub async fn introspect(&self, token: &str) -> anyhow::Result<serde_json::Value> {
        let url = self
            .introspection_endpoint
            .as_deref()
            .context("Charter advertises no introspection endpoint")?;
        let (status, body) = self.client_post(url, &[("token", token)]).await?;
        if status != 200 {
            bail!("introspection answered {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// RP-initiated logout: where to send the browser so Charter ends its own session too.
    pub fn logout_url(&self, id_token: &str, state: &str) -> Option<String> {
        let mut url = url::Url::parse(self.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", &self.post_logout_uri)
            .append_pair("client_id", &self.registration.client_id)
            .append_pair("state", state);
        Some(url.to_string())
    }
}

/// The header and claims of a JWT, decoded for display only (verification happened above, or is the
/// resource server's job for access tokens).
pub fn decode(jwt: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = jwt.split('.');
    let mut part = || -> Option<serde_json::Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()
    };
    let header = part()?;
    let claims = part()?;
    Some((header, claims))
}
