//! Reverse DNS of the public address, forward-confirmed (the PTR name must
//! resolve back to the address), and whether the name looks generic.

use super::asn::error_fact;
use super::client;
use super::{skipped_no_address, until, NetinfoConfig};
use hickory_resolver::proto::rr::RecordType;
use mailport_shared::netinfo::{generic_ptr, ptr_query_name, Fact, Ptr};
use std::net::{IpAddr, SocketAddr};
use tokio::time::Instant;

/// At most this many PTR names are forward-checked.
const MAX_NAMES: usize = 3;

/// The reverse DNS of `ip`.
pub async fn reverse(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    ip: Option<IpAddr>,
    family: &str,
    deadline: Instant,
) -> Fact<Ptr> {
    let Some(ip) = ip else {
        return skipped_no_address(family);
    };
    until(
        deadline,
        Fact::TimedOut,
        lookup(cfg, resolvers, ip, deadline),
    )
    .await
}

async fn lookup(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    ip: IpAddr,
    deadline: Instant,
) -> Fact<Ptr> {
    let ans = match client::resolve(
        resolvers,
        &ptr_query_name(ip),
        RecordType::PTR,
        cfg.query_timeout,
        deadline,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return error_fact(e),
    };
    let names: Vec<String> = ans
        .ptr_names()
        .into_iter()
        .filter(|n| !n.is_empty())
        .take(MAX_NAMES)
        .collect();
    if names.is_empty() {
        return Fact::NotFound;
    }
    let rtype = match ip {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    };
    let checks = names.iter().map(|n| async move {
        client::resolve(resolvers, n, rtype, cfg.query_timeout, deadline)
            .await
            .map(|a| a.ips().contains(&ip))
            .unwrap_or(false)
    });
    let confirmed = futures::future::join_all(checks).await;
    let pick = confirmed.iter().position(|c| *c).unwrap_or(0);
    let name = names[pick].clone();
    Fact::Found {
        value: Ptr {
            generic: generic_ptr(&name, Some(ip)),
            forward_confirmed: confirmed[pick],
            name,
        },
    }
}
