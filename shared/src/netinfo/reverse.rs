//! Addresses written backwards, as DNSBLs, Cymru and reverse DNS name them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IPv4 octets reversed, as DNSBLs and Cymru want them: `73.1.2.3` →
/// `3.2.1.73`.
pub fn reverse_ipv4(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
}

/// The 32 nibbles of an IPv6 address, reversed and dot-separated, as in
/// `ip6.arpa` and `origin6.asn.cymru.com`.
pub fn reverse_ipv6_nibbles(ip: Ipv6Addr) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(32);
    for byte in ip.octets().iter().rev() {
        parts.push(format!("{:x}", byte & 0x0f));
        parts.push(format!("{:x}", byte >> 4));
    }
    parts.join(".")
}

/// The reversed form of any address.
pub fn reverse_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => reverse_ipv4(v4),
        IpAddr::V6(v6) => reverse_ipv6_nibbles(v6),
    }
}
