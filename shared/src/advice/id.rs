//! What a piece of advice is: its stable id and its words. A leaf, so that
//! the rules (which decide) and the texts (which word) both name advice
//! without depending on each other or on the module that runs them.

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
