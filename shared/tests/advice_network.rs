//! Network-aware advice as tables: the provider, its relay and unblock
//! procedure, PBL and reputation listings, reverse DNS, and disagreements
//! between mailport's notes and the measurement.

use mailport_shared::advice::{advise, Advice, AdviceId, Context};
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::knowledge;
use mailport_shared::netinfo::{
    AsnInfo, BlocklistResult, BlocklistStatus, Fact, GenericSign, Listing, NetworkFacts, Ptr,
    UnknownWhy,
};
use mailport_shared::Family;

fn v(port: u16, verdict: Verdict) -> PortVerdict {
    PortVerdict {
        port,
        family: Family::Ipv4,
        verdict,
        why: String::new(),
        reached: Vec::new(),
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
                forward_confirmed: true,
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
    assert_eq!(ask.title, "Or ask Comcast Xfinity to lift the block");
    assert!(
        ask.why.ends_with("(From mailport's notes, as of 2012-08.)"),
        "{}",
        ask.why
    );
    // Each id once.
    let mut seen = ids(&a);
    seen.dedup();
    assert_eq!(seen.len(), a.len());
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

#[test]
fn a_residential_provider_without_a_known_relay_is_named() {
    let p = knowledge::PROVIDERS
        .iter()
        .find(|p| {
            p.kind == knowledge::ProviderKind::Residential
                && p.relay.is_none()
                && p.blocks_port(25)
                && !p.asns.is_empty()
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
            forward_confirmed: true,
            generic: Some(GenericSign::EmbeddedAddress),
        },
    };
    let unconfirmed = Fact::Found {
        value: Ptr {
            name: "mail.example.org".into(),
            forward_confirmed: false,
            generic: None,
        },
    };
    let table: Vec<(Fact<Ptr>, Option<&str>)> = vec![
        (Fact::NotFound, Some("has no reverse DNS name")),
        (generic, Some("looks like a home or pool address")),
        (unconfirmed, Some("does not resolve back to 203.0.113.7")),
        (facts(64500).reverse_dns_v4, None),
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
        .find(|p| !p.blocks_port(25) && !p.asns.is_empty())
        .expect("a provider not known to block 25");
    let a = run(&blocked(), facts(p.asns[0]));
    let d = get(&a, AdviceId::PolicyDiffers);
    assert!(
        d.title
            .contains("is not known to block port 25, but it is blocked here"),
        "{}",
        d.title
    );
    assert!(d.why.contains(p.as_of));

    // Agreement: no such note.
    assert!(!ids(&run(&blocked(), facts(7922))).contains(&AdviceId::PolicyDiffers));
    assert!(!ids(&run(&open(), facts(p.asns[0]))).contains(&AdviceId::PolicyDiffers));
}
