//! From verdicts to what the user should do, ranked, with stable ids.
//!
//! Pure: the same verdicts always give the same advice. The ids are part of
//! the wire format (the page and scripts key on them); the texts may improve.

use crate::classify::{NotTestableReason, PortVerdict, Verdict};
use crate::family::Family;
use crate::knowledge::{Matched, ProviderKind, Relay, Unblock};
use crate::netinfo::{Fact, Forward, NetworkFacts};
use crate::text::{and_list, capitalised, lowercase_first, or_list};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
    /// Ask the provider to lift the block, or, when it is known not to,
    /// say so (so that nobody waits for an unblock that will not come).
    AskUnblock,
    /// For inbound mail, a backup-MX / mail-reflector service on another port.
    InboundReflector,
    /// Warning: recipients' MX servers accept mail only on 25.
    No587ToMx,
    /// Nothing reachable at all: look at the local firewall, VPN or proxy.
    CheckLocalNetwork,
    /// A firewall on this computer refuses mail ports: allow mailport (or
    /// the mail server) through it. Never the provider's doing.
    LocalFirewall,
    /// The network rate-limits port 25: a few connections pass, then they
    /// time out.
    RateLimited,
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

/// What else is known when advising, beyond the port verdicts. The
/// provider is looked up from the facts when advising
/// ([`NetworkFacts::provider`]), so it cannot disagree with them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// What was learned about the network (public address, origin,
    /// blocklists, reverse DNS).
    pub network: Option<NetworkFacts>,
}

impl Context {
    /// The context for these network facts.
    pub fn from_network(facts: Option<NetworkFacts>) -> Self {
        Context { network: facts }
    }
}

/// "Comcast Xfinity (AS7922)": the provider and the AS that named it.
fn provider_named(m: Matched) -> String {
    format!("{} (AS{})", m.provider.name, m.asn)
}

/// `text` as a sentence ending in one full stop.
fn sentence(text: &str) -> String {
    format!("{}.", text.trim_end().trim_end_matches('.'))
}

/// The provider-specific relay advice: its host, ports, login, and what
/// this check measured on those ports.
fn provider_relay(m: Matched, relay: &Relay, verdicts: &[PortVerdict]) -> (String, String) {
    let p = m.provider;
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
    let mut why = format!("You are on {}", provider_named(m));
    if p.blocks_port(25) {
        why.push_str(&format!(
            ", which is known to block outgoing port 25 ({}).",
            p.dated()
        ));
    } else {
        why.push('.');
    }
    why.push_str(" Its relay delivers your mail on 25 from its own servers.");
    match open.len() {
        0 => {}
        1 => why.push_str(&format!(" Port {} is open here.", open[0])),
        _ => why.push_str(&format!(" Ports {} are open here.", and_list(&open))),
    }
    match blocked.as_slice() {
        [] => {}
        [one] => why.push_str(&format!(
            " Port {one} looked blocked towards other hosts here; try it against {} itself.",
            relay.host
        )),
        _ => why.push_str(&format!(
            " Ports {} looked blocked towards other hosts here; try them against {} itself.",
            and_list(&blocked),
            relay.host
        )),
    }
    if !p.note.is_empty() {
        why.push(' ');
        why.push_str(p.note);
    }
    why.push_str(&crate::relay::advice_hint(Some(relay.host), relay.ports));
    (title, why)
}

