//! The public address, learned by asking authoritative DNS servers that
//! answer with the asker's address (OpenDNS `myip.opendns.com`, Google
//! `o-o.myaddr.l.google.com` TXT).
//!
//! Servers are asked two at a time, in the configured order, until two of
//! them answered: two independent operators agreeing is the evidence. When
//! only one answered in time its address is used, and the fact records that
//! one server gave it (shown as "one source"). A disagreement (a DNS
//! interceptor answering for one of them, or a multi-homed network) is
//! reported as such, never resolved by guessing.

use super::client::{self, Answer, QueryError};
use super::{MyIpMethod, MyIpServer, NetinfoConfig, ServerAddr};
use hickory_resolver::proto::rr::RecordType;
use mailport_shared::netinfo::{Fact, Witness};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::time::Instant;

/// The two families, as the lookup needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fam {
    V4,
    V6,
}

/// A public address and how many servers gave it (0 unless found).
pub type Learned<T> = (Fact<T>, u8);

/// The public IPv4 address.
pub async fn learn_v4(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    deadline: Instant,
) -> Learned<Ipv4Addr> {
    let learned = learn(cfg, &cfg.myip_v4, Fam::V4, resolvers, deadline).await;
    narrow(learned, |ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    })
}

/// The public IPv6 address.
pub async fn learn_v6(
    cfg: &NetinfoConfig,
    resolvers: &[SocketAddr],
    deadline: Instant,
) -> Learned<Ipv6Addr> {
    let learned = learn(cfg, &cfg.myip_v6, Fam::V6, resolvers, deadline).await;
    narrow(learned, |ip| match ip {
        IpAddr::V6(v6) => Some(v6),
        IpAddr::V4(_) => None,
    })
}

/// `learned` as one family's address; the count of sources stays only
/// with an address found.
fn narrow<T>((fact, sources): Learned<IpAddr>, conv: impl Fn(IpAddr) -> Option<T>) -> Learned<T> {
    let fact = map_fact(fact, conv);
    let sources = if fact.found().is_some() { sources } else { 0 };
    (fact, sources)
}

fn map_fact<T>(f: Fact<IpAddr>, conv: impl Fn(IpAddr) -> Option<T>) -> Fact<T> {
    match f {
        Fact::Found { value } => match conv(value) {
            Some(v) => Fact::Found { value: v },
            None => Fact::Failed {
                error: "answer of the wrong address family".into(),
            },
        },
        Fact::NotFound => Fact::NotFound,
        Fact::Failed { error } => Fact::Failed { error },
        Fact::TimedOut => Fact::TimedOut,
        Fact::Skipped { reason } => Fact::Skipped { reason },
        Fact::Redacted => Fact::Redacted,
        Fact::Disagreement { answers } => Fact::Disagreement {
            answers: answers
                .into_iter()
                .filter_map(|w| {
                    conv(w.value).map(|value| Witness {
                        server: w.server,
                        value,
                    })
                })
                .collect(),
        },
    }
}

/// Why one server gave no address.
#[derive(Debug)]
enum Miss {
    Query(QueryError),
    NoAnswer(String),
    /// The server's own name has no address of the family asked about:
    /// it could not be asked at all.
    Unreachable,
}

async fn learn(
    cfg: &NetinfoConfig,
    servers: &[MyIpServer],
    fam: Fam,
    resolvers: &[SocketAddr],
    deadline: Instant,
) -> Learned<IpAddr> {
    if servers.is_empty() {
        let reason = "not checked (no public-address server configured for this family)";
        return (
            Fact::Skipped {
                reason: reason.into(),
            },
            0,
        );
    }
    let mut answers: Vec<Witness<IpAddr>> = Vec::new();
    let mut misses: Vec<(String, Miss)> = Vec::new();
    for wave in servers.chunks(2) {
        if answers.len() >= 2 || Instant::now() >= deadline {
            break;
        }
        let asks = wave
            .iter()
            .map(|s| ask_one(cfg, s, fam, resolvers, deadline));
        for (server, result) in futures::future::join_all(asks).await {
            match result {
                Ok(ip) => answers.push(Witness { server, value: ip }),
                Err(m) => misses.push((server, m)),
            }
        }
    }
    decide(answers, misses)
}

