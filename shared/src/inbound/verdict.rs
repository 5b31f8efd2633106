//! Deciding what the call-back showed, per family: a pure function over the
//! signed statement and the agent's witness, tested as a table.

use super::callback::CallResult;
use mailport_derive::TagFirst;
use serde::Serialize;
use std::net::IpAddr;

/// How the agent can tell that an answer on port 25 came from this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Witness {
    /// Nothing listened on port 25, so the agent listened for the check and
    /// greeted with this nonce: a greeting carrying it is this machine.
    Nonce {
        /// The random nonce in the temporary listener's greeting.
        nonce: String,
    },
    /// The user's own mail server listens on port 25; this is the greeting
    /// it gives locally: the same greeting from outside is this machine.
    LocalMta {
        /// The local greeting, escaped.
        greeting: String,
    },
    /// Neither: nothing listens and the agent may not bind port 25.
    NoListener,
}

/// The facts one family's inbound verdict is decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundFacts<'a> {
    /// The reflector's signed result on port 25, or why there is none.
    pub call: Result<&'a CallResult, InboundUntestable>,
    /// The agent's witness.
    pub witness: &'a Witness,
    /// This machine's own address on the connection to the reflector.
    pub local_address: Option<IpAddr>,
}

/// Why inbound could not be tested on a family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundUntestable {
    /// No reflector with call-back was given (`--reflector`, `--reflector-key`).
    NoReflector,
    /// The reflector could not be reached on this family.
    ReflectorUnreachable {
        /// What happened, in words.
        detail: String,
    },
    /// The reflector refused (call-back off, budget spent), its words escaped.
    Refused {
        /// Its reply.
        reply: String,
    },
    /// The statement's signature did not verify: something else answered
    /// in the reflector's place, so nothing it says can be trusted.
    BadSignature,
    /// The reflector called an address other than this network's (a proxy
    /// on the way): the result is about that address, not this line.
    CalledElsewhere {
        /// The address it called.
        called: IpAddr,
    },
}

/// Can the internet reach this machine on port 25, on one family?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TagFirst)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundVerdict {
    /// A greeting came back and it is this machine's (nonce or same greeting).
    Reachable,
    /// Something answered, but not this machine: a port forward to another
    /// host, or a provider's proxy.
    ReachableElsewhere {
        /// What answered, escaped.
        greeting: String,
    },
    /// A greeting came back, but the agent had no witness to tell whose.
    ReachableUnconfirmed {
        /// What answered, escaped.
        greeting: String,
    },
    /// Refused (a RST): the router's port 25 is closed or not forwarded,
    /// or a firewall on this machine rejects it.
    Refused,
    /// Timed out: the provider, or a firewall, drops inbound port 25.
    Dropped,
    /// An ICMP error: a router rejects inbound port 25.
    Rejected {
        /// The reflector's OS words.
        detail: String,
    },
    /// This machine's address is in the carrier-grade NAT range
    /// (100.64.0.0/10): the public address is shared with other
    /// customers and no port forward can reach this line.
    CarrierGradeNat,
    /// Could not be tested.
    NotTestable {
        /// Why.
        reason: InboundUntestable,
    },
}

/// 100.64.0.0/10 (RFC 6598): addresses a provider's carrier-grade NAT
/// hands out.
fn is_cgnat(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            a == 100 && (64..128).contains(&b)
        }
        IpAddr::V6(_) => false,
    }
}

/// Whether two greetings are the same server's: compared without the parts
/// that change between connections (session ids, timestamps), i.e. on the
/// reply code and the first word after it, the host name.
fn same_server(a: &str, b: &str) -> bool {
    let key = |g: &str| -> Vec<String> {
        g.split_whitespace()
            .take(2)
            .map(str::to_ascii_lowercase)
            .collect()
    };
    key(a) == key(b) && !key(a).is_empty()
}

