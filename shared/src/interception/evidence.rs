//! The findings' types: which heuristic fired ([`EvidenceKind`]) and the
//! weighed finding a report carries ([`Evidence`]). A leaf, so that finding,
//! wording and weighing all name them without depending on one another.

use crate::family::Family;
use serde::{Deserialize, Serialize};

/// Which heuristic fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The greeting is masked with asterisks (`220 ****…`), as Cisco
    /// PIX/ASA SMTP inspection does.
    MaskedGreeting,
    /// EHLO was answered "command unrecognized" (500/502) after a normal
    /// greeting: a proxy that only understands HELO, or masks EHLO. A policy
    /// refusal (`550 … listed`) is the server's own decision and not counted.
    EhloRefused,
    /// A host that does not speak SMTP (a port tester) returned an SMTP
    /// greeting: something on the path answered instead.
    SmtpFromNonSmtpHost,
    /// Unrelated targets returned the very same greeting.
    SameGreeting,
    /// STARTTLS is missing on this port while the same host offers it on
    /// another, or a host known to offer it does not.
    StartTlsMissing,
    /// The TLS certificate does not belong to the target.
    CertificateMismatch,
    /// The TLS certificate names the target but is not signed by a trusted
    /// authority: a TLS proxy re-signing the connection, or a self-signed
    /// server.
    UntrustedCertificate,
    /// The greeting announces a host name unrelated to the target.
    GreetingNameMismatch,
    /// Port 25 accepts the connection but stays silent while another port
    /// of the same host greets normally.
    TarpitOn25,
    /// Port 25 greets, but much more slowly than another port of the same
    /// host: an anti-spam greeting delay, or a proxy on 25.
    SlowGreetingOn25,
    /// A mailport reflector target answered without a valid signature over
    /// our challenge: proof that something else answered in its place.
    ReflectorUnverified,
    /// The reflector proved the connection genuine but saw another source
    /// address than this network's public address: a proxy or a
    /// carrier-grade NAT beyond the user's router rewrites the connection.
    /// Not interception (the right server answered), so it is shown but
    /// weighs nothing alone.
    AddressTranslated,
    /// The connection was reset at EHLO after a normal greeting, or EHLO
    /// was answered with something that is not SMTP: a DPI box that lets
    /// the greeting through and cuts the session.
    EhloCutOff,
}

impl EvidenceKind {
    /// Whether the finding describes what answered rather than naming the
    /// host, so that a note about one host has to name it.
    pub(super) fn about_the_answer(self) -> bool {
        matches!(
            self,
            EvidenceKind::MaskedGreeting | EvidenceKind::EhloRefused
        )
    }
}

/// One finding, with the evidence in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Which heuristic.
    pub kind: EvidenceKind,
    /// The port it concerns.
    pub port: u16,
    /// The family it concerns.
    pub family: Family,
    /// The target host it concerns (the first one, for group findings).
    pub host: String,
    /// What was seen, for the user.
    pub detail: String,
    /// Whether this finding, weighed against the rest of the check, is
    /// enough to suspect that the port is intercepted. A weak finding is a
    /// note about one host: its own setup explains it as well as the
    /// network does. Derived by [`detect`](super::detect); absent (false) in reports from
    /// before it existed.
    #[serde(default)]
    pub strong: bool,
    /// Whether it proves interception: a greeting from the reflector's
    /// address without the reflector's signature. Implies `strong`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proof: bool,
}
