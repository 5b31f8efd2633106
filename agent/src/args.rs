//! The pieces of the command line that several subcommands share: exit
//! codes, the network-facts flags, and the value parsers. A leaf module:
//! `cli` (which dispatches), `serve`, `reflect::cmd` and `relay` all import
//! it, and it imports none of them, so the commands form no cycle.

use crate::netinfo::{DnsblZone, MyIpMethod, MyIpServer, NetinfoConfig, ServerAddr};
use clap::Args;
use mailport_shared::validate;
use std::net::{IpAddr, SocketAddr};

/// Exit code: outgoing port 25 works on at least one family.
pub const EXIT_OPEN: u8 = 0;
/// Exit code: port 25 is blocked, intercepted or restricted, and open on no
/// family.
pub const EXIT_BLOCKED: u8 = 1;
/// Exit code: bad usage or a setup error; no verdict.
pub const EXIT_SETUP: u8 = 2;
/// Exit code: port 25 could not be judged: a script must not read an
/// offline machine or a dead resolver as a block.
pub const EXIT_UNJUDGED: u8 = 3;

/// The network-facts flags, shared by `check` and `serve` (flattened into
/// both) so the two learn the same facts from the same servers.
#[derive(Clone, Debug, Args)]
pub struct NetinfoArgs {
    /// Do not look up the public address, provider, blocklists and reverse DNS.
    #[arg(long)]
    pub no_netinfo: bool,
    /// A server that reports the public address, as [opendns:|google:]IP:PORT
    /// (repeatable; replaces the defaults; its address family decides which
    /// public address it reports).
    #[arg(long, value_name = "[KIND:]IP:PORT", value_parser = parse_myip_server)]
    pub myip_server: Vec<MyIpServer>,
    /// Resolver for the provider, blocklist and reverse DNS lookups (repeatable);
    /// default: the system's, not --dns (Spamhaus refuses public resolvers).
    #[arg(long, value_name = "IP:PORT", value_parser = parse_dns)]
    pub netinfo_dns: Vec<SocketAddr>,
    /// Team Cymru IP-to-ASN zone.
    #[arg(long, value_name = "ZONE", value_parser = parse_domain, default_value = "asn.cymru.com")]
    pub cymru_zone: String,
    /// Blocklist zone to ask (repeatable; replaces the default zen.spamhaus.org);
    /// zen:ZONE decodes ZONE as Spamhaus ZEN (Spamhaus zones, DQS included, are).
    #[arg(long, value_name = "[zen:]ZONE", value_parser = DnsblZone::parse)]
    pub dnsbl_zone: Vec<DnsblZone>,
}

impl NetinfoArgs {
    /// The network-facts configuration these flags ask for; `None` with
    /// `--no-netinfo`. The command's `--dns` is not used: blocklists must be
    /// asked through the system's resolver (or `--netinfo-dns`).
    pub fn config(&self) -> Option<NetinfoConfig> {
        if self.no_netinfo {
            return None;
        }
        let mut cfg = NetinfoConfig::default();
        if !self.myip_server.is_empty() {
            let (v4, v6): (Vec<MyIpServer>, Vec<MyIpServer>) = self
                .myip_server
                .iter()
                .cloned()
                .partition(|s| matches!(s.server, ServerAddr::Addr(a) if a.is_ipv4()));
            cfg.myip_v4 = v4;
            cfg.myip_v6 = v6;
        }
        if !self.netinfo_dns.is_empty() {
            cfg.resolvers = Some(self.netinfo_dns.clone());
        }
        cfg.cymru_zone = self.cymru_zone.clone();
        if !self.dnsbl_zone.is_empty() {
            cfg.dnsbls = self.dnsbl_zone.clone();
        }
        Some(cfg)
    }
}

/// `--myip-server`: `[opendns:|google:]IP[:PORT]`, OpenDNS's method when
/// no kind is named.
pub fn parse_myip_server(s: &str) -> Result<MyIpServer, String> {
    let (method, rest) = match s.split_once(':') {
        Some(("opendns", rest)) => (MyIpMethod::OpenDns, rest),
        Some(("google", rest)) => (MyIpMethod::GoogleTxt, rest),
        _ => (MyIpMethod::OpenDns, s),
    };
    parse_dns(rest).map(|addr| MyIpServer::at(method, addr))
}

/// A parsed `--ports` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortList(pub Vec<u16>);

/// `--ports`: a comma-separated list, checked by the shared rules.
pub fn parse_ports(s: &str) -> Result<PortList, String> {
    validate::port_list(s)
        .map(PortList)
        .map_err(|e| e.to_string())
}

/// A host name or address, checked and normalised by the shared rules.
pub fn parse_host(s: &str) -> Result<String, String> {
    validate::host(s)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A mail domain, checked and normalised by the shared rules.
pub fn parse_domain(s: &str) -> Result<String, String> {
    validate::domain(s).map_err(|e| e.to_string())
}

/// A DNS server: `IP:PORT`, `[IPv6]:PORT`, or a bare address on port 53.
pub fn parse_dns(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not an IP address or IP:PORT"))
}

/// The value parsers under random text: never a panic, and what they accept
/// reads back the same when written out again (a normal form).
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fuzz_runner::check;
    use proptest::prelude::*;

    fn textish() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9.:\\[\\]%, -]{0,40}",
            "(opendns:|google:|)(\\[?[0-9a-f:.]{0,30}\\]?)(:[0-9]{0,6})?",
            any::<String>(),
        ]
    }

    #[test]
    fn accepted_values_have_one_normal_form() {
        check("cli value parsers", textish(), |text| {
            if let Ok(addr) = parse_dns(&text) {
                prop_assert_eq!(parse_dns(&addr.to_string()), Ok(addr));
            }
            if let Ok(host) = parse_host(&text) {
                prop_assert_eq!(parse_host(&host), Ok(host.clone()));
            }
            if let Ok(domain) = parse_domain(&text) {
                prop_assert_eq!(parse_domain(&domain), Ok(domain.clone()));
            }
            if let Ok(PortList(ports)) = parse_ports(&text) {
                prop_assert!(!ports.is_empty());
                let written: Vec<String> = ports.iter().map(u16::to_string).collect();
                prop_assert_eq!(parse_ports(&written.join(",")), Ok(PortList(ports)));
            }
            // `--myip-server` is `--dns` behind an optional kind: the same
            // address whichever kind is named.
            if let Ok(addr) = parse_dns(&text) {
                for kind in ["", "opendns:", "google:"] {
                    let server = parse_myip_server(&format!("{kind}{text}"));
                    prop_assert_eq!(server.map(|s| s.server), Ok(ServerAddr::Addr(addr)));
                }
            }
            Ok(())
        });
    }
}
