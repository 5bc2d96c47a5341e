//! Behind a proxy: which client address and scheme to believe.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the TCP peer is a configured trusted proxy;
//! anyone else could send them to dodge throttling or forge audit entries. With a chain of proxies the client is
//! the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;

use ipnet::IpNet;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is neither an IP address nor a CIDR range")]
pub struct InvalidProxy(pub String);

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidProxy> {
        entries
            .iter()
            .map(|e| {
                let e = e.as_ref().trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| InvalidProxy(e.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a request says about its origin once proxies are accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub client_ip: IpAddr,
    pub https: bool,
}

/// The headers a request carried, as strings; several headers of one name are joined with `,` by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForwardingHeaders<'a> {
    pub forwarded_for: Option<&'a str>,
    pub forwarded_proto: Option<&'a str>,
}

/// Decides the client address and scheme of a request that arrived from `peer` over `connection_https`.
pub fn resolve_origin(
    peer: IpAddr,
    connection_https: bool,
    headers: ForwardingHeaders<'_>,
    trusted: &TrustedProxies,
) -> Origin {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return Origin {
            client_ip: peer,
            https: connection_https,
        };
    }
    let hops: Vec<IpAddr> = headers
        .forwarded_for
        .unwrap_or("")
        .split(',')
        .filter_map(|h| parse_hop(h.trim()))
        .map(canonical)
        .collect();
    let client_ip = hops
        .iter()
        .rev()
        .find(|ip| !trusted.contains(**ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer);
    let https = match headers
        .forwarded_proto
        .and_then(|p| p.split(',').next())
        .map(|p| p.trim().to_ascii_lowercase())
    {
        Some(p) if p == "https" => true,
        Some(p) if p == "http" => false,
        _ => connection_https,
    };
    Origin { client_ip, https }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_hop(h: &str) -> Option<IpAddr> {
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = h.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    h.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are IPv4 addresses.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_rules() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "::1"]).unwrap();
        // (peer, XFF, XFP, expected client, expected https)
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, bool);
        let cases: &[Case<'_>] = &[
            // An untrusted peer's headers are ignored.
            (
                "203.0.113.9",
                Some("1.1.1.1"),
                Some("https"),
                "203.0.113.9",
                false,
            ),
            // A trusted proxy is believed.
            (
                "10.0.0.2",
                Some("198.51.100.7"),
                Some("https"),
                "198.51.100.7",
                true,
            ),
            // Chains: the right-most untrusted hop, not a spoofed left-most one.
            (
                "10.0.0.2",
                Some("6.6.6.6, 198.51.100.7, 10.0.0.5"),
                None,
                "198.51.100.7",
                false,
            ),
            // Only trusted hops: the left-most.
            (
                "10.0.0.2",
                Some("10.1.1.1, 10.0.0.5"),
                None,
                "10.1.1.1",
                false,
            ),
            // No header from a trusted proxy: the proxy itself.
            ("10.0.0.2", None, None, "10.0.0.2", false),
            // Garbage hops are skipped; ports and brackets are understood.
            (
                "::1",
                Some("junk, [2001:db8::1]:443"),
                Some("HTTPS, http"),
                "2001:db8::1",
                true,
            ),
            (
                "10.0.0.2",
                Some("198.51.100.7:5555"),
                Some("gopher"),
                "198.51.100.7",
                false,
            ),
            // IPv4-mapped peer counts as IPv4.
            (
                "::ffff:10.0.0.2",
                Some("198.51.100.7"),
                None,
                "198.51.100.7",
                false,
            ),
        ];
        for (peer, xff, xfp, client, https) in cases {
            let got = resolve_origin(
                ip(peer),
                false,
                ForwardingHeaders {
                    forwarded_for: *xff,
                    forwarded_proto: *xfp,
                },
                &trusted,
            );
            assert_eq!(got.client_ip, ip(client), "{peer} {xff:?}");
            assert_eq!(got.https, *https, "{peer} {xfp:?}");
        }
    }

    #[test]
    fn no_trusted_proxies_means_the_peer() {
        let got = resolve_origin(
            ip("10.0.0.2"),
            true,
            ForwardingHeaders {
                forwarded_for: Some("1.2.3.4"),
                forwarded_proto: Some("http"),
            },
            &TrustedProxies::default(),
        );
        assert_eq!(
            got,
            Origin {
                client_ip: ip("10.0.0.2"),
                https: true
            }
        );
    }

    #[test]
    fn parsing() {
        assert!(TrustedProxies::parse(&["10.0.0.1", "fd00::/8", " 192.168.0.0/16 "]).is_ok());
        assert_eq!(
            TrustedProxies::parse(&["nope"]),
            Err(InvalidProxy("nope".into()))
        );
    }
}
