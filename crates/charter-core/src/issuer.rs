//! The issuer identifier (RFC 8414 §2, OpenID Connect Discovery §3): the exact string relying parties compare
//! `iss` against, and the base of every endpoint URL.

use std::fmt;

use thiserror::Error;
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidIssuer {
    #[error("{0:?} is not an absolute URL")]
    NotUrl(String),
    #[error("must not have a query or fragment")]
    QueryOrFragment,
    #[error("must not contain credentials")]
    Credentials,
    #[error(
        "plain http is only accepted for loopback hosts; use https (or set allow_insecure_issuer = true)"
    )]
    InsecureHttp,
    #[error("scheme {0:?} is not https")]
    Scheme(String),
}

/// A validated issuer. Kept as configured, byte for byte: `https://id.example` stays without a trailing slash.
#[derive(Clone, PartialEq, Eq)]
pub struct Issuer {
    raw: String,
    url: Url,
}

/// Loopback hosts may use plain http (local development).
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

impl Issuer {
    pub fn parse(value: &str, allow_insecure_http: bool) -> Result<Self, InvalidIssuer> {
        let url = Url::parse(value).map_err(|_| InvalidIssuer::NotUrl(value.to_owned()))?;
        if url.query().is_some() || url.fragment().is_some() || value.contains(['?', '#']) {
            return Err(InvalidIssuer::QueryOrFragment);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidIssuer::Credentials);
        }
        match url.scheme() {
            "https" => {}
            "http" if allow_insecure_http || url.host().as_ref().is_some_and(is_loopback) => {}
            "http" => return Err(InvalidIssuer::InsecureHttp),
            other => return Err(InvalidIssuer::Scheme(other.to_owned())),
        }
        Ok(Self {
            raw: value.to_owned(),
            url,
        })
    }

    /// The identifier exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Plain http (only ever on loopback, or explicitly allowed): cookies then drop `Secure` and `__Host-`.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The URL of an endpoint below the issuer: `https://id.example/base` + `/token`.
    pub fn endpoint(&self, path: &str) -> String {
        let base = self.raw.trim_end_matches('/');
        let path = path.trim_start_matches('/');
        let mut s = String::with_capacity(base.len() + path.len() + 1);
        s.push_str(base);
        s.push('/');
        s.push_str(path);
        s
    }

    /// `scheme://host[:port]`, for comparing `Origin` headers.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({:?})", self.raw)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_rules() {
        let cases: &[(&str, bool, bool)] = &[
            ("https://id.example", false, true),
            ("https://id.example/tenant", false, true),
            ("http://127.0.0.1:8080", false, true),
            ("http://[::1]:8080", false, true),
            ("http://localhost:8080", false, true),
            ("http://id.example", false, false),
            ("http://id.example", true, true),
            ("https://id.example?x=1", false, false),
            ("https://id.example#x", false, false),
            ("https://u:p@id.example", false, false),
            ("ftp://id.example", false, false),
            ("id.example", false, false),
        ];
        for (value, insecure, ok) in cases {
            assert_eq!(Issuer::parse(value, *insecure).is_ok(), *ok, "{value}");
        }
    }

    #[test]
    fn kept_exactly_and_endpoints_join() {
        let i = Issuer::parse("https://id.example", false).unwrap();
        assert_eq!(i.as_str(), "https://id.example");
        assert_eq!(i.endpoint("/token"), "https://id.example/token");
        let i = Issuer::parse("https://id.example/t/", false).unwrap();
        assert_eq!(i.as_str(), "https://id.example/t/");
        assert_eq!(
            i.endpoint("/.well-known/openid-configuration"),
            "https://id.example/t/.well-known/openid-configuration"
        );
        assert_eq!(i.origin(), "https://id.example");
        assert!(i.is_https());
    }
}
