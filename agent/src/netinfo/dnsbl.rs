//! Blocklist lookups: `<reversed-ip>.<zone>` A through the resolvers (the
//! system's by default: Spamhaus refuses public resolvers), decoded by the
//! shared rules, with the list's TXT reason when listed.

use super::client::{self, QueryError};
use super::{until, DnsblZone, NetinfoConfig};
use hickory_resolver::proto::rr::RecordType;
use mailport_shared::netinfo::{decode_dnsbl, dnsbl_query_name, BlocklistResult, BlocklistStatus};
use std::net::{IpAddr, SocketAddr};
use tokio::time::Instant;

/// Asks every configured list about every known public address.
pub async fn check_all(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    v4: Option<IpAddr>,
    v6: Option<IpAddr>,
    deadline: Instant,
) -> Vec<BlocklistResult> {
    let checks = asks(&cfg.dnsbls, v4, v6).map(|(list, ip)| {
        until(
            deadline,
            list.result(ip, BlocklistStatus::TimedOut),
            check(cfg, resolvers, list, ip, deadline),
        )
    });
    futures::future::join_all(checks).await
}

/// Every (list, address) question to ask: each list about each known
/// public address, IPv6 ones only of the lists that answer them.
pub(crate) fn asks(
    lists: &[DnsblZone],
    v4: Option<IpAddr>,
    v6: Option<IpAddr>,
) -> impl Iterator<Item = (&DnsblZone, IpAddr)> {
    lists.iter().flat_map(move |list| {
        [v4, v6]
            .into_iter()
            .flatten()
            .filter(|ip| ip.is_ipv4() || list.ipv6)
            .map(move |ip| (list, ip))
    })
}

async fn check(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    list: &DnsblZone,
    ip: IpAddr,
    deadline: Instant,
) -> BlocklistResult {
    let name = dnsbl_query_name(ip, &list.zone);
    let status =
        match client::resolve(resolvers, &name, RecordType::A, cfg.query_timeout, deadline).await {
            Ok(ans) => {
                let mut status = decode_dnsbl(list.kind, &ans.ipv4());
                if let BlocklistStatus::Listed { reason, .. } = &mut status {
                    *reason = client::resolve(
                        resolvers,
                        &name,
                        RecordType::TXT,
                        cfg.query_timeout,
                        deadline,
                    )
                    .await
                    .ok()
                    .and_then(|a| a.txt().into_iter().next())
                    .map(|t| t.chars().filter(|c| !c.is_control()).take(300).collect());
                }
                status
            }
            Err(QueryError::Timeout) => BlocklistStatus::TimedOut,
            Err(e) => BlocklistStatus::Failed {
                error: e.to_string(),
            },
        };
    list.result(ip, status)
}
