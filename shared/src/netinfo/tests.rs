use super::*;
use std::net::{IpAddr, Ipv4Addr};

fn v4(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

#[test]
fn zen_codes_decode_as_documented() {
    use BlocklistStatus as S;
    let zen = |codes: &[&str]| {
        let a: Vec<Ipv4Addr> = codes.iter().map(|c| v4(c)).collect();
        decode_dnsbl(DnsblKind::SpamhausZen, &a)
    };
    let listed = |l: Vec<Listing>| S::Listed {
        listings: l,
        reason: None,
    };
    let table: Vec<(&[&str], BlocklistStatus)> = vec![
        (&[], S::NotListed),
        (&["127.0.0.2"], listed(vec![Listing::Sbl])),
        (&["127.0.0.3"], listed(vec![Listing::Css])),
        (&["127.0.0.4"], listed(vec![Listing::Xbl])),
        (&["127.0.0.7"], listed(vec![Listing::Xbl])),
        (&["127.0.0.9"], listed(vec![Listing::Drop])),
        (&["127.0.0.10"], listed(vec![Listing::PblIsp])),
        (&["127.0.0.11"], listed(vec![Listing::PblSpamhaus])),
        (&["127.0.0.30"], listed(vec![Listing::Bcl])),
        (
            &["127.0.0.4", "127.0.0.10", "127.0.0.4"],
            listed(vec![Listing::Xbl, Listing::PblIsp]),
        ),
        // A code ZEN does not document is never a reputation listing: not
        // an unknown 127.0.0.x, not the DBL's 127.0.1.255 ("IP queries
        // prohibited") from a zone that was taken for ZEN.
        (
            &["127.0.0.99"],
            S::Unknown {
                why: UnknownWhy::UnexpectedCode {
                    code: v4("127.0.0.99"),
                },
            },
        ),
        (
            &["127.0.1.255"],
            S::Unknown {
                why: UnknownWhy::UnexpectedCode {
                    code: v4("127.0.1.255"),
                },
            },
        ),
        // Next to a documented code, the undocumented one is dropped.
        (&["127.0.0.99", "127.0.0.10"], listed(vec![Listing::PblIsp])),
        // Refusals are never listings, even mixed with a listing code.
        (
            &["127.255.255.254"],
            S::Unknown {
                why: UnknownWhy::PublicResolver,
            },
        ),
        (
            &["127.255.255.255"],
            S::Unknown {
                why: UnknownWhy::ExcessiveVolume,
            },
        ),
        (
            &["127.255.255.252"],
            S::Unknown {
                why: UnknownWhy::TypingError,
            },
        ),
        (
            &["127.0.0.10", "127.255.255.254"],
            S::Unknown {
                why: UnknownWhy::PublicResolver,
            },
        ),
        (
            &["127.255.255.1"],
            S::Unknown {
                why: UnknownWhy::Refused {
                    code: v4("127.255.255.1"),
                },
            },
        ),
        // A resolver that rewrites NXDOMAIN into an ad server.
        (
            &["198.51.100.7"],
            S::Unknown {
                why: UnknownWhy::RewrittenAnswer {
                    answer: v4("198.51.100.7"),
                },
            },
        ),
    ];
    for (codes, want) in table {
        assert_eq!(zen(codes), want, "codes {codes:?}");
    }
}

#[test]
fn generic_lists_report_codes_without_guessing() {
    assert_eq!(
        decode_dnsbl(DnsblKind::Generic, &[v4("127.0.0.2")]),
        BlocklistStatus::Listed {
            listings: vec![Listing::Other {
                code: v4("127.0.0.2")
            }],
            reason: None
        }
    );
    assert!(matches!(
        decode_dnsbl(DnsblKind::Generic, &[v4("127.255.255.254")]),
        BlocklistStatus::Unknown {
            why: UnknownWhy::Refused { .. }
        }
    ));
}

#[test]
fn pbl_is_explained_as_a_home_line_policy() {
    assert!(Listing::PblIsp.is_pbl() && Listing::PblSpamhaus.is_pbl());
    assert!(!Listing::Sbl.is_pbl() && !Listing::Xbl.is_pbl());
    assert!(Listing::PblIsp
        .explain()
        .contains("only through its ISP's servers"));
    assert_eq!(Listing::PblIsp.label(), "Spamhaus PBL (ISP-maintained)");
}

#[test]
fn ipv4_reversal() {
    for (ip, want) in [
        ("73.1.2.3", "3.2.1.73"),
        ("192.0.2.1", "1.2.0.192"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.254.253.252", "252.253.254.255"),
    ] {
        assert_eq!(reverse_ipv4(v4(ip)), want);
    }
    assert_eq!(
        dnsbl_query_name("203.0.113.5".parse().expect("ip"), "zen.spamhaus.org."),
        "5.113.0.203.zen.spamhaus.org"
    );
    assert_eq!(
        cymru_origin_name("73.1.2.3".parse().expect("ip"), "asn.cymru.com"),
        "3.2.1.73.origin.asn.cymru.com"
    );
    assert_eq!(
        ptr_query_name("198.51.100.25".parse().expect("ip")),
        "25.100.51.198.in-addr.arpa"
    );
    assert_eq!(
        cymru_asn_name(7922, "asn.cymru.com."),
        "AS7922.asn.cymru.com"
    );
}

#[test]
fn ipv6_nibble_reversal() {
    let table = [
        (
            "2001:db8::1",
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
        ),
        (
            "2001:db8:abcd:12::ff00:42",
            "2.4.0.0.0.0.f.f.0.0.0.0.0.0.0.0.2.1.0.0.d.c.b.a.8.b.d.0.1.0.0.2",
        ),
        ("::", &["0"; 32].join(".")),
    ];
    for (ip, want) in table {
        let got = reverse_ipv6_nibbles(ip.parse().expect("ip"));
        assert_eq!(got, want, "{ip}");
        assert_eq!(got.split('.').count(), 32);
    }
    assert_eq!(
        cymru_origin_name("2001:db8::1".parse().expect("ip"), "asn.cymru.com"),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com"
    );
    assert!(
        ptr_query_name("2001:db8::1".parse().expect("ip")).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa")
    );
}

#[test]
fn cymru_origin_answers_parse() {
    let a = parse_cymru_origin("\"7922 | 73.0.0.0/8 | US | arin | 2005-11-15\"").expect("parses");
    assert_eq!(
        a,
        AsnInfo {
            asn: 7922,
            other_asns: vec![],
            prefix: "73.0.0.0/8".into(),
            country: "US".into(),
            registry: "arin".into(),
            allocated: "2005-11-15".into(),
            as_name: None,
        }
    );
    let multi = parse_cymru_origin("23028 3356 | 216.90.108.0/24 | US | arin | 1998-09-25")
        .expect("multi-origin parses");
    assert_eq!((multi.asn, multi.other_asns), (23028, vec![3356]));
    let no_date = parse_cymru_origin("24940 | 2a01:4f8::/32 | DE | ripencc |").expect("parses");
    assert_eq!((no_date.asn, no_date.allocated.as_str()), (24940, ""));
    for bad in [
        "",
        "garbage",
        "x | 1.2.3.0/24 | US | arin",
        "7922 | 73.0.0.0/8",
    ] {
        assert!(parse_cymru_origin(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn most_specific_origin_wins() {
    let answers = vec![
        "7922 | 73.0.0.0/8 | US | arin | 2005-11-15".to_string(),
        "7922 | 73.1.0.0/16 | US | arin | 2005-11-15".to_string(),
        "nonsense".to_string(),
    ];
    assert_eq!(
        best_origin(&answers).expect("one parses").prefix,
        "73.1.0.0/16"
    );
    assert!(best_origin(&["nonsense".to_string()]).is_err());
    assert!(best_origin(&[]).is_err());
}

#[test]
fn cymru_asname_answers_parse() {
    assert_eq!(
        parse_cymru_asname(
            "\"7922 | US | arin | 1997-02-14 | COMCAST-7922 - Comcast Cable Communications, LLC, US\""
        ),
        Ok((
            7922,
            "COMCAST-7922 - Comcast Cable Communications, LLC, US".to_string()
        ))
    );
    // A '|' inside the name stays in the name.
    assert_eq!(
        parse_cymru_asname("64500 | ZZ | other | | ODD | NAME").map(|x| x.1),
        Ok("ODD | NAME".to_string())
    );
    assert!(parse_cymru_asname("7922 | US | arin").is_err());
    assert!(parse_cymru_asname("AS7922 | US | arin | 1997-02-14 | X").is_err());
}

#[test]
fn generic_ptr_detection() {
    let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
    let emb = Some(GenericSign::EmbeddedAddress);
    let kw = |w: &str| Some(GenericSign::Keyword { word: w.into() });
    let table: Vec<(&str, Option<IpAddr>, Option<GenericSign>)> = vec![
        (
            "c-73-1-2-3.hsd1.ca.comcast.net",
            ip("73.1.2.3"),
            emb.clone(),
        ),
        ("c-73-1-2-3.hsd1.ca.comcast.net.", None, emb.clone()),
        (
            "ec2-203-0-113-9.compute-1.amazonaws.com",
            ip("203.0.113.9"),
            emb.clone(),
        ),
        (
            "static.9.113.0.203.clients.your-server.de",
            ip("203.0.113.9"),
            emb.clone(),
        ),
        (
            "host203000113009.example.net",
            ip("203.0.113.9"),
            emb.clone(),
        ),
        (
            "ip-203-000-113-009.example.net",
            ip("203.0.113.9"),
            emb.clone(),
        ),
        ("cb00710a.example.net", ip("203.0.113.10"), emb.clone()),
        ("adsl-dyn17.example.net", ip("198.51.100.1"), kw("adsl")),
        (
            "pool-abc.bos.east.verizon.net",
            ip("198.51.100.1"),
            kw("pool"),
        ),
        ("dynamic-ip.example.net", None, kw("dynamic")),
        ("dhcp7.cpe.example.net", None, kw("dhcp")),
        ("cable-xyz.example.net", None, kw("cable")),
        ("dyn.example.net", None, kw("dyn")),
        ("mail.dyn.net", None, None), // the ISP's own domain is not searched
        ("x.dyn.example.net", None, kw("dyn")),
        ("cpe-home.example.net", None, kw("cpe")),
        // Broad words count only next to digits in the same label...
        ("res12.mail.example.net", None, kw("res")),
        ("cust-12-34.example.net", None, kw("cust")),
        ("home7.example.net", None, kw("home")),
        ("user-9f.isp.example.com", None, kw("user")),
        // ...so the names of ordinary mail hosts are not generic.
        ("res.mail.example.net", None, None),
        ("mx.client.example.com", None, None),
        ("smtp.users.example.org", None, None),
        ("mail.mobile.example.com", None, None),
        ("webmail.res.tu-berlin.de", None, None),
        // The registrable domain is never searched, two-label suffixes
        // included.
        ("mail.customer.co.uk", None, None),
        ("mail.home.example.co.uk", None, None),
        ("mail.dsl.co.uk", None, None),
        ("mx.pool.example.co.uk", None, kw("pool")),
        // An embedded IPv6 address, in the forms ISPs write it.
        (
            "2001-db8-0-0-0-0-0-25.customers.example.net",
            ip("2001:db8::25"),
            emb.clone(),
        ),
        (
            "2001-0db8-0000-0000-0000-0000-0000-0025.example.net",
            ip("2001:db8::25"),
            emb.clone(),
        ),
        ("2001-db8--25.example.net", ip("2001:db8::25"), emb.clone()),
        (
            "x20010db8000000000000000000000025.example.net",
            ip("2001:db8::25"),
            emb.clone(),
        ),
        // Another address's groups, or the groups glued to more hex digits,
        // do not count.
        ("2001-db8--26.example.net", ip("2001:db8::25"), None),
        ("2001-db8--25f.example.net", ip("2001:db8::25"), None),
        ("mail.example.org", ip("2001:db8::25"), None),
        ("mail.example.org", ip("198.51.100.25"), None),
        ("mx1.example.org", ip("198.51.100.25"), None),
        ("smtp-out.example.com", ip("198.51.100.25"), None),
        ("a.b.example.com", None, None),
        // Digits of another address in sequence still look like a pool name.
        ("10-20-30-40.example.net", ip("198.51.100.25"), emb.clone()),
        // Glued digits do not count: 173-1-2-3x is not 73-1-2-3, and three
        // numbers are not an address.
        ("c-173-1-2-3x.example.net", ip("73.1.2.3"), None),
        ("c-1-2-3.example.net", ip("73.1.2.3"), None),
        ("mäil.example.org", ip("73.1.2.3"), None),
    ];
    for (name, addr, want) in table {
        assert_eq!(generic_ptr(name, addr), want, "{name}");
    }
}

fn comcast_facts() -> NetworkFacts {
    NetworkFacts {
        public_ipv4: Fact::Found {
            value: v4("73.1.2.3"),
        },
        origin_v4: Fact::Found {
            value: AsnInfo {
                asn: 7922,
                other_asns: vec![],
                prefix: "73.0.0.0/8".into(),
                country: "US".into(),
                registry: "arin".into(),
                allocated: "2005-11-15".into(),
                as_name: Some("COMCAST-7922 - Comcast Cable Communications, LLC, US".into()),
            },
        },
        blocklists: vec![BlocklistResult {
            list: "Spamhaus ZEN".into(),
            zone: "zen.spamhaus.org".into(),
            address: Some("73.1.2.3".parse().expect("ip")),
            status: BlocklistStatus::Listed {
                listings: vec![Listing::PblIsp],
                reason: None,
            },
        }],
        ..Default::default()
    }
}

#[test]
fn provider_line_names_the_provider_or_the_as() {
    let facts = comcast_facts();
    let line = provider_line(&facts).expect("origin known");
    assert_eq!(
        line,
        "Network: Comcast Xfinity (AS7922, US), residential — known to block 25 (as of 2012-08)"
    );
    let mut unknown = facts.clone();
    if let Fact::Found { value } = &mut unknown.origin_v4 {
        value.asn = 64500;
    }
    let line = provider_line(&unknown).expect("origin known");
    assert!(line.contains("AS64500 COMCAST-7922"), "{line}");
    assert!(line.contains("not in mailport's provider notes"), "{line}");
    assert_eq!(provider_line(&NetworkFacts::default()), None);
}

fn origin(asn: u32, other: &[u32], country: &str) -> Fact<AsnInfo> {
    Fact::Found {
        value: AsnInfo {
            asn,
            other_asns: other.to_vec(),
            prefix: "2001:db8::/32".into(),
            country: country.into(),
            registry: "ripencc".into(),
            allocated: String::new(),
            as_name: Some("SOME-AS".into()),
        },
    }
}

/// The AS and country shown are those of the origin that named the
/// provider, not IPv4's when IPv6's (or another origin of the prefix)
/// matched.
#[test]
fn provider_line_shows_the_as_that_matched() {
    let table: Vec<(Fact<AsnInfo>, Fact<AsnInfo>, &str)> = vec![
        (
            origin(64500, &[], "US"),
            origin(24940, &[], "DE"),
            "Network: Hetzner (AS24940, DE), hosting — known to block 25 and 465 on Hetzner Cloud servers (as of 2026-05)",
        ),
        (
            origin(64500, &[24940], "DE"),
            Fact::NotFound,
            "Network: Hetzner (AS24940, DE), hosting — known to block 25 and 465 on Hetzner Cloud servers (as of 2026-05)",
        ),
        // Undated sources say so, with the month they were read.
        (
            origin(6389, &[], "US"),
            Fact::TimedOut,
            "Network: BellSouth (now AT&T) (AS6389, US), residential — known to block 25 (sources undated, read 2026-11)",
        ),
    ];
    for (v4, v6, want) in table {
        let facts = NetworkFacts {
            origin_v4: v4,
            origin_v6: v6,
            ..Default::default()
        };
        assert_eq!(provider_line(&facts).as_deref(), Some(want));
    }
}

/// A failed origin lookup is said, in the same words on the terminal and
/// the page (both print this line); a skipped or empty one says nothing.
#[test]
fn provider_line_says_when_the_origin_lookup_failed() {
    let table: Vec<(Fact<AsnInfo>, Fact<AsnInfo>, Option<&str>)> = vec![
        (
            Fact::TimedOut,
            Fact::default(),
            Some("Network: unknown (timed out)"),
        ),
        (
            Fact::default(),
            Fact::Failed {
                error: "SERVFAIL".into(),
            },
            Some("Network: unknown (lookup failed)"),
        ),
        (Fact::NotFound, Fact::default(), None),
        (Fact::default(), Fact::default(), None),
    ];
    for (v4, v6, want) in table {
        let facts = NetworkFacts {
            origin_v4: v4.clone(),
            origin_v6: v6.clone(),
            ..Default::default()
        };
        assert_eq!(provider_line(&facts).as_deref(), want, "{v4:?} {v6:?}");
    }
}

#[test]
fn blocklist_line_says_listed_unknown_or_clean() {
    let mut facts = comcast_facts();
    let line = blocklist_line(&facts).expect("a list was asked");
    assert_eq!(
        line,
        "Blocklists: listed on Spamhaus PBL (ISP-maintained): this address is meant to send only through its ISP's servers, so receivers refuse direct mail from it"
    );
    facts.blocklists[0].status = BlocklistStatus::Unknown {
        why: UnknownWhy::PublicResolver,
    };
    let line = blocklist_line(&facts).expect("a list was asked");
    assert!(line.contains("unknown, not a listing"), "{line}");
    assert!(!line.contains("listed on"), "{line}");
    facts.blocklists[0].status = BlocklistStatus::NotListed;
    assert_eq!(
        blocklist_line(&facts).as_deref(),
        Some("Blocklists: not listed on Spamhaus ZEN")
    );
    facts.blocklists.clear();
    assert_eq!(blocklist_line(&facts), None);
}

#[test]
fn facts_round_trip_through_json_and_default_when_missing() {
    let facts = comcast_facts();
    let json = serde_json::to_string(&facts).expect("serializes");
    assert!(
        json.contains(r#""public_ipv4":{"state":"found","value":"73.1.2.3"}"#),
        "{json}"
    );
    let back: NetworkFacts = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, facts);
    let empty: NetworkFacts = serde_json::from_str("{}").expect("defaults");
    assert!(matches!(empty.public_ipv4, Fact::Skipped { .. }));
    let dis: Fact<Ipv4Addr> = Fact::Disagreement {
        answers: vec![Witness {
            server: "a".into(),
            value: v4("192.0.2.1"),
        }],
    };
    let j = serde_json::to_string(&dis).expect("serializes");
    assert_eq!(
        serde_json::from_str::<Fact<Ipv4Addr>>(&j).expect("parses"),
        dis
    );
}

#[test]
fn provider_and_listings_are_derived_from_facts() {
    let facts = comcast_facts();
    assert_eq!(
        facts
            .provider()
            .map(|m| (m.matched.provider.id, m.matched.asn)),
        Some(("comcast", 7922))
    );
    assert_eq!(facts.pbl_listings().len(), 1);
    assert!(facts.reputation_listings().is_empty());
    assert_eq!(NetworkFacts::default().provider(), None);
}

#[test]
fn address_line_states() {
    let mut facts = comcast_facts();
    facts.reverse_dns_v4 = Fact::Found {
        value: Ptr {
            name: "c-73-1-2-3.hsd1.ca.comcast.net".into(),
            forward: Forward::Confirmed,
            generic: Some(GenericSign::EmbeddedAddress),
        },
    };
    facts.public_ipv6 = Fact::NotFound;
    assert_eq!(
        address_line(&facts).as_deref(),
        Some("Public address: IPv4 73.1.2.3, reverse DNS c-73-1-2-3.hsd1.ca.comcast.net (looks generic: it embeds the address's digits); IPv6 none")
    );
    facts.reverse_dns_v4 = Fact::NotFound;
    facts.public_ipv6 = Fact::TimedOut;
    assert_eq!(
        address_line(&facts).as_deref(),
        Some("Public address: IPv4 73.1.2.3, no reverse DNS name; IPv6 unknown (lookup timed out)")
    );
    facts.public_ipv4 = Fact::Disagreement {
        answers: vec![
            Witness {
                server: "a".into(),
                value: v4("192.0.2.1"),
            },
            Witness {
                server: "b".into(),
                value: v4("192.0.2.2"),
            },
        ],
    };
    facts.public_ipv6 = Fact::Skipped {
        reason: "off".into(),
    };
    assert_eq!(
        address_line(&facts).as_deref(),
        Some("Public address: IPv4 unknown, the servers disagree (a says 192.0.2.1, b says 192.0.2.2)")
    );
    assert_eq!(address_line(&NetworkFacts::default()), None);
}

#[test]
fn address_line_says_one_source_and_unknown_forward_checks() {
    let mut facts = comcast_facts();
    facts.address_sources.ipv4 = 2;
    assert_eq!(
        address_line(&facts).as_deref(),
        Some("Public address: IPv4 73.1.2.3")
    );
    facts.address_sources.ipv4 = 1;
    assert_eq!(
        address_line(&facts).as_deref(),
        Some("Public address: IPv4 73.1.2.3 (one source)")
    );
    let ptr = |forward| Fact::Found {
        value: Ptr {
            name: "mail.example.org".into(),
            forward,
            generic: None,
        },
    };
    for (forward, note) in [
        (Forward::Confirmed, ""),
        (Forward::Mismatch, " (does not resolve back)"),
        (Forward::Unknown, " (whether it resolves back is unknown)"),
    ] {
        facts.reverse_dns_v4 = ptr(forward);
        assert_eq!(
            address_line(&facts),
            Some(format!(
                "Public address: IPv4 73.1.2.3 (one source), reverse DNS mail.example.org{note}"
            ))
        );
    }
}

/// Reports written before the three FCrDNS states carried a bool; they
/// still read, with the meaning they had.
#[test]
fn old_forward_confirmed_bools_still_read() {
    for (json, want) in [
        (
            r#"{"name":"a.example","forward_confirmed":true}"#,
            Forward::Confirmed,
        ),
        (
            r#"{"name":"a.example","forward_confirmed":false}"#,
            Forward::Mismatch,
        ),
        (
            r#"{"name":"a.example","forward":"unknown"}"#,
            Forward::Unknown,
        ),
        (
            r#"{"name":"a.example","forward":"mismatch"}"#,
            Forward::Mismatch,
        ),
        (r#"{"name":"a.example"}"#, Forward::Unknown),
    ] {
        let ptr: Ptr = serde_json::from_str(json).expect(json);
        assert_eq!(ptr.forward, want, "{json}");
    }
    let back = serde_json::to_string(&Ptr {
        name: "a.example".into(),
        forward: Forward::Confirmed,
        generic: None,
    })
    .expect("serializes");
    assert_eq!(
        back,
        r#"{"name":"a.example","forward":"confirmed","generic":null}"#
    );
}

/// Found by the property suite (shared/tests/fuzz): a Cymru TXT answer is
/// whatever the DNS server sent, and its fields went to the report and the
/// terminal raw: an escape sequence in the prefix reached the user's
/// terminal, and a 10 KB field reached the report whole.
#[test]
fn cymru_fields_from_the_network_are_escaped_and_capped() {
    let hostile = format!(
        "7922 | \u{1b}]0;owned\u{7} | US | arin | {}",
        "9".repeat(10_000)
    );
    let info = parse_cymru_origin(&hostile).expect("parses");
    assert_eq!(info.prefix, "\\u{1b}]0;owned\\u{7}");
    assert_eq!(info.allocated.chars().count(), MAX_TXT_FIELD);
    let err = parse_cymru_origin(&format!("x\u{1b}[2J | {}", "a".repeat(5000)))
        .expect_err("bad AS number")
        .to_string();
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.len() < MAX_TXT_FIELD + 60, "{err}");
    let (_, name) = parse_cymru_asname("7922 | US | arin | 1997 | EVIL\u{1b}[31m").expect("parses");
    assert_eq!(name, "EVIL\\u{1b}[31m");
}
