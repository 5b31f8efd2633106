//! Learns the network facts around a check, by DNS only: the public
//! addresses (asked at authoritative servers that echo the asker), the origin
//! AS (Team Cymru), blocklist listings (Spamhaus ZEN via the *system*
//! resolver, never a public one) and the reverse DNS of the public address.
//!
//! Every lookup has its own deadline and its own failure state, everything
//! runs concurrently, and [`gather`] always returns within
//! [`NetinfoConfig::budget`]: a missing fact never delays or hides the probe
//! results.

pub mod asn;
pub mod client;
pub mod dnsbl;
pub mod ptr;
pub mod public_ip;

use mailport_shared::netinfo::{
    AddressSources, BlocklistResult, BlocklistStatus, DnsblKind, Fact, NetworkFacts,
};
use mailport_shared::validate;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// How a public-address server reports the asker's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MyIpMethod {
    /// OpenDNS: `myip.opendns.com` A (or AAAA) answers the asker's address.
    OpenDns,
    /// Google: `o-o.myaddr.l.google.com` TXT answers the asker's address.
    GoogleTxt,
}

impl MyIpMethod {
    /// The name to ask.
    pub fn qname(self) -> &'static str {
        match self {
            MyIpMethod::OpenDns => "myip.opendns.com",
            MyIpMethod::GoogleTxt => "o-o.myaddr.l.google.com",
        }
    }
}

/// Where a server is: an address, or a name resolved through the resolvers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAddr {
    /// A socket address.
    Addr(SocketAddr),
    /// A host name and port.
    Name {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddr::Addr(a) => write!(f, "{a}"),
            ServerAddr::Name { host, port: 53 } => f.write_str(host),
            ServerAddr::Name { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// One server that tells the asker its public address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyIpServer {
    /// How it answers.
    pub method: MyIpMethod,
    /// Where it is.
    pub server: ServerAddr,
}

impl MyIpServer {
    fn named(method: MyIpMethod, host: &str) -> Self {
        MyIpServer {
            method,
            server: ServerAddr::Name {
                host: host.into(),
                port: 53,
            },
        }
    }

    /// A server at a socket address (tests, `--myip-server`).
    pub fn at(method: MyIpMethod, addr: SocketAddr) -> Self {
        MyIpServer {
            method,
            server: ServerAddr::Addr(addr),
        }
    }
}

/// One DNS blocklist to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsblZone {
    /// Display name.
    pub name: String,
    /// Zone, e.g. `zen.spamhaus.org`.
    pub zone: String,
    /// How to decode its answers.
    pub kind: DnsblKind,
    /// Whether the list answers IPv6 (nibble) queries.
    pub ipv6: bool,
}

/// The prefix of `--dnsbl-zone zen:ZONE`: decode ZONE as Spamhaus ZEN
/// whatever its name (a mirror, a test zone).
const ZEN_PREFIX: &str = "zen:";

/// Spamhaus's Data Query Service: `<key>.zen.dq.spamhaus.net`, where the
/// key is the subscriber's secret.
const DQS_SUFFIX: &str = ".dq.spamhaus.net";

impl DnsblZone {
    /// Spamhaus ZEN in `zone` (normally `zen.spamhaus.org`).
    pub fn spamhaus_zen(zone: &str) -> Self {
        DnsblZone {
            name: "Spamhaus ZEN".into(),
            zone: zone.into(),
            kind: DnsblKind::SpamhausZen,
            ipv6: true,
        }
    }

    /// Another list, decoded generically, IPv4 only; named after its zone
    /// as a report may show it (a DQS key left out).
    pub fn generic(zone: &str) -> Self {
        DnsblZone {
            name: shown_zone(zone),
            zone: zone.into(),
            kind: DnsblKind::Generic,
            ipv6: false,
        }
    }

    /// A list from a zone name. Spamhaus's zones (`zen.spamhaus.org`, its
    /// component lists, and the DQS form `<key>.zen.dq.spamhaus.net`) get
    /// Spamhaus decoding, which never turns an undocumented code into a
    /// listing; any other zone is decoded generically.
    pub fn from_zone(zone: &str) -> Self {
        let z = zone.trim_end_matches('.').to_ascii_lowercase();
        let spamhaus =
            z == "spamhaus.org" || z.ends_with(".spamhaus.org") || z.ends_with(DQS_SUFFIX);
        let zen = z == "zen.spamhaus.org" || z.ends_with(".zen.dq.spamhaus.net");
        match (spamhaus, zen) {
            (_, true) => Self::spamhaus_zen(zone),
            (true, false) => DnsblZone {
                kind: DnsblKind::SpamhausZen,
                ..Self::generic(zone)
            },
            (false, _) => Self::generic(zone),
        }
    }

