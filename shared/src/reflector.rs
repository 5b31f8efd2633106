//! The reflector protocol: proof, not heuristics.
//!
//! A mailport reflector runs on a server the user controls and listens on the
//! mail ports. The agent sends a random challenge; the reflector signs
//! (challenge, the client address it saw, the port it accepted on) with its
//! Ed25519 key. A valid signature proves that the connection reached the real
//! reflector; a greeting without one proves that something else answered.
//! The address it saw tells whether a NAT or proxy sits in the way, and the
//! ports it says it listens on tell a refusal on another port (it does not
//! listen there) from a block.
//!
//! ```text
//! S: 220 reflector.example.com ESMTP mailport-reflector
//! C: XMAILPORT <64 hex digits: 32-byte challenge>
//! S: 250 <client-ip> <port> <ports it listens on, e.g. 25,587> <128 hex digits: Ed25519 signature>
//! C: QUIT
//! S: 221 2.0.0 bye
//! ```
//!
//! A reflector that is full, or that already serves too many connections
//! from the client's address, says so instead of greeting, tagged so the
//! agent can tell it from an interceptor's refusal ([`busy_reply`]):
//!
//! ```text
//! S: 421 reflector.example.com mailport-reflector busy: too many connections from your address
//! ```
//!
//! That reply is not signed (it comes before any challenge), so it proves
//! nothing either way: the port is judged by the other hosts.
//!
//! This module holds the pure parts (message layout, reply parsing, result
//! types); signing and verifying live in the agent.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The word in the greeting that identifies a reflector.
pub const GREETING_TAG: &str = "mailport-reflector";
/// The command that carries the challenge.
pub const COMMAND: &str = "XMAILPORT";
/// Domain separation for the signed message, so a reflector key signs
/// nothing else by accident.
pub const CONTEXT: &[u8] = b"mailport-reflector-v1";
/// Length of the challenge in bytes.
pub const CHALLENGE_LEN: usize = 32;
/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// The most listening ports a reply may list.
pub const MAX_LISTED_PORTS: usize = 32;

/// The reply of a reflector that will not serve this connection now
/// (`why`: full, too many connections from this address, idle): a 421 in
/// the RFC 5321 form (`421 <domain> …`) carrying [`GREETING_TAG`], so that
/// [`is_busy`] recognises it.
pub fn busy_reply(name: &str, why: &str) -> String {
    format!("421 {name} {GREETING_TAG} busy: {why}\r\n")
}

/// Whether a greeting is a reflector's "busy" reply ([`busy_reply`]): a 4xx
/// carrying the tag. Anything can send it, so it is never taken as proof;
/// it only keeps a busy reflector from reading as an interceptor.
/// Takes the reply's code and first line's text, not the probe's reply type:
/// the outcome model imports this module, never the reverse.
pub fn is_busy(code: u16, first_line: Option<&str>) -> bool {
    (400..500).contains(&code)
        && first_line.is_some_and(|l| l.split_whitespace().any(|w| w == GREETING_TAG))
}

/// The bytes the reflector signs: context, NUL, challenge, the client address
/// as text, NUL, the port big-endian, then each port it listens on
/// big-endian.
pub fn signed_message(
    challenge: &[u8; CHALLENGE_LEN],
    seen: &IpAddr,
    port: u16,
    listening: &[u16],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + CHALLENGE_LEN + 48 + 2 * listening.len());
    m.extend_from_slice(CONTEXT);
    m.push(0);
    m.extend_from_slice(challenge);
    m.extend_from_slice(seen.to_string().as_bytes());
    m.push(0);
    m.extend_from_slice(&port.to_be_bytes());
    for p in listening {
        m.extend_from_slice(&p.to_be_bytes());
    }
    m
}

/// The port list as the reply carries it: `25,26,465`.
pub fn format_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A parsed `250 <ip> <port> <ports> <sig>` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedReply {
    /// The client address the reflector saw.
    pub seen: IpAddr,
    /// The port it accepted the connection on.
    pub port: u16,
    /// Every port the reflector listens on.
    pub listening: Vec<u16>,
    /// The signature.
    pub signature: [u8; SIGNATURE_LEN],
}

/// Why an answer to XMAILPORT is not a signed reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Not a 250 reply.
    #[error("the server answered \"{0}\" instead of a signature")]
    NotSigned(String),
    /// A 250 reply that does not have the expected shape.
    #[error("malformed reflector answer \"{0}\"")]
    Malformed(String),
}

