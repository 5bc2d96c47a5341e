//! `private_key_jwt` around the fetch of the client's keys (RFC 7523 §2.2, OpenID Connect Core §9): the client
//! an assertion names and whether it may use one ([`assertion_client`]), where its keys are ([`key_source`]),
//! and the check of the assertion with them ([`authenticate_assertion`]; the rules are in [`super::assertion`]).

use charter_core::client::{AuthMethod, Client, ClientRecord};

use super::assertion::{self, AssertionExpectation, AssertionFailure, VerifiedAssertion};
use super::jwks::ClientJwks;
use super::{AuthFailure, AuthenticatedClient, ClientAuthError, PresentedCredentials};

/// For `private_key_jwt`, the first step: the stored client an assertion names (`None`: no such client), which
/// must be registered for `private_key_jwt`. Its keys are then found (inline `jwks`, or its `jwks_uri` through
/// a [`super::ClientKeyCache`]) and [`authenticate_assertion`] checks the assertion with them.
pub fn assertion_client<'r>(
    presented: &PresentedCredentials,
    record: Option<&'r ClientRecord>,
) -> Result<&'r ClientRecord, ClientAuthError> {
    let fail = |failure| ClientAuthError::new(failure, false);
    if !matches!(presented, PresentedCredentials::Assertion { .. }) {
        return Err(fail(AuthFailure::MethodMismatch {
            registered: AuthMethod::PrivateKeyJwt,
            used: presented.method(),
        }));
    }
    let record = record
        .filter(|r| presented.client_id().is_some_and(|id| id == r.client.id))
        .ok_or(fail(AuthFailure::UnknownClient))?;
    let registered = record.client.metadata.token_endpoint_auth_method;
    if registered != AuthMethod::PrivateKeyJwt {
        return Err(fail(AuthFailure::MethodMismatch {
            registered,
            used: AuthMethod::PrivateKeyJwt,
        }));
    }
    Ok(record)
}

/// Where a `private_key_jwt` client's keys are (OpenID Connect Registration §2: one or the other).
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'r> {
    Inline(&'r serde_json::Value),
    Uri(&'r url::Url),
}

/// The client's registered key source; `None` when it has neither (registration prevents that).
pub fn key_source(client: &Client) -> Option<KeySource<'_>> {
    match (&client.metadata.jwks, &client.metadata.jwks_uri) {
        (Some(jwks), _) => Some(KeySource::Inline(jwks)),
        (None, Some(uri)) => Some(KeySource::Uri(uri)),
        (None, None) => None,
    }
}

/// For `private_key_jwt`, the second step: the assertion's signature by one of `keys` and its claims
/// ([`super::assertion`]). On success, the authenticated client and the `jti` the caller must remember (a replay
/// is the caller's check, against its store).
pub fn authenticate_assertion<'r>(
    presented: &PresentedCredentials,
    record: &'r ClientRecord,
    keys: &ClientJwks,
    expect: &AssertionExpectation<'_>,
) -> Result<(AuthenticatedClient<'r>, VerifiedAssertion), ClientAuthError> {
    let record = assertion_client(presented, Some(record))?;
    let fail = |f| ClientAuthError::new(AuthFailure::Assertion(f), false);
    let PresentedCredentials::Assertion { assertion, .. } = presented else {
        return Err(ClientAuthError::new(AuthFailure::NoCredentials, false));
    };
    if *expect.client_id != record.client.id {
        return Err(fail(AssertionFailure::WrongSubject));
    }
    let header = assertion::read_header(assertion).map_err(fail)?;
    let verified = assertion::verify_assertion(assertion, &header, keys, expect).map_err(fail)?;
    Ok((
        AuthenticatedClient {
            client: &record.client,
            method: AuthMethod::PrivateKeyJwt,
            secret: None,
        },
        verified,
    ))
}

#[cfg(test)]
mod tests;
