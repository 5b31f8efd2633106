//! Network-aware advice as tables: the provider, its relay and unblock
//! procedure, PBL and reputation listings, reverse DNS, and disagreements
//! between mailport's notes and the measurement.

use mailport_shared::advice::{advise, Advice, AdviceId, Context};
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::knowledge;
use mailport_shared::knowledge::{ProviderKind, Unblock};
use mailport_shared::netinfo::{
    AsnInfo, BlocklistResult, BlocklistStatus, Fact, Forward, GenericSign, Listing, NetworkFacts,
    Ptr, UnknownWhy,
};
use mailport_shared::Family;

fn v(port: u16, verdict: Verdict) -> PortVerdict {
    PortVerdict {
        port,
        family: Family::Ipv4,
        verdict,
        why: String::new(),
        reached: Vec::new(),
        relays: Vec::new(),
        evidence: Vec::new(),
    }
}

fn blocked() -> Vec<PortVerdict> {
    vec![
        v(25, Verdict::BlockedSilently),
        v(465, Verdict::Open),
        v(587, Verdict::Open),
    ]
}

fn open() -> Vec<PortVerdict> {
    vec![v(25, Verdict::Open), v(587, Verdict::Open)]
}

/// Facts for a line originated by `asn`, with a clean, confirmed PTR.
fn facts(asn: u32) -> NetworkFacts {
    NetworkFacts {
        public_ipv4: Fact::Found {
            value: "203.0.113.7".parse().expect("ip"),
        },
        origin_v4: Fact::Found {
            value: AsnInfo {
                asn,
                other_asns: vec![],
                prefix: "203.0.113.0/24".into(),
                country: "US".into(),
                registry: "arin".into(),
                allocated: String::new(),
                as_name: Some("TEST".into()),
            },
        },
        reverse_dns_v4: Fact::Found {
            value: Ptr {
                name: "mail.example.org".into(),
                forward: Forward::Confirmed,
                generic: None,
            },
        },
        blocklists: vec![zen(BlocklistStatus::NotListed)],
        ..Default::default()
    }
}

fn zen(status: BlocklistStatus) -> BlocklistResult {
    BlocklistResult {
        list: "Spamhaus ZEN".into(),
        zone: "zen.spamhaus.org".into(),
        address: Some("203.0.113.7".parse().expect("ip")),
        status,
    }
}

fn listed(l: Listing) -> BlocklistStatus {
    BlocklistStatus::Listed {
        listings: vec![l],
        reason: None,
    }
}

fn run(verdicts: &[PortVerdict], f: NetworkFacts) -> Vec<Advice> {
    advise(verdicts, &Context::from_network(Some(f)))
}

fn ids(a: &[Advice]) -> Vec<AdviceId> {
    a.iter().map(|x| x.id).collect()
}

fn get(a: &[Advice], id: AdviceId) -> &Advice {
    a.iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("no {id:?} in {a:#?}"))
}

#[test]
fn without_network_facts_the_advice_is_unchanged() {
    for verdicts in [blocked(), open()] {
        assert_eq!(
            advise(&verdicts, &Context::default()),
            advise(&verdicts, &Context::from_network(None))
        );
    }
    // Facts that name no known provider and show no problem change nothing.
    let mut f = facts(64500);
    f.origin_v4 = Fact::TimedOut;
    assert_eq!(run(&blocked(), f), advise(&blocked(), &Context::default()));
}

#[test]
fn a_known_residential_provider_with_a_relay_comes_first() {
    let a = run(&blocked(), facts(7922));
    assert_eq!(a[0].id, AdviceId::IspRelay);
    assert_eq!(
        a[0].title,
        "Send through Comcast Xfinity's server smtp.comcast.net on port 587 or 465 with your Comcast Xfinity account login"
    );
    assert!(a[0].why.starts_with("You are on Comcast Xfinity (AS7922), which is known to block outgoing port 25 (as of 2012-08)."));
    assert!(
        a[0].why.contains("Ports 587 and 465 are open here."),
        "{}",
        a[0].why
    );
    let ask = get(&a, AdviceId::AskUnblock);
    assert_eq!(
        ask.title,
        "Or ask Comcast Xfinity to lift the block, which it does only for some lines or plans"
    );
    assert!(
        ask.why.ends_with("(From mailport's notes, as of 2012-08.)"),
        "{}",
        ask.why
    );
    // Each id once.
    let distinct: std::collections::HashSet<AdviceId> = ids(&a).into_iter().collect();
    assert_eq!(distinct.len(), a.len(), "{:?}", ids(&a));
}

