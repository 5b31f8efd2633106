//! Network facts against a fake DNS server on loopback, for several
//! personas (a Comcast home line, an AWS instance, a Hetzner mail server, a
//! resolver Spamhaus refuses, servers that never answer), and the advice
//! those facts produce.
//!
//! Every address in the answers is documentation space (192.0.2.0/24,
//! 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) used as data only; the
//! only thing the tests talk to is 127.0.0.1.

mod fakes;

use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use mailport::netinfo::{gather, DnsblZone, MyIpMethod, MyIpServer, NetinfoConfig};
use mailport_shared::advice::{advise, AdviceId, Context};
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::netinfo::{
    address_line, blocklist_line, provider_line, reverse_ipv6_nibbles, BlocklistStatus, Fact,
    Forward, GenericSign, Listing, NetworkFacts, UnknownWhy,
};
use mailport_shared::Family;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use fakes::dns::FakeDns;

/// Builds a fake's zone, by value (`Zone::default().a(..).txt(..)`).
#[derive(Default)]
struct Zone(fakes::dns::Zone);

impl Zone {
    fn a(mut self, name: &str, ip: &str) -> Self {
        let _: Ipv4Addr = ip.parse().expect("v4");
        self.0.addr(name, ip);
        self
    }
    fn aaaa(mut self, name: &str, ip: &str) -> Self {
        let _: Ipv6Addr = ip.parse().expect("v6");
        self.0.addr(name, ip);
        self
    }
    fn txt(mut self, name: &str, text: &str) -> Self {
        self.0.txt(name, text);
        self
    }
    fn ptr(mut self, name: &str, target: &str) -> Self {
        self.0.ptr(name, target);
        self
    }
    fn rcode(mut self, name: &str, t: RecordType, c: ResponseCode) -> Self {
        self.0.rcode(name, t, c);
        self
    }
    fn silent(mut self, name: &str, t: RecordType) -> Self {
        self.0.silent(name, t);
        self
    }
}

const MYIP: &str = "myip.opendns.com";
const GOOGLE: &str = "o-o.myaddr.l.google.com";

fn cfg(dns: SocketAddr) -> NetinfoConfig {
    NetinfoConfig {
        budget: Duration::from_secs(2),
        query_timeout: Duration::from_millis(800),
        ..NetinfoConfig::all_at(dns)
    }
}

fn verdict(port: u16, family: Family, verdict: Verdict) -> PortVerdict {
    PortVerdict {
        port,
        family,
        verdict,
        why: String::new(),
        reached: Vec::new(),
        relays: Vec::new(),
        evidence: Vec::new(),
    }
}

/// Port 25 silently dropped, 465/587 open, over IPv4.
fn blocked25() -> Vec<PortVerdict> {
    vec![
        verdict(25, Family::Ipv4, Verdict::BlockedSilently),
        verdict(465, Family::Ipv4, Verdict::Open),
        verdict(587, Family::Ipv4, Verdict::Open),
    ]
}

fn open25() -> Vec<PortVerdict> {
    vec![
        verdict(25, Family::Ipv4, Verdict::Open),
        verdict(587, Family::Ipv4, Verdict::Open),
    ]
}

fn ids(advice: &[mailport_shared::Advice]) -> Vec<AdviceId> {
    advice.iter().map(|a| a.id).collect()
}

fn comcast_zone() -> Zone {
    Zone::default()
        .a(MYIP, "198.51.100.73")
        .txt(GOOGLE, "198.51.100.73")
        .txt(
            "73.100.51.198.origin.asn.cymru.com",
            "7922 | 198.51.100.0/24 | US | arin | 2005-11-15",
        )
        .txt(
            "as7922.asn.cymru.com",
            "7922 | US | arin | 1997-02-14 | COMCAST-7922 - Comcast Cable Communications, LLC, US",
        )
        .a("73.100.51.198.zen.spamhaus.org", "127.0.0.10")
        .txt(
            "73.100.51.198.zen.spamhaus.org",
            "https://check.spamhaus.org/query/ip/198.51.100.73",
        )
        .ptr(
            "73.100.51.198.in-addr.arpa",
            "c-198-51-100-73.hsd1.ca.comcast.net.",
        )
        .a("c-198-51-100-73.hsd1.ca.comcast.net", "198.51.100.73")
}