/// The fact from what the servers said, and how many servers agree on the
/// address found (1 when only one answered).
fn decide(answers: Vec<Witness<IpAddr>>, misses: Vec<(String, Miss)>) -> Learned<IpAddr> {
    if let Some(first) = answers.first() {
        return if answers.iter().all(|w| w.value == first.value) {
            let sources = u8::try_from(answers.len()).unwrap_or(u8::MAX);
            (Fact::Found { value: first.value }, sources)
        } else {
            (Fact::Disagreement { answers }, 0)
        };
    }
    (decide_misses(misses), 0)
}

/// The fact when no server gave an address.
fn decide_misses(misses: Vec<(String, Miss)>) -> Fact<IpAddr> {
    if misses.is_empty() {
        return Fact::TimedOut;
    }
    let no_route = |m: &Miss| matches!(m, Miss::Query(e) if e.is_no_route());
    let timeout = |m: &Miss| matches!(m, Miss::Query(QueryError::Timeout));
    if misses.iter().all(|(_, m)| no_route(m)) {
        // No connectivity for this family: there is no public address of it.
        return Fact::NotFound;
    }
    if misses.iter().all(|(_, m)| timeout(m) || no_route(m)) {
        return Fact::TimedOut;
    }
    // The resolver's words about each server's name ("… has no address of
    // this family (and 5 more…)") are no help: one plain sentence.
    let unreachable = |m: &Miss| matches!(m, Miss::Unreachable);
    if misses.iter().all(|(_, m)| unreachable(m) || no_route(m)) {
        let n = misses.len();
        return Fact::Failed {
            error: match n {
                1 => "the server that tells a machine its public address could not be found in DNS"
                    .into(),
                _ => format!(
                    "the {n} servers that tell a machine its public address could not be found in DNS"
                ),
            },
        };
    }
    // One line for the user: the first failure, and how many more there were.
    let describe = |(s, m): &(String, Miss)| match m {
        Miss::Query(e) => format!("{s}: {e}"),
        Miss::NoAnswer(why) => format!("{s}: {why}"),
        Miss::Unreachable => format!("{s} has no address of this family"),
    };
    let mut error = describe(&misses[0]);
    if misses.len() > 1 {
        error.push_str(&format!(" (and {} more servers failed)", misses.len() - 1));
    }
    Fact::Failed { error }
}

async fn server_addr(
    cfg: &NetinfoConfig,
    server: &ServerAddr,
    fam: Fam,
    resolvers: &[SocketAddr],
    deadline: Instant,
) -> Result<SocketAddr, Miss> {
    match server {
        ServerAddr::Addr(a) => Ok(*a),
        ServerAddr::Name { host, port } => {
            let rtype = match fam {
                Fam::V4 => RecordType::A,
                Fam::V6 => RecordType::AAAA,
            };
            let ans = client::resolve(resolvers, host, rtype, cfg.query_timeout, deadline)
                .await
                .map_err(Miss::Query)?;
            let ip = match fam {
                Fam::V4 => ans.ipv4().first().copied().map(IpAddr::V4),
                Fam::V6 => ans.ipv6().first().copied().map(IpAddr::V6),
            };
            ip.map(|ip| SocketAddr::new(ip, *port))
                .ok_or(Miss::Unreachable)
        }
    }
}

/// The asker's address as `method` encodes it in `ans`.
fn read_answer(method: MyIpMethod, fam: Fam, ans: &Answer) -> Option<IpAddr> {
    let wanted = |ip: &IpAddr| match fam {
        Fam::V4 => ip.is_ipv4(),
        Fam::V6 => ip.is_ipv6(),
    };
    match method {
        MyIpMethod::OpenDns => ans.ips().into_iter().find(wanted),
        MyIpMethod::GoogleTxt => ans
            .txt()
            .iter()
            .filter_map(|t| t.trim().parse::<IpAddr>().ok())
            .find(wanted),
    }
}

