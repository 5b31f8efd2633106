//! From verdicts to what the user should do, ranked, with stable ids.
//!
//! Pure: the same verdicts always give the same advice. The ids are part of
//! the wire format (the page and scripts key on them); the texts may improve.

use crate::classify::{NotTestableReason, PortVerdict, Verdict};
use crate::family::Family;
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
pub struct Context {}

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
pub fn advise(verdicts: &[PortVerdict], _ctx: &Context) -> Vec<Advice> {
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

    if intercepted25 {
        add(
            AdviceId::InterceptionUseTls,
            "Do not rely on direct delivery on port 25: something on your network answers in the servers' place".into(),
            "A transparent proxy can read, delay or drop your mail and strips encryption. Send through a submission server on 465 or 587 with TLS, where it cannot hide.".into(),
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

    if blocked25 || (untestable25 && open25.is_empty()) || intercepted25 {
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
        if let Some(r) = restricted25.first() {
            add(
                AdviceId::IspRelay,
                format!("Relay through {} on port 25: it is the one destination your network allows", r.reached.join(", ")),
                "Your network lets port 25 through only to some hosts, usually the ISP's own mail servers. Configure it as your server's relayhost (smarthost).".into(),
            );
        } else {
            add(
                AdviceId::IspRelay,
                "Or relay through your ISP's own outgoing mail server".into(),
                "ISPs that block port 25 run a server for their customers, usually on 587 with your ISP account login. Set it as your mail server's relayhost.".into(),
            );
        }
        add(
            AdviceId::RelayService,
            "Running a mail server? Relay its outgoing mail through a smarthost service".into(),
            "A relay (your mail provider, Amazon SES, Mailgun, SendGrid, SMTP2GO...) accepts your server's mail on 587, 465 or 2525 and delivers it on 25 from its own reputable addresses.".into(),
        );
        add(
            AdviceId::AskUnblock,
            "Or ask your provider to lift the block".into(),
            "Cloud providers lift it on request for established accounts; ISPs often only for business lines or static addresses. Mention that you run a mail server with proper reverse DNS.".into(),
        );
        add(
            AdviceId::InboundReflector,
            "Receiving mail at home? A backup-MX or mail-reflector service can deliver to you on another port".into(),
            "This test measured outgoing connections. If your ISP also blocks incoming 25, such a service takes your mail on 25 and passes it on to your server on a port you choose.".into(),
        );
        add(
            AdviceId::No587ToMx,
            "Do not point your server at recipients' MX servers on 587: it will not work".into(),
            "MX servers accept mail from other servers only on port 25. Ports 465, 587, 2525 and 26 help only towards a submission server or relay that listens there.".into(),
        );
    }

    if !any_usable && verdicts.iter().any(|v| v.verdict.is_block()) {
        add(
            AdviceId::HttpsApi,
            "If nothing else works, send through an e-mail API over HTTPS".into(),
            "Relay services offer HTTP APIs on port 443, which such networks let through.".into(),
        );
    }
    if untestable25 && open25.is_empty() && !blocked25 {
        add(
            AdviceId::TestAgain,
            "Port 25 could not be judged: test against hosts that are known to accept mail".into(),
            "Run the check with its default targets, or add more than one independent mail server, so that a host being down is not mistaken for a block.".into(),
        );
    }
    if no_v6 {
        add(
            AdviceId::NoIpv6,
            "This machine has no IPv6 connectivity; IPv4 was judged on its own".into(),
            "That is not a block. Mail works over IPv4 alone.".into(),
        );
    }
    out
}
