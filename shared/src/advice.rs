//! From verdicts to what the user should do, ranked, with stable ids.
//!
//! Pure: the same verdicts always give the same advice. The ids are part of
//! the wire format (the page and scripts key on them); the texts may improve.

use crate::classify::{NotTestableReason, PortVerdict, Verdict};
use crate::family::Family;
use crate::knowledge::{Provider, ProviderKind, Relay};
use crate::netinfo::{Fact, NetworkFacts};
use serde::{Deserialize, Serialize};

/// Stable identifier of a piece of advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AdviceId {
    /// Port 25 works: direct delivery is possible from here.
    DirectDeliveryOk,
    /// Port 25 seems intercepted: do not trust direct delivery.
    InterceptionUseTls,
    /// Submit on 587 with STARTTLS and authentication.
    Submit587,
    /// Submit on 465 with implicit TLS.
    Submit465,
    /// Use port 26 where the user's host offers it.
    AltPort26,
    /// Use port 2525 with a relay service that offers it.
    AltPort2525,
    /// Relay through the ISP's own SMTP server.
    IspRelay,
    /// Use a relay/smarthost service.
    RelayService,
    /// Ask the provider to lift the block.
    AskUnblock,
    /// For inbound mail, a backup-MX / mail-reflector service on another port.
    InboundReflector,
    /// Warning: recipients' MX servers accept mail only on 25.
    No587ToMx,
    /// Nothing reachable at all: look at the local firewall, VPN or proxy.
    CheckLocalNetwork,
    /// Send over an HTTPS e-mail API instead of SMTP.
    HttpsApi,
    /// Port 25 works over one family only.
    PreferWorkingFamily,
    /// This machine has no IPv6: not a problem, just a fact.
    NoIpv6,
    /// Port 25 could not be tested: how to test it properly.
    TestAgain,
    /// The public address is on a policy blocklist (Spamhaus PBL): direct
    /// delivery would be refused even with port 25 open.
    PolicyListed,
    /// The public address is on a reputation blocklist (SBL, XBL, CSS...).
    Blocklisted,
    /// The reverse DNS of the public address would make receivers refuse
    /// direct mail (missing, generic, or not forward-confirmed).
    ReverseDns,
    /// The measurement and mailport's provider notes disagree; the
    /// measurement wins.
    PolicyDiffers,
}

/// One piece of advice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// Stable id.
    pub id: AdviceId,
    /// What to do, in one line.
    pub title: String,
    /// Why, in a sentence or two.
    pub why: String,
}

/// What else is known when advising, beyond the port verdicts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// What was learned about the network (public address, origin,
    /// blocklists, reverse DNS).
    pub network: Option<NetworkFacts>,
    /// The provider matched from the origin AS, from the knowledge base.
    pub provider: Option<&'static Provider>,
}

impl Context {
    /// The context for these network facts, with the provider looked up.
    pub fn from_network(facts: Option<NetworkFacts>) -> Self {
        let provider = facts.as_ref().and_then(NetworkFacts::provider);
        Context {
            network: facts,
            provider,
        }
    }

    fn origin_asn(&self) -> Option<u32> {
        self.network
            .as_ref()
            .and_then(|n| n.origin())
            .map(|o| o.asn)
    }
}

/// "Comcast Xfinity (AS7922)", or the bare name when the AS is unknown.
fn provider_named(p: &Provider, ctx: &Context) -> String {
    match ctx.origin_asn() {
        Some(asn) => format!("{} (AS{asn})", p.name),
        None => p.name.to_string(),
    }
}

fn or_list(ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
    match list.len() {
        0 => String::new(),
        1 => list[0].clone(),
        n => format!("{} or {}", list[..n - 1].join(", "), list[n - 1]),
    }
}

