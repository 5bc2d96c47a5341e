//! Which addresses an outbound request may reach (the SSRF rule). Every address a host name resolves to is
//! classified; one forbidden address refuses the whole name, so a DNS answer mixing a public and an internal
//! address cannot be used to reach the internal one.
//!
//! Ranges: RFC 6890 (special-purpose registries), RFC 1918 (private), RFC 6598 (CGNAT), RFC 4193 (ULA),
//! RFC 3927 / RFC 4291 (link-local), RFC 5737 / RFC 3849 (documentation), RFC 6052 (NAT64), RFC 3056 (6to4).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::OutboundPolicy;

/// What an address is, as far as reaching it from the server is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// A globally routable address.
    Public,
    /// 127.0.0.0/8, ::1: allowed with `allow_loopback` (tests, development).
    Loopback,
    /// RFC 1918, CGNAT (100.64.0.0/10), IPv6 unique-local (fc00::/7): allowed with `allow_private`.
    Private,
    /// 169.254.0.0/16, fe80::/10: never (cloud metadata services live there).
    LinkLocal,
    /// Unspecified, multicast, broadcast, documentation, benchmarking, reserved and other special-purpose
    /// ranges: never.
    Reserved,
}

impl AddressClass {
    /// Classifies an address; IPv4 embedded in IPv6 (mapped, NAT64, 6to4) is classified as the IPv4 address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// Whether the policy lets a request reach an address of this class.
    pub fn allowed_by(self, policy: &OutboundPolicy) -> bool {
        match self {
            Self::Public => true,
            Self::Loopback => policy.allow_loopback,
            Self::Private => policy.allow_private,
            Self::LinkLocal | Self::Reserved => false,
        }
    }
}