#[test]
fn the_relay_ports_are_checked_against_the_measurement() {
    let verdicts = vec![
        v(25, Verdict::BlockedSilently),
        v(465, Verdict::BlockedSilently),
        v(587, Verdict::Open),
    ];
    let a = run(&verdicts, facts(7922));
    assert!(a[0].why.contains("Port 587 is open here."), "{}", a[0].why);
    assert!(
        a[0].why.contains("Port 465 looked blocked towards other hosts here; try it against smtp.comcast.net itself."),
        "{}",
        a[0].why
    );
    // Both relay ports blocked towards the other hosts: said once, in the
    // plural.
    let verdicts = vec![
        v(25, Verdict::BlockedSilently),
        v(465, Verdict::BlockedSilently),
        v(587, Verdict::BlockedActively),
    ];
    let a = run(&verdicts, facts(7922));
    let relay = get(&a, AdviceId::IspRelay);
    assert!(
        relay.why.contains(" Ports 587 and 465 looked blocked towards other hosts here; try them against smtp.comcast.net itself."),
        "{}",
        relay.why
    );
    assert!(!relay.why.contains("open here"), "{}", relay.why);
}

#[test]
fn clouds_without_a_relay_get_no_isp_relay_advice() {
    let gcp = knowledge::by_id("gcp").expect("gcp in the notes");
    assert!(gcp.relay.is_none());
    let a = run(&blocked(), facts(gcp.asns[0]));
    assert!(!ids(&a).contains(&AdviceId::IspRelay), "{:?}", ids(&a));
    assert!(ids(&a).contains(&AdviceId::RelayService));
    assert!(get(&a, AdviceId::AskUnblock).title.contains(gcp.name));
}

/// What the provider does with an unblock request decides the advice: a
/// refusal is said, never "ask them"; a routine unblock is worth asking for
/// before generic workarounds.
#[test]
fn the_unblock_policy_shapes_the_advice() {
    for p in knowledge::PROVIDERS.iter().filter(|p| p.blocks_port(25)) {
        let a = run(&blocked(), facts(p.asns[0]));
        let ask = get(&a, AdviceId::AskUnblock);
        let pos = |id| ids(&a).iter().position(|x| *x == id);
        if let Unblock::NotOffered { .. } = p.unblock {
            assert!(
                ask.title
                    .starts_with(&format!("{} does not lift the port 25 block", p.name)),
                "{}: {}",
                p.id,
                ask.title
            );
            assert!(!ask.title.contains("ask"), "{}: {}", p.id, ask.title);
        } else {
            assert!(
                ask.title
                    .to_lowercase()
                    .contains(&format!("ask {} to lift the block", p.name.to_lowercase())),
                "{}: {}",
                p.id,
                ask.title
            );
        }
        if let Unblock::OnRequest { .. } = p.unblock {
            assert!(
                ask.title.ends_with("it does so on request"),
                "{}",
                ask.title
            );
            assert!(
                pos(AdviceId::AskUnblock) < pos(AdviceId::Submit587),
                "{}: {:?}",
                p.id,
                ids(&a)
            );
            assert!(
                pos(AdviceId::AskUnblock) < pos(AdviceId::RelayService),
                "{}",
                p.id
            );
        }
        assert!(
            ask.why.contains(p.unblock.text().trim_end_matches('.')),
            "{}: {}",
            p.id,
            ask.why
        );
        assert!(ask.why.contains(&p.dated()), "{}: {}", p.id, ask.why);
        // Whatever the policy, and with a reverse DNS name to fix first,
        // the first piece of advice names the provider.
        let mut generic = facts(p.asns[0]);
        generic.reverse_dns_v4 = Fact::NotFound;
        for a in [a.clone(), run(&blocked(), generic)] {
            assert!(
                a[0].title.contains(p.name) || a[0].why.contains(p.name),
                "{}: first advice does not name it: {:#?}",
                p.id,
                a[0]
            );
            assert!(!a[0].title.starts_with("Or "), "{}: {}", p.id, a[0].title);
        }
    }
}