#[tokio::test]
async fn comcast_home_line_on_the_pbl_with_a_generic_ptr() {
    let dns = FakeDns::start(comcast_zone().0).await;
    let facts = gather(&cfg(dns.addr)).await;

    assert_eq!(
        facts.public_ipv4,
        Fact::Found {
            value: "198.51.100.73".parse().expect("ip")
        }
    );
    // OpenDNS and Google agreed.
    assert_eq!(facts.address_sources.ipv4, 2);
    let origin = facts.origin_v4.found().expect("origin found");
    assert_eq!(origin.asn, 7922);
    assert_eq!(origin.prefix, "198.51.100.0/24");
    assert_eq!(origin.country, "US");
    assert_eq!(
        origin.as_name.as_deref(),
        Some("COMCAST-7922 - Comcast Cable Communications, LLC, US")
    );
    assert_eq!(
        facts.provider().map(|m| m.matched.provider.id),
        Some("comcast")
    );

    assert_eq!(facts.blocklists.len(), 1, "{:?}", facts.blocklists);
    match &facts.blocklists[0].status {
        BlocklistStatus::Listed { listings, reason } => {
            assert_eq!(listings, &vec![Listing::PblIsp]);
            assert!(reason.as_deref().is_some_and(|r| r.contains("spamhaus")));
        }
        other => panic!("expected a PBL listing, got {other:?}"),
    }
    let ptr = facts.reverse_dns_v4.found().expect("ptr found");
    assert_eq!(ptr.name, "c-198-51-100-73.hsd1.ca.comcast.net");
    assert_eq!(ptr.forward, Forward::Confirmed);
    assert_eq!(ptr.generic, Some(GenericSign::EmbeddedAddress));
    // No AAAA for myip: no public IPv6, and nothing looked up for it.
    assert!(!matches!(facts.public_ipv6, Fact::Found { .. }));
    assert!(matches!(facts.origin_v6, Fact::Skipped { .. }));

    let line = provider_line(&facts).expect("provider line");
    assert!(
        line.starts_with("Network: Comcast Xfinity (AS7922, US), residential — known to block 25"),
        "{line}"
    );
    let line = blocklist_line(&facts).expect("blocklist line");
    assert!(
        line.starts_with("Blocklists: listed on Spamhaus PBL (ISP-maintained): this address is meant to send only through its ISP's servers"),
        "{line}"
    );

    // Blocked 25: the first advice names Comcast and its relay.
    let advice = advise(&blocked25(), &Context::from_network(Some(facts.clone())));
    let first = &advice[0];
    assert_eq!(first.id, AdviceId::IspRelay, "{advice:#?}");
    assert!(first.title.contains("smtp.comcast.net"), "{}", first.title);
    assert!(first.title.contains("Comcast"), "{}", first.title);
    assert!(first.why.contains("AS7922"), "{}", first.why);
    assert!(
        first.why.contains("Ports 587 and 465 are open here"),
        "{}",
        first.why
    );
    let ask = advice
        .iter()
        .find(|a| a.id == AdviceId::AskUnblock)
        .expect("unblock advice");
    assert!(ask.title.contains("Comcast"), "{}", ask.title);
    assert!(
        ask.why.contains("Customer Security Assurance"),
        "{}",
        ask.why
    );
    assert!(ids(&advice).contains(&AdviceId::PolicyListed));
    // The generic PTR would sink direct delivery even after an unblock.
    let rdns = advice
        .iter()
        .find(|a| a.id == AdviceId::ReverseDns)
        .expect("reverse DNS warning");
    assert!(
        rdns.title.contains("c-198-51-100-73.hsd1.ca.comcast.net"),
        "{}",
        rdns.title
    );
    assert!(!ids(&advice).contains(&AdviceId::PolicyDiffers));
    assert!(!ids(&advice).contains(&AdviceId::Blocklisted));

    // Were 25 open on this line, the PBL and the generic PTR would still sink
    // direct delivery, and the notes would disagree with the measurement.
    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    assert_eq!(advice[0].id, AdviceId::PolicyListed, "{advice:#?}");
    assert!(advice[0].title.contains("Port 25 is open, but"));
    let got = ids(&advice);
    assert!(got.contains(&AdviceId::ReverseDns), "{got:?}");
    assert!(got.contains(&AdviceId::PolicyDiffers), "{got:?}");
}

