//! `--domain`: the user's own hosts from DNS, against a fake DNS server.
//!
//! Modules: `fakes` (fake servers, fake DNS, the mapping dialer).

mod fakes;

use fakes::dns::Zone;
use fakes::{Behaviour, MapDialer};
use mailport::runner;
use mailport::Env;
use mailport_shared::options::Families;
use mailport_shared::outcome::DnsFailure;
use mailport_shared::{CheckEvent, CheckOptions, Outcome, Report, Role};
use std::net::SocketAddr;
use std::time::Duration;

async fn check(env: &Env, domain: &str) -> (Report, Vec<CheckEvent>) {
    let options = CheckOptions {
        domain: Some(domain.into()),
        ports: vec![25, 587],
        families: Families {
            ipv4: true,
            ipv6: false,
        },
        connect_timeout_ms: 500,
        greeting_timeout_ms: 1000,
        ..CheckOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let collect = tokio::spawn(async move {
        let mut v = Vec::new();
        while let Some(e) = rx.recv().await {
            v.push(e);
        }
        v
    });
    let report = tokio::time::timeout(Duration::from_secs(20), runner::run(options, env, tx))
        .await
        .expect("no hang")
        .expect("valid");
    (report, collect.await.expect("events"))
}

fn env(dialer: &MapDialer, dns: SocketAddr, allow_private: bool) -> Env {
    fakes::env_builder(dialer, None)
        .nameservers(vec![dns])
        .allow_private(allow_private)
        .build()
        .expect("env")
}

fn zone() -> Zone {
    let mut z = Zone::new();
    z.mx("example.test", 20, "mx2.example.test")
        .mx("example.test", 10, "mx1.example.test")
        .addr("mx1.example.test", "127.0.0.2")
        .addr("mx2.example.test", "127.0.0.3")
        .addr("smtp.example.test", "127.0.0.4")
        // No MX: mail goes to the domain's own address (RFC 5321 §5.1).
        .addr("nomx.test", "127.0.0.5")
        // A null MX: the domain takes no mail.
        .mx("nullmx.test", 0, ".");
    z
}

#[tokio::test]
async fn mx_hosts_and_submission_names_are_probed_as_own_hosts() {
    let dns = fakes::dns::serve(zone()).await;
    let mx1 = fakes::start(Behaviour::smtp("mx1.example.test ESMTP")).await;
    let mx2 = fakes::start(Behaviour::smtp("mx2.example.test ESMTP")).await;
    let sub = fakes::start(Behaviour::smtp("smtp.example.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, mx1.addr)
        .map("127.0.0.2", 587, fakes::closed_port().await)
        .map("127.0.0.3", 25, mx2.addr)
        .map("127.0.0.3", 587, fakes::closed_port().await)
        .map("127.0.0.4", 587, sub.addr);
    let (r, events) = check(&env(&d, dns, true), "example.test").await;

    let CheckEvent::Started { planned } = &events[0] else {
        panic!("{events:?}")
    };
    // The well-known servers are probed beside the user's own: one host of
    // your own cannot tell a block from that host being down.
    let defaults: Vec<&str> = mailport_shared::target::DEFAULT_TARGETS
        .iter()
        .map(|t| t.host)
        .collect();
    assert!(
        defaults.iter().all(|h| planned
            .iter()
            .any(|s| s.host == *h && s.role != Role::OwnHost)),
        "{planned:?}"
    );
    let got: Vec<(&str, u16, Role)> = planned
        .iter()
        .filter(|s| !defaults.contains(&s.host.as_str()))
        .map(|s| (s.host.as_str(), s.port, s.role))
        .collect();
    assert_eq!(
        got,
        vec![
            ("mx1.example.test", 25, Role::OwnHost),
            ("mx1.example.test", 587, Role::OwnHost),
            ("mx2.example.test", 25, Role::OwnHost),
            ("mx2.example.test", 587, Role::OwnHost),
            ("smtp.example.test", 587, Role::OwnHost),
        ]
    );
    let find = |host: &str, port: u16| {
        r.probes
            .iter()
            .find(|p| p.spec.host == host && p.spec.port == port)
            .unwrap_or_else(|| panic!("{host}:{port}"))
    };
    let p = find("mx1.example.test", 25);
    assert!(matches!(p.outcome, Outcome::Banner(_)), "{:?}", p.outcome);
    assert_eq!(p.address, Some("127.0.0.2".parse().unwrap()));
    assert!(p.timings.dns_ms.is_some());
    assert_eq!(find("mx2.example.test", 587).outcome, Outcome::Refused);
    assert!(matches!(
        find("smtp.example.test", 587).outcome,
        Outcome::Banner(_)
    ));
    assert!(r.port25_open());
}

#[tokio::test]
async fn without_mx_the_domain_itself_is_the_mail_host() {
    let dns = fakes::dns::serve(zone()).await;
    let fake = fakes::start(Behaviour::smtp("nomx.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.5", 25, fake.addr)
        .map("127.0.0.5", 587, fakes::closed_port().await);
    let (r, _) = check(&env(&d, dns, true), "nomx.test").await;
    let own: Vec<_> = r
        .probes
        .iter()
        .filter(|p| p.spec.role == Role::OwnHost)
        .collect();
    let hosts: Vec<&str> = own.iter().map(|p| p.spec.host.as_str()).collect();
    assert_eq!(hosts, ["nomx.test", "nomx.test"]);
    let p25 = own.iter().find(|p| p.spec.port == 25).expect("25");
    assert!(
        matches!(p25.outcome, Outcome::Banner(_)),
        "{:?}",
        p25.outcome
    );
}

#[tokio::test]
async fn dns_failures_keep_their_kind() {
    let dns = fakes::dns::serve(zone()).await;
    let d = MapDialer::new();
    let env = env(&d, dns, true);

    let (r, _) = check(&env, "missing.test").await;
    assert!(!r.probes.is_empty());
    for p in &r.probes {
        assert_eq!(
            p.outcome,
            Outcome::DnsFailed {
                reason: DnsFailure::NxDomain
            },
            "{p:?}"
        );
    }
    assert_eq!(d.connects(), 0);

    // A null MX publishes no mail host: nothing of its own to probe.
    let (r, _) = check(&env, "nullmx.test").await;
    assert!(
        !r.probes.is_empty(),
        "the well-known servers are still probed"
    );
    assert!(
        r.probes.iter().all(|p| p.spec.role != Role::OwnHost),
        "{:#?}",
        r.probes
    );
}

#[tokio::test]
async fn names_resolving_to_private_addresses_are_refused() {
    let dns = fakes::dns::serve(zone()).await;
    let fake = fakes::start(Behaviour::smtp("mx1.example.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.2", 25, fake.addr);
    let (r, _) = check(&env(&d, dns, false), "example.test").await;
    let p = r
        .probes
        .iter()
        .find(|p| p.spec.host == "mx1.example.test" && p.spec.port == 25)
        .expect("mx1");
    assert_eq!(
        p.outcome,
        Outcome::DnsFailed {
            reason: DnsFailure::Forbidden {
                address: "127.0.0.2".into()
            }
        }
    );
    assert_eq!(d.connects(), 0);
    assert_eq!(fake.accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_refusing_resolver_fails_every_lookup_at_once_and_says_so() {
    let dns = fakes::closed_udp_port().await;
    let d = MapDialer::new();
    let started = std::time::Instant::now();
    let (r, _) = check(&env(&d, dns, true), "example.test").await;
    // It used to wait out the lookup cap (6 s), twice with a domain.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!r.probes.is_empty());
    let refused = DnsFailure::Other {
        detail: format!("DNS server {dns} refused the query (nothing listens there)"),
    };
    for p in &r.probes {
        assert_eq!(
            p.outcome,
            Outcome::DnsFailed {
                reason: refused.clone()
            },
            "{p:?}"
        );
    }
    assert_eq!(d.connects(), 0);
    assert_eq!(r.port25(), mailport_shared::report::Port25::Unjudged);
}

#[tokio::test]
async fn the_domain_and_the_known_hosts_resolve_while_the_mx_set_is_looked_up() {
    // Every answer takes a second. The domain has no MX, so its own address
    // is the mail host: looked up only after the MX answer, that cost two
    // seconds before the first probe; at the same time, one.
    let delay = Duration::from_millis(1000);
    let dns = fakes::dns::serve_slow(zone(), delay).await;
    let fake = fakes::start(Behaviour::smtp("nomx.test ESMTP")).await;
    let d = MapDialer::new();
    d.map("127.0.0.5", 25, fake.addr)
        .map("127.0.0.5", 587, fakes::closed_port().await);
    let (r, _) = check(&env(&d, dns, true), "nomx.test").await;
    let own = r
        .probes
        .iter()
        .find(|p| p.spec.host == "nomx.test" && p.spec.port == 25)
        .expect("the domain itself");
    assert!(
        matches!(own.outcome, Outcome::Banner(_)),
        "{:?}",
        own.outcome
    );
    assert!(
        r.duration_ms < 1700,
        "{} ms: the lookups ran one after another",
        r.duration_ms
    );
    assert!(r.duration_ms >= 1000, "{} ms", r.duration_ms);
}
