//! Inbound verdicts and their advice in words, for the terminal, the page
//! and share links alike. Deciding is in [`super::verdict`].

use super::verdict::{InboundUntestable, InboundVerdict, Witness};
use super::InboundReport;
use crate::family::Family;
use serde::{Deserialize, Serialize};

/// What to do about an inbound verdict, most useful first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundAdvice {
    /// Nothing: mail can reach this machine.
    NothingToDo,
    /// Point the router's port-25 forward at this machine.
    FixPortForward,
    /// Add a port forward for 25 (and open this machine's firewall).
    AddPortForward,
    /// Ask the provider to stop dropping inbound 25, or for a business line
    /// or a static address.
    AskProviderInbound,
    /// Ask for a public IPv4 address (out of carrier-grade NAT), or use IPv6.
    LeaveCgnat,
    /// A backup-MX or inbound relay service that redelivers on another port.
    InboundRelayService,
    /// A small VPS or a tunnel that receives on 25 and forwards to this machine.
    VpsTunnel,
    /// Run the check with the right to bind port 25, so its answer can be
    /// attributed.
    RunPrivileged,
    /// Give a reflector with call-back.
    UseReflector,
}

/// The verdict in a few words, for a table cell.
pub fn label(verdict: &InboundVerdict) -> &'static str {
    match verdict {
        InboundVerdict::Reachable => "reachable",
        InboundVerdict::ReachableElsewhere { .. } => "another machine answers",
        InboundVerdict::ReachableUnconfirmed { .. } => "reachable (unconfirmed)",
        InboundVerdict::Refused => "refused",
        InboundVerdict::Dropped => "blocked (dropped)",
        InboundVerdict::Rejected { .. } => "blocked (rejected)",
        InboundVerdict::CarrierGradeNat => "impossible (carrier-grade NAT)",
        InboundVerdict::NotTestable { .. } => "not testable",
    }
}

/// One sentence: what the internet met on this family's port 25.
pub fn sentence(family: Family, verdict: &InboundVerdict) -> String {
    match verdict {
        InboundVerdict::Reachable => format!(
            "Inbound {family}: the internet reaches this machine on port 25: mail can be delivered to it."
        ),
        InboundVerdict::ReachableElsewhere { greeting } => format!(
            "Inbound {family}: port 25 answers from outside, but not from this machine (it said \"{greeting}\"): the router forwards port 25 to another host, or the provider answers in its place."
        ),
        InboundVerdict::ReachableUnconfirmed { greeting } => format!(
            "Inbound {family}: port 25 answers from outside (\"{greeting}\"), but this check could not tell whether it is this machine: nothing listens here on port 25 and it may not open it."
        ),
        InboundVerdict::Refused => format!(
            "Inbound {family}: connections to port 25 from outside are refused: the router has no port forward for 25 (or this machine's firewall rejects it)."
        ),
        InboundVerdict::Dropped => format!(
            "Inbound {family}: connections to port 25 from outside time out: the provider (or a firewall) drops inbound mail traffic."
        ),
        InboundVerdict::Rejected { detail } => format!(
            "Inbound {family}: a router rejects connections to port 25 from outside ({detail})."
        ),
        InboundVerdict::CarrierGradeNat => format!(
            "Inbound {family}: this line is behind carrier-grade NAT (its address is in 100.64.0.0/10): the public address is shared with other customers, so nothing from outside can reach port 25 here."
        ),
        InboundVerdict::NotTestable { reason } => format!(
            "Inbound {family}: not testable: {}.",
            untestable(reason)
        ),
    }
}

fn untestable(reason: &InboundUntestable) -> String {
    match reason {
        InboundUntestable::NoReflector => {
            "it needs a reflector with call-back (--reflector and --reflector-key; see docs/reflector.md)".into()
        }
        InboundUntestable::ReflectorUnreachable { detail } => {
            format!("the reflector could not be reached ({detail})")
        }
        InboundUntestable::Refused { reply } => {
            format!("the reflector refused the call-back (\"{reply}\")")
        }
        InboundUntestable::BadSignature => {
            "the answer was not signed by the reflector: something else answered in its place".into()
        }
        InboundUntestable::CalledElsewhere { called } => format!(
            "the reflector saw the request come from {called}, not from this network: a proxy is in the way"
        ),
    }
}

/// The inbound answer in one sentence, apart from the outbound headline:
/// "Can the internet reach this machine on port 25? Yes, on IPv4; on IPv6
/// not testable."
pub fn headline(report: &InboundReport) -> String {
    let answer = |v: &InboundVerdict| match v {
        InboundVerdict::Reachable => "yes",
        InboundVerdict::ReachableElsewhere { .. } => "no, another machine answers",
        InboundVerdict::ReachableUnconfirmed { .. } => {
            "something answers, but maybe not this machine"
        }
        InboundVerdict::Refused | InboundVerdict::Dropped | InboundVerdict::Rejected { .. } => "no",
        InboundVerdict::CarrierGradeNat => "no, not behind carrier-grade NAT",
        InboundVerdict::NotTestable { .. } => "not testable",
    };
    let q = "Can the internet reach this machine on port 25?";
    let capital = crate::text::capitalised;
    match report.families.as_slice() {
        [] => format!("{q} Not tested."),
        [one] => format!("{q} {}, on {}.", capital(answer(&one.verdict)), one.family),
        [first, rest @ ..]
            if rest
                .iter()
                .all(|f| answer(&f.verdict) == answer(&first.verdict)) =>
        {
            let families: Vec<String> = report
                .families
                .iter()
                .map(|f| f.family.to_string())
                .collect();
            format!(
                "{q} {}, on {}.",
                capital(answer(&first.verdict)),
                families.join(" and ")
            )
        }
        [first, rest @ ..] => {
            let mut s = format!(
                "{q} {}, on {}",
                capital(answer(&first.verdict)),
                first.family
            );
            for f in rest {
                s.push_str(&format!("; on {}, {}", f.family, answer(&f.verdict)));
            }
            s.push('.');
            s
        }
    }
}