/// Parses the reflector's answer line (without CRLF).
pub fn parse_reply(line: &str) -> Result<SignedReply, ReplyError> {
    let shown: String = line.chars().take(80).collect();
    let Some(rest) = line.strip_prefix("250 ") else {
        return Err(ReplyError::NotSigned(shown));
    };
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [ip, port, listening, sig] = parts.as_slice() else {
        return Err(ReplyError::Malformed(shown));
    };
    let listening: Vec<u16> = listening
        .split(',')
        .map(|p| p.parse::<u16>().ok().filter(|p| *p != 0))
        .collect::<Option<_>>()
        .filter(|l: &Vec<u16>| l.len() <= MAX_LISTED_PORTS)
        .ok_or_else(|| ReplyError::Malformed(shown.clone()))?;
    let seen: IpAddr = ip
        .parse()
        .map_err(|_| ReplyError::Malformed(shown.clone()))?;
    let port: u16 = port
        .parse()
        .map_err(|_| ReplyError::Malformed(shown.clone()))?;
    let bytes = decode_hex(sig).ok_or_else(|| ReplyError::Malformed(shown.clone()))?;
    let signature: [u8; SIGNATURE_LEN] =
        bytes.try_into().map_err(|_| ReplyError::Malformed(shown))?;
    Ok(SignedReply {
        seen,
        port,
        listening,
        signature,
    })
}

/// The hex codec under the names this wire format has always used.
pub use crate::hex::{decode as decode_hex, encode as encode_hex};

/// The reflector a check should prove, as the user gives it (the `reflector`
/// field of [`crate::CheckOptions`]; `--reflector` and `--reflector-key` on
/// the command line).
///
/// ```json
/// {"host":"reflector.example.org","public_key":"<64 hex digits or base64>"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReflectorSpec {
    /// The reflector's host name or address.
    pub host: String,
    /// Its public key, hex or base64, as `mailport reflect --gen-key` prints it.
    pub public_key: String,
}

impl ReflectorSpec {
    /// Checks both halves with the shared rules and normalises them: the host
    /// as [`crate::validate::host`] prints it, the key as lower-case hex.
    pub fn validated(self) -> Result<Self, crate::validate::InputError> {
        let host = crate::validate::host(&self.host)?.to_string();
        let key = crate::validate::reflector_key(&self.public_key)?;
        Ok(ReflectorSpec {
            host,
            public_key: encode_hex(&key),
        })
    }

    /// The spec from the two form fields (or flags): `None` when both are
    /// blank, an error when only one is given or either is invalid.
    pub fn from_parts(
        host: &str,
        public_key: &str,
    ) -> Result<Option<Self>, crate::validate::InputError> {
        match (host.trim().is_empty(), public_key.trim().is_empty()) {
            (true, true) => Ok(None),
            (false, false) => ReflectorSpec {
                host: host.trim().to_string(),
                public_key: public_key.trim().to_string(),
            }
            .validated()
            .map(Some),
            _ => Err(crate::validate::InputError::ReflectorIncomplete),
        }
    }

    /// The key's 32 bytes (call on a validated spec; re-checked anyway).
    pub fn key_bytes(&self) -> Result<[u8; 32], crate::validate::InputError> {
        crate::validate::reflector_key(&self.public_key)
    }
}

/// Whether the proof holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// The reflector's signature over our challenge verified: the connection
    /// reached the real reflector.
    Genuine,
    /// Something greeted, but no valid signature came back: whatever answered
    /// is not the reflector.
    Unverified,
    /// The reflector said it is busy ([`is_busy`]): nothing is proved on
    /// this connection, neither genuine nor intercepted.
    Busy,
}

/// What the reflector exchange proved for one connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReflectorProof {
    /// Genuine or not.
    pub status: ProofStatus,
    /// What happened, for the user.
    pub detail: String,
    /// The client address the reflector saw (genuine proofs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_address: Option<IpAddr>,
    /// The port the reflector accepted on (genuine proofs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_port: Option<u16>,
    /// Every port the reflector says it listens on (genuine proofs only): a
    /// refusal on another port is no sign of a block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listening: Vec<u16>,
    /// This machine's own source address for the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_address: Option<IpAddr>,
    /// This network's public address of the same family, when the check
    /// learned it (by DNS, next to the probes): what the reflector should
    /// see when only the user's own router translates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_address: Option<IpAddr>,
}

/// What the address the reflector saw says about the path
/// ([`ReflectorProof::address_check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressCheck {
    /// Nothing signed, or nothing to compare the signed address with.
    Unknown,
    /// The reflector saw this machine's own address: nothing translated it.
    Direct,
    /// It saw this network's public address: an ordinary NAT (a home
    /// router's), nothing beyond it.
    PublicAddress,
    /// The public address is unknown and it saw another address than this
    /// machine's: a NAT, which is normal behind a home router.
    Translated,
    /// It saw another address than this network's public one: something
    /// beyond the user's router (a proxy, a carrier-grade NAT) rewrites
    /// connections on this port. Shown as evidence, weak on its own.
    Rewritten,
}

impl ReflectorProof {
    /// Whether the signature verified.
    pub fn genuine(&self) -> bool {
        self.status == ProofStatus::Genuine
    }