#[test]
fn a_routine_unblock_comes_right_after_the_providers_relay() {
    // AWS: SES relay first, then the unblock form, then generic advice.
    let aws = knowledge::by_id("aws").expect("aws");
    let a = run(&blocked(), facts(aws.asns[0]));
    assert_eq!(
        ids(&a)[..3],
        [
            AdviceId::IspRelay,
            AdviceId::AskUnblock,
            AdviceId::Submit587
        ]
    );
    // Hetzner: no relay in the notes, the unblock request comes first.
    let hetzner = knowledge::by_id("hetzner").expect("hetzner");
    let a = run(&blocked(), facts(hetzner.asns[0]));
    assert_eq!(a[0].id, AdviceId::AskUnblock);
    assert_eq!(
        a[0].title,
        "Ask Hetzner to lift the block: it does so on request"
    );
}

#[test]
fn a_residential_provider_without_a_known_relay_is_named() {
    let p = knowledge::PROVIDERS
        .iter()
        .find(|p| {
            p.kind == knowledge::ProviderKind::Residential && p.relay.is_none() && p.blocks_port(25)
        })
        .expect("such an entry");
    let a = run(&blocked(), facts(p.asns[0]));
    let relay = get(&a, AdviceId::IspRelay);
    assert!(relay.title.contains(p.name), "{}", relay.title);
    assert!(relay.why.contains("do not name"), "{}", relay.why);
}

#[test]
fn pbl_listing_warns_that_direct_delivery_would_be_refused() {
    for (verdicts, first_words) in [
        (open(), "Port 25 is open, but receivers would refuse"),
        (
            blocked(),
            "Even with port 25 unblocked, receivers would refuse",
        ),
    ] {
        let mut f = facts(64500);
        f.blocklists = vec![zen(listed(Listing::PblSpamhaus))];
        let a = run(&verdicts, f);
        let pbl = get(&a, AdviceId::PolicyListed);
        assert!(pbl.title.starts_with(first_words), "{}", pbl.title);
        assert!(pbl.title.ends_with("Spamhaus PBL (Spamhaus-maintained)"));
        assert!(!ids(&a).contains(&AdviceId::Blocklisted));
    }
    // With 25 open, it comes before "direct delivery works".
    let mut f = facts(64500);
    f.blocklists = vec![zen(listed(Listing::PblIsp))];
    let a = run(&open(), f);
    assert_eq!(
        ids(&a)[..2],
        [AdviceId::PolicyListed, AdviceId::DirectDeliveryOk]
    );
}

#[test]
fn refused_or_unknown_blocklist_answers_change_nothing() {
    for status in [
        BlocklistStatus::Unknown {
            why: UnknownWhy::PublicResolver,
        },
        BlocklistStatus::Unknown {
            why: UnknownWhy::ExcessiveVolume,
        },
        BlocklistStatus::TimedOut,
        BlocklistStatus::Failed { error: "x".into() },
    ] {
        let mut f = facts(64500);
        f.blocklists = vec![zen(status.clone())];
        assert_eq!(run(&open(), f), run(&open(), facts(64500)), "{status:?}");
    }
}