/// Whether the policy lets a request reach `ip`.
pub fn allowed(ip: IpAddr, policy: &OutboundPolicy) -> bool {
    AddressClass::of(ip).allowed_by(policy)
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> (Ipv4Addr, u8) {
    (Ipv4Addr::new(a, b, c, d), len)
}

/// IPv4 ranges that are not public, with their class (most specific first where they nest).
const V4_RANGES: &[((Ipv4Addr, u8), AddressClass)] = &[
    (v4(127, 0, 0, 0, 8), AddressClass::Loopback),
    (v4(10, 0, 0, 0, 8), AddressClass::Private),
    (v4(172, 16, 0, 0, 12), AddressClass::Private),
    (v4(192, 168, 0, 0, 16), AddressClass::Private),
    (v4(100, 64, 0, 0, 10), AddressClass::Private),
    (v4(169, 254, 0, 0, 16), AddressClass::LinkLocal),
    // "This network": 0.0.0.0 reaches the local host on Linux.
    (v4(0, 0, 0, 0, 8), AddressClass::Reserved),
    (v4(192, 0, 0, 0, 24), AddressClass::Reserved),
    (v4(192, 0, 2, 0, 24), AddressClass::Reserved),
    (v4(198, 51, 100, 0, 24), AddressClass::Reserved),
    (v4(203, 0, 113, 0, 24), AddressClass::Reserved),
    (v4(198, 18, 0, 0, 15), AddressClass::Reserved),
    (v4(192, 88, 99, 0, 24), AddressClass::Reserved),
    // Multicast, then reserved (240/4, including broadcast).
    (v4(224, 0, 0, 0, 4), AddressClass::Reserved),
    (v4(240, 0, 0, 0, 4), AddressClass::Reserved),
];

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    V4_RANGES
        .iter()
        .find(|((net, len), _)| Ipv4Net::new(*net, *len).is_ok_and(|n| n.contains(&ip)))
        .map_or(AddressClass::Public, |(_, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip.is_unspecified() {
        return AddressClass::Reserved;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    if let Some(embedded) = embedded_v4(ip) {
        return classify_v4(embedded);
    }
    let in_net = |addr: [u16; 8], len: u8| {
        Ipv6Net::new(Ipv6Addr::from(addr), len).is_ok_and(|n| n.contains(&ip))
    };
    if in_net([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7) {
        return AddressClass::Private;
    }
    // NAT64 local-use prefix (RFC 8215): translates into the operator's own network.
    if in_net([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48) {
        return AddressClass::Private;
    }
    if in_net([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10) {
        return AddressClass::LinkLocal;
    }
    let reserved: [([u16; 8], u8); 7] = [
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),      // deprecated site-local
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),       // multicast
        ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32), // documentation
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),      // IETF protocol assignments, Teredo
        ([0x0100, 0, 0, 0, 0, 0, 0, 0], 64),      // discard-only
        ([0, 0, 0, 0, 0, 0, 0, 0], 96),           // IPv4-compatible (deprecated)
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),      // documentation (RFC 9637)
    ];
    if reserved.iter().any(|(addr, len)| in_net(*addr, *len)) {
        return AddressClass::Reserved;
    }
    // Only 2000::/3 is allocated as global unicast.
    if (ip.segments()[0] & 0xe000) != 0x2000 {
        return AddressClass::Reserved;
    }
    AddressClass::Public
}

/// The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), NAT64 well-known (64:ff9b::/96) or 6to4
/// (2002::/16) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let s = ip.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(from(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(from(s[1], s[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn policy(allow_loopback: bool, allow_private: bool) -> OutboundPolicy {
        OutboundPolicy {
            allow_loopback,
            allow_private,
            timeout: Duration::from_secs(5),
            max_body: 1024,
        }
    }

    #[test]
    fn classification_table() {
        use AddressClass::*;
        let cases: &[(&str, AddressClass)] = &[
            ("8.8.8.8", Public),
            ("93.184.216.34", Public),
            ("172.32.0.1", Public),
            ("100.128.0.1", Public),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("100.127.255.255", Private),
            ("169.254.169.254", LinkLocal),
            ("0.0.0.0", Reserved),
            ("0.1.2.3", Reserved),
            ("192.0.0.8", Reserved),
            ("192.0.2.1", Reserved),
            ("198.51.100.7", Reserved),
            ("203.0.113.9", Reserved),
            ("198.18.0.1", Reserved),
            ("224.0.0.1", Reserved),
            ("239.255.255.250", Reserved),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Reserved),
            ("2606:4700:4700::1111", Public),
            ("2a00:1450:4001:80b::200e", Public),
            ("::1", Loopback),
            ("::", Reserved),
            ("fc00::1", Private),
            ("fd12:3456:789a::1", Private),
            ("64:ff9b:1::1", Private),
            ("fe80::1", LinkLocal),
            ("fec0::1", Reserved),
            ("ff02::1", Reserved),
            ("2001:db8::1", Reserved),
            ("3fff::1", Reserved),
            ("2001::1", Reserved),
            ("100::1", Reserved),
            ("::127.0.0.1", Reserved),
            ("4000::1", Reserved),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:8.8.8.8", Public),
            ("64:ff9b::a00:1", Private),
            ("64:ff9b::808:808", Public),
            ("2002:7f00:1::1", Loopback),
            ("2002:a9fe:a9fe::1", LinkLocal),
            ("2002:808:808::1", Public),
        ];
        for (text, want) in cases {
            let ip: IpAddr = match text.parse() {
                Ok(ip) => ip,
                Err(e) => panic!("{text}: {e}"),
            };
            assert_eq!(AddressClass::of(ip), *want, "{text}");
        }
    }

    #[test]
    fn policy_decides_loopback_and_private_only() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let strict = policy(false, false);
        let open = policy(true, true);
        for s in ["8.8.8.8", "2606:4700:4700::1111"] {
            assert_eq!(ip(s).map(|i| allowed(i, &strict)), Some(true), "{s}");
        }
        for s in ["127.0.0.1", "::1", "10.0.0.1", "fd00::1", "100.64.0.1"] {
            assert_eq!(ip(s).map(|i| allowed(i, &strict)), Some(false), "{s}");
            assert_eq!(ip(s).map(|i| allowed(i, &open)), Some(true), "{s}");
        }
        assert_eq!(
            ip("127.0.0.1").map(|i| allowed(i, &policy(true, false))),
            Some(true)
        );
        assert_eq!(
            ip("10.0.0.1").map(|i| allowed(i, &policy(true, false))),
            Some(false)
        );
        assert_eq!(
            ip("127.0.0.1").map(|i| allowed(i, &policy(false, true))),
            Some(false)
        );
        for s in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "192.0.2.1",
        ] {
            assert_eq!(ip(s).map(|i| allowed(i, &open)), Some(false), "{s}");
        }
    }
}