#[tokio::test]
async fn aws_instance() {
    let zone = Zone::default()
        .a(MYIP, "203.0.113.16")
        .txt(GOOGLE, "203.0.113.16")
        .txt(
            "16.113.0.203.origin.asn.cymru.com",
            "16509 | 203.0.113.0/24 | US | arin | 2011-05-03",
        )
        .txt(
            "as16509.asn.cymru.com",
            "16509 | US | arin | 2000-05-04 | AMAZON-02 - Amazon.com, Inc., US",
        )
        .ptr(
            "16.113.0.203.in-addr.arpa",
            "ec2-203-0-113-16.compute-1.amazonaws.com.",
        )
        .a("ec2-203-0-113-16.compute-1.amazonaws.com", "203.0.113.16");
    let dns = FakeDns::start(zone.0).await;
    let facts = gather(&cfg(dns.addr)).await;

    assert_eq!(facts.origin_v4.found().map(|o| o.asn), Some(16509));
    assert_eq!(facts.provider().map(|m| m.matched.provider.id), Some("aws"));
    assert_eq!(facts.blocklists[0].status, BlocklistStatus::NotListed);
    let ptr = facts.reverse_dns_v4.found().expect("ptr");
    assert_eq!(ptr.forward, Forward::Confirmed);
    assert_eq!(ptr.generic, Some(GenericSign::EmbeddedAddress));
    let line = provider_line(&facts).expect("line");
    assert!(
        line.contains("Amazon Web Services") && line.contains("AS16509") && line.contains("cloud"),
        "{line}"
    );
    assert_eq!(
        blocklist_line(&facts).as_deref(),
        Some("Blocklists: not listed on Spamhaus ZEN")
    );

    let advice = advise(&blocked25(), &Context::from_network(Some(facts)));
    assert_eq!(advice[0].id, AdviceId::IspRelay);
    assert!(
        advice[0]
            .title
            .contains("email-smtp.<region>.amazonaws.com"),
        "{}",
        advice[0].title
    );
    assert!(
        advice[0].title.contains("SMTP credentials"),
        "{}",
        advice[0].title
    );
    let ask = advice
        .iter()
        .find(|a| a.id == AdviceId::AskUnblock)
        .expect("ask");
    assert!(
        ask.why
            .contains("Request to remove email sending limitations"),
        "{}",
        ask.why
    );
    assert!(!ids(&advice).contains(&AdviceId::PolicyListed));
}

#[tokio::test]
async fn hetzner_mail_server_with_fcrdns_on_both_families() {
    let v6 = "2001:db8:4f8::25";
    let v6_nibbles = &reverse_ipv6_nibbles(v6.parse().expect("v6"));
    let zone = Zone::default()
        .a(MYIP, "198.51.100.25")
        .txt(GOOGLE, "198.51.100.25")
        .aaaa(MYIP, v6)
        .txt(
            "25.100.51.198.origin.asn.cymru.com",
            "24940 | 198.51.100.0/24 | DE | ripencc | 2009-04-03",
        )
        .txt(
            &format!("{v6_nibbles}.origin6.asn.cymru.com"),
            "24940 | 2001:db8::/32 | DE | ripencc | 2009-03-04",
        )
        .txt(
            "as24940.asn.cymru.com",
            "24940 | DE | ripencc | 2002-06-03 | HETZNER-AS, DE",
        )
        .ptr("25.100.51.198.in-addr.arpa", "mail.example.org.")
        .ptr(&format!("{v6_nibbles}.ip6.arpa"), "mail.example.org.")
        .a("mail.example.org", "198.51.100.25")
        .aaaa("mail.example.org", v6);
    let dns = FakeDns::start(zone.0).await;
    let facts = gather(&cfg(dns.addr)).await;

    assert_eq!(
        facts.public_ipv6,
        Fact::Found {
            value: v6.parse().expect("v6")
        }
    );
    assert_eq!(facts.origin_v4.found().map(|o| o.asn), Some(24940));
    assert_eq!(
        facts.origin_v6.found().map(|o| o.prefix.as_str()),
        Some("2001:db8::/32")
    );
    assert_eq!(
        facts.provider().map(|m| m.matched.provider.id),
        Some("hetzner")
    );
    for ptr in [&facts.reverse_dns_v4, &facts.reverse_dns_v6] {
        let p = ptr.found().expect("ptr");
        assert_eq!(p.name, "mail.example.org");
        assert_eq!(p.forward, Forward::Confirmed);
        assert_eq!(p.generic, None);
    }
    // ZEN is asked for both addresses, Spamhaus answers IPv6 too.
    assert_eq!(facts.blocklists.len(), 2);
    assert!(facts
        .blocklists
        .iter()
        .all(|b| b.status == BlocklistStatus::NotListed));
    assert!(dns.asked(&format!("{v6_nibbles}.zen.spamhaus.org")));

    // 25 open although the notes say Hetzner blocks it: the measurement wins.
    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    let got = ids(&advice);
    assert_eq!(got[0], AdviceId::DirectDeliveryOk, "{got:?}");
    let differs = advice
        .iter()
        .find(|a| a.id == AdviceId::PolicyDiffers)
        .expect("disagreement noted");
    assert!(differs.title.contains("Hetzner") && differs.title.contains("open on your line"));
    assert!(!got.contains(&AdviceId::ReverseDns), "{got:?}");
    assert!(!got.contains(&AdviceId::PolicyListed), "{got:?}");
}