#[test]
fn reputation_listings_come_first() {
    for l in [Listing::Sbl, Listing::Xbl, Listing::Css, Listing::Drop] {
        let mut f = facts(64500);
        f.blocklists = vec![zen(listed(l.clone()))];
        for verdicts in [open(), blocked()] {
            let a = run(&verdicts, f.clone());
            assert_eq!(a[0].id, AdviceId::Blocklisted, "{l:?}");
            assert!(a[0].title.contains(&l.label()), "{}", a[0].title);
            assert!(a[0].title.contains("203.0.113.7"), "{}", a[0].title);
        }
    }
}

#[test]
fn reverse_dns_problems_are_raised_for_direct_delivery() {
    let generic = Fact::Found {
        value: Ptr {
            name: "c-203-0-113-7.example.net".into(),
            forward: Forward::Confirmed,
            generic: Some(GenericSign::EmbeddedAddress),
        },
    };
    let unconfirmed = Fact::Found {
        value: Ptr {
            name: "mail.example.org".into(),
            forward: Forward::Mismatch,
            generic: None,
        },
    };
    // The forward lookup did not answer: nothing is known, nothing claimed.
    let unchecked = Fact::Found {
        value: Ptr {
            name: "mail.example.org".into(),
            forward: Forward::Unknown,
            generic: None,
        },
    };
    let table: Vec<(Fact<Ptr>, Option<&str>)> = vec![
        (Fact::NotFound, Some("has no reverse DNS name")),
        (generic, Some("looks like a home or pool address")),
        (unconfirmed, Some("does not resolve back to 203.0.113.7")),
        (facts(64500).reverse_dns_v4, None),
        (unchecked, None),
        (Fact::TimedOut, None),
    ];
    for (ptr, want) in table {
        let mut f = facts(64500);
        f.reverse_dns_v4 = ptr.clone();
        let a = run(&open(), f.clone());
        let got = a.iter().find(|x| x.id == AdviceId::ReverseDns);
        match want {
            Some(w) => assert!(got.is_some_and(|x| x.title.contains(w)), "{ptr:?}: {got:?}"),
            None => assert!(got.is_none(), "{ptr:?}: {got:?}"),
        }
        // When 25 is blocked, the same problem is raised for after an
        // unblock, after the relay advice and before the unblock request.
        let a = run(&blocked(), f);
        let pos = |id| ids(&a).iter().position(|x| *x == id);
        match want {
            Some(w) => {
                let r = get(&a, AdviceId::ReverseDns);
                assert!(
                    r.title
                        .starts_with("Before asking for an unblock, fix reverse DNS: "),
                    "{}",
                    r.title
                );
                assert!(r.title.contains(w), "{}", r.title);
                assert!(pos(AdviceId::ReverseDns) > pos(AdviceId::RelayService));
                assert!(pos(AdviceId::ReverseDns) < pos(AdviceId::AskUnblock));
            }
            None => assert!(!ids(&a).contains(&AdviceId::ReverseDns)),
        }
    }
}

#[test]
fn the_measurement_wins_over_the_notes() {
    // Notes say Comcast blocks 25; this line has it open.
    let a = run(&open(), facts(7922));
    let d = get(&a, AdviceId::PolicyDiffers);
    assert_eq!(
        d.title,
        "Comcast Xfinity (AS7922) is known to block port 25 (as of 2012-08), but it is open on your line"
    );
    assert!(d.why.contains("measurement wins"));
    assert!(ids(&a).contains(&AdviceId::DirectDeliveryOk));

    // Notes say a provider does not block 25; this line has it blocked.
    let p = knowledge::PROVIDERS
        .iter()
        .find(|p| !p.blocks_port(25))
        .expect("a provider not known to block 25");
    let a = run(&blocked(), facts(p.asns[0]));
    let d = get(&a, AdviceId::PolicyDiffers);
    assert!(
        d.title
            .contains("is not known to block port 25, but it is blocked here"),
        "{}",
        d.title
    );
    assert!(d.why.contains(&p.dated()), "{}", d.why);

    // Agreement: no such note.
    assert!(!ids(&run(&blocked(), facts(7922))).contains(&AdviceId::PolicyDiffers));
    assert!(!ids(&run(&open(), facts(p.asns[0]))).contains(&AdviceId::PolicyDiffers));
}