/// What to do about the provider's block, from its unblock policy: ask for
/// it, ask whether the line qualifies, or (when it is never lifted) do not
/// wait for it. `or` starts the title with "Or": something to do came
/// before it.
fn unblock_advice(m: Matched, or: bool) -> (String, String) {
    let p = m.provider;
    let notes = format!("(From mailport's notes, {}.)", p.dated());
    let ask = if or { "Or ask" } else { "Ask" };
    let some = match p.kind {
        ProviderKind::Residential | ProviderKind::Business => "lines or plans",
        ProviderKind::Cloud | ProviderKind::Hosting => "accounts or plans",
    };
    match p.unblock {
        Unblock::OnRequest { how } => (
            format!("{ask} {} to lift the block: it does so on request", p.name),
            format!("{} {notes}", sentence(how)),
        ),
        Unblock::Restricted { how } => (
            format!(
                "{ask} {} to lift the block, which it does only for some {some}",
                p.name
            ),
            format!("{} {notes}", sentence(how)),
        ),
        Unblock::NotOffered { why } => (
            format!(
                "{} does not lift the port 25 block: send through a relay or a submission server instead",
                p.name
            ),
            format!("{} {notes}", sentence(why)),
        ),
        Unblock::Unknown { note } => (
            format!("{ask} {} to lift the block", p.name),
            format!(
                "{} Ask its support, and mention that you run a mail server with proper reverse DNS. {notes}",
                sentence(note)
            ),
        ),
    }
}

/// A disagreement between mailport's notes and the measurement.
#[derive(Clone)]
struct Differs {
    title: String,
    why: String,
    /// Port 25 is among the ports the notes call blocked that are open: the
    /// note belongs next to "direct delivery works".
    open25: bool,
    /// Port 25 is blocked although the notes say it is open: the cause is
    /// likely local, the first thing to know.
    blocked25: bool,
}