/// The provider-specific relay advice: its host, ports, login, and what
/// this check measured on those ports.
fn provider_relay(
    p: &Provider,
    relay: &Relay,
    verdicts: &[PortVerdict],
    ctx: &Context,
) -> (String, String) {
    let login = match (relay.auth, p.kind) {
        (false, _) => String::new(),
        (true, ProviderKind::Residential | ProviderKind::Business) => {
            format!(" with your {} account login", p.name)
        }
        (true, _) => " with the SMTP credentials it issues".to_string(),
    };
    let title = format!(
        "Send through {}'s server {} on port {}{login}",
        p.name,
        relay.host,
        or_list(relay.ports)
    );
    let open: Vec<u16> = relay
        .ports
        .iter()
        .copied()
        .filter(|port| !open_on(verdicts, *port).is_empty())
        .collect();
    let blocked: Vec<u16> = relay
        .ports
        .iter()
        .copied()
        .filter(|port| find(verdicts, *port).any(|v| v.verdict.is_block()) && !open.contains(port))
        .collect();
    let mut why = format!("You are on {}", provider_named(p, ctx));
    if p.blocks_port(25) {
        why.push_str(&format!(
            ", which is known to block outgoing port 25 (as of {}).",
            p.as_of
        ));
    } else {
        why.push('.');
    }
    why.push_str(" Its relay delivers your mail on 25 from its own servers.");
    match open.len() {
        0 => {}
        1 => why.push_str(&format!(" Port {} is open here.", open[0])),
        _ => why.push_str(&format!(
            " Ports {} are open here.",
            or_list(&open).replace(" or ", " and ")
        )),
    }
    if !blocked.is_empty() {
        why.push_str(&format!(
            " Port {} looked blocked towards other hosts here; try it against {} itself.",
            or_list(&blocked),
            relay.host
        ));
    }
    if !p.note.is_empty() {
        why.push(' ');
        why.push_str(p.note);
    }
    (title, why)
}

fn find(verdicts: &[PortVerdict], port: u16) -> impl Iterator<Item = &PortVerdict> {
    verdicts.iter().filter(move |v| v.port == port)
}

fn open_on(verdicts: &[PortVerdict], port: u16) -> Vec<Family> {
    find(verdicts, port)
        .filter(|v| v.verdict == Verdict::Open)
        .map(|v| v.family)
        .collect()
}