/// Linode's notes block 25, 465 and 587: whichever of those is measured
/// open is listed in one note (not only port 25, as before).
#[test]
fn every_port_the_notes_call_blocked_but_open_is_noted_once() {
    let linode = knowledge::by_id("linode").expect("linode");
    let asn = linode.asns[0];
    let table: Vec<(Vec<PortVerdict>, Option<&str>)> = vec![
        (
            vec![v(25, Verdict::BlockedSilently), v(587, Verdict::Open)],
            Some("Linode (Akamai Cloud) (AS63949) is known to block port 587 (as of 2019-11), but it is open on your line"),
        ),
        (
            vec![
                v(25, Verdict::Open),
                v(465, Verdict::Open),
                v(587, Verdict::Open),
            ],
            Some("Linode (Akamai Cloud) (AS63949) is known to block ports 25, 465 and 587 (as of 2019-11), but they are open on your line"),
        ),
        (
            vec![
                v(25, Verdict::BlockedSilently),
                v(465, Verdict::BlockedSilently),
                v(587, Verdict::BlockedActively),
            ],
            None,
        ),
    ];
    for (verdicts, want) in table {
        let a = run(&verdicts, facts(asn));
        let notes: Vec<&Advice> = a
            .iter()
            .filter(|x| x.id == AdviceId::PolicyDiffers)
            .collect();
        assert_eq!(
            notes.first().map(|d| d.title.as_str()),
            want,
            "{verdicts:?}"
        );
        assert!(notes.len() <= 1);
    }
}

/// A provider not known to block 25, measured blocked: that disagreement
/// (likely a local cause) is the first thing said, naming the provider.
#[test]
fn a_block_the_notes_do_not_know_is_said_first() {
    let p = knowledge::by_id("contabo").expect("contabo");
    assert!(p.blocks.is_empty());
    let a = run(&blocked(), facts(p.asns[0]));
    assert_eq!(a[0].id, AdviceId::PolicyDiffers, "{:?}", ids(&a));
    assert!(a[0]
        .title
        .starts_with("Contabo (AS51167) is not known to block port 25"));
    assert!(a[0].why.contains("this machine's firewall"), "{}", a[0].why);
}

fn restricted(relays: &[&str], reached: &[&str]) -> PortVerdict {
    PortVerdict {
        reached: reached.iter().map(|h| h.to_string()).collect(),
        relays: relays.iter().map(|h| h.to_string()).collect(),
        ..v(25, Verdict::Restricted)
    }
}

/// Port 25 reaching some hosts and not others: only a host that can relay
/// (a submission server, the user's own host) is suggested, never a
/// recipient's MX or a port-echo service, in the right number.
#[test]
fn a_restricted_port_25_suggests_only_relays() {
    let table: Vec<(PortVerdict, Option<&str>)> = vec![
        (
            restricted(&["relay.isp.example"], &["relay.isp.example"]),
            Some("Relay through relay.isp.example on port 25: your network lets port 25 through to it"),
        ),
        (
            restricted(&["a.isp.example", "b.isp.example"], &["a.isp.example", "b.isp.example", "gmail-smtp-in.l.google.com"]),
            Some("Relay through a.isp.example or b.isp.example on port 25: your network lets port 25 through to them"),
        ),
        // Only an MX and a port echo answered: nothing to relay through.
        (restricted(&[], &["gmail-smtp-in.l.google.com", "portquiz.net"]), None),
    ];
    for (verdict, want) in table {
        let verdicts = vec![verdict, v(587, Verdict::Open)];
        let a = advise(&verdicts, &Context::default());
        let relay = a.iter().find(|x| x.id == AdviceId::IspRelay);
        match want {
            Some(title) => {
                assert_eq!(a[0].title, title);
                assert_eq!(a[0].id, AdviceId::IspRelay);
            }
            None => {
                // The generic "your ISP's server" advice, naming no host.
                let relay = relay.expect("generic ISP relay advice");
                assert!(
                    !relay.title.contains("gmail") && !relay.title.contains("portquiz"),
                    "{}",
                    relay.title
                );
                assert!(relay.title.contains("your ISP"), "{}", relay.title);
            }
        }
        for x in &a {
            assert!(!x.title.contains("gmail-smtp-in"), "{}", x.title);
            assert!(!x.title.contains("portquiz"), "{}", x.title);
        }
    }
}