    /// A `--dnsbl-zone` value: `ZONE`, or `zen:ZONE` to decode ZONE as
    /// Spamhaus ZEN (for a mirror or a test zone with another name).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (zen, zone) = match s.strip_prefix(ZEN_PREFIX) {
            Some(zone) => (true, zone),
            None => (false, s),
        };
        let zone = validate::domain(zone).map_err(|e| e.to_string())?;
        Ok(if zen {
            Self::spamhaus_zen(&zone)
        } else {
            Self::from_zone(&zone)
        })
    }

    /// What this list says about `address`, for the report (a DQS key
    /// left out).
    pub fn result(&self, address: IpAddr, status: BlocklistStatus) -> BlocklistResult {
        BlocklistResult {
            list: self.name.clone(),
            zone: shown_zone(&self.zone),
            address: Some(address),
            status,
        }
    }
}

/// `zone` as a report may show it: a DQS zone without its key (the
/// subscriber's secret must not end up in a shared link). The list's label
/// stays (`<key>.zen.dq.spamhaus.net`); a DQS zone with a single label
/// there shows none, since that label may be the key itself.
fn shown_zone(zone: &str) -> String {
    let z = zone.trim_end_matches('.');
    if !z.to_ascii_lowercase().ends_with(DQS_SUFFIX) {
        return z.to_string();
    }
    // The suffix is ASCII, so this is a character boundary.
    let (labels, suffix) = z.split_at(z.len() - DQS_SUFFIX.len());
    match labels.rsplit_once('.') {
        Some((_key, list)) => format!("<key>.{list}{suffix}"),
        None => format!("<key>{suffix}"),
    }
}

/// Every server and limit the network lookups use; all overridable, so tests
/// point everything at fakes on loopback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetinfoConfig {
    /// Public-IPv4 servers, in fallback order (asked over IPv4).
    pub myip_v4: Vec<MyIpServer>,
    /// Public-IPv6 servers, in fallback order (asked over IPv6).
    pub myip_v6: Vec<MyIpServer>,
    /// Recursive resolvers for Cymru, blocklists and PTR; `None` means the
    /// system's (`/etc/resolv.conf`), whatever `--dns` says for the probes:
    /// Spamhaus refuses queries from public resolvers, and `--dns` is
    /// often one.
    pub resolvers: Option<Vec<SocketAddr>>,
    /// Team Cymru base zone.
    pub cymru_zone: String,
    /// Blocklists to ask.
    pub dnsbls: Vec<DnsblZone>,
    /// Longest wait for one query.
    pub query_timeout: Duration,
    /// Longest wait for everything.
    pub budget: Duration,
}

impl Default for NetinfoConfig {
    fn default() -> Self {
        use MyIpMethod::{GoogleTxt, OpenDns};
        NetinfoConfig {
            myip_v4: vec![
                MyIpServer::named(OpenDns, "resolver1.opendns.com"),
                MyIpServer::named(GoogleTxt, "ns1.google.com"),
                MyIpServer::named(OpenDns, "resolver2.opendns.com"),
                MyIpServer::named(GoogleTxt, "ns2.google.com"),
                MyIpServer::named(OpenDns, "resolver3.opendns.com"),
                MyIpServer::named(OpenDns, "resolver4.opendns.com"),
            ],
            // OpenDNS documents its IPv6 echo on the ipv6-sandbox name.
            myip_v6: vec![
                MyIpServer::named(OpenDns, "resolver1.ipv6-sandbox.opendns.com"),
                MyIpServer::named(GoogleTxt, "ns1.google.com"),
                MyIpServer::named(OpenDns, "resolver1.opendns.com"),
                MyIpServer::named(GoogleTxt, "ns2.google.com"),
            ],
            resolvers: None,
            cymru_zone: "asn.cymru.com".into(),
            dnsbls: vec![DnsblZone::spamhaus_zen("zen.spamhaus.org")],
            query_timeout: Duration::from_millis(1200),
            budget: Duration::from_secs(3),
        }
    }
}

impl NetinfoConfig {
    /// A config where every server is `dns` (a local fake): both public
    /// address lists, the resolver, and the default zones.
    pub fn all_at(dns: SocketAddr) -> Self {
        NetinfoConfig {
            myip_v4: vec![
                MyIpServer::at(MyIpMethod::OpenDns, dns),
                MyIpServer::at(MyIpMethod::GoogleTxt, dns),
            ],
            myip_v6: vec![
                MyIpServer::at(MyIpMethod::OpenDns, dns),
                MyIpServer::at(MyIpMethod::GoogleTxt, dns),
            ],
            resolvers: Some(vec![dns]),
            ..Default::default()
        }
    }

    /// The resolvers to use: configured, else the system's.
    pub fn resolver_addrs(&self) -> Result<Vec<SocketAddr>, String> {
        if let Some(r) = &self.resolvers {
            return if r.is_empty() {
                Err("no resolver configured".into())
            } else {
                Ok(r.clone())
            };
        }
        let (conf, _) = hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| format!("cannot read the system resolver configuration: {e}"))?;
        let mut addrs: Vec<SocketAddr> = Vec::new();
        for ns in conf.name_servers() {
            if !addrs.contains(&ns.socket_addr) {
                addrs.push(ns.socket_addr);
            }
        }
        if addrs.is_empty() {
            Err("the system has no resolver configured".into())
        } else {
            Ok(addrs)
        }
    }
}