fn families(list: &[Family]) -> String {
    list.iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Ranked advice for these verdicts, most useful first, each id at most once.
pub fn advise(verdicts: &[PortVerdict], ctx: &Context) -> Vec<Advice> {
    let mut out: Vec<Advice> = Vec::new();
    let mut add = |id: AdviceId, title: String, why: String| {
        if !out.iter().any(|a| a.id == id) {
            out.push(Advice { id, title, why });
        }
    };

    let p25: Vec<&PortVerdict> = find(verdicts, 25).collect();
    let open25 = open_on(verdicts, 25);
    let intercepted25 = p25
        .iter()
        .any(|v| v.verdict == Verdict::InterceptedSuspected);
    let restricted25: Vec<&PortVerdict> = p25
        .iter()
        .copied()
        .filter(|v| v.verdict == Verdict::Restricted)
        .collect();
    let blocked25 = p25.iter().any(|v| v.verdict.is_block());
    let untestable25 = !p25.is_empty()
        && p25
            .iter()
            .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }));
    let any_usable = verdicts.iter().any(|v| v.verdict.usable());
    let no_v6 = verdicts.iter().any(|v| {
        v.family == Family::Ipv6
            && v.verdict
                == (Verdict::NotTestable {
                    reason: NotTestableReason::NoRoute,
                })
    });

    let provider = ctx.provider;
    let facts = ctx.network.as_ref();
    let direct_possible = !open25.is_empty() && !intercepted25;
    let pbl: Vec<String> = facts
        .map(|f| f.pbl_listings())
        .unwrap_or_default()
        .iter()
        .map(|(_, l)| l.label())
        .collect();
    let bad: Vec<String> = facts
        .map(|f| f.reputation_listings())
        .unwrap_or_default()
        .iter()
        .map(|(b, l)| match b.address {
            Some(ip) => format!("{} ({ip})", l.label()),
            None => l.label(),
        })
        .collect();

    if !bad.is_empty() {
        add(
            AdviceId::Blocklisted,
            format!("Your public address is on a blocklist: {}", bad.join(", ")),
            "Receivers and many relays refuse mail from listed addresses, whatever the port. Look for an infected machine or an open relay on your network, fix it, then ask the list for removal on its website.".into(),
        );
    }
    if intercepted25 {
        add(
            AdviceId::InterceptionUseTls,
            "Do not rely on direct delivery on port 25: something on your network answers in the servers' place".into(),
            "A transparent proxy can read, delay or drop your mail and strips encryption. Send through a submission server on 465 or 587 with TLS, where it cannot hide.".into(),
        );
    }
    if direct_possible && !pbl.is_empty() {
        add(
            AdviceId::PolicyListed,
            format!("Port 25 is open, but receivers would refuse direct mail from this address: it is on the {}", pbl.join(" and ")),
            "The PBL lists addresses that are meant to send only through their ISP's servers, usually home lines. Relay through your provider's server or a smarthost instead, or get a static address that the ISP takes off the list.".into(),
        );
    }
    if !open25.is_empty() && !intercepted25 {
        add(
            AdviceId::DirectDeliveryOk,
            format!("Your network lets you deliver mail directly on port 25 ({})", families(&open25)),
            "A mail server here can talk to recipients' MX servers. Deliverability still needs a proper reverse DNS name, SPF, DKIM and DMARC.".into(),
        );
        let blocked_families: Vec<Family> = p25
            .iter()
            .filter(|v| v.verdict.is_block())
            .map(|v| v.family)
            .collect();
        if !blocked_families.is_empty() {
            add(
                AdviceId::PreferWorkingFamily,
                format!(
                    "Port 25 works over {} but not over {}: make your mail server use the working one",
                    families(&open25),
                    families(&blocked_families)
                ),
                "A mail server that tries the blocked family first waits for a timeout on every message. In Postfix, set smtp_address_preference (or inet_protocols) accordingly.".into(),
            );
        }
    }

    if direct_possible {
        if let Some((title, why)) = facts.and_then(reverse_dns_problem) {
            add(AdviceId::ReverseDns, title, why);
        }
        if let Some(p) = provider.filter(|p| p.blocks_port(25)) {
            add(
                AdviceId::PolicyDiffers,
                format!("{} is known to block port 25 (as of {}), but it is open on your line", provider_named(p, ctx), p.as_of),
                match p.kind {
                    ProviderKind::Residential | ProviderKind::Business => "This measurement wins over mailport's notes: your line may be a business or static one, the block may have been lifted for you, or the policy changed.",
                    ProviderKind::Cloud | ProviderKind::Hosting => "This measurement wins over mailport's notes: the block may have been lifted for your account or this server, or the policy changed.",
                }
                .into(),
            );
        }
    }

    // Nothing gets through at all: the cause is usually close to the user
    // (a local firewall, a VPN), so say that before any workaround.
    if !any_usable && verdicts.iter().any(|v| v.verdict.is_block()) {
        add(
            AdviceId::CheckLocalNetwork,
            "No mail port is reachable: check this machine's firewall, a VPN or a corporate proxy".into(),
            "Providers rarely block every mail port at once; a local firewall, a VPN that filters mail ports, or a network that only allows web traffic usually does.".into(),
        );
    }
    // Port 25 reaches exactly the ISP's relay: that relay is the answer.
    if let Some(r) = restricted25.first() {
        add(
            AdviceId::IspRelay,
            format!("Relay through {} on port 25: it is the one destination your network allows", r.reached.join(", ")),
            "Your network lets port 25 through only to some hosts, usually the ISP's own mail servers. Configure it as your server's relayhost (smarthost).".into(),
        );
    }

    // Port 25 could not be judged and nothing else is known to be blocked:
    // testing again comes first, and no advice may assume a block.
    let known_block = blocked25 || intercepted25;
    if untestable25 && open25.is_empty() && !blocked25 {
        // No address for any host: DNS is the thing to fix, not the targets.
        let dns_failed = p25.iter().all(|v| {
            v.verdict
                == Verdict::NotTestable {
                    reason: NotTestableReason::NoAddress,
                }
        });
        if dns_failed {
            add(
                AdviceId::TestAgain,
                "Port 25 could not be judged: DNS gave no address for the servers".into(),
                format!("{} Check the names, and that this machine can resolve them (or the server given with --dns), then run the check again.", p25[0].why),
            );
        } else {
            add(
                AdviceId::TestAgain,
                "Port 25 could not be judged: test against hosts that are known to accept mail".into(),
                "Run the check with its default targets, or add more than one independent mail server, so that a host being down is not mistaken for a block.".into(),
            );
        }
    }

    if known_block || (untestable25 && open25.is_empty()) {
        if let Some((p, relay)) = provider.and_then(|p| p.relay.as_ref().map(|r| (p, r))) {
            let (title, why) = provider_relay(p, relay, verdicts, ctx);
            add(AdviceId::IspRelay, title, why);
        }
        for port in [587u16, 465] {
            let fams = open_on(verdicts, port);
            if fams.is_empty() {
                continue;
            }
            if port == 587 {
                add(
                    AdviceId::Submit587,
                    "Send through your mail provider's submission server on port 587, with STARTTLS and your login".into(),
                    format!("Port 587 is open here ({}). It is the standard port for mail clients and for a server relaying through a smarthost (RFC 6409).", families(&fams)),
                );
            } else {
                add(
                    AdviceId::Submit465,
                    "Or submit on port 465 with implicit TLS".into(),
                    format!("Port 465 is open here ({}). It encrypts from the first byte (RFC 8314); most providers accept it as well as 587.", families(&fams)),
                );
            }
        }
        if !open_on(verdicts, 2525).is_empty() {
            add(
                AdviceId::AltPort2525,
                "Relay services also listen on port 2525, which is open here".into(),
                "SendGrid, Mailgun, Postmark and others accept authenticated mail on 2525 for networks that block the usual ports.".into(),
            );
        }
        if !open_on(verdicts, 26).is_empty() {
            add(
                AdviceId::AltPort26,
                "If your web host offers port 26 for outgoing mail, you can use it".into(),
                "Many shared hosts open port 26 as an alternative to 25 for their customers. Port 26 is open here.".into(),
            );
        }
        // A measured relay (restricted 25) was already named above; without
        // a known block there is nothing to work around.
        if restricted25.is_empty() && known_block {
            match provider {
                Some(p) if matches!(p.kind, ProviderKind::Residential | ProviderKind::Business) => add(
                    AdviceId::IspRelay,
                    format!("Or relay through {}'s outgoing mail server", p.name),
                    format!("You are on {}. ISPs that block port 25 usually run a server for their customers on 587 with the account login; mailport's notes do not name {}'s. Set it as your mail server's relayhost.", provider_named(p, ctx), p.name),
                ),
                Some(_) => {}
                None => add(
                    AdviceId::IspRelay,
                    "Or relay through your ISP's own outgoing mail server".into(),
                    "ISPs that block port 25 run a server for their customers, usually on 587 with your ISP account login. Set it as your mail server's relayhost.".into(),
                ),
            }
        }
        add(
            AdviceId::RelayService,
            "Running a mail server? Relay its outgoing mail through a smarthost service".into(),
            "A relay (your mail provider, Amazon SES, Mailgun, SendGrid, SMTP2GO...) accepts your server's mail on 587, 465 or 2525 and delivers it on 25 from its own reputable addresses.".into(),
        );
        if !pbl.is_empty() {
            add(
                AdviceId::PolicyListed,
                format!("Even with port 25 unblocked, receivers would refuse direct mail from this address: it is on the {}", pbl.join(" and ")),
                "The PBL lists addresses that are meant to send only through their ISP's servers, usually home lines. A relay avoids the problem; direct delivery needs a static address that the ISP takes off the list.".into(),
            );
        }
        if !direct_possible && known_block {
            if let Some((title, why)) = facts.and_then(reverse_dns_problem) {
                let mut lower = title;
                if let Some(first) = lower.get(..1) {
                    let l = first.to_ascii_lowercase();
                    lower.replace_range(..1, &l);
                }
                add(
                    AdviceId::ReverseDns,
                    format!("Before asking for an unblock, fix reverse DNS: {lower}"),
                    why,
                );
            }
        }
        match provider {
            _ if !known_block => {}
            Some(p) => add(
                AdviceId::AskUnblock,
                format!("Or ask {} to lift the block", p.name),
                format!("{}. (From mailport's notes, as of {}.)", p.unblock.trim_end_matches('.'), p.as_of),
            ),
            None => add(
                AdviceId::AskUnblock,
                "Or ask your provider to lift the block".into(),
                "Cloud providers lift it on request for established accounts; ISPs often only for business lines or static addresses. Mention that you run a mail server with proper reverse DNS.".into(),
            ),
        }
        if known_block {
            add(
            AdviceId::InboundReflector,
            "Receiving mail at home? A backup-MX or mail-reflector service can deliver to you on another port".into(),
            "This test measured outgoing connections. If your ISP also blocks incoming 25, such a service takes your mail on 25 and passes it on to your server on a port you choose.".into(),
        );
        }
        add(
            AdviceId::No587ToMx,
            "Do not point your server at recipients' MX servers on 587: it will not work".into(),
            "MX servers accept mail from other servers only on port 25. Ports 465, 587, 2525 and 26 help only towards a submission server or relay that listens there.".into(),
        );
    }

    if let Some(p) = provider.filter(|p| !p.blocks_port(25)) {
        if blocked25 && !intercepted25 {
            add(
                AdviceId::PolicyDiffers,
                format!("{} is not known to block port 25, but it is blocked here", provider_named(p, ctx)),
                format!("This measurement wins over mailport's notes (as of {}): the block may come from your router, this machine's firewall, a VPN, or a newer policy.", p.as_of),
            );
        }
    }
    if !any_usable && verdicts.iter().any(|v| v.verdict.is_block()) {
        add(
            AdviceId::HttpsApi,
            "If nothing else works, send through an e-mail API over HTTPS".into(),
            "Relay services offer HTTP APIs on port 443, which such networks let through.".into(),
        );
    }
    if no_v6 {
        add(
            AdviceId::NoIpv6,
            "This machine has no IPv6 connectivity; IPv4 was judged on its own".into(),
            "That is not a block. Mail works over IPv4 alone.".into(),
        );
    }
    // Titles that offer an alternative start with "Or"; the first piece of
    // advice has nothing before it to be an alternative to.
    if let Some(first) = out.first_mut() {
        if let Some(rest) = first.title.strip_prefix("Or ") {
            let mut chars = rest.chars();
            first.title = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
        }
    }
    out
}