#[tokio::test]
async fn a_refused_spamhaus_query_is_unknown_not_listed() {
    let zone = Zone::default()
        .a(MYIP, "192.0.2.44")
        .txt(GOOGLE, "192.0.2.44")
        .a("44.2.0.192.zen.spamhaus.org", "127.255.255.254")
        .a("44.2.0.192.b.barracudacentral.org", "127.0.0.2");
    let dns = FakeDns::start(zone.0).await;
    let mut c = cfg(dns.addr);
    c.dnsbls
        .push(DnsblZone::from_zone("b.barracudacentral.org"));
    let facts = gather(&c).await;

    assert_eq!(
        facts.blocklists[0].status,
        BlocklistStatus::Unknown {
            why: UnknownWhy::PublicResolver
        }
    );
    assert!(facts.pbl_listings().is_empty());
    // The second list is decoded generically.
    assert!(matches!(
        &facts.blocklists[1].status,
        BlocklistStatus::Listed { listings, .. } if listings == &vec![Listing::Other { code: Ipv4Addr::new(127, 0, 0, 2) }]
    ));
    let line = blocklist_line(&facts).expect("line");
    assert!(
        line.contains("Spamhaus ZEN unknown, not a listing"),
        "{line}"
    );
    assert!(line.contains("public resolver"), "{line}");
    // No origin answer (NXDOMAIN), no PTR: both stated, nothing invented.
    assert_eq!(facts.origin_v4, Fact::NotFound);
    assert_eq!(facts.reverse_dns_v4, Fact::NotFound);
    assert_eq!(provider_line(&facts), None);

    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    let got = ids(&advice);
    assert!(!got.contains(&AdviceId::PolicyListed), "{got:?}");
    // Barracuda's listing is a reputation listing; the missing PTR is flagged.
    assert!(got.contains(&AdviceId::Blocklisted), "{got:?}");
    assert!(got.contains(&AdviceId::ReverseDns), "{got:?}");
}

#[tokio::test]
async fn servers_that_never_answer_time_out_within_the_budget() {
    let silent = FakeDns::start(fakes::dns::Zone::silent_everywhere()).await;
    let mut c = cfg(silent.addr);
    c.budget = Duration::from_millis(900);
    c.query_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let facts = gather(&c).await;
    let took = started.elapsed();
    // A correctness bound (no hang), not a speed target.
    assert!(took < Duration::from_secs(3), "gather took {took:?}");
    assert_eq!(facts.public_ipv4, Fact::TimedOut);
    assert_eq!(facts.public_ipv6, Fact::TimedOut);
    assert!(matches!(facts.origin_v4, Fact::Skipped { .. }));
    assert!(facts.blocklists.is_empty());
    assert!(silent.asked(MYIP));
}

#[tokio::test]
async fn a_silent_resolver_times_out_the_lookups_but_keeps_the_address() {
    let myip = FakeDns::start(comcast_zone().0).await;
    let silent = FakeDns::start(fakes::dns::Zone::silent_everywhere()).await;
    let mut c = cfg(myip.addr);
    c.resolvers = Some(vec![silent.addr]);
    c.budget = Duration::from_millis(1200);
    c.query_timeout = Duration::from_millis(400);
    let facts = gather(&c).await;
    assert_eq!(
        facts.public_ipv4.found().copied(),
        Some(Ipv4Addr::new(198, 51, 100, 73))
    );
    assert_eq!(facts.origin_v4, Fact::TimedOut);
    assert_eq!(facts.reverse_dns_v4, Fact::TimedOut);
    assert_eq!(facts.blocklists[0].status, BlocklistStatus::TimedOut);
    assert!(silent.asked("73.100.51.198.zen.spamhaus.org"));
    // The provider could not be named because the lookup timed out: said.
    assert_eq!(
        provider_line(&facts).as_deref(),
        Some("Network: unknown (timed out)")
    );
    assert!(blocklist_line(&facts).is_some_and(|l| l.contains("did not answer in time")));
}

#[tokio::test]
async fn servers_that_disagree_are_reported_not_trusted() {
    let a = FakeDns::start(Zone::default().a(MYIP, "192.0.2.1").0).await;
    let b = FakeDns::start(Zone::default().txt(GOOGLE, "198.51.100.2").0).await;
    let mut c = cfg(a.addr);
    c.myip_v4 = vec![
        MyIpServer::at(MyIpMethod::OpenDns, a.addr),
        MyIpServer::at(MyIpMethod::GoogleTxt, b.addr),
    ];
    c.myip_v6 = vec![];
    let facts = gather(&c).await;
    match &facts.public_ipv4 {
        Fact::Disagreement { answers } => {
            let ips: Vec<String> = answers.iter().map(|w| w.value.to_string()).collect();
            assert_eq!(ips, vec!["192.0.2.1", "198.51.100.2"]);
        }
        other => panic!("expected a disagreement, got {other:?}"),
    }
    assert!(matches!(facts.public_ipv6, Fact::Skipped { .. }));
    // Nothing is looked up for an address that is not trusted.
    assert!(matches!(facts.origin_v4, Fact::Skipped { .. }));
    assert!(facts.blocklists.is_empty());
}