/// How the check could tell this machine's answer from another's.
pub fn witness_text(witness: &Witness) -> &'static str {
    match witness {
        Witness::Nonce { .. } => "this check listened on port 25 and greeted with a nonce",
        Witness::LocalMta { .. } => "compared with the greeting of the mail server on this machine",
        Witness::NoListener => "nothing listens on port 25 here and the check could not listen",
    }
}

/// The advice for a verdict, most useful first.
pub fn advice(verdict: &InboundVerdict) -> Vec<InboundAdvice> {
    use InboundAdvice::*;
    match verdict {
        InboundVerdict::Reachable => vec![NothingToDo],
        InboundVerdict::ReachableElsewhere { .. } => vec![FixPortForward, AskProviderInbound],
        InboundVerdict::ReachableUnconfirmed { .. } => vec![RunPrivileged],
        InboundVerdict::Refused => vec![AddPortForward, InboundRelayService, VpsTunnel],
        InboundVerdict::Dropped | InboundVerdict::Rejected { .. } => {
            vec![AskProviderInbound, InboundRelayService, VpsTunnel]
        }
        InboundVerdict::CarrierGradeNat => vec![LeaveCgnat, InboundRelayService, VpsTunnel],
        InboundVerdict::NotTestable {
            reason: InboundUntestable::NoReflector,
        } => vec![UseReflector],
        InboundVerdict::NotTestable { .. } => vec![],
    }
}

/// One piece of advice in words.
pub fn advice_text(advice: InboundAdvice) -> &'static str {
    match advice {
        InboundAdvice::NothingToDo => "Nothing to do for inbound mail: keep port 25 open and your MX record pointing at this address.",
        InboundAdvice::FixPortForward => "Point your router's port-25 forward at this machine's local address (an old forward may still name another host), then check again.",
        InboundAdvice::AddPortForward => "Add a port forward on your router: TCP port 25 to this machine's local address, and allow port 25 in this machine's firewall.",
        InboundAdvice::AskProviderInbound => "Ask your provider whether it blocks inbound port 25; residential lines often do. A business plan or a static address usually lifts it.",
        InboundAdvice::LeaveCgnat => "Ask your provider for a public IPv4 address (many offer one on request or for a fee), or receive over IPv6 if your line has it.",
        InboundAdvice::InboundRelayService => "Use a backup-MX or inbound relay service (a \"mail reflector\"): it receives on port 25 for your domain and redelivers to your server on another port you can open.",
        InboundAdvice::VpsTunnel => "Receive on a small VPS (or a tunnel such as WireGuard to one) with port 25 open, and forward the mail to this machine.",
        InboundAdvice::RunPrivileged => "Run the check so that it may open port 25 for a moment (as root or administrator, or on Linux after `sudo setcap cap_net_bind_service=+ep $(command -v mailport)`), so it can tell whether the answer is this machine's.",
        InboundAdvice::UseReflector => "To test inbound port 25, run a reflector with call-back on a server outside your network (docs/reflector.md) and pass it with --reflector and --reflector-key.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_has_words_and_blocking_ones_have_a_way_out() {
        let verdicts = [
            InboundVerdict::Reachable,
            InboundVerdict::ReachableElsewhere {
                greeting: "220 nas".into(),
            },
            InboundVerdict::ReachableUnconfirmed {
                greeting: "220 x".into(),
            },
            InboundVerdict::Refused,
            InboundVerdict::Dropped,
            InboundVerdict::Rejected {
                detail: "prohibited".into(),
            },
            InboundVerdict::CarrierGradeNat,
        ];
        for v in &verdicts {
            let s = sentence(Family::Ipv4, v);
            assert!(s.starts_with("Inbound IPv4: "), "{s}");
            assert!(!advice(v).is_empty(), "{v:?}");
        }
        for blocked in [&verdicts[3], &verdicts[4], &verdicts[6]] {
            assert!(advice(blocked).contains(&InboundAdvice::InboundRelayService));
        }
        assert_eq!(advice(&verdicts[0]), vec![InboundAdvice::NothingToDo]);
    }

    #[test]
    fn headline_table() {
        use super::super::InboundFamily;
        let fam = |family, verdict| InboundFamily {
            family,
            verdict,
            witness: Witness::NoListener,
            statement: None,
            elapsed_ms: 0,
        };
        let report = |families| InboundReport {
            reflector: "r.example".into(),
            families,
        };
        let q = "Can the internet reach this machine on port 25?";
        let untestable = InboundVerdict::NotTestable {
            reason: InboundUntestable::NoReflector,
        };
        let cases = [
            (vec![], format!("{q} Not tested.")),
            (
                vec![fam(Family::Ipv4, InboundVerdict::Reachable)],
                format!("{q} Yes, on IPv4."),
            ),
            (
                vec![
                    fam(Family::Ipv4, InboundVerdict::Dropped),
                    fam(Family::Ipv6, InboundVerdict::Refused),
                ],
                format!("{q} No, on IPv4 and IPv6."),
            ),
            (
                vec![
                    fam(Family::Ipv4, InboundVerdict::CarrierGradeNat),
                    fam(Family::Ipv6, untestable),
                ],
                format!("{q} No, not behind carrier-grade NAT, on IPv4; on IPv6, not testable."),
            ),
        ];
        for (families, want) in cases {
            assert_eq!(headline(&report(families)), want);
        }
    }
}
