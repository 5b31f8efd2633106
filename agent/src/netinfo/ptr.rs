//! Reverse DNS of the public address, forward-confirmed (the PTR name must
//! resolve back to the address), and whether the name looks generic.
//!
//! A forward lookup that fails or times out proves nothing: the name is
//! then "unknown", never "does not resolve back" (which would send the user
//! fixing a record that may be fine).

use super::asn::error_fact;
use super::client;
use super::{skipped_no_address, until, NetinfoConfig};
use hickory_resolver::proto::rr::RecordType;
use mailport_shared::netinfo::{generic_ptr, ptr_query_name, Fact, Forward, Ptr};
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
        match client::resolve(resolvers, n, rtype, cfg.query_timeout, deadline).await {
            Ok(a) if a.ips().contains(&ip) => Forward::Confirmed,
            // An answer (or NXDOMAIN) without the address: a definite no.
            Ok(_) => Forward::Mismatch,
            Err(_) => Forward::Unknown,
        }
    });
    let checked = futures::future::join_all(checks).await;
    let (name, forward) = pick(&names, &checked);
    Fact::Found {
        value: Ptr {
            generic: generic_ptr(&name, Some(ip)),
            forward,
            name,
        },
    }
}

/// The name to report and its state: the first confirmed name; else, if
/// any check did not answer, "unknown" (that one might have confirmed);
/// else a definite mismatch. `names` and `checked` have the same length,
/// at least one.
fn pick(names: &[String], checked: &[Forward]) -> (String, Forward) {
    let at = |i: usize| names.get(i).cloned().unwrap_or_default();
    if let Some(i) = checked.iter().position(|f| *f == Forward::Confirmed) {
        return (at(i), Forward::Confirmed);
    }
    if checked.contains(&Forward::Unknown) {
        return (at(0), Forward::Unknown);
    }
    (at(0), Forward::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reported_state_is_the_strongest_claim_the_answers_allow() {
        use Forward::{Confirmed as C, Mismatch as M, Unknown as U};
        let names: Vec<String> = ["a.example", "b.example", "c.example"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let table: Vec<(&[Forward], &str, Forward)> = vec![
            (&[C], "a.example", C),
            (&[M, C, U], "b.example", C),
            (&[M], "a.example", M),
            (&[M, M, M], "a.example", M),
            // A check that did not answer could have been the confirming one.
            (&[U], "a.example", U),
            (&[M, U], "a.example", U),
        ];
        for (checked, name, forward) in table {
            let n = &names[..checked.len()];
            assert_eq!(pick(n, checked), (name.to_string(), forward), "{checked:?}");
        }
    }
}