/// Where mailport's notes and the measurement disagree, as one note: every
/// port the notes say is blocked but was measured open, and port 25
/// measured blocked where the notes say it is open. `None` when they agree.
fn policy_differs(
    m: Matched,
    verdicts: &[PortVerdict],
    direct_possible: bool,
    blocked25: bool,
) -> Option<Differs> {
    let p = m.provider;
    let open_anyway: Vec<u16> = p
        .blocks
        .iter()
        .copied()
        .filter(|port| match port {
            25 => direct_possible,
            _ => !open_on(verdicts, *port).is_empty(),
        })
        .collect();
    let blocked_anyway = !p.blocks_port(25) && blocked25;
    let named = provider_named(m);
    let known = match open_anyway.len() {
        0 => None,
        1 => Some(format!(
            "{named} is known to block port {} ({}), but it is open on your line",
            open_anyway[0],
            p.dated()
        )),
        _ => Some(format!(
            "{named} is known to block ports {} ({}), but they are open on your line",
            and_list(&open_anyway),
            p.dated()
        )),
    };
    let known_why = match p.kind {
        ProviderKind::Residential | ProviderKind::Business => "This measurement wins over mailport's notes: your line may be a business or static one, the block may have been lifted for you, or the policy changed.",
        ProviderKind::Cloud | ProviderKind::Hosting => "This measurement wins over mailport's notes: the block may have been lifted for your account or this server, or the policy changed.",
    };
    let local =
        "the block may come from your router, this machine's firewall, a VPN, or a newer policy.";
    let (title, why) = match (known, blocked_anyway) {
        (None, false) => return None,
        (Some(title), false) => (title, known_why.to_string()),
        (None, true) => (
            format!("{named} is not known to block port 25, but it is blocked here"),
            format!(
                "This measurement wins over mailport's notes ({}): {local}",
                p.dated()
            ),
        ),
        (Some(title), true) => (
            format!("{title}; it is not known to block port 25, but that is blocked here"),
            format!("{known_why} On port 25, {local}"),
        ),
    };
    Some(Differs {
        title,
        why,
        open25: open_anyway.contains(&25),
        blocked25: blocked_anyway,
    })
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
    // Hosts that take port 25 on a network that lets it through only to
    // some: only those that can relay mail (never an MX or a port echo).
    let relays25: Vec<&str> = p25
        .iter()
        .filter(|v| v.verdict == Verdict::Restricted)
        .flat_map(|v| v.relays.iter().map(String::as_str))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .collect();
    let blocked25 = p25.iter().any(|v| v.verdict.is_block());
    // What the provider could lift: a block or a restriction of port 25,
    // not an interception seen alone (nothing is blocked then).
    let network_block25 = p25.iter().any(|v| {
        matches!(
            v.verdict,
            Verdict::BlockedSilently
                | Verdict::BlockedActively
                | Verdict::Restricted
                | Verdict::RateLimited
        )
    });
    let local_firewall: BTreeSet<u16> = verdicts
        .iter()
        .filter(|v| v.verdict == Verdict::BlockedLocally)
        .map(|v| v.port)
        .collect();
    let untestable25 = !p25.is_empty()
        && p25
            .iter()
            .all(|v| matches!(v.verdict, Verdict::NotTestable { .. }));
    let any_usable = verdicts.iter().any(|v| v.verdict.usable());
    let any_block = verdicts.iter().any(|v| v.verdict.is_block());
    // "Nothing passes" means something only when more than one port was
    // judged: port 25 alone being blocked is the usual ISP policy.
    let judged_ports: BTreeSet<u16> = verdicts
        .iter()
        .filter(|v| !matches!(v.verdict, Verdict::NotTestable { .. }))
        .map(|v| v.port)
        .collect();
    let nothing_passes = !any_usable && any_block && judged_ports.len() >= 2;
    let no_v6 = verdicts.iter().any(|v| {
        v.family == Family::Ipv6
            && v.verdict
                == (Verdict::NotTestable {
                    reason: NotTestableReason::NoRoute,
                })
    });

    let facts = ctx.network.as_ref();
    let provider = facts.and_then(|f| f.provider()).map(|m| m.matched);
    let direct_possible = !open25.is_empty() && !intercepted25;
    let known_block = blocked25 || intercepted25;
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
    let rdns = facts.and_then(reverse_dns_problem);
    let differs = provider
        .and_then(|m| policy_differs(m, verdicts, direct_possible, blocked25 && !intercepted25));

    if !bad.is_empty() {
        add(
            AdviceId::Blocklisted,
            format!("Your public address is on a blocklist: {}", bad.join(", ")),
            "Receivers and many relays refuse mail from listed addresses, whatever the port. Look for an infected machine or an open relay on your network, fix it, then ask the list for removal on its website.".into(),
        );
    }
    if !local_firewall.is_empty() {
        let ports: Vec<String> = local_firewall.iter().map(u16::to_string).collect();
        add(
            AdviceId::LocalFirewall,
            format!(
                "A firewall on this computer blocks port {}: allow outgoing connections there",
                ports.join(", ")
            ),
            "The connection was refused by this machine before anything was sent (a firewall rule, security software or a sandbox), so this is not your provider's doing. Allow mailport, or your mail server, to connect out on these ports, then run the check again.".into(),
        );
    }
    if p25.iter().any(|v| v.verdict == Verdict::RateLimited) {
        add(
            AdviceId::RateLimited,
            "Port 25 is rate-limited here: a mail server would see some deliveries time out".into(),
            "A few connections on port 25 pass, then the next ones are dropped (some clouds, EC2 among them, throttle port 25 this way). Ask the provider to remove the limit (on EC2: the request to remove email sending limitations), or relay through a smarthost on 587.".into(),
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
    if direct_possible {
        let network = match provider {
            Some(m) => format!("Your network ({})", provider_named(m)),
            None => "Your network".to_string(),
        };
        add(
            AdviceId::DirectDeliveryOk,
            format!("{network} lets you deliver mail directly on port 25 ({})", and_list(&open25)),
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
                    and_list(&open25),
                    and_list(&blocked_families)
                ),
                "A mail server that tries the blocked family first waits for a timeout on every message. In Postfix, set smtp_address_preference (or inet_protocols) accordingly.".into(),
            );
        }
        if let Some((title, why)) = rdns.clone() {
            add(AdviceId::ReverseDns, title, why);
        }
        // The notes say 25 is blocked and it is open: say so next to the
        // good news.
        if let Some(d) = differs.clone().filter(|d| d.open25) {
            add(AdviceId::PolicyDiffers, d.title, d.why);
        }
    }

    // Nothing gets through at all: the cause is usually close to the user
    // (a local firewall, a VPN), so say that before any workaround.
    if nothing_passes {
        add(
            AdviceId::CheckLocalNetwork,
            "No mail port is reachable: check this machine's firewall, a VPN or a corporate proxy".into(),
            "Providers rarely block every mail port at once; a local firewall, a VPN that filters mail ports, or a network that only allows web traffic usually does.".into(),
        );
    }
    // Port 25 reaches a relay but not everything: that relay is the answer.
    if !relays25.is_empty() {
        let (it, one_of) = if relays25.len() == 1 {
            ("it", "it")
        } else {
            ("them", "one of them")
        };
        let mut why = format!("Your network lets port 25 through only to some hosts, usually the ISP's own mail servers. Configure {one_of} as your server's relayhost (smarthost).");
        if let Some(m) = provider {
            why.push_str(&format!(" You are on {}.", provider_named(m)));
        }
        add(
            AdviceId::IspRelay,
            format!(
                "Relay through {} on port 25: your network lets port 25 through to {it}",
                or_list(&relays25)
            ),
            why,
        );
    }

    // Port 25 could not be judged and nothing else is known to be blocked:
    // testing again comes first, and no advice may assume a block.
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
        // An unblock will be asked for, unless the provider never grants one.
        let asks = network_block25
            && !provider.is_some_and(|m| matches!(m.provider.unblock, Unblock::NotOffered { .. }));
        // Receivers check the name as soon as 25 opens: fix it first.
        let whom = match provider {
            Some(m) => format!("asking {} to lift the block", m.provider.name),
            None => "asking for an unblock".to_string(),
        };
        let rdns_first = rdns
            .clone()
            .filter(|_| asks && !direct_possible)
            .map(|(title, why)| {
                (
                    format!(
                        "Before {whom}, fix reverse DNS: {}",
                        lowercase_first(&title)
                    ),
                    why,
                )
            });
        // The notes say port 25 is open here, yet it is blocked: the cause
        // is likely local, and that is the first thing to know.
        if let Some(d) = differs.clone().filter(|d| d.blocked25) {
            add(AdviceId::PolicyDiffers, d.title, d.why);
        }
        if let Some((m, relay)) = provider.and_then(|m| m.provider.relay.as_ref().map(|r| (m, r))) {
            let (title, why) = provider_relay(m, relay, verdicts);
            add(AdviceId::IspRelay, title, why);
        }
        // The provider's own answer to its block comes before generic
        // workarounds when it settles the question: a routine unblock, a
        // refusal, or (for a cloud or host) whatever its policy is.
        if let Some(m) = provider.filter(|_| network_block25) {
            let early = match m.provider.unblock {
                Unblock::OnRequest { .. } | Unblock::NotOffered { .. } => true,
                Unblock::Restricted { .. } | Unblock::Unknown { .. } => {
                    matches!(m.provider.kind, ProviderKind::Cloud | ProviderKind::Hosting)
                }
            };
            if early {
                if let Some((title, why)) = rdns_first.clone() {
                    add(AdviceId::ReverseDns, title, why);
                }
                // After the provider's relay it is an alternative; otherwise
                // it is the thing to do (a reverse DNS fix before it is a
                // step towards it).
                let (title, why) = unblock_advice(m, m.provider.relay.is_some());
                add(AdviceId::AskUnblock, title, why);
            }
        }
        // An ISP that blocks 25 runs a server for its customers even when
        // the notes do not name it; a measured relay was named above.
        let isp = provider.filter(|m| {
            matches!(
                m.provider.kind,
                ProviderKind::Residential | ProviderKind::Business
            )
        });
        if let Some(m) = isp.filter(|_| known_block && relays25.is_empty()) {
            add(
                AdviceId::IspRelay,
                format!("Or relay through {}'s outgoing mail server", m.provider.name),
                format!("You are on {}. ISPs that block port 25 usually run a server for their customers on 587 with the account login; mailport's notes do not name {}'s. Set it as your mail server's relayhost.", provider_named(m), m.provider.name),
            );
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
                    format!("Port 587 is open here ({}). It is the standard port for mail clients and for a server relaying through a smarthost (RFC 6409).", and_list(&fams)),
                );
            } else {
                add(
                    AdviceId::Submit465,
                    "Or submit on port 465 with implicit TLS".into(),
                    format!("Port 465 is open here ({}). It encrypts from the first byte (RFC 8314); most providers accept it as well as 587.", and_list(&fams)),
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
        if known_block && relays25.is_empty() && provider.is_none() {
            add(
                AdviceId::IspRelay,
                "Or relay through your ISP's own outgoing mail server".into(),
                "ISPs that block port 25 run a server for their customers, usually on 587 with your ISP account login. Set it as your mail server's relayhost.".into(),
            );
        }
        add(
            AdviceId::RelayService,
            "Running a mail server? Relay its outgoing mail through a smarthost service".into(),
            format!("A relay (your mail provider, Amazon SES, Mailgun, SendGrid, SMTP2GO...) accepts your server's mail on 587, 465 or 2525 and delivers it on 25 from its own reputable addresses.{}", crate::relay::advice_hint(None, &[])),
        );
        if !pbl.is_empty() {
            add(
                AdviceId::PolicyListed,
                format!("Even with port 25 unblocked, receivers would refuse direct mail from this address: it is on the {}", pbl.join(" and ")),
                "The PBL lists addresses that are meant to send only through their ISP's servers, usually home lines. A relay avoids the problem; direct delivery needs a static address that the ISP takes off the list.".into(),
            );
        }
        if network_block25 {
            if let Some((title, why)) = rdns_first {
                add(AdviceId::ReverseDns, title, why);
            }
            match provider {
                Some(m) => {
                    let (title, why) = unblock_advice(m, true);
                    add(AdviceId::AskUnblock, title, why);
                }
                None => add(
                    AdviceId::AskUnblock,
                    "Or ask your provider to lift the block".into(),
                    "Cloud providers lift it on request for established accounts; ISPs often only for business lines or static addresses. Mention that you run a mail server with proper reverse DNS.".into(),
                ),
            }
        } else if let Some((title, why)) = rdns.clone() {
            // Port 25 could not be judged: the name still matters the day
            // direct delivery is tried, so it is said, as information.
            add(
                AdviceId::ReverseDns,
                format!(
                    "If you plan direct delivery on port 25: {}",
                    lowercase_first(&title)
                ),
                why,
            );
        }
        // Home lines only: a cloud server has no "home" to receive at, and
        // its provider's inbound policy is another question.
        let home = provider.is_none_or(|m| m.provider.kind == ProviderKind::Residential);
        if known_block && home {
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

    if let Some(d) = differs {
        add(AdviceId::PolicyDiffers, d.title, d.why);
    }
    if !any_usable && any_block {
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
            first.title = capitalised(rest);
        }
    }
    out
}

/// What is wrong with the reverse DNS of the public address for direct
/// delivery, if anything: (title, why). A forward lookup that did not
/// answer is not a mismatch: only a definite one is reported.
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
        Fact::Found { value } if value.forward == Forward::Mismatch => Some((
            format!("The reverse DNS name {} does not resolve back to {ip}", value.name),
            "Receivers check forward-confirmed reverse DNS (the PTR name must have an A/AAAA record pointing back). Add the missing record or fix the PTR.".into(),
        )),
        _ => None,
    }
}
