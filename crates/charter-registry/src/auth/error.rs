//! Client authentication errors: RFC 6749 §5.2 codes on the wire (`invalid_request`, `invalid_client`), the
//! detailed reason for the log line, and whether the answer is a 401 with a Basic challenge.

use charter_core::client::AuthMethod;
use thiserror::Error;

use super::BASIC_CHALLENGE;
use super::assertion::AssertionFailure;

/// Why client authentication failed, in detail for logs. The wire shows [`ClientAuthError::as_str`] and
/// [`ClientAuthError::description`], which do not tell an unknown client from a wrong secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AuthFailure {
    // invalid_request: the request itself is malformed.
    #[error("more than one client authentication method in one request")]
    MultipleMethods,
    #[error("the body's client_id differs from the one in the Authorization header")]
    ClientIdMismatch,
    #[error("client_secret without client_id")]
    SecretWithoutClientId,
    #[error("client_assertion_type without client_assertion")]
    AssertionTypeWithoutAssertion,
    #[error("client_assertion without client_assertion_type")]
    AssertionWithoutType,
    // invalid_client: the client did not prove who it is.
    #[error("no client authentication")]
    NoCredentials,
    #[error("malformed Basic credentials")]
    MalformedBasic,
    #[error("an Authorization scheme other than Basic")]
    UnsupportedScheme,
    #[error("an unsupported client_assertion_type")]
    UnsupportedAssertionType,
    #[error("unknown client")]
    UnknownClient,
    #[error("the client is registered for {registered}, it used {used}")]
    MethodMismatch {
        registered: AuthMethod,
        used: AuthMethod,
    },
    #[error("wrong client secret")]
    WrongSecret,
    /// A caller error: assertions are checked by `authenticate_assertion`, with the client's keys.
    #[error("a client assertion was passed to authenticate, which checks secrets")]
    AssertionNeedsKeys,
    #[error("client assertion: {0}")]
    Assertion(AssertionFailure),
}

/// A client authentication failure, as RFC 6749 §5.2 answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("{}: {failure}", self.as_str())]
pub struct ClientAuthError {
    failure: AuthFailure,
    tried_basic: bool,
}

impl ClientAuthError {
    pub fn new(failure: AuthFailure, tried_basic: bool) -> Self {
        Self {
            failure,
            tried_basic,
        }
    }

    /// The RFC 6749 §5.2 error code: `invalid_request` or `invalid_client`.
    pub fn as_str(&self) -> &'static str {
        use AuthFailure::*;
        match self.failure {
            MultipleMethods
            | ClientIdMismatch
            | SecretWithoutClientId
            | AssertionTypeWithoutAssertion
            | AssertionWithoutType => "invalid_request",
            NoCredentials
            | MalformedBasic
            | UnsupportedScheme
            | UnsupportedAssertionType
            | UnknownClient
            | MethodMismatch { .. }
            | WrongSecret
            | AssertionNeedsKeys
            | Assertion(_) => "invalid_client",
        }
    }

    /// The `error_description`. The same for every failure that would tell an attacker something.
    pub fn description(&self) -> &'static str {
        use AuthFailure::*;
        match self.failure {
            MultipleMethods => "use exactly one client authentication method",
            ClientIdMismatch => "client_id does not match the Authorization header",
            SecretWithoutClientId => "client_secret requires client_id",
            AssertionTypeWithoutAssertion => "client_assertion_type requires client_assertion",
            AssertionWithoutType => "client_assertion requires client_assertion_type",
            NoCredentials => "client authentication is required",
            MalformedBasic => "malformed Basic credentials",
            UnsupportedScheme => "only the Basic authentication scheme is supported",
            UnsupportedAssertionType => {
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            }
            UnknownClient | MethodMismatch { .. } | WrongSecret | AssertionNeedsKeys => {
                "client authentication failed"
            }
            Assertion(f) => f.description(),
        }
    }

    /// The detailed reason, for the log line.
    pub fn failure(&self) -> AuthFailure {
        self.failure
    }

    /// Did the client send an `Authorization` header?
    pub fn tried_basic(&self) -> bool {
        self.tried_basic
    }

    /// The `WWW-Authenticate` value to send with a 401: for `invalid_client` after the client tried HTTP
    /// authentication (RFC 6749 §5.2, SPEC-CHECKLIST A26).
    pub fn www_authenticate(&self) -> Option<&'static str> {
        (self.tried_basic && self.as_str() == "invalid_client").then_some(BASIC_CHALLENGE)
    }
}
