//! Resolve, check, then connect: the DNS resolver given to the HTTP client. It resolves the name once and
//! hands the connector only addresses the policy allows, so the connection goes to a checked address and
//! there is no second resolution a rebinding DNS server could answer differently.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::OutboundPolicy;
use crate::address::allowed;

/// The resolver's refusal; found again in the request error's source chain.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to an address outbound requests may not reach")]
pub struct Forbidden {
    pub host: String,
}

#[derive(Debug, Clone)]
pub struct CheckingResolver {
    pub policy: OutboundPolicy,
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses");
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            if addrs.iter().any(|a| !allowed(a.ip(), &policy)) {
                tracing::info!(%host, ?addrs, "outbound request refused: forbidden address");
                return Err(
                    Box::new(Forbidden { host }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
