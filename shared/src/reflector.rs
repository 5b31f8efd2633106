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

/// Lower-case hex.
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case); None when not hex or odd length.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

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
}

impl ReflectorProof {
    /// Whether the signature verified.
    pub fn genuine(&self) -> bool {
        self.status == ProofStatus::Genuine
    }

    /// The reflector saw another source address than ours: a NAT, a CGNAT or
    /// a proxy rewrote the connection (a home router's NAT does this too, so
    /// it is information, not an accusation).
    pub fn address_translated(&self) -> bool {
        matches!(
            (self.seen_address, self.local_address),
            (Some(seen), Some(local)) if seen != local
        )
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
    fn hex_round_trip() {
        assert_eq!(encode_hex(&[0, 15, 255]), "000fff");
        assert_eq!(decode_hex("000FfF"), Some(vec![0, 15, 255]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("é0"), None);
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
    fn translation() {
        let p = |seen: &str, local: &str| ReflectorProof {
            status: ProofStatus::Genuine,
            detail: String::new(),
            seen_address: seen.parse().ok(),
            seen_port: Some(25),
            listening: vec![25],
            local_address: local.parse().ok(),
        };
        assert!(!p("192.0.2.10", "192.0.2.10").address_translated());
        assert!(p("203.0.113.9", "192.168.1.5").address_translated());
        assert!(!p("", "192.168.1.5").address_translated());
    }
}