async fn ask_one(
    cfg: &NetinfoConfig,
    s: &MyIpServer,
    fam: Fam,
    resolvers: &[SocketAddr],
    deadline: Instant,
) -> (String, Result<IpAddr, Miss>) {
    let label = s.server.to_string();
    let result = async {
        let addr = server_addr(cfg, &s.server, fam, resolvers, deadline).await?;
        let rtype = match (s.method, fam) {
            (MyIpMethod::GoogleTxt, _) => RecordType::TXT,
            (MyIpMethod::OpenDns, Fam::V4) => RecordType::A,
            (MyIpMethod::OpenDns, Fam::V6) => RecordType::AAAA,
        };
        let try_deadline = (Instant::now() + cfg.query_timeout).min(deadline);
        let ans = client::query(addr, s.method.qname(), rtype, false, try_deadline)
            .await
            .map_err(Miss::Query)?;
        read_answer(s.method, fam, &ans)
            .ok_or_else(|| Miss::NoAnswer("the answer holds no address".into()))
    }
    .await;
    (label, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(server: &str, ip: &str) -> Witness<IpAddr> {
        Witness {
            server: server.into(),
            value: ip.parse().expect("test ip"),
        }
    }

    #[test]
    fn agreement_and_disagreement() {
        let one = w("a", "192.0.2.1");
        assert_eq!(
            decide(vec![one.clone(), w("b", "192.0.2.1")], vec![]),
            (Fact::Found { value: one.value }, 2)
        );
        // One server answered, the other did not: found, from one source.
        assert_eq!(
            decide(
                vec![one.clone()],
                vec![("b".into(), Miss::Query(QueryError::Timeout))]
            ),
            (Fact::Found { value: one.value }, 1)
        );
        let dis = vec![one, w("b", "198.51.100.1")];
        assert_eq!(
            decide(dis.clone(), vec![]),
            (Fact::Disagreement { answers: dis }, 0)
        );
    }

    #[test]
    fn misses_map_to_states() {
        let no_route = || {
            Miss::Query(QueryError::NoRoute(
                "[2001:db8::1]:53".parse().expect("addr"),
            ))
        };
        assert_eq!(
            decide(vec![], vec![("a".into(), no_route())]),
            (Fact::NotFound, 0)
        );
        assert_eq!(
            decide(
                vec![],
                vec![
                    ("a".into(), Miss::Query(QueryError::Timeout)),
                    ("b".into(), no_route())
                ]
            ),
            (Fact::TimedOut, 0)
        );
        assert!(matches!(
            decide(vec![], vec![("a".into(), Miss::NoAnswer("x".into()))]),
            (Fact::Failed { .. }, 0)
        ));
        assert_eq!(decide(vec![], vec![]), (Fact::TimedOut, 0));
        // Servers that could not be asked: one plain sentence, not the
        // resolver's words about each name.
        assert_eq!(
            decide(
                vec![],
                vec![
                    ("resolver1.opendns.com".into(), Miss::Unreachable),
                    ("ns1.google.com".into(), Miss::Unreachable),
                    ("b".into(), no_route())
                ]
            ),
            (
                Fact::Failed {
                    error:
                        "the 3 servers that tell a machine its public address could not be found in DNS"
                            .into()
                },
                0
            )
        );
    }

    #[test]
    fn an_address_of_the_other_family_is_a_failure_from_no_source() {
        let v4 = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        };
        let found = |ip: &str| Fact::Found {
            value: ip.parse::<IpAddr>().expect("test ip"),
        };
        assert_eq!(
            narrow((found("192.0.2.1"), 2), v4),
            (
                Fact::Found {
                    value: Ipv4Addr::new(192, 0, 2, 1)
                },
                2
            )
        );
        assert_eq!(
            narrow((found("2001:db8::1"), 2), v4),
            (
                Fact::Failed {
                    error: "answer of the wrong address family".into()
                },
                0
            )
        );
    }
}
