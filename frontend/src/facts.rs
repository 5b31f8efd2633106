//! What the page says about the network a check ran from and about a
//! reflector's proof, as plain data: the components only lay it out, so the
//! wording (the same as the terminal's, from `mailport_shared::netinfo`) is
//! tested natively.

use crate::state::tone::Tone;
use mailport_shared::netinfo::{
    address_line, blocklist_line, provider_line, BlocklistStatus, NetworkFacts,
};
use mailport_shared::reflector::{ProofStatus, ReflectorProof};

/// Which network fact a line tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetKind {
    /// Who runs the network (AS, known provider and its port policy).
    Provider,
    /// The public addresses and their reverse DNS.
    Address,
    /// Blocklist answers.
    Blocklists,
}

impl NetKind {
    /// The `data-fact` attribute (tests and styles find lines by it).
    pub fn key(self) -> &'static str {
        match self {
            NetKind::Provider => "provider",
            NetKind::Address => "address",
            NetKind::Blocklists => "blocklists",
        }
    }
}

/// One line of the network block under the headline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetLine {
    /// What it is about.
    pub kind: NetKind,
    /// The words, as the terminal prints them.
    pub text: String,
    /// Worth the reader's attention (a blocklist listing).
    pub warn: bool,
}

/// The network block: provider, public address and blocklist lines, in that
/// order, each only when there is something to say. Empty without facts
/// (`--no-netinfo`, or an older agent), so the page shows no empty box.
/// (The provider line also says when the origin lookup failed, in the same
/// words as the terminal: both print `provider_line`.)
pub fn network_lines(facts: Option<&NetworkFacts>) -> Vec<NetLine> {
    let Some(facts) = facts else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(text) = provider_line(facts) {
        lines.push(NetLine {
            kind: NetKind::Provider,
            text,
            warn: false,
        });
    }
    if let Some(text) = address_line(facts) {
        lines.push(NetLine {
            kind: NetKind::Address,
            text,
            warn: false,
        });
    }
    if let Some(text) = blocklist_line(facts) {
        let warn = facts
            .blocklists
            .iter()
            .any(|b| matches!(b.status, BlocklistStatus::Listed { .. }));
        lines.push(NetLine {
            kind: NetKind::Blocklists,
            text,
            warn,
        });
    }
    lines
}

/// How a reflector proof reads in a cell's details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofView {
    /// Tone of the status word ([`Tone::of_proof`]): good when genuine, odd
    /// when not, neutral when busy.
    pub tone: Tone,
    /// "✓ genuine", "? unverified" or "– busy": symbol and word, never
    /// colour alone.
    pub status: String,
    /// The address the reflector saw, "hidden" in a shared report whose
    /// addresses were removed, `None` when nothing was signed.
    pub seen: Option<String>,
    /// What happened, in the agent's words.
    pub detail: String,
}

