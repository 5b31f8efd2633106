//! Blocklist lookups: `<reversed-ip>.<zone>` A through the resolvers (the
//! system's by default: Spamhaus refuses public resolvers), decoded by the
//! shared rules, with the list's TXT reason when listed.

use super::client::{self, QueryError};
use super::{timed_out_list, until, DnsblZone, NetinfoConfig};
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
    let mut asks = Vec::new();
    for list in &cfg.dnsbls {
        for ip in [v4, v6].into_iter().flatten() {
            if ip.is_ipv6() && !list.ipv6 {
                continue;
            }
            asks.push(until(
                deadline,
                timed_out_list(list, ip),
                check(cfg, resolvers, list, ip, deadline),
            ));
        }
    }
    futures::future::join_all(asks).await
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
    BlocklistResult {
        list: list.name.clone(),
        zone: list.shown_zone(),
        address: Some(ip),
        status,
    }
}
