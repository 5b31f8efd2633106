//! Where each (host, family) pair resolves, once per check: the probes of a
//! host share one lookup, and an address this agent must not connect to is
//! refused after resolution, before any connection (the Smokescreen rule).

use super::one::elapsed_ms;
use crate::dns::Dns;
use crate::probe::allowed;
use mailport_shared::outcome::DnsFailure;
use mailport_shared::validate::{self, Host};
use mailport_shared::{Family, Outcome, ProbeResult, ProbeSpec, Timings};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// Most addresses of one family a probe tries.
pub(super) const MAX_ADDRESSES: usize = 3;

/// Where a (host, family) pair resolved, and how long it took.
#[derive(Clone, Debug)]
pub(super) struct Resolution {
    /// The first address, what control probes and proofs use.
    pub(super) address: Result<IpAddr, DnsFailure>,
    /// Every address of the family, in DNS order (at most
    /// [`MAX_ADDRESSES`]): a probe whose first address fails tries the next
    /// before the port is judged.
    pub(super) addresses: Vec<IpAddr>,
    pub(super) dns_ms: Option<u32>,
}

pub(super) type ResolutionCell = Arc<OnceCell<Resolution>>;
/// One resolution per (host, family), shared by the probes of that host.
pub(super) type Cells = HashMap<(String, Family), ResolutionCell>;

pub(super) fn add_cells(cells: &mut Cells, specs: &[ProbeSpec]) {
    for spec in specs {
        cells.entry((spec.host.clone(), spec.family)).or_default();
    }
}

/// The resolution of `host` over `family` held in `cell`: looked up once per
/// check, by whichever probe of that host asks first.
pub(super) async fn resolved(
    cell: &ResolutionCell,
    dns: &Dns,
    host: &str,
    family: Family,
    allow_private: bool,
) -> Resolution {
    cell.get_or_init(|| resolve(dns, host, family, allow_private))
        .await
        .clone()
}

/// Resolves `host` for `family` and applies the address guard.
pub(super) async fn resolve(
    dns: &Dns,
    host: &str,
    family: Family,
    allow_private: bool,
) -> Resolution {
    let started = Instant::now();
    let (addrs, dns_ms) = match validate::host(host) {
        Ok(Host::Ip(ip)) if Family::of(&ip) == family => (Ok(vec![ip]), None),
        Ok(Host::Ip(_)) => (Err(DnsFailure::NoAddress), None),
        Ok(Host::Name(name)) => {
            let r = dns.lookup(&name, family).await;
            (r, Some(elapsed_ms(started)))
        }
        Err(e) => (
            Err(DnsFailure::Other {
                detail: e.to_string(),
            }),
            None,
        ),
    };
    let addrs_kept: Vec<IpAddr> = addrs.clone().unwrap_or_default();
    let address = addrs.and_then(|addrs| {
        if !allow_private {
            // Refuse the name if any of its addresses is not public: a name
            // that mixes public and private addresses is a rebinding setup.
            if let Some(bad) = addrs.iter().find(|ip| allowed::is_forbidden(ip)) {
                return Err(DnsFailure::Forbidden {
                    address: bad.to_string(),
                });
            }
        }
        addrs.first().copied().ok_or(DnsFailure::NoAddress)
    });
    let addresses = match &address {
        Ok(_) => addrs_kept.into_iter().take(MAX_ADDRESSES).collect(),
        Err(_) => Vec::new(),
    };
    Resolution {
        address,
        addresses,
        dns_ms,
    }
}

/// The result of a probe whose host did not resolve to a usable address.
pub(super) fn dns_failed(
    spec: ProbeSpec,
    reason: DnsFailure,
    dns_ms: Option<u32>,
    started: Instant,
) -> ProbeResult {
    ProbeResult {
        spec,
        address: None,
        outcome: Outcome::DnsFailed { reason },
        timings: Timings {
            dns_ms,
            total_ms: elapsed_ms(started),
            ..Timings::default()
        },
    }
}