    /// Compares the address the reflector saw with this machine's own and,
    /// when known, the network's public address. Only a public address of
    /// the seen address's family counts.
    pub fn address_check(&self) -> AddressCheck {
        let Some(seen) = self.seen_address.filter(|_| self.genuine()) else {
            return AddressCheck::Unknown;
        };
        let public = self
            .public_address
            .filter(|p| p.is_ipv4() == seen.is_ipv4());
        match (public, self.local_address) {
            (_, Some(local)) if local == seen => AddressCheck::Direct,
            (Some(public), _) if public == seen => AddressCheck::PublicAddress,
            (Some(_), _) => AddressCheck::Rewritten,
            (None, Some(_)) => AddressCheck::Translated,
            (None, None) => AddressCheck::Unknown,
        }
    }

    /// Records the network's public address (`None` when the check did not
    /// learn it) and adds what the comparison means to [`Self::detail`].
    /// Called once per proof, after the network facts are known.
    pub fn compare_with_public(&mut self, public: Option<IpAddr>) {
        self.public_address = public;
        let sentence = match (self.address_check(), self.public_address, self.local_address) {
            (AddressCheck::PublicAddress, Some(p), _) => format!(
                "that is this network's public address {p}: an ordinary NAT, nothing beyond your router"
            ),
            (AddressCheck::Rewritten, Some(p), _) => format!(
                "but this network's public address is {p}: a proxy or a carrier-grade NAT beyond your router rewrites connections on this port"
            ),
            (AddressCheck::Translated, _, Some(l)) => format!(
                "this machine's own address is {l}, so a NAT translated it, which is normal behind a home router"
            ),
            _ => return,
        };
        self.detail = format!("{}; {sentence}", self.detail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout_binds_every_part() {
        let c = [7u8; CHALLENGE_LEN];
        let a: IpAddr = "192.0.2.10".parse().unwrap();
        let b: IpAddr = "192.0.2.11".parse().unwrap();
        let m = signed_message(&c, &a, 25, &[25, 587]);
        assert!(m.starts_with(CONTEXT));
        assert_ne!(m, signed_message(&c, &b, 25, &[25, 587]));
        assert_ne!(m, signed_message(&c, &a, 587, &[25, 587]));
        assert_ne!(m, signed_message(&[8u8; CHALLENGE_LEN], &a, 25, &[25, 587]));
        assert_ne!(m, signed_message(&c, &a, 25, &[587]));
        assert_eq!(&m[m.len() - 6..], &[0, 25, 0, 25, 2, 75]);
    }

    #[test]
    fn replies() {
        let sig = "ab".repeat(64);
        let ok = parse_reply(&format!("250 2001:db8::1 587 25,587 {sig}")).unwrap();
        assert_eq!(ok.port, 587);
        assert_eq!(ok.listening, [25, 587]);
        assert_eq!(ok.seen, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(ok.signature, [0xab; 64]);
        let cases = [
            ("502 5.5.2 Error: command not recognized", "NotSigned"),
            ("", "NotSigned"),
            ("250 2.0.0 Ok", "Malformed"),
            ("250 not-an-ip 25 25 abcd", "Malformed"),
            ("250 192.0.2.1 99999 25 abcd", "Malformed"),
            ("250 192.0.2.1 25 25 abcd", "Malformed"),
            ("250 192.0.2.1 25 25 zz", "Malformed"),
            // The port list: present, numbers, not 0, not endless.
            (&*format!("250 192.0.2.1 25 {sig}"), "Malformed"),
            (&*format!("250 192.0.2.1 25 25,x {sig}"), "Malformed"),
            (&*format!("250 192.0.2.1 25 25,0 {sig}"), "Malformed"),
            (&*format!("250 192.0.2.1 25 25,,587 {sig}"), "Malformed"),
            (
                &*format!("250 192.0.2.1 25 {} {sig}", vec!["25"; 33].join(",")),
                "Malformed",
            ),
        ];
        for (line, want) in cases {
            let got = format!("{:?}", parse_reply(line).unwrap_err());
            assert!(got.starts_with(want), "{line}: {got}");
        }
    }

    #[test]
    fn specs() {
        use crate::validate::InputError;
        let key = "AB".repeat(32);
        let spec = ReflectorSpec::from_parts(" Reflector.Example.ORG. ", &key)
            .unwrap()
            .unwrap();
        assert_eq!(spec.host, "reflector.example.org");
        assert_eq!(spec.public_key, "ab".repeat(32));
        assert_eq!(spec.key_bytes(), Ok([0xab; 32]));
        assert_eq!(ReflectorSpec::from_parts(" ", ""), Ok(None));
        assert_eq!(
            ReflectorSpec::from_parts("r.example", ""),
            Err(InputError::ReflectorIncomplete)
        );
        assert_eq!(
            ReflectorSpec::from_parts("", &key),
            Err(InputError::ReflectorIncomplete)
        );
        assert!(matches!(
            ReflectorSpec::from_parts("r..example", &key),
            Err(InputError::BadHost { .. })
        ));
        assert!(matches!(
            ReflectorSpec::from_parts("r.example", "nope"),
            Err(InputError::BadReflectorKey(_))
        ));
        let json = r#"{"host":"r.example","public_key":"k","extra":1}"#;
        assert!(serde_json::from_str::<ReflectorSpec>(json).is_err());
    }

    #[test]
    fn busy_replies() {
        use crate::outcome::Reply;
        let line = busy_reply("r.example", "too many connections from your address");
        assert_eq!(
            line,
            "421 r.example mailport-reflector busy: too many connections from your address\r\n"
        );
        let reply = |code: u16, text: &str| Reply {
            code,
            lines: vec![text.to_string()],
        };
        let rows = [
            (reply(421, "r.example mailport-reflector busy: full"), true),
            (reply(450, "r.example mailport-reflector busy"), true),
            // Not a 4xx: a greeting, or a permanent refusal.
            (reply(220, "r.example ESMTP mailport-reflector"), false),
            (reply(554, "r.example mailport-reflector busy"), false),
            // A 421 without the tag: any server's, e.g. an interceptor's.
            (reply(421, "4.3.2 too busy, try later"), false),
            (reply(421, "r.example not-mailport-reflector busy"), false),
            (
                Reply {
                    code: 421,
                    lines: vec![],
                },
                false,
            ),
        ];
        for (r, want) in rows {
            let first = r.lines.first().map(String::as_str);
            assert_eq!(is_busy(r.code, first), want, "{}", r.first_line());
        }
    }

    #[test]
    fn address_checks() {
        use AddressCheck::*;
        let p = |status: ProofStatus, seen: &str, local: &str, public: &str| ReflectorProof {
            status,
            detail: "signed".into(),
            seen_address: seen.parse().ok(),
            seen_port: Some(25),
            listening: vec![25],
            local_address: local.parse().ok(),
            public_address: public.parse().ok(),
        };
        let g = ProofStatus::Genuine;
        let rows = [
            ("no NAT", p(g, "192.0.2.10", "192.0.2.10", ""), Direct),
            (
                "no NAT, public address known",
                p(g, "192.0.2.10", "192.0.2.10", "192.0.2.10"),
                Direct,
            ),
            (
                "home NAT: seen = public",
                p(g, "203.0.113.9", "192.168.1.5", "203.0.113.9"),
                PublicAddress,
            ),
            (
                "something beyond the router",
                p(g, "198.51.100.1", "192.168.1.5", "203.0.113.9"),
                Rewritten,
            ),
            (
                "public unknown: a NAT, normal at home",
                p(g, "203.0.113.9", "192.168.1.5", ""),
                Translated,
            ),
            (
                "a public address of the other family does not count",
                p(g, "203.0.113.9", "192.168.1.5", "2001:db8::9"),
                Translated,
            ),
            (
                "nothing signed",
                p(g, "", "192.168.1.5", "203.0.113.9"),
                Unknown,
            ),
            (
                "not genuine: nothing to compare",
                p(ProofStatus::Unverified, "203.0.113.9", "192.168.1.5", ""),
                Unknown,
            ),
            ("no local address", p(g, "203.0.113.9", "", ""), Unknown),
        ];
        for (name, proof, want) in rows {
            assert_eq!(proof.address_check(), want, "{name}");
        }
    }

    #[test]
    fn comparing_with_the_public_address_says_what_it_means() {
        let base = |seen: &str| ReflectorProof {
            status: ProofStatus::Genuine,
            detail: "signed".into(),
            seen_address: seen.parse().ok(),
            seen_port: Some(25),
            listening: vec![25],
            local_address: "192.168.1.5".parse().ok(),
            public_address: None,
        };
        let rows: [(&str, Option<&str>, &str); 4] = [
            ("203.0.113.9", Some("203.0.113.9"), "an ordinary NAT"),
            ("198.51.100.1", Some("203.0.113.9"), "beyond your router"),
            ("203.0.113.9", None, "normal behind a home router"),
            ("192.168.1.5", Some("203.0.113.9"), ""),
        ];
        for (seen, public, want) in rows {
            let mut proof = base(seen);
            proof.compare_with_public(public.and_then(|p| p.parse().ok()));
            assert_eq!(proof.public_address, public.and_then(|p| p.parse().ok()));
            if want.is_empty() {
                assert_eq!(proof.detail, "signed", "{seen}");
            } else {
                assert!(proof.detail.starts_with("signed; "), "{}", proof.detail);
                assert!(proof.detail.contains(want), "{seen}: {}", proof.detail);
            }
        }
    }
}