/// The inbound verdict of one family.
pub fn decide(facts: &InboundFacts<'_>) -> InboundVerdict {
    let call = match facts.call {
        Ok(call) => call,
        Err(ref reason) => {
            return InboundVerdict::NotTestable {
                reason: reason.clone(),
            }
        }
    };
    let behind_cgnat = facts.local_address.as_ref().is_some_and(is_cgnat);
    match call {
        CallResult::Greeting { greeting, .. } => match facts.witness {
            Witness::Nonce { nonce } if greeting.contains(nonce.as_str()) => {
                InboundVerdict::Reachable
            }
            Witness::LocalMta { greeting: local } if same_server(local, greeting) => {
                InboundVerdict::Reachable
            }
            Witness::Nonce { .. } | Witness::LocalMta { .. } => {
                InboundVerdict::ReachableElsewhere {
                    greeting: greeting.clone(),
                }
            }
            Witness::NoListener => InboundVerdict::ReachableUnconfirmed {
                greeting: greeting.clone(),
            },
        },
        CallResult::NotSmtp { first_bytes } => InboundVerdict::ReachableElsewhere {
            greeting: first_bytes.clone(),
        },
        // The temporary listener greets at once: silence is something else.
        CallResult::Silent => InboundVerdict::ReachableElsewhere {
            greeting: "(connected, but no greeting)".into(),
        },
        _ if behind_cgnat => InboundVerdict::CarrierGradeNat,
        CallResult::Refused | CallResult::Reset => InboundVerdict::Refused,
        CallResult::TimedOut => InboundVerdict::Dropped,
        CallResult::Unreachable { detail } => InboundVerdict::Rejected {
            detail: detail.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greeting(text: &str) -> CallResult {
        CallResult::Greeting {
            greeting: text.into(),
            ehlo: None,
        }
    }

    #[test]
    fn table() {
        let nonce = Witness::Nonce {
            nonce: "mp-5f3a".into(),
        };
        let mta = Witness::LocalMta {
            greeting: "220 mail.home.example ESMTP Postfix (Debian)".into(),
        };
        let blind = Witness::NoListener;
        let home: Option<IpAddr> = "192.168.1.20".parse().ok();
        let cgnat: Option<IpAddr> = "100.72.3.4".parse().ok();
        let ours = greeting("220 mp-5f3a mailport inbound listener");
        let postfix = greeting("220 mail.home.example ESMTP Postfix (Debian)");
        let other = greeting("220 nas.home.example ESMTP Exim");
        let prohibited = CallResult::Unreachable {
            detail: "prohibited".into(),
        };
        let cases: Vec<(&CallResult, &Witness, Option<IpAddr>, InboundVerdict)> = vec![
            (&ours, &nonce, home, InboundVerdict::Reachable),
            (&postfix, &mta, home, InboundVerdict::Reachable),
            (
                &other,
                &nonce,
                home,
                InboundVerdict::ReachableElsewhere {
                    greeting: "220 nas.home.example ESMTP Exim".into(),
                },
            ),
            (
                &other,
                &mta,
                home,
                InboundVerdict::ReachableElsewhere {
                    greeting: "220 nas.home.example ESMTP Exim".into(),
                },
            ),
            (
                &postfix,
                &blind,
                home,
                InboundVerdict::ReachableUnconfirmed {
                    greeting: "220 mail.home.example ESMTP Postfix (Debian)".into(),
                },
            ),
            (&CallResult::Refused, &nonce, home, InboundVerdict::Refused),
            (&CallResult::Reset, &nonce, home, InboundVerdict::Refused),
            (&CallResult::TimedOut, &nonce, home, InboundVerdict::Dropped),
            (
                &CallResult::TimedOut,
                &nonce,
                cgnat,
                InboundVerdict::CarrierGradeNat,
            ),
            (
                &CallResult::Refused,
                &blind,
                cgnat,
                InboundVerdict::CarrierGradeNat,
            ),
            // A greeting with our nonce wins over the address range.
            (&ours, &nonce, cgnat, InboundVerdict::Reachable),
            (
                &prohibited,
                &mta,
                home,
                InboundVerdict::Rejected {
                    detail: "prohibited".into(),
                },
            ),
        ];
        for (call, witness, local, want) in cases {
            let facts = InboundFacts {
                call: Ok(call),
                witness,
                local_address: local,
            };
            assert_eq!(decide(&facts), want, "{call:?} {witness:?} {local:?}");
        }
        let facts = InboundFacts {
            call: Err(InboundUntestable::BadSignature),
            witness: &nonce,
            local_address: home,
        };
        assert_eq!(
            decide(&facts),
            InboundVerdict::NotTestable {
                reason: InboundUntestable::BadSignature
            }
        );
    }
}
