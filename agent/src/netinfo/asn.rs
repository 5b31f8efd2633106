//! Who originates the public address: Team Cymru's IP-to-ASN DNS interface
//! (`<rev>.origin.asn.cymru.com`, `<nibbles>.origin6.asn.cymru.com`, then
//! `AS<n>.asn.cymru.com` for the name), asked through the resolvers.

use super::client::{self, QueryError};
use super::{skipped_no_address, until, NetinfoConfig};
use hickory_resolver::proto::rr::RecordType;
use mailport_shared::netinfo::{
    best_origin, cymru_asn_name, cymru_origin_name, parse_cymru_asname, AsnInfo, Fact,
};
use std::net::{IpAddr, SocketAddr};
use tokio::time::Instant;

/// Turns a query error into the fact's state.
pub(crate) fn error_fact<T>(e: QueryError) -> Fact<T> {
    match e {
        QueryError::Timeout => Fact::TimedOut,
        other => Fact::Failed {
            error: other.to_string(),
        },
    }
}

/// The origin of `ip` (`family` names it when it is unknown).
pub async fn origin(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    ip: Option<IpAddr>,
    family: &str,
    deadline: Instant,
) -> Fact<AsnInfo> {
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
) -> Fact<AsnInfo> {
    let name = cymru_origin_name(ip, &cfg.cymru_zone);
    let ans = match client::resolve(
        resolvers,
        &name,
        RecordType::TXT,
        cfg.query_timeout,
        deadline,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return error_fact(e),
    };
    let txt = ans.txt();
    if txt.is_empty() {
        return Fact::NotFound;
    }
    let mut info = match best_origin(&txt) {
        Ok(i) => i,
        Err(e) => {
            return Fact::Failed {
                error: e.to_string(),
            }
        }
    };
    // The AS name is a nicety: without it the origin is still known.
    let name_q = cymru_asn_name(info.asn, &cfg.cymru_zone);
    if let Ok(a) = client::resolve(
        resolvers,
        &name_q,
        RecordType::TXT,
        cfg.query_timeout,
        deadline,
    )
    .await
    {
        info.as_name = a
            .txt()
            .iter()
            .filter_map(|t| parse_cymru_asname(t).ok())
            .find(|(asn, _)| *asn == info.asn)
            .map(|(_, n)| n);
    }
    Fact::Found { value: info }
}