/// What is wrong with the reverse DNS of the public address for direct
/// delivery, if anything: (title, why).
fn reverse_dns_problem(facts: &NetworkFacts) -> Option<(String, String)> {
    let (ip, fact) = match (&facts.public_ipv4, &facts.public_ipv6) {
        (Fact::Found { value }, _) => (value.to_string(), &facts.reverse_dns_v4),
        (_, Fact::Found { value }) => (value.to_string(), &facts.reverse_dns_v6),
        _ => return None,
    };
    match fact {
        Fact::NotFound => Some((
            format!("Your public address {ip} has no reverse DNS name: receivers will refuse or junk direct mail"),
            "Mail servers check that the sending address has a PTR name that resolves back to it. Ask your provider to set one naming your mail server, or relay through a smarthost.".into(),
        )),
        Fact::Found { value } if value.generic.is_some() => Some((
            format!("The reverse DNS name {} of {ip} looks like a home or pool address", value.name),
            format!(
                "Receivers treat such names as \"not a mail server\" ({}). Ask your provider for a PTR naming your mail server, or relay through a smarthost.",
                value.generic.as_ref().map(|g| g.to_string()).unwrap_or_default()
            ),
        )),
        Fact::Found { value } if !value.forward_confirmed => Some((
            format!("The reverse DNS name {} does not resolve back to {ip}", value.name),
            "Receivers check forward-confirmed reverse DNS (the PTR name must have an A/AAAA record pointing back). Add the missing record or fix the PTR.".into(),
        )),
        _ => None,
    }
}