impl ProofView {
    /// The view of one proof.
    pub fn of(p: &ReflectorProof) -> ProofView {
        let tone = Tone::of_proof(p.status);
        let word = match p.status {
            ProofStatus::Genuine => "genuine: the real reflector answered",
            ProofStatus::Unverified => "unverified: something else answered",
            ProofStatus::Busy => "busy: the reflector asked to come back later",
        };
        let seen = match (p.status, p.seen_address, p.seen_port) {
            (_, Some(ip), Some(port)) => Some(format!("{ip} (port {port})")),
            (_, Some(ip), None) => Some(ip.to_string()),
            // A genuine proof always carries the address; without it, the
            // person who shared the report hid it.
            (ProofStatus::Genuine, None, _) => Some("hidden".to_string()),
            (ProofStatus::Unverified | ProofStatus::Busy, None, _) => None,
        };
        ProofView {
            tone,
            status: format!("{} {word}", tone.symbol()),
            seen,
            detail: p.detail.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::netinfo::{AsnInfo, BlocklistResult, Fact, Listing};

    fn comcast() -> NetworkFacts {
        NetworkFacts {
            public_ipv4: Fact::Found {
                value: "198.51.100.73".parse().expect("ip"),
            },
            public_ipv6: Fact::Skipped {
                reason: "disabled".into(),
            },
            origin_v4: Fact::Found {
                value: AsnInfo {
                    asn: 7922,
                    other_asns: Vec::new(),
                    prefix: "198.51.100.0/24".into(),
                    country: "US".into(),
                    registry: "arin".into(),
                    allocated: "2005-11-15".into(),
                    as_name: Some("COMCAST-7922".into()),
                },
            },
            blocklists: vec![BlocklistResult {
                list: "Spamhaus ZEN".into(),
                zone: "zen.spamhaus.org".into(),
                address: "198.51.100.73".parse().ok(),
                status: BlocklistStatus::Listed {
                    listings: vec![Listing::PblIsp],
                    reason: None,
                },
            }],
            reverse_dns_v4: Fact::NotFound,
            ..NetworkFacts::default()
        }
    }

    #[test]
    fn no_facts_no_block() {
        assert_eq!(network_lines(None), vec![]);
        // Everything skipped (both families off for netinfo): nothing to say.
        let skipped = NetworkFacts {
            public_ipv4: Fact::Skipped { reason: "x".into() },
            public_ipv6: Fact::Skipped { reason: "x".into() },
            origin_v4: Fact::Skipped { reason: "x".into() },
            origin_v6: Fact::Skipped { reason: "x".into() },
            ..NetworkFacts::default()
        };
        assert_eq!(network_lines(Some(&skipped)), vec![]);
    }

    #[test]
    fn provider_address_and_blocklist_lines_in_order() {
        let lines = network_lines(Some(&comcast()));
        let kinds: Vec<&str> = lines.iter().map(|l| l.kind.key()).collect();
        assert_eq!(kinds, ["provider", "address", "blocklists"]);
        assert_eq!(
            lines[0].text,
            "Network: Comcast Xfinity (AS7922, US), residential — known to block 25 (as of 2012-08)"
        );
        assert_eq!(
            lines[1].text,
            "Public address: IPv4 198.51.100.73, no reverse DNS name"
        );
        assert!(lines[2]
            .text
            .starts_with("Blocklists: listed on Spamhaus PBL"));
        assert!(lines[2].warn && !lines[0].warn && !lines[1].warn);
    }

    #[test]
    fn a_shared_report_says_hidden() {
        let mut facts = comcast();
        facts.redact_addresses();
        let lines = network_lines(Some(&facts));
        assert_eq!(lines[1].text, "Public address: IPv4 hidden");
        // What the facts mean stays.
        assert!(lines[0].text.contains("Comcast Xfinity"));
        assert!(
            !lines[2].text.contains("198.51.100.73"),
            "{}",
            lines[2].text
        );
    }

    #[test]
    fn a_failed_origin_lookup_is_said() {
        let facts = NetworkFacts {
            public_ipv4: Fact::Found {
                value: "198.51.100.73".parse().expect("ip"),
            },
            origin_v4: Fact::TimedOut,
            ..NetworkFacts::default()
        };
        let lines = network_lines(Some(&facts));
        assert_eq!(lines[0].kind, NetKind::Provider);
        assert_eq!(lines[0].text, "Network: unknown (timed out)");
    }

    fn proof(status: ProofStatus, seen: Option<&str>) -> ReflectorProof {
        ReflectorProof {
            status,
            detail: "what happened".into(),
            seen_address: seen.and_then(|s| s.parse().ok()),
            seen_port: seen.map(|_| 25),
            listening: Vec::new(),
            local_address: None,
            public_address: None,
        }
    }

    #[test]
    fn proofs_read_in_words_and_symbols() {
        let v = ProofView::of(&proof(ProofStatus::Genuine, Some("203.0.113.9")));
        assert_eq!(v.tone, Tone::Good);
        assert_eq!(v.status, "✓ genuine: the real reflector answered");
        assert_eq!(v.seen.as_deref(), Some("203.0.113.9 (port 25)"));
        assert_eq!(v.detail, "what happened");

        let v = ProofView::of(&proof(ProofStatus::Unverified, None));
        assert_eq!(v.tone, Tone::Odd);
        assert_eq!(v.status, "? unverified: something else answered");
        assert_eq!(v.seen, None);

        let v = ProofView::of(&proof(ProofStatus::Busy, None));
        assert_eq!(v.tone, Tone::Neutral);
        assert_eq!(v.status, "– busy: the reflector asked to come back later");
        assert_eq!(v.seen, None);

        // Shared with addresses hidden: the proof stays, the address goes.
        let v = ProofView::of(&proof(ProofStatus::Genuine, None));
        assert_eq!(v.seen.as_deref(), Some("hidden"));
    }
}