#[tokio::test]
async fn fallback_order_skips_a_silent_server_and_errors_are_per_lookup() {
    let silent = FakeDns::start(fakes::dns::Zone::silent_everywhere()).await;
    let zone = comcast_zone().rcode(
        "73.100.51.198.origin.asn.cymru.com",
        RecordType::TXT,
        ResponseCode::ServFail,
    );
    let good = FakeDns::start(zone.0).await;
    let mut c = cfg(good.addr);
    c.query_timeout = Duration::from_millis(300);
    c.myip_v4 = vec![
        MyIpServer::at(MyIpMethod::OpenDns, silent.addr),
        MyIpServer::at(MyIpMethod::GoogleTxt, silent.addr),
        MyIpServer::at(MyIpMethod::OpenDns, good.addr),
    ];
    c.myip_v6 = vec![];
    let facts = gather(&c).await;
    assert_eq!(
        facts.public_ipv4.found().copied(),
        Some(Ipv4Addr::new(198, 51, 100, 73))
    );
    // Only the third server answered: the address is one server's word,
    // and the line says so.
    assert_eq!(facts.address_sources.ipv4, 1);
    assert!(
        address_line(&facts)
            .is_some_and(|l| l.starts_with("Public address: IPv4 198.51.100.73 (one source)")),
        "{:?}",
        address_line(&facts)
    );
    // The origin failed (SERVFAIL): said so, and the rest still arrived.
    match &facts.origin_v4 {
        Fact::Failed { error } => assert!(
            error.contains("SERVFAIL") || error.contains("Server Failure"),
            "{error}"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(
        facts.blocklists[0].status,
        BlocklistStatus::Listed { .. }
    ));
    assert!(facts.reverse_dns_v4.found().is_some());
    // Without an origin there is no provider, but advice still works.
    let advice = advise(&blocked25(), &Context::from_network(Some(facts)));
    assert!(advice
        .iter()
        .any(|a| a.id == AdviceId::IspRelay && a.title.contains("your ISP")));
}

#[tokio::test]
async fn report_json_without_network_still_parses() {
    // Facts serialize and come back whole.
    let dns = FakeDns::start(comcast_zone().0).await;
    let facts = gather(&cfg(dns.addr)).await;
    let json = serde_json::to_string(&facts).expect("json");
    let back: NetworkFacts = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, facts);
}

/// Runs a whole check (probes against loopback fakes, netinfo against the
/// fake DNS) and returns the report with every event.
async fn run_check(
    env: &mailport::Env,
    targets: Vec<mailport_shared::Target>,
    ports: &[u16],
) -> (mailport_shared::Report, Vec<mailport_shared::CheckEvent>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    });
    let options = mailport_shared::CheckOptions {
        targets,
        ports: ports.to_vec(),
        families: mailport_shared::options::Families {
            ipv4: true,
            ipv6: false,
        },
        connect_timeout_ms: 400,
        greeting_timeout_ms: 1000,
        ..Default::default()
    };
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        mailport::runner::run(options, env, tx),
    )
    .await
    .expect("a check must never hang")
    .expect("valid options");
    (report, collect.await.expect("collector"))
}

/// A check of one MX host that greets (a fake on `127.0.0.2:25`), with
/// the network facts learned as `netinfo` says (`None`: not at all).
async fn check_one_mx(netinfo: Option<NetinfoConfig>) -> mailport_shared::Report {
    use mailport_shared::{Role, Target};
    let smtp = fakes::start(fakes::Behaviour::smtp("220 mx.test ESMTP")).await;
    let d = fakes::MapDialer::new();
    d.map("127.0.0.2", 25, smtp.addr);
    let env = fakes::env_builder(&d, None)
        .netinfo(netinfo)
        .build()
        .expect("env");
    let targets = vec![Target::new("127.0.0.2", Role::RecipientMx)];
    run_check(&env, targets, &[25]).await.0
}

