//! Call-back on the reflector (`mailport reflect --callback`, off by
//! default): on request, connect back to the address the request came from
//! (never another) on the mail ports the agent names (25, 465, 587; nothing
//! else), read the greeting and the EHLO reply, say QUIT, and sign what
//! happened ([`mailport_shared::inbound::callback`]).
//!
//! A reflector that connects out on request could be turned into a tool
//! against third parties; these rules are why it cannot:
//! - the address called is the requesting connection's source address, as
//!   the kernel saw it: a request cannot name another;
//! - only ports 25, 465 and 587, and nothing is sent but `EHLO` and `QUIT`;
//! - a budget per source address and per IPv6 /64 per hour, a bound on
//!   call-backs running at once, short deadlines;
//! - private, loopback and other special addresses are never called (a
//!   test flag lifts that, for loopback tests only).

use crate::probe::allowed::forbidden_reason;
use crate::probe::smtp::{self, ReadError, ReplyReader};
use crate::reflect::server::source_of;
use ed25519_dalek::{Signer, SigningKey};
use mailport_shared::inbound::callback::{
    answer_lines, refusal_line, signed_message, CallResult, PortCall, Request, Statement, MAX_TEXT,
};
use mailport_shared::outcome::Reply;
use mailport_shared::Outcome;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How much call-back one reflector gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackLimits {
    /// Call-backs per source address per hour.
    pub per_address: usize,
    /// Call-backs per IPv6 /64 per hour (an IPv4 address counts once, as
    /// its own address).
    pub per_prefix: usize,
    /// Call-backs running at once, all sources together.
    pub concurrent: usize,
    /// TCP handshake deadline for each port called.
    pub connect_timeout: Duration,
    /// Deadline for the greeting, then for the EHLO reply.
    pub reply_timeout: Duration,
    /// Call private and special addresses too: for loopback tests only.
    pub allow_private: bool,
}

impl Default for CallbackLimits {
    fn default() -> Self {
        CallbackLimits {
            per_address: 6,
            per_prefix: 12,
            concurrent: 8,
            connect_timeout: Duration::from_secs(4),
            reply_timeout: Duration::from_secs(5),
            allow_private: false,
        }
    }
}

impl CallbackLimits {
    /// The longest one call-back can take (all ports run at once).
    pub fn worst_case(&self) -> Duration {
        self.connect_timeout + 3 * self.reply_timeout
    }
}

/// How many sources the budget remembers at most; past that, requests are
/// refused until the oldest entries expire (a flood from many addresses
/// cannot grow the reflector's memory without bound).
const MAX_TRACKED: usize = 100_000;
const HOUR: Duration = Duration::from_secs(3600);

/// The call-back service of one reflector.
pub struct Callback {
    limits: CallbackLimits,
    name: String,
    budget: Mutex<Budget>,
    running: Semaphore,
}

