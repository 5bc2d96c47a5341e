//! The one client-authentication step of every endpoint that authenticates clients (token, introspection,
//! revocation): RFC 6749 §2.3, OpenID Connect Core §9, RFC 7523 §2.2 (`private_key_jwt`). The rules are
//! `charter_registry::auth`; this module reads them off the request, gets a `private_key_jwt` client's keys
//! (inline, or its `jwks_uri` through the outbound client and [`ClientKeyCache`]), refuses a replayed
//! assertion through the store, and answers failures as RFC 6749 §5.2 JSON (401 with a Basic challenge when
//! Basic was tried).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use async_trait::async_trait;
use charter_core::client::ClientRecord;
use charter_core::token::TokenError;
use charter_outbound::Outbound;
use charter_registry::auth::assertion::{AssertionExpectation, AssertionFailure, read_header};
use charter_registry::auth::{
    AuthFailure, ClientAuthError, ClientJwks, ClientKeyCache, CredentialFields, FetchedJwks,
    JwksFetcher, KeyCachePolicy, KeySource, PresentedCredentials, assertion_client, authenticate,
    authenticate_assertion, key_source,
};

use crate::error::ApiError;
use crate::state::AppState;
use crate::token::token_error;

/// The first non-empty value of a form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A form body (`application/x-www-form-urlencoded`) as pairs, or the error response when the request is not
/// one, or carries client credentials in the URL (they leak into logs and histories, RFC 6749 §2.3.1).
pub fn form_params(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Vec<(String, String)>, Box<HttpResponse>> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(Box::new(token_error(
            &TokenError::invalid_request("the body must be application/x-www-form-urlencoded"),
            None,
        )));
    }
    let query = req.uri().query().unwrap_or("");
    if url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| k == "client_secret" || k == "client_assertion")
    {
        return Err(Box::new(token_error(
            &TokenError::invalid_request("client credentials are not accepted in the query"),
            None,
        )));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

/// A client-authentication failure as a token error.
fn as_token_error(code: &str, description: &str) -> TokenError {
    if code == "invalid_request" {
        TokenError::invalid_request(description)
    } else {
        TokenError::invalid_client(description)
    }
}

/// Authenticates the calling client. `Ok(Err(response))` is a refusal to send as is.
pub async fn authenticate_client(
    req: &HttpRequest,
    state: &AppState,
    params: &[(String, String)],
) -> Result<Result<Arc<ClientRecord>, HttpResponse>, ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let fields = CredentialFields {
        client_id: param(params, "client_id"),
        client_secret: param(params, "client_secret"),
        client_assertion_type: param(params, "client_assertion_type"),
        client_assertion: param(params, "client_assertion"),
    };
    let presented = match PresentedCredentials::extract(authorization, fields) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Err(token_error(
                &as_token_error(e.as_str(), e.description()),
                e.www_authenticate(),
            )));
        }
    };
    let record = match presented.client_id() {
        Some(id) => state.clients.get(&id).await?,
        None => None,
    };
    if let PresentedCredentials::Assertion { assertion, .. } = &presented {
        return within_limit(
            req,
            by_assertion(state, &presented, assertion, record).await,
        );
    }
    let now = state.clock.now();
    match authenticate(&presented, record.as_deref(), &state.secret_hasher, now) {
        Ok(_) => match record {
            Some(r) => within_limit(req, Ok(Ok(r))),
            None => Err(ApiError::Internal(
                "an authenticated client without its record".into(),
            )),
        },
        Err(e) => {
            tracing::info!(failure = ?e.failure(), "client authentication failed");
            Ok(Err(token_error(
                &as_token_error(e.as_str(), e.description()),
                e.www_authenticate(),
            )))
        }
    }
}

/// An authenticated client over its rate limit ([`crate::limits`]) is refused with 429.
fn within_limit(
    req: &HttpRequest,
    outcome: Result<Result<Arc<ClientRecord>, HttpResponse>, ApiError>,
) -> Result<Result<Arc<ClientRecord>, HttpResponse>, ApiError> {
    match outcome {
        Ok(Ok(client)) => match crate::limits::check_client(req, client.client.id.as_ref()) {
            Some(refusal) => Ok(Err(refusal)),
            None => Ok(Ok(client)),
        },
        other => other,
    }
}

/// `private_key_jwt`: the client's keys, the assertion's signature and claims, then its `jti` remembered
/// (a second use is a replay).
async fn by_assertion(
    state: &AppState,
    presented: &PresentedCredentials,
    assertion: &str,
    record: Option<Arc<ClientRecord>>,
) -> Result<Result<Arc<ClientRecord>, HttpResponse>, ApiError> {
    let refuse = |e: ClientAuthError| {
        tracing::info!(failure = ?e.failure(), "client authentication failed");
        Ok(Err(token_error(
            &as_token_error(e.as_str(), e.description()),
            None,
        )))
    };
    let assertion_failure = |f| ClientAuthError::new(AuthFailure::Assertion(f), false);
    let client = match assertion_client(presented, record.as_deref()) {
        Ok(client) => client,
        Err(e) => return refuse(e),
    };
    let now = state.clock.now();
    let keys = match key_source(&client.client) {
        Some(KeySource::Inline(jwks)) => Arc::new(ClientJwks::parse(jwks).unwrap_or_default()),
        Some(KeySource::Uri(uri)) => {
            // The kid decides whether cached keys will do; the header is checked again with the signature.
            let kid = read_header(assertion).ok().and_then(|h| h.kid);
            match state
                .client_keys
                .keys(&client.client.id, uri, kid.as_deref(), now)
                .await
            {
                Ok(keys) => keys,
                Err(e) => {
                    tracing::warn!(client_id = %client.client.id.as_ref(), error = %e, "client keys unavailable");
                    return refuse(assertion_failure(AssertionFailure::KeysUnavailable));
                }
            }
        }
        None => Arc::new(ClientJwks::default()),
    };
    let expect = AssertionExpectation {
        client_id: &client.client.id,
        issuer: state.issuer.as_str(),
        now,
        skew: state.tokens.clock_skew,
    };
    let verified = match authenticate_assertion(presented, client, &keys, &expect) {
        Ok((_, verified)) => verified,
        Err(e) => return refuse(e),
    };
    let first_use = state
        .store
        .remember_assertion(&client.client.id, &verified.jti, verified.remember_until)
        .await?;
    if !first_use {
        return refuse(assertion_failure(AssertionFailure::Replayed));
    }
    match record {
        Some(r) => Ok(Ok(r)),
        None => Err(ApiError::Internal(
            "an authenticated client without its record".into(),
        )),
    }
}

/// The cache of `jwks_uri` keys, fetching through the outbound client (https only, public addresses, no
/// redirects, bounded time and size).
pub fn client_key_cache(outbound: &Outbound) -> Arc<ClientKeyCache> {
    Arc::new(ClientKeyCache::new(
        Arc::new(OutboundJwks(outbound.clone())),
        KeyCachePolicy::default(),
    ))
}

/// A client's `jwks_uri` through [`Outbound`]: only a 200 answer is a key set.
#[derive(Debug)]
struct OutboundJwks(Outbound);

#[async_trait]
impl JwksFetcher for OutboundJwks {
    async fn fetch(&self, uri: &url::Url) -> Result<FetchedJwks, String> {
        let fetched = self.0.get(uri).await.map_err(|e| e.to_string())?;
        if fetched.status != 200 {
            return Err(format!("the jwks_uri answered {}", fetched.status));
        }
        Ok(FetchedJwks {
            body: fetched.body,
            max_age: fetched.max_age,
        })
    }
}