/// Runs `fut` until `deadline`; `late` is the result when it does not finish.
pub(crate) async fn until<T>(deadline: Instant, late: T, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout_at(deadline, fut).await.unwrap_or(late)
}

/// Gathers every fact, concurrently, within `cfg.budget`.
///
/// The public addresses come first (half the budget at most); origin,
/// blocklists and reverse DNS then run together on what was found.
pub async fn gather(cfg: &NetinfoConfig) -> NetworkFacts {
    let start = Instant::now();
    let deadline = start + cfg.budget;
    let ip_deadline = start + cfg.budget / 2;
    let resolvers = cfg.resolver_addrs();

    let ((public_ipv4, sources_v4), (public_ipv6, sources_v6)) = tokio::join!(
        until(
            ip_deadline,
            (Fact::TimedOut, 0),
            public_ip::learn_v4(cfg, resolvers.as_deref().unwrap_or(&[]), ip_deadline)
        ),
        until(
            ip_deadline,
            (Fact::TimedOut, 0),
            public_ip::learn_v6(cfg, resolvers.as_deref().unwrap_or(&[]), ip_deadline)
        ),
    );

    let v4 = public_ipv4.found().copied().map(IpAddr::V4);
    let v6 = public_ipv6.found().copied().map(IpAddr::V6);
    let mut facts = NetworkFacts {
        public_ipv4,
        public_ipv6,
        address_sources: AddressSources {
            ipv4: sources_v4,
            ipv6: sources_v6,
        },
        ..Default::default()
    };

    let resolvers = match resolvers {
        Ok(r) => r,
        Err(e) => {
            fn failed<T>(e: &str) -> Fact<T> {
                Fact::Failed { error: e.into() }
            }
            facts.origin_v4 = failed(&e);
            facts.origin_v6 = failed(&e);
            facts.reverse_dns_v4 = failed(&e);
            facts.reverse_dns_v6 = failed(&e);
            facts.blocklists = dnsbl::asks(&cfg.dnsbls, v4, v6)
                .map(|(list, ip)| list.result(ip, BlocklistStatus::Failed { error: e.clone() }))
                .collect();
            return facts;
        }
    };

    let (origin_v4, origin_v6, reverse_v4, reverse_v6, blocklists) = tokio::join!(
        asn::origin(cfg, &resolvers, v4, "IPv4", deadline),
        asn::origin(cfg, &resolvers, v6, "IPv6", deadline),
        ptr::reverse(cfg, &resolvers, v4, "IPv4", deadline),
        ptr::reverse(cfg, &resolvers, v6, "IPv6", deadline),
        dnsbl::check_all(cfg, &resolvers, v4, v6, deadline),
    );
    facts.origin_v4 = origin_v4;
    facts.origin_v6 = origin_v6;
    facts.reverse_dns_v4 = reverse_v4;
    facts.reverse_dns_v6 = reverse_v6;
    facts.blocklists = blocklists;
    facts
}

/// The fact for a lookup that could not start because the address is
/// unknown.
pub(crate) fn skipped_no_address<T>(family: &str) -> Fact<T> {
    Fact::Skipped {
        reason: format!("the public {family} address is unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DQS key is the subscriber's secret: no list built from a zone
    /// shows it, in its name or its zone, whatever the list.
    #[test]
    fn a_dqs_key_never_reaches_the_report() {
        let cases = [
            ("zen.spamhaus.org", "Spamhaus ZEN", "zen.spamhaus.org"),
            (
                "b.barracudacentral.org.",
                "b.barracudacentral.org",
                "b.barracudacentral.org",
            ),
            (
                "s3cr3tkey.zen.dq.spamhaus.net",
                "Spamhaus ZEN",
                "<key>.zen.dq.spamhaus.net",
            ),
            // Names are read in lower case, with no final dot.
            (
                "S3CR3TKEY.ZEN.DQ.SPAMHAUS.NET.",
                "Spamhaus ZEN",
                "<key>.zen.dq.spamhaus.net",
            ),
            // A component list: decoded like ZEN, named after its zone.
            (
                "s3cr3tkey.sbl.dq.spamhaus.net",
                "<key>.sbl.dq.spamhaus.net",
                "<key>.sbl.dq.spamhaus.net",
            ),
            // A single label before the suffix may be the key itself.
            (
                "s3cr3tkey.dq.spamhaus.net",
                "<key>.dq.spamhaus.net",
                "<key>.dq.spamhaus.net",
            ),
        ];
        for (zone, name, shown) in cases {
            let list = DnsblZone::parse(zone).expect("valid zone");
            let r = list.result(IpAddr::from([192, 0, 2, 1]), BlocklistStatus::TimedOut);
            assert_eq!((r.list.as_str(), r.zone.as_str()), (name, shown), "{zone}");
            assert!(
                !format!("{r:?}").to_ascii_lowercase().contains("s3cr3tkey"),
                "{r:?}"
            );
        }
    }
}