/// Call-backs given in the last hour, per key (an address, a /64).
#[derive(Default)]
struct Budget {
    given: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Budget {
    /// Takes one call-back for `peer` if both its address and its prefix
    /// have budget left; `Err` says which ran out.
    fn take(
        &mut self,
        peer: IpAddr,
        limits: &CallbackLimits,
        now: Instant,
    ) -> Result<(), &'static str> {
        self.given.retain(|_, times| {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= HOUR)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
        let address = peer.to_canonical();
        let prefix = source_of(address);
        let used = |key: &IpAddr| self.given.get(key).map_or(0, VecDeque::len);
        if used(&address) >= limits.per_address {
            return Err("this address has used its call-backs for this hour");
        }
        if prefix != address && used(&prefix) >= limits.per_prefix {
            return Err("this network (/64) has used its call-backs for this hour");
        }
        if self.given.len() + 2 > MAX_TRACKED {
            return Err("too many call-backs from too many addresses, try again later");
        }
        self.given.entry(address).or_default().push_back(now);
        if prefix != address {
            self.given.entry(prefix).or_default().push_back(now);
        }
        Ok(())
    }
}

impl Callback {
    /// A call-back service greeting as `name` in its EHLO.
    pub fn new(name: &str, limits: CallbackLimits) -> Self {
        Callback {
            limits,
            name: name.to_string(),
            budget: Mutex::new(Budget::default()),
            running: Semaphore::new(limits.concurrent.max(1)),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &CallbackLimits {
        &self.limits
    }

    /// Answers one `XMAILPORT-CALLBACK` line from `peer`: calls back and
    /// signs, or refuses.
    pub async fn answer(&self, key: &SigningKey, line: &str, peer: IpAddr) -> String {
        let request = match Request::parse(line) {
            Ok(r) => r,
            Err(e) => return format!("501 5.5.4 {e}\r\n"),
        };
        let peer = peer.to_canonical();
        if !self.limits.allow_private {
            if let Some(why) = forbidden_reason(&peer) {
                return refusal_line(&format!("will not call {why}"));
            }
        }
        let taken = self.budget.lock().unwrap_or_else(|e| e.into_inner()).take(
            peer,
            &self.limits,
            Instant::now(),
        );
        if let Err(why) = taken {
            return refusal_line(why);
        }
        let Ok(_permit) = self.running.try_acquire() else {
            return refusal_line("busy with other call-backs, try again in a minute");
        };
        let calls = request.ports.iter().map(|port| async move {
            PortCall {
                port: *port,
                result: self.call(SocketAddr::new(peer, *port)).await,
            }
        });
        let statement = Statement {
            called: peer,
            ports: futures::future::join_all(calls).await,
        };
        let results: Vec<String> = statement
            .ports
            .iter()
            .map(|p| format!("{}={}", p.port, kind(&p.result)))
            .collect();
        log(peer, &request.ports, &results.join(" "));
        let Ok(bytes) = serde_json::to_vec(&statement) else {
            return refusal_line("could not write the statement");
        };
        let signature = key.sign(&signed_message(&request.challenge, &bytes));
        answer_lines(&bytes, &signature.to_bytes())
    }

    /// Calls one port: greeting, EHLO, QUIT; nothing else is ever sent.
    async fn call(&self, addr: SocketAddr) -> CallResult {
        let connect = tokio::time::timeout(self.limits.connect_timeout, TcpStream::connect(addr));
        let mut stream = match connect.await {
            Err(_) => return CallResult::TimedOut,
            Ok(Err(e)) => return from_connect_error(&e),
            Ok(Ok(s)) => s,
        };
        let mut reader = ReplyReader::new();
        let deadline = tokio::time::Instant::now() + self.limits.reply_timeout;
        let greeting = match reader.read_reply(&mut stream, deadline).await {
            Ok(reply) => reply,
            Err(ReadError::Timeout { partial: false }) => return CallResult::Silent,
            Err(ReadError::Reset) => return CallResult::Reset,
            Err(_) => {
                return CallResult::NotSmtp {
                    first_bytes: reader.first_bytes(),
                }
            }
        };
        let deadline = tokio::time::Instant::now() + self.limits.reply_timeout;
        let ehlo = smtp::command(
            &mut stream,
            &mut reader,
            &format!("EHLO {}", self.name),
            deadline,
        )
        .await
        .ok()
        .map(|r| text(&r));
        let deadline = tokio::time::Instant::now() + self.limits.reply_timeout;
        smtp::quit(&mut stream, &mut reader, deadline).await;
        CallResult::Greeting {
            greeting: text(&greeting),
            ehlo,
        }
    }
}

/// One line on stderr per request: when, who asked (the address called),
/// which ports, and what came of it. No greeting text is logged: it is the
/// caller's, and the caller has it.
fn log(peer: IpAddr, ports: &[u16], what: &str) {
    let when = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    eprintln!(
        "callback t={when} to={peer} ports={} {what}",
        ports.join(",")
    );
}

/// The result's kind, for the log.
fn kind(result: &CallResult) -> &'static str {
    match result {
        CallResult::Greeting { .. } => "greeting",
        CallResult::Refused => "refused",
        CallResult::TimedOut => "timed_out",
        CallResult::Unreachable { .. } => "unreachable",
        CallResult::Reset => "reset",
        CallResult::Silent => "silent",
        CallResult::NotSmtp { .. } => "not_smtp",
    }
}

/// A reply as one line of text (its lines are escaped by the reader),
/// capped for the statement.
fn text(reply: &Reply) -> String {
    let joined = format!("{} {}", reply.code, reply.lines.join(" / "));
    joined.chars().take(MAX_TEXT).collect()
}

/// What a failed connect means, in the statement's terms (the probes' own
/// reading of OS errors, so both sides agree).
fn from_connect_error(e: &std::io::Error) -> CallResult {
    match crate::probe::tcp::classify_connect_error(e) {
        Outcome::Refused => CallResult::Refused,
        Outcome::Filtered => CallResult::TimedOut,
        Outcome::Reset => CallResult::Reset,
        other => CallResult::Unreachable {
            detail: match other {
                Outcome::Unreachable { detail }
                | Outcome::NoRoute { detail }
                | Outcome::LocalError { detail } => detail,
                other => other.label().to_string(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_holds_per_address_and_per_prefix_and_renews_hourly() {
        let limits = CallbackLimits {
            per_address: 2,
            per_prefix: 3,
            ..CallbackLimits::default()
        };
        let mut b = Budget::default();
        let t0 = Instant::now();
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(b.take(v4, &limits, t0).is_ok());
        assert!(b.take(v4, &limits, t0).is_ok());
        assert!(b.take(v4, &limits, t0).is_err(), "third from one address");
        // Another address of the same /64 shares the prefix's budget.
        let a: IpAddr = "2001:db8:1:2::a".parse().unwrap();
        let c: IpAddr = "2001:db8:1:2::c".parse().unwrap();
        let d: IpAddr = "2001:db8:1:2::d".parse().unwrap();
        assert!(b.take(a, &limits, t0).is_ok());
        assert!(b.take(a, &limits, t0).is_ok());
        assert!(b.take(c, &limits, t0).is_ok());
        assert_eq!(
            b.take(d, &limits, t0),
            Err("this network (/64) has used its call-backs for this hour")
        );
        // An hour later the budget is back.
        let later = t0 + HOUR;
        assert!(b.take(v4, &limits, later).is_ok());
        assert!(b.take(d, &limits, later).is_ok());
    }

    #[tokio::test]
    async fn private_addresses_are_never_called_without_the_test_flag() {
        let cb = Callback::new("reflector.test", CallbackLimits::default());
        let key = SigningKey::from_bytes(&[4u8; 32]);
        let line = format!("XMAILPORT-CALLBACK {} 25", "00".repeat(32));
        for peer in ["127.0.0.1", "192.168.1.20", "10.0.0.1", "::1", "100.64.0.1"] {
            let reply = cb.answer(&key, &line, peer.parse().unwrap()).await;
            assert!(
                reply.starts_with("450 mailport-callback will not call"),
                "{peer}: {reply}"
            );
        }
        // A request naming another port is refused before anything else.
        let line = format!("XMAILPORT-CALLBACK {} 22", "00".repeat(32));
        let reply = cb.answer(&key, &line, "203.0.113.9".parse().unwrap()).await;
        assert!(reply.starts_with("501 "), "{reply}");
    }
}
