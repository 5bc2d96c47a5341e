//! Why an outbound request failed: policy refusals (never worth retrying) and transport failures (worth
//! retrying later).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OutboundError {
    /// Not https (http is allowed only to a loopback host, and only with `allow_loopback`), or no host.
    #[error("only https URLs are fetched (http only to a loopback host, when allowed)")]
    Scheme,
    /// The host is, or resolves to, an address the policy forbids.
    #[error("the host is or resolves to an address outbound requests may not reach")]
    ForbiddenAddress,
    /// No complete answer within the time limit.
    #[error("no complete answer within the time limit")]
    Timeout,
    /// The body is larger than the limit.
    #[error("the answer is larger than the limit")]
    TooLarge,
    /// A 3xx answer: redirects are not followed.
    #[error("the answer is a redirect, which is not followed")]
    Redirect,
    /// Resolution, connection, TLS or protocol failure.
    #[error("outbound request failed")]
    Network(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The HTTP client could not be built (TLS set-up, trust store).
    #[error("the outbound HTTP client cannot be built: {0}")]
    Setup(String),
}

impl OutboundError {
    /// Whether trying again later may succeed: timeouts and network failures yes, policy refusals no.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout | Self::Network(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transport_failures_are_retryable() {
        assert!(OutboundError::Timeout.is_retryable());
        assert!(OutboundError::Network("reset".into()).is_retryable());
        for refusal in [
            OutboundError::Scheme,
            OutboundError::ForbiddenAddress,
            OutboundError::TooLarge,
            OutboundError::Redirect,
            OutboundError::Setup("x".into()),
        ] {
            assert!(!refusal.is_retryable(), "{refusal:?}");
        }
    }
}
