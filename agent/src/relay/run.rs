//! One relay test, from the relay's name to its report: the addresses (the
//! one given, the IP literal, or A then AAAA), the address guard, then
//! [`client::test_relay`]. `mailport relay` and the API's `POST /v1/relay`
//! both call [`run`], so the terminal and the page see the same steps with
//! the same deadlines.

use super::client::{self, ClientConfig, Envelope};
use super::password::Secret;
use crate::dns::Dns;
use crate::probe::allowed;
use crate::probe::dial::Dialer;
use crate::probe::tls::TlsContext;
use mailport_shared::outcome::Outcome;
use mailport_shared::relay::step::RelayReport;
use mailport_shared::relay::RelaySpec;
use mailport_shared::Family;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// TCP connect timeout per address, in milliseconds (`--connect-timeout`'s default).
pub const CONNECT_TIMEOUT_MS: u32 = 8000;
/// Deadline of every later step, in milliseconds (`--timeout`'s default).
pub const STEP_TIMEOUT_MS: u32 = 15000;

/// The deadlines of `mailport relay` without flags, which the API uses too.
pub fn default_config(ehlo_name: Option<String>) -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS.into()),
        step_timeout: Duration::from_millis(STEP_TIMEOUT_MS.into()),
        ehlo_name,
    }
}

/// How the test reaches the network.
pub struct Network<'a> {
    /// Opens the connections.
    pub dialer: &'a dyn Dialer,
    /// Trust anchors for the relay's certificate.
    pub tls: &'a TlsContext,
    /// DNS servers; empty means the system's.
    pub nameservers: &'a [SocketAddr],
    /// Connect here instead of resolving the name (`--connect`).
    pub connect: Option<IpAddr>,
    /// Whether private, loopback and other non-public addresses may be
    /// reached. The terminal allows them (the user typed the host); the API
    /// only with `--allow-private`, since a web page can reach the API.
    pub allow_private: bool,
}

/// Why the test did not even start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// The relay's name or literal leads to a non-public address.
    #[error(
        "the relay's address {address} is {why}; the agent connects only to public \
         addresses (start it with --allow-private to test a relay on your own network)"
    )]
    Forbidden {
        /// The address.
        address: IpAddr,
        /// What kind of address it is ("private", "loopback"...).
        why: &'static str,
    },
}

/// Tests the relay `spec` with this login. A name that does not resolve is
/// a report (its first step failed); an address the guard refuses is
/// [`Refused`], and nothing is sent anywhere.
pub async fn run(
    spec: &RelaySpec,
    secret: &Secret,
    envelope: Option<&Envelope>,
    net: &Network<'_>,
    config: &ClientConfig,
) -> Result<RelayReport, Refused> {
    let addrs = match resolve(spec, net).await {
        Ok(a) => a,
        Err(detail) => return Ok(client::dns_failure(spec, detail)),
    };
    if !net.allow_private {
        // Every address, not only the first: a name that mixes public and
        // private addresses is a rebinding setup (as for checks).
        if let Some((address, why)) = addrs
            .iter()
            .find_map(|ip| allowed::forbidden_reason(ip).map(|why| (*ip, why)))
        {
            return Err(Refused::Forbidden { address, why });
        }
    }
    let target = client::Target {
        dialer: net.dialer,
        spec,
        addrs: &addrs,
        tls: net.tls,
    };
    Ok(client::test_relay(&target, secret, envelope, config).await)
}

/// The addresses to try: `connect`, the IP literal, or A then AAAA.
async fn resolve(spec: &RelaySpec, net: &Network<'_>) -> Result<Vec<IpAddr>, String> {
    if let Some(ip) = net.connect {
        return Ok(vec![ip]);
    }
    if let Ok(ip) = spec.host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let dns = Dns::new(net.nameservers);
    let (v4, v6) = tokio::join!(
        dns.lookup(&spec.host, Family::Ipv4),
        dns.lookup(&spec.host, Family::Ipv6)
    );
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut why = None;
    for r in [v4, v6] {
        match r {
            Ok(a) => addrs.extend(a.into_iter().take(2)),
            Err(reason) => why = why.or(Some(Outcome::DnsFailed { reason }.explain())),
        }
    }
    if addrs.is_empty() {
        Err(why.unwrap_or_else(|| "The name has no address.".into()))
    } else {
        Ok(addrs)
    }
}
