//! The one outbound HTTP client: every request Charter makes to the outside (a client's `jwks_uri`,
//! back-channel logout) goes through [`Outbound`], so the rules against server-side request forgery live in
//! one place:
//!
//! - **https only**; plain http only to a loopback host (`127.0.0.0/8`, `::1`, `localhost`) and only when
//!   [`OutboundPolicy::allow_loopback`] is set (tests, development).
//! - **Resolve, check, connect.** The host name is resolved once and every address is classified
//!   ([`address::AddressClass`]); one address in a forbidden range refuses the request, and the connection
//!   goes to the checked addresses (no second resolution). Loopback and private ranges (RFC 1918, CGNAT,
//!   unique-local) are allowed only by configuration; link-local (cloud metadata services), unspecified,
//!   multicast, documentation and reserved ranges never. IP literals are checked the same way.
//! - **No redirects**: a 3xx is [`OutboundError::Redirect`] (a redirect could point anywhere).
//! - **Bounded**: the whole exchange, body included, within [`OutboundPolicy::timeout`]; at most
//!   [`OutboundPolicy::max_body`] bytes of body. No system proxy.
//! - TLS is rustls on ring, with the platform's trust store.
//!
//! ```no_run
//! # async fn demo() -> Result<(), charter_outbound::OutboundError> {
//! use charter_outbound::{Outbound, OutboundPolicy};
//! let outbound = Outbound::new(OutboundPolicy::default())?;
//! let url = url::Url::parse("https://rp.example/jwks.json").map_err(|_| charter_outbound::OutboundError::Scheme)?;
//! let fetched = outbound.get(&url).await?;
//! assert!(fetched.body.len() <= 65536);
//! # Ok(()) }
//! ```

pub mod address;
mod cache_control;
mod error;
mod resolve;
#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header;
use url::{Host, Url};

pub use error::OutboundError;

use crate::address::allowed;
use crate::resolve::{CheckingResolver, Forbidden};

/// What outbound requests may do (configuration section `[outbound]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Plain http to, and addresses in, 127.0.0.0/8 and ::1 (tests, development).
    pub allow_loopback: bool,
    /// Addresses in RFC 1918, CGNAT (100.64.0.0/10) and unique-local (fc00::/7) ranges.
    pub allow_private: bool,
    /// The whole exchange: resolution, connection, TLS, request and body.
    pub timeout: Duration,
    /// The largest body read, bytes; a larger one is [`OutboundError::TooLarge`].
    pub max_body: usize,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            allow_private: false,
            timeout: Duration::from_secs(5),
            max_body: 64 * 1024,
        }
    }
}

/// An answer: status, the whole body, and how long it may be cached (`Cache-Control: max-age`; zero for
/// `no-store`/`no-cache`; `None` when the answer does not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    pub max_age: Option<Duration>,
}

/// The outbound HTTP client. Cheap to clone (one connection pool shared behind an `Arc`).
#[derive(Debug, Clone)]
pub struct Outbound {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    policy: OutboundPolicy,
}

impl Outbound {
    /// Builds the client; fails only when TLS cannot be set up (for example no usable trust store).
    pub fn new(policy: OutboundPolicy) -> Result<Self, OutboundError> {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| OutboundError::Setup(e.to_string()))?
            .with_platform_verifier()
            .map_err(|e| OutboundError::Setup(e.to_string()))?
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .dns_resolver(Arc::new(CheckingResolver {
                policy: policy.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .user_agent(concat!("Charter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OutboundError::Setup(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner { client, policy }),
        })
    }

    /// The policy this client enforces.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.inner.policy
    }

    /// `GET url`.
    pub async fn get(&self, url: &Url) -> Result<Fetched, OutboundError> {
        self.check_url(url)?;
        self.send(self.inner.client.get(url.clone())).await
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body.
    pub async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<Fetched, OutboundError> {
        self.check_url(url)?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .inner
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// The checks that need no resolution: scheme, and the address when the host is an IP literal (the
    /// connector does not ask the resolver for those).
    fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        let policy = &self.inner.policy;
        let host = url.host().ok_or(OutboundError::Scheme)?;
        let literal = match host {
            Host::Ipv4(a) => Some(IpAddr::V4(a)),
            Host::Ipv6(a) => Some(IpAddr::V6(a)),
            Host::Domain(_) => None,
        };
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_loopback && is_loopback_host(&host) => {}
            _ => return Err(OutboundError::Scheme),
        }
        if literal.is_some_and(|ip| !allowed(ip, policy)) {
            tracing::info!(%url, "outbound request refused: forbidden address");
            return Err(OutboundError::ForbiddenAddress);
        }
        Ok(())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Fetched, OutboundError> {
        let max_body = self.inner.policy.max_body;
        tokio::time::timeout(self.inner.policy.timeout, exchange(request, max_body))
            .await
            .unwrap_or(Err(OutboundError::Timeout))
    }
}

async fn exchange(
    request: reqwest::RequestBuilder,
    max_body: usize,
) -> Result<Fetched, OutboundError> {
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    if status.is_redirection() {
        return Err(OutboundError::Redirect);
    }
    let max_age = cache_control::max_age(response.headers());
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(max_body).unwrap_or(u64::MAX))
    {
        return Err(OutboundError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len().saturating_add(chunk.len()) > max_body {
            return Err(OutboundError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status: status.as_u16(),
        body,
        max_age,
    })
}

/// A loopback host: an IP literal in a loopback range, or `localhost` (RFC 6761 §6.3).
fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(a) => a.is_loopback(),
        Host::Ipv6(a) => a.is_loopback(),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    }
}

/// A client error as Charter's: the resolver's refusal is found in the source chain.
fn transport(e: reqwest::Error) -> OutboundError {
    if e.is_timeout() {
        return OutboundError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if s.is::<Forbidden>() {
            return OutboundError::ForbiddenAddress;
        }
        source = s.source();
    }
    OutboundError::Network(Box::new(e))
}