#[tokio::test]
async fn a_check_on_a_comcast_line_names_comcast_in_report_terminal_and_advice() {
    use mailport_shared::{Role, Target};
    let dns = FakeDns::start(comcast_zone().0).await;
    let smtp = fakes::start(fakes::Behaviour::smtp("220 submit.test ESMTP")).await;
    let d = fakes::MapDialer::new();
    d.blackhole("127.0.0.2", 25)
        .blackhole("127.0.0.3", 25)
        .map("127.0.0.4", 587, smtp.addr)
        .map("127.0.0.4", 465, smtp.addr);
    let env = fakes::env_builder(&d, None)
        .netinfo(Some(cfg(dns.addr)))
        .build()
        .expect("env");
    let targets = vec![
        Target::new("127.0.0.2", Role::RecipientMx),
        Target::new("127.0.0.3", Role::RecipientMx),
        Target::new("127.0.0.4", Role::Submission),
    ];
    let (report, events) = run_check(&env, targets, &[25, 587]).await;

    assert!(!report.port25_open());
    let facts = report
        .network
        .as_ref()
        .expect("network facts in the report");
    assert_eq!(
        facts.provider().map(|m| m.matched.provider.id),
        Some("comcast")
    );
    assert_eq!(
        report.advice[0].id,
        AdviceId::IspRelay,
        "{:#?}",
        report.advice
    );
    assert!(report.advice[0].title.contains("smtp.comcast.net"));
    // The live conclusion carried the same network-aware advice.
    let concluded = events.iter().find_map(|e| match e {
        mailport_shared::CheckEvent::Concluded { conclusion } => Some(conclusion),
        _ => None,
    });
    assert_eq!(concluded.map(|c| &c.advice), Some(&report.advice));

    let text = mailport::term::render(&report, mailport::term::Style { colour: false });
    assert!(
        text.contains("Network: Comcast Xfinity (AS7922, US), residential"),
        "{text}"
    );
    assert!(
        text.contains("Public address: IPv4 198.51.100.73"),
        "{text}"
    );
    assert!(
        text.contains("Blocklists: listed on Spamhaus PBL (ISP-maintained)"),
        "{text}"
    );
    assert!(text.contains("smtp.comcast.net"), "{text}");

    // The facts survive the JSON report; an old report without them parses.
    let json = serde_json::to_string(&report).expect("json");
    let back: mailport_shared::Report = serde_json::from_str(&json).expect("parse");
    assert_eq!(back.network, report.network);
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("value");
    value.as_object_mut().expect("object").remove("network");
    let old: mailport_shared::Report = serde_json::from_value(value).expect("old report");
    assert_eq!(old.network, None);
}

#[tokio::test]
async fn a_dead_dns_never_hides_the_probes() {
    let silent = FakeDns::start(fakes::dns::Zone::silent_everywhere()).await;
    let mut c = cfg(silent.addr);
    c.budget = Duration::from_millis(800);
    c.query_timeout = Duration::from_millis(300);
    let report = check_one_mx(Some(c)).await;
    assert_eq!(report.probes.len(), 1);
    assert!(matches!(
        report.probes[0].outcome,
        mailport_shared::Outcome::Banner(_)
    ));
    let facts = report.network.as_ref().expect("facts, even if empty");
    assert_eq!(facts.public_ipv4, Fact::TimedOut);
    assert!(report
        .advice
        .iter()
        .any(|a| a.id == AdviceId::DirectDeliveryOk));
    let text = mailport::term::render(&report, mailport::term::Style { colour: false });
    assert!(
        text.contains("Public address: IPv4 unknown (lookup timed out)"),
        "{text}"
    );
    assert!(!text.contains("Network:"), "{text}");
}

#[tokio::test]
async fn without_netinfo_the_report_has_no_network() {
    let report = check_one_mx(None).await;
    assert_eq!(report.network, None);
    let json = serde_json::to_string(&report).expect("json");
    assert!(!json.contains("\"network\""), "{json}");
}

