//! Which addresses the agent may connect to.
//!
//! A page on the internet can ask the agent to run a check, so a check must
//! never become a way to reach the user's LAN, the agent's own loopback, or
//! anything that is not a public host (the Smokescreen rule: check the
//! *resolved* address, then connect to exactly that address). Forms that
//! embed an IPv4 address in an IPv6 one (mapped, compatible, 6to4, Teredo)
//! are refused too, since they would smuggle a private IPv4 past the check.
//! The one exception is the well-known NAT64 prefix `64:ff9b::/96`: on a
//! NAT64-only line it is how every IPv4-only host is reached, so it is judged
//! by the IPv4 address it carries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public host, or `None` when it is.
pub fn forbidden_reason(ip: &IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

/// Whether the address is refused unless private addresses are allowed.
pub fn is_forbidden(ip: &IpAddr) -> bool {
    forbidden_reason(ip).is_some()
}

fn in_v4(ip: &Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(*ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn v4_reason(ip: &Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "\"this network\""),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: &Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(*ip) & mask) == (u128::from(Ipv6Addr::from(net)) & mask)
}

fn v6_reason(ip: &Ipv6Addr) -> Option<&'static str> {
    // The IANA IPv6 Special-Purpose Address Registry, and what is not
    // global unicast. First match wins, so specific ranges come before the
    // blocks that hold them.
    const RANGES: &[([u16; 8], u32, &str)] = &[
        ([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"),
        ([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
        ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped"),
        ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible"),
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use NAT64"),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo"),
        ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48, "benchmarking"),
        ([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, "ORCHID"),
        ([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2"),
        // The rest of it (PCP/TURN anycast, AMT, AS112, drone tags...):
        // protocol infrastructure, never a mail server.
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            "IETF protocol assignments",
        ),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
        ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local"),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
    ];
    if let Some((_, _, why)) = RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
    {
        return Some(why);
    }
    // NAT64 (RFC 6052): the gateway connects to the IPv4 address in the last
    // 32 bits, so that address is what must be public.
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        let [.., hi, lo] = ip.segments();
        let embedded = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return v4_reason(&embedded).map(|_| "NAT64 of a non-public IPv4 address");
    }
    // Only 2000::/3 is allocated as global unicast; the rest is reserved.
    if !in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return Some("reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, bool)] = &[
            ("8.8.8.8", false),
            ("142.250.0.27", false),
            ("127.0.0.1", true),
            ("127.255.255.254", true),
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("100.64.0.1", true),
            ("100.127.255.255", true),
            ("100.128.0.1", false),
            ("169.254.169.254", true),
            ("0.0.0.0", true),
            ("224.0.0.1", true),
            ("255.255.255.255", true),
            ("192.0.2.7", true),
            ("2a00:1450:4001::1b", false),
            ("2001:4860:4860::8888", false),
            ("::1", true),
            ("::", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:8.8.8.8", true),
            // NAT64: judged by the IPv4 address inside.
            ("64:ff9b::a00:1", true),
            ("64:ff9b::7f00:1", true),
            ("64:ff9b::c0a8:101", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::c000:207", true),
            ("64:ff9b::808:808", false),
            ("64:ff9b::8efa:1b", false),
            // Not the /96: the rest of 64:ff9b::/32 is not NAT64 of anything.
            ("64:ff9b:0:1::808:808", true),
            ("64:ff9b:1::808:808", true),
            ("64:ff9b:1:ffff::1", true),
            ("2002:a00:1::", true),
            ("2001:0:4136:e378::1", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("ff02::1", true),
            ("2001:db8::1", true),
            ("4000::1", true),
            // RFC 9637 documentation, and the edges of its /20.
            ("3fff::1", true),
            ("3fff:fff:ffff::1", true),
            ("3fff:1000::1", false),
            ("3ffe:ffff::1", false),
            // 2001::/23, IETF protocol assignments, and the ranges in it.
            ("2001:2::1", true),
            ("2001:2:0:ffff::1", true),
            ("2001:10::1", true),
            ("2001:1f:ffff::1", true),
            ("2001:20::1", true),
            ("2001:2f:ffff::1", true),
            ("2001:1::1", true),
            ("2001:3::1", true),
            ("2001:4:112::1", true),
            ("2001:30::1", true),
            ("2001:1ff:ffff::1", true),
            ("2001:200::1", false),
            ("2001:67c:2e8::25", false),
        ];
        for (ip, forbidden) in cases {
            let ip: IpAddr = ip.parse().expect("test address");
            assert_eq!(is_forbidden(&ip), *forbidden, "{ip}");
        }
    }
}
