//! The words of the advice: what [`Say`] decided, as a title and a why.
//! Nothing here chooses whether to advise; texts may improve without any
//! rule changing.

use super::inputs::{Differs, ProviderRelay, RdnsProblem};
use super::rules::{RdnsFraming, Say};
use crate::knowledge::{Matched, ProviderKind, Unblock};
use crate::text::{and_list, capitalised, lowercase_first, or_list, DNS_FIX};

/// The title and the why of one piece of advice.
pub(super) fn word(say: &Say) -> (String, String) {
    match say {
        Say::Blocklisted(lists) => (
            format!("Your public address is on a blocklist: {}", lists.join(", ")),
            "Receivers and many relays refuse mail from listed addresses, whatever the port. Look for an infected machine or an open relay on your network, fix it, then ask the list for removal on its website.".into(),
        ),
        Say::LocalFirewall(ports) => {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            (
                format!(
                    "A firewall on this computer blocks port {}: allow outgoing connections there",
                    ports.join(", ")
                ),
                "The connection was refused by this machine before anything was sent (a firewall rule, security software or a sandbox), so this is not your provider's doing. Allow mailport, or your mail server, to connect out on these ports, then run the check again.".into(),
            )
        }
        Say::RateLimited => (
            "Port 25 is rate-limited here: a mail server would see some deliveries time out".into(),
            "A few connections on port 25 pass, then the next ones are dropped (some clouds, EC2 among them, throttle port 25 this way). Ask the provider to remove the limit (on EC2: the request to remove email sending limitations), or relay through a smarthost on 587.".into(),
        ),
        Say::Interception => (
            "Do not rely on direct delivery on port 25: something on your network answers in the servers' place".into(),
            "A transparent proxy can read, delay or drop your mail and strips encryption. Send through a submission server on 465 or 587 with TLS, where it cannot hide.".into(),
        ),
        Say::PolicyListedDespiteOpen(lists) => (
            format!("Port 25 is open, but receivers would refuse direct mail from this address: it is on the {}", lists.join(" and ")),
            "The PBL lists addresses that are meant to send only through their ISP's servers, usually home lines. Relay through your provider's server or a smarthost instead, or get a static address that the ISP takes off the list.".into(),
        ),
        Say::DirectDeliveryOk { provider, open } => {
            let network = match provider {
                Some(m) => format!("Your network ({})", provider_named(*m)),
                None => "Your network".to_string(),
            };
            (
                format!("{network} lets you deliver mail directly on port 25 ({})", and_list(open)),
                "A mail server here can talk to recipients' MX servers. Deliverability still needs a proper reverse DNS name, SPF, DKIM and DMARC.".into(),
            )
        }
        Say::PreferWorkingFamily { open, blocked } => (
            format!(
                "Port 25 works over {} but not over {}: make your mail server use the working one",
                and_list(open),
                and_list(blocked)
            ),
            "A mail server that tries the blocked family first waits for a timeout on every message. In Postfix, set smtp_address_preference (or inet_protocols) accordingly.".into(),
        ),
        Say::ReverseDns(problem, framing) => {
            let (title, why) = reverse_dns(problem);
            let title = match framing {
                RdnsFraming::AsIs => title,
                RdnsFraming::BeforeUnblock(provider) => {
                    let whom = match provider {
                        Some(name) => format!("asking {name} to lift the block"),
                        None => "asking for an unblock".to_string(),
                    };
                    format!("Before {whom}, fix reverse DNS: {}", lowercase_first(&title))
                }
                RdnsFraming::IfDirect => format!(
                    "If you plan direct delivery on port 25: {}",
                    lowercase_first(&title)
                ),
            };
            (title, why)
        }
        Say::PolicyDiffers(d) => policy_differs(d),
        Say::CheckLocalNetwork => (
            "No mail port is reachable: check this machine's firewall, a VPN or a corporate proxy".into(),
            "Providers rarely block every mail port at once; a local firewall, a VPN that filters mail ports, or a network that only allows web traffic usually does.".into(),
        ),
        Say::MeasuredRelays { relays, provider } => {
            let (it, one_of) = if relays.len() == 1 {
                ("it", "it")
            } else {
                ("them", "one of them")
            };
            let mut why = format!("Your network lets port 25 through only to some hosts, usually the ISP's own mail servers. Configure {one_of} as your server's relayhost (smarthost).");
            if let Some(m) = provider {
                why.push_str(&format!(" You are on {}.", provider_named(*m)));
            }
            (
                format!(
                    "Relay through {} on port 25: your network lets port 25 through to {it}",
                    or_list(relays)
                ),
                why,
            )
        }
        // The headline names the host; this says it for every port and family.
        Say::TestAgainNoAddress {
            dns_broken: true, ..
        } => (
            "Nothing could be tested: this machine's DNS is not answering for the internet".into(),
            format!("The DNS server says that well-known mail servers do not exist: this machine cannot look up names on the internet, so no port was tested. {}, then run the check again.", capitalised(DNS_FIX)),
        ),
        Say::TestAgainNoAddress {
            why,
            dns_broken: false,
        } => (
            "Port 25 could not be judged: DNS gave no address for the servers".into(),
            format!("{why} Check the names, and that this machine can resolve them (or the server given with --dns), then run the check again."),
        ),
        Say::TestAgainTargets => (
            "Port 25 could not be judged: test against hosts that are known to accept mail".into(),
            "Run the check with its default targets, or add more than one independent mail server, so that a host being down is not mistaken for a block.".into(),
        ),
        Say::ProviderRelay(r) => provider_relay(r),
        Say::AskProvider { m, or } => unblock_advice(*m, *or),
        Say::AskAnyProvider => (
            "Or ask your provider to lift the block".into(),
            "Cloud providers lift it on request for established accounts; ISPs often only for business lines or static addresses. Mention that you run a mail server with proper reverse DNS.".into(),
        ),
        Say::UnnamedIspServer(m) => (
            format!("Or relay through {}'s outgoing mail server", m.provider.name),
            format!("You are on {}. ISPs that block port 25 usually run a server for their customers on 587 with the account login; mailport's notes do not name {}'s. Set it as your mail server's relayhost.", provider_named(*m), m.provider.name),
        ),
        Say::Submit587(fams) => (
            "Send through your mail provider's submission server on port 587, with STARTTLS and your login".into(),
            format!("Port 587 is open here ({}). It is the standard port for mail clients and for a server relaying through a smarthost (RFC 6409).", and_list(fams)),
        ),
        Say::Submit465(fams) => (
            "Or submit on port 465 with implicit TLS".into(),
            format!("Port 465 is open here ({}). It encrypts from the first byte (RFC 8314); most providers accept it as well as 587.", and_list(fams)),
        ),
        Say::AltPort2525 => (
            "Relay services also listen on port 2525, which is open here".into(),
            "SendGrid, Mailgun, Postmark and others accept authenticated mail on 2525 for networks that block the usual ports.".into(),
        ),
        Say::AltPort26 => (
            "If your web host offers port 26 for outgoing mail, you can use it".into(),
            "Many shared hosts open port 26 as an alternative to 25 for their customers. Port 26 is open here.".into(),
        ),
        Say::AnyIspServer => (
            "Or relay through your ISP's own outgoing mail server".into(),
            "ISPs that block port 25 run a server for their customers, usually on 587 with your ISP account login. Set it as your mail server's relayhost.".into(),
        ),
        Say::RelayService => (
            "Running a mail server? Relay its outgoing mail through a smarthost service".into(),
            format!("A relay (your mail provider, Amazon SES, Mailgun, SendGrid, SMTP2GO...) accepts your server's mail on 587, 465 or 2525 and delivers it on 25 from its own reputable addresses.{}", crate::relay::advice_hint(None, &[])),
        ),
        Say::PolicyListedWhenUnblocked(lists) => (
            format!("Even with port 25 unblocked, receivers would refuse direct mail from this address: it is on the {}", lists.join(" and ")),
            "The PBL lists addresses that are meant to send only through their ISP's servers, usually home lines. A relay avoids the problem; direct delivery needs a static address that the ISP takes off the list.".into(),
        ),
        Say::InboundReflector => (
            "Receiving mail at home? A backup-MX or mail-reflector service can deliver to you on another port".into(),
            "This test measured outgoing connections. If your ISP also blocks incoming 25, such a service takes your mail on 25 and passes it on to your server on a port you choose.".into(),
        ),
        Say::No587ToMx => (
            "Do not point your server at recipients' MX servers on 587: it will not work".into(),
            "MX servers accept mail from other servers only on port 25. Ports 465, 587, 2525 and 26 help only towards a submission server or relay that listens there.".into(),
        ),
        Say::HttpsApi => (
            "If nothing else works, send through an e-mail API over HTTPS".into(),
            "Relay services offer HTTP APIs on port 443, which such networks let through.".into(),
        ),
        Say::NoIpv6 => (
            "This machine has no IPv6 connectivity; IPv4 was judged on its own".into(),
            "That is not a block. Mail works over IPv4 alone.".into(),
        ),
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
fn provider_relay(r: &ProviderRelay) -> (String, String) {
    let (m, relay) = (r.m, r.relay);
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
    match r.open.len() {
        0 => {}
        1 => why.push_str(&format!(" Port {} is open here.", r.open[0])),
        _ => why.push_str(&format!(" Ports {} are open here.", and_list(&r.open))),
    }
    match r.blocked.as_slice() {
        [] => {}
        [one] => why.push_str(&format!(
            " Port {one} looked blocked towards other hosts here; try it against {} itself.",
            relay.host
        )),
        blocked => why.push_str(&format!(
            " Ports {} looked blocked towards other hosts here; try them against {} itself.",
            and_list(blocked),
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

/// The disagreement between mailport's notes and the measurement, as one
/// note.
fn policy_differs(d: &Differs) -> (String, String) {
    let p = d.m.provider;
    let named = provider_named(d.m);
    let known = match d.open_anyway.as_slice() {
        [] => None,
        [one] => Some(format!(
            "{named} is known to block port {one} ({}), but it is open on your line",
            p.dated()
        )),
        ports => Some(format!(
            "{named} is known to block ports {} ({}), but they are open on your line",
            and_list(ports),
            p.dated()
        )),
    };
    let known_why = match p.kind {
        ProviderKind::Residential | ProviderKind::Business => "This measurement wins over mailport's notes: your line may be a business or static one, the block may have been lifted for you, or the policy changed.",
        ProviderKind::Cloud | ProviderKind::Hosting => "This measurement wins over mailport's notes: the block may have been lifted for your account or this server, or the policy changed.",
    };
    let local =
        "the block may come from your router, this machine's firewall, a VPN, or a newer policy.";
    match known {
        // `Differs` exists only when something disagrees, so without a
        // port measured open it is port 25 measured blocked.
        None => (
            format!("{named} is not known to block port 25, but it is blocked here"),
            format!(
                "This measurement wins over mailport's notes ({}): {local}",
                p.dated()
            ),
        ),
        Some(title) if d.blocked25 => (
            format!("{title}; it is not known to block port 25, but that is blocked here"),
            format!("{known_why} On port 25, {local}"),
        ),
        Some(title) => (title, known_why.to_string()),
    }
}

/// The reverse DNS problem as a title and a why.
fn reverse_dns(problem: &RdnsProblem) -> (String, String) {
    match problem {
        RdnsProblem::Missing { ip } => (
            format!("Your public address {ip} has no reverse DNS name: receivers will refuse or junk direct mail"),
            "Mail servers check that the sending address has a PTR name that resolves back to it. Ask your provider to set one naming your mail server, or relay through a smarthost.".into(),
        ),
        RdnsProblem::Generic { ip, name, sign } => (
            format!("The reverse DNS name {name} of {ip} looks like a home or pool address"),
            format!(
                "Receivers treat such names as \"not a mail server\" ({}). Ask your provider for a PTR naming your mail server, or relay through a smarthost.",
                sign.as_ref().map(|g| g.to_string()).unwrap_or_default()
            ),
        ),
        RdnsProblem::Mismatch { ip, name } => (
            format!("The reverse DNS name {name} does not resolve back to {ip}"),
            "Receivers check forward-confirmed reverse DNS (the PTR name must have an A/AAAA record pointing back). Add the missing record or fix the PTR.".into(),
        ),
    }
}