fn netinfo_flags(args: &[&str]) -> Result<Option<NetinfoConfig>, String> {
    use clap::Parser;
    let argv = ["mailport", "check"].iter().chain(args.iter());
    match mailport::cli::Cli::try_parse_from(argv) {
        Ok(mailport::cli::Cli {
            command: Some(mailport::cli::Command::Check(a)),
        }) => Ok(a.netinfo.config()),
        Ok(_) => Err("not a check".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `serve` takes the same flags (one flattened struct) and builds the same
/// configuration as `check`; `mailport` alone learns the facts too.
#[test]
fn serve_flags_match_check_flags() {
    use clap::Parser;
    let serve = |args: &[&str]| {
        let argv = ["mailport", "serve"].iter().chain(args.iter());
        match mailport::cli::Cli::try_parse_from(argv) {
            Ok(mailport::cli::Cli {
                command: Some(mailport::cli::Command::Serve(a)),
            }) => Ok(a.netinfo.config()),
            Ok(_) => Err("not serve".to_string()),
            Err(e) => Err(e.to_string()),
        }
    };
    for args in [
        &[][..],
        &["--no-netinfo"],
        &["--dns", "127.0.0.1:5353"],
        &[
            "--myip-server",
            "google:127.0.0.1:5301",
            "--netinfo-dns",
            "127.0.0.2",
            "--cymru-zone",
            "asn.test",
            "--dnsbl-zone",
            "bl.test",
        ],
    ] {
        assert_eq!(serve(args), netinfo_flags(args), "{args:?}");
    }
    let bare = mailport::serve::ServeArgs::defaults();
    assert_eq!(
        bare.netinfo.config(),
        Some(NetinfoConfig::default()),
        "on by default, with the default servers"
    );
    assert_eq!(bare.port, mailport_shared::api::DEFAULT_PORT);
    assert!(serve(&["--cymru-zone", "not a zone"]).is_err());
}

#[test]
fn cli_flags_configure_every_netinfo_server() {
    use mailport::netinfo::ServerAddr;
    use mailport_shared::netinfo::DnsblKind;

    assert_eq!(netinfo_flags(&["--no-netinfo"]), Ok(None));
    let default = netinfo_flags(&[]).expect("parses").expect("on by default");
    assert_eq!(default, NetinfoConfig::default());
    assert_eq!(default.resolvers, None, "system resolver by default");

    // --dns is for the probes: the blocklists are still asked through the
    // system's resolver (a public --dns would be refused by Spamhaus).
    let c = netinfo_flags(&["--dns", "127.0.0.1:5353"])
        .expect("parses")
        .expect("on");
    assert_eq!(c.resolvers, None);
    let c = netinfo_flags(&["--dns", "127.0.0.1:5353", "--netinfo-dns", "127.0.0.2"])
        .expect("parses")
        .expect("on");
    assert_eq!(
        c.resolvers,
        Some(vec!["127.0.0.2:53".parse().expect("addr")])
    );

    let c = netinfo_flags(&[
        "--myip-server",
        "127.0.0.1:5300",
        "--myip-server",
        "google:127.0.0.1:5301",
        "--myip-server",
        "opendns:[::1]:5302",
        "--cymru-zone",
        "asn.test",
        "--dnsbl-zone",
        "b.barracudacentral.org",
        "--dnsbl-zone",
        "zen.spamhaus.org",
        "--dnsbl-zone",
        "zen:bl.test",
        "--dnsbl-zone",
        "s3cr3tkey.zen.dq.spamhaus.net",
        "--dnsbl-zone",
        "dbl.spamhaus.org",
    ])
    .expect("parses")
    .expect("on");
    let at = |s: &str| ServerAddr::Addr(s.parse().expect("addr"));
    assert_eq!(
        c.myip_v4,
        vec![
            MyIpServer {
                method: MyIpMethod::OpenDns,
                server: at("127.0.0.1:5300")
            },
            MyIpServer {
                method: MyIpMethod::GoogleTxt,
                server: at("127.0.0.1:5301")
            },
        ]
    );
    assert_eq!(
        c.myip_v6,
        vec![MyIpServer {
            method: MyIpMethod::OpenDns,
            server: at("[::1]:5302")
        }]
    );
    assert_eq!(c.cymru_zone, "asn.test");
    let kinds: Vec<(String, DnsblKind)> =
        c.dnsbls.iter().map(|d| (d.zone.clone(), d.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("b.barracudacentral.org".to_string(), DnsblKind::Generic),
            ("zen.spamhaus.org".to_string(), DnsblKind::SpamhausZen),
            ("bl.test".to_string(), DnsblKind::SpamhausZen),
            (
                "s3cr3tkey.zen.dq.spamhaus.net".to_string(),
                DnsblKind::SpamhausZen
            ),
            // Any Spamhaus zone: its codes are never read generically.
            ("dbl.spamhaus.org".to_string(), DnsblKind::SpamhausZen),
        ]
    );
    // A lookalike is not Spamhaus.
    assert_eq!(
        DnsblZone::from_zone("notspamhaus.org").kind,
        DnsblKind::Generic
    );

    for bad in [
        &["--myip-server", "nonsense"][..],
        &["--myip-server", "google:"],
        &["--cymru-zone", "not a zone"],
        &["--dnsbl-zone", ""],
        &["--dnsbl-zone", "zen:"],
        &["--dnsbl-zone", "zen:not a zone"],
        &["--netinfo-dns", "resolver.example"],
    ] {
        assert!(netinfo_flags(bad).is_err(), "{bad:?} should be refused");
    }
}

/// A PTR whose forward lookup does not answer is "unknown", not "does not
/// resolve back": no reverse DNS fix is advised for a record that may be
/// fine.
#[tokio::test]
async fn a_forward_lookup_that_times_out_is_not_a_mismatch() {
    let zone = Zone::default()
        .a(MYIP, "203.0.113.40")
        .txt(GOOGLE, "203.0.113.40")
        .ptr("40.113.0.203.in-addr.arpa", "mail.example.org.")
        .silent("mail.example.org", RecordType::A);
    let dns = FakeDns::start(zone.0).await;
    let mut c = cfg(dns.addr);
    c.query_timeout = Duration::from_millis(300);
    let facts = gather(&c).await;
    let ptr = facts.reverse_dns_v4.found().expect("ptr found");
    assert_eq!(ptr.name, "mail.example.org");
    assert_eq!(ptr.forward, Forward::Unknown);
    assert!(dns.asked("mail.example.org"));
    let line = address_line(&facts).expect("line");
    assert!(
        line.contains("whether it resolves back is unknown"),
        "{line}"
    );
    assert!(!line.contains("does not resolve back"), "{line}");
    for verdicts in [open25(), blocked25()] {
        let advice = advise(&verdicts, &Context::from_network(Some(facts.clone())));
        assert!(!ids(&advice).contains(&AdviceId::ReverseDns), "{advice:#?}");
    }

    // The same name answering without the address is a definite mismatch.
    let zone = Zone::default()
        .a(MYIP, "203.0.113.40")
        .txt(GOOGLE, "203.0.113.40")
        .ptr("40.113.0.203.in-addr.arpa", "mail.example.org.")
        .a("mail.example.org", "203.0.113.99");
    let dns = FakeDns::start(zone.0).await;
    let facts = gather(&cfg(dns.addr)).await;
    assert_eq!(
        facts.reverse_dns_v4.found().map(|p| p.forward),
        Some(Forward::Mismatch)
    );
    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    let rdns = advice
        .iter()
        .find(|a| a.id == AdviceId::ReverseDns)
        .expect("a definite mismatch is advised on");
    assert!(
        rdns.title.contains("does not resolve back"),
        "{}",
        rdns.title
    );
}

/// A Spamhaus DQS zone (`<key>.zen.dq.spamhaus.net`) is decoded as ZEN: a
/// PBL code is a policy listing, not "listed, return code 127.0.0.10". Its
/// key never reaches the report.
#[tokio::test]
async fn a_dqs_zone_is_decoded_as_zen_and_its_key_stays_private() {
    let zone = Zone::default()
        .a(MYIP, "198.51.100.73")
        .txt(GOOGLE, "198.51.100.73")
        .a("73.100.51.198.s3cr3tkey.zen.dq.spamhaus.net", "127.0.0.10");
    let dns = FakeDns::start(zone.0).await;
    let mut c = cfg(dns.addr);
    c.dnsbls = vec![DnsblZone::parse("s3cr3tkey.zen.dq.spamhaus.net").expect("valid zone")];
    let facts = gather(&c).await;
    assert!(dns.asked("73.100.51.198.s3cr3tkey.zen.dq.spamhaus.net"));
    assert_eq!(facts.blocklists.len(), 1);
    let b = &facts.blocklists[0];
    assert_eq!(b.list, "Spamhaus ZEN");
    assert_eq!(b.zone, "<key>.zen.dq.spamhaus.net");
    assert!(matches!(
        &b.status,
        BlocklistStatus::Listed { listings, .. } if listings == &vec![Listing::PblIsp]
    ));
    let json = serde_json::to_string(&facts).expect("json");
    assert!(!json.contains("s3cr3tkey"), "{json}");
    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    assert_eq!(advice[0].id, AdviceId::PolicyListed, "{advice:#?}");
    assert!(!ids(&advice).contains(&AdviceId::Blocklisted));
}

/// `zen:ZONE` decodes a test zone as ZEN; a code ZEN does not document
/// (the DBL's 127.0.1.255) is "unknown", never a reputation listing.
#[tokio::test]
async fn an_undocumented_zen_code_is_unknown_not_listed() {
    let zone = Zone::default()
        .a(MYIP, "192.0.2.44")
        .txt(GOOGLE, "192.0.2.44")
        .a("44.2.0.192.bl.test", "127.0.1.255");
    let dns = FakeDns::start(zone.0).await;
    let mut c = cfg(dns.addr);
    c.dnsbls = vec![DnsblZone::parse("zen:bl.test").expect("valid zone")];
    let facts = gather(&c).await;
    assert_eq!(
        facts.blocklists[0].status,
        BlocklistStatus::Unknown {
            why: UnknownWhy::UnexpectedCode {
                code: Ipv4Addr::new(127, 0, 1, 255)
            }
        }
    );
    let line = blocklist_line(&facts).expect("line");
    assert!(line.contains("unknown, not a listing"), "{line}");
    let advice = advise(&open25(), &Context::from_network(Some(facts)));
    assert!(
        !ids(&advice).contains(&AdviceId::Blocklisted),
        "{advice:#?}"
    );
    assert!(
        !ids(&advice).contains(&AdviceId::PolicyListed),
        "{advice:#?}"
    );
}

/// The terminal says when the provider could not be named because the
/// origin lookup timed out, as the page does (both print the shared line).
#[tokio::test]
async fn the_terminal_says_when_the_origin_lookup_timed_out() {
    let myip = FakeDns::start(comcast_zone().0).await;
    let silent = FakeDns::start(fakes::dns::Zone::silent_everywhere()).await;
    let mut c = cfg(myip.addr);
    c.resolvers = Some(vec![silent.addr]);
    c.budget = Duration::from_millis(1200);
    c.query_timeout = Duration::from_millis(400);
    let report = check_one_mx(Some(c)).await;
    let text = mailport::term::render(&report, mailport::term::Style { colour: false });
    assert!(text.contains("Network: unknown (timed out)"), "{text}");
}