/// "Check your firewall" only when more than one port was tested and none
/// passed: port 25 alone blocked is the usual ISP policy.
#[test]
fn the_local_network_is_blamed_only_when_several_ports_fail() {
    let table: Vec<(Vec<PortVerdict>, bool)> = vec![
        (vec![v(25, Verdict::BlockedSilently)], false),
        (
            vec![
                v(25, Verdict::BlockedSilently),
                v(
                    587,
                    Verdict::NotTestable {
                        reason: mailport_shared::classify::NotTestableReason::NoAddress,
                    },
                ),
            ],
            false,
        ),
        (
            vec![
                v(25, Verdict::BlockedSilently),
                v(587, Verdict::BlockedActively),
            ],
            true,
        ),
        (
            vec![v(25, Verdict::BlockedSilently), v(587, Verdict::Open)],
            false,
        ),
    ];
    for (verdicts, want) in table {
        let a = advise(&verdicts, &Context::default());
        assert_eq!(
            ids(&a).contains(&AdviceId::CheckLocalNetwork),
            want,
            "{verdicts:?}: {:?}",
            ids(&a)
        );
    }
}

/// The AS named in the advice is the one that matched the provider (here
/// IPv6's origin), not IPv4's.
#[test]
fn the_advice_names_the_as_that_matched() {
    let mut f = facts(64500);
    f.origin_v6 = Fact::Found {
        value: AsnInfo {
            asn: 7922,
            other_asns: vec![],
            prefix: "2001:db8::/32".into(),
            country: "US".into(),
            registry: "arin".into(),
            allocated: String::new(),
            as_name: None,
        },
    };
    let a = run(&blocked(), f);
    assert!(
        a[0].why.starts_with("You are on Comcast Xfinity (AS7922)"),
        "{}",
        a[0].why
    );
    assert!(!a
        .iter()
        .any(|x| x.why.contains("AS64500") || x.title.contains("AS64500")));
}

/// Port 25 could not be judged: a generic or missing PTR is still said, as
/// information, not as a fix before an unblock.
#[test]
fn reverse_dns_is_mentioned_when_25_could_not_be_judged() {
    let untestable = vec![v(
        25,
        Verdict::NotTestable {
            reason: mailport_shared::classify::NotTestableReason::NoRoute,
        },
    )];
    let mut f = facts(64500);
    f.reverse_dns_v4 = Fact::NotFound;
    let a = run(&untestable, f);
    let r = get(&a, AdviceId::ReverseDns);
    assert!(
        r.title
            .starts_with("If you plan direct delivery on port 25: your public address 203.0.113.7 has no reverse DNS name"),
        "{}",
        r.title
    );
    assert!(!ids(&a).contains(&AdviceId::AskUnblock));
    // With a clean name, nothing.
    assert!(!ids(&run(&untestable, facts(64500))).contains(&AdviceId::ReverseDns));
}

/// "Receiving mail at home?" is for home lines (or lines not known).
#[test]
fn the_home_inbound_tip_is_for_home_lines_only() {
    let home = knowledge::PROVIDERS
        .iter()
        .find(|p| p.kind == ProviderKind::Residential && p.blocks_port(25))
        .expect("a home ISP");
    for (asn, want) in [
        (home.asns[0], true),
        (64500, true),
        (knowledge::by_id("aws").expect("aws").asns[0], false),
        (knowledge::by_id("hetzner").expect("hetzner").asns[0], false),
    ] {
        let a = run(&blocked(), facts(asn));
        assert_eq!(
            ids(&a).contains(&AdviceId::InboundReflector),
            want,
            "AS{asn}: {:?}",
            ids(&a)
        );
    }
}
