//! The client's address and scheme, for throttling, audit and https detection. Forwarding headers count only
//! when the TCP peer is a trusted proxy; the rule itself is `charter_core::net::resolve_origin`.

use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv4Addr};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest, web};
use charter_core::net::{ForwardingHeaders, Origin, resolve_origin};

use crate::state::AppState;

/// Extractor: the request's [`Origin`] after trusted-proxy rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOrigin(pub Origin);

fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

impl ClientOrigin {
    pub fn of(req: &HttpRequest) -> Self {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let https = req.connection_info().scheme() == "https" && req.app_config().secure();
        let forwarded_for = joined(req.headers(), "x-forwarded-for");
        let forwarded_proto = joined(req.headers(), "x-forwarded-proto");
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.trusted_proxies.clone());
        let origin = match trusted {
            Some(trusted) => resolve_origin(
                peer,
                https,
                ForwardingHeaders {
                    forwarded_for: forwarded_for.as_deref(),
                    forwarded_proto: forwarded_proto.as_deref(),
                },
                &trusted,
            ),
            None => Origin {
                client_ip: peer,
                https,
            },
        };
        Self(origin)
    }
}

impl FromRequest for ClientOrigin {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}
