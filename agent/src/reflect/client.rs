//! The agent side of the reflector exchange: one connection per (address,
//! port), a fresh random challenge each, the signature checked against the
//! key the user gave.

use crate::probe::dial::Dialer;
use crate::probe::smtp::{ReadError, ReplyReader};
use ed25519_dalek::{Signature, VerifyingKey};
use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange};
use mailport_shared::probe::{ProbeResult, ProbeSpec, Timings};
use mailport_shared::reflector::{
    self, encode_hex, parse_reply, ProofStatus, ReflectorProof, CHALLENGE_LEN, COMMAND,
};
use mailport_shared::{Family, NetworkFacts, Outcome, Role};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// How to probe a reflector.
#[derive(Clone, Debug)]
pub struct ProveConfig {
    /// The reflector's public key.
    pub key: VerifyingKey,
    /// TCP handshake deadline.
    pub connect_timeout: Duration,
    /// Deadline for each reply (greeting, EHLO, signature).
    pub reply_timeout: Duration,
    /// Name sent with EHLO; empty means this machine's address literal.
    pub ehlo_name: String,
}

/// Probes the reflector `host` (already resolved to `addr`, and checked
/// against the address guard by the caller) on `port`, connecting through
/// `dialer` like every other probe.
pub async fn prove(
    host: &str,
    addr: IpAddr,
    port: u16,
    dialer: &dyn Dialer,
    cfg: &ProveConfig,
) -> ProbeResult {
    let started = Instant::now();
    let mut timings = Timings::default();
    let outcome = exchange(SocketAddr::new(addr, port), dialer, cfg, &mut timings).await;
    timings.total_ms = millis(started.elapsed());
    ProbeResult {
        spec: ProbeSpec {
            host: host.to_string(),
            role: Role::Reflector,
            port,
            family: Family::of(&addr),
            expected: true,
        },
        address: Some(addr),
        outcome,
        timings,
    }
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

async fn exchange(
    addr: SocketAddr,
    dialer: &dyn Dialer,
    cfg: &ProveConfig,
    timings: &mut Timings,
) -> Outcome {
    let t0 = Instant::now();
    let sock = match tokio::time::timeout(cfg.connect_timeout, dialer.connect(addr)).await {
        Err(_) => {
            timings.connect_ms = Some(millis(t0.elapsed()));
            return Outcome::Filtered;
        }
        Ok(Err(e)) => {
            timings.connect_ms = Some(millis(t0.elapsed()));
            return crate::probe::tcp::classify_connect_error(&e);
        }
        Ok(Ok(s)) => s,
    };
    timings.connect_ms = Some(millis(t0.elapsed()));
    let local = sock.local_addr().ok().map(|a| a.ip().to_canonical());
    let (mut r, mut w) = sock.into_split();
    // The probes' reader: capped, and escaping what it reads, so that an
    // interceptor (what the reflector exists to catch) cannot put escape
    // sequences into the user's terminal.
    let mut replies = ReplyReader::new();
    let deadline = || tokio::time::Instant::now() + cfg.reply_timeout;

    let t1 = Instant::now();
    let greeting = match replies.read_reply(&mut r, deadline()).await {
        Ok(g) => g,
        Err(ReadError::Timeout { .. }) => return Outcome::Silent,
        Err(ReadError::Closed) => return Outcome::ClosedEarly,
        Err(ReadError::Reset | ReadError::Io(_)) => return Outcome::Reset,
        Err(ReadError::NotSmtp { .. }) => {
            return Outcome::NotSmtp {
                first_bytes: replies.first_bytes(),
            }
        }
    };
    timings.greeting_ms = Some(millis(t1.elapsed()));
    let unverified = |detail: String| unproved(ProofStatus::Unverified, detail, local);
    let done = |ehlo: EhloOutcome, proof: ReflectorProof, greeting: Reply| {
        Outcome::Banner(SmtpExchange {
            greeting,
            ehlo,
            implicit_tls: false,
            tls: None,
            reflector: Some(Box::new(proof)),
        })
    };
    if reflector::is_busy(greeting.code, greeting.lines.first().map(String::as_str)) {
        let detail = format!(
            "the reflector is busy (\"{}\"): nothing is proved on this port, which is judged by the other hosts",
            greeting.first_line()
        );
        let proof = unproved(ProofStatus::Busy, detail, local);
        return done(EhloOutcome::NotSent, proof, greeting);
    }
    if greeting.code != 220 {
        let detail = format!("it greeted with {}", greeting.first_line());
        return done(EhloOutcome::NotSent, unverified(detail), greeting);
    }

    // EHLO first, like any client: an interceptor that refuses EHLO shows.
    let ehlo_name = match (cfg.ehlo_name.is_empty(), local) {
        (false, _) => cfg.ehlo_name.clone(),
        (true, Some(IpAddr::V6(v6))) => format!("[IPv6:{v6}]"),
        (true, Some(ip)) => format!("[{ip}]"),
        (true, None) => "[127.0.0.1]".to_string(),
    };
    let ehlo = match send(&mut w, &format!("EHLO {ehlo_name}\r\n")).await {
        Err(_) => EhloOutcome::Reset,
        Ok(()) => match replies.read_reply(&mut r, deadline()).await {
            Ok(reply) if reply.code == 250 => EhloOutcome::Accepted {
                extensions: reply.lines.iter().skip(1).cloned().collect(),
                reply,
            },
            Ok(reply) => EhloOutcome::Rejected { reply },
            Err(e) => crate::probe::smtp::ehlo_failure(&e),
        },
    };
    if let Some(failure) = ehlo.failure() {
        let detail = format!("it did not answer EHLO: {failure}");
        return done(ehlo, unverified(detail), greeting);
    }

    let mut challenge = [0u8; CHALLENGE_LEN];
    if let Err(e) = getrandom::fill(&mut challenge) {
        let detail = format!("no random source on this machine: {e}");
        return done(ehlo, unverified(detail), greeting);
    }
    let cmd = format!("{COMMAND} {}\r\n", encode_hex(&challenge));
    let answer = match send(&mut w, &cmd).await {
        Err(e) => Err(format!("the connection failed after EHLO: {e}")),
        Ok(()) => match replies.read_reply(&mut r, deadline()).await {
            Ok(reply) => Ok(reply),
            Err(ReadError::Timeout { .. }) => Err("it did not answer the challenge".to_string()),
            Err(_) => Err("it closed the connection at the challenge".to_string()),
        },
    };
    let _ = send(&mut w, "QUIT\r\n").await;
    let proof = match answer {
        Err(detail) => unverified(detail),
        Ok(reply) => verify(&reply, &challenge, addr.port(), local, &cfg.key),
    };
    done(ehlo, proof, greeting)
}

/// Checks the signed answer.
fn verify(
    reply: &Reply,
    challenge: &[u8; CHALLENGE_LEN],
    port: u16,
    local: Option<IpAddr>,
    key: &VerifyingKey,
) -> ReflectorProof {
    let line = reply.first_line();
    let unverified = |detail: String| unproved(ProofStatus::Unverified, detail, local);
    let signed = match parse_reply(&line) {
        Ok(s) => s,
        Err(e) => return unverified(e.to_string()),
    };
    let message =
        reflector::signed_message(challenge, &signed.seen, signed.port, &signed.listening);
    let sig = Signature::from_bytes(&signed.signature);
    if key.verify_strict(&message, &sig).is_err() {
        return unverified(
            "the signature does not verify with the reflector's key: another server answered"
                .to_string(),
        );
    }
    let mut detail = format!(
        "signed by the reflector: it saw this connection from {} on port {}",
        signed.seen, signed.port
    );
    if signed.port != port {
        detail.push_str(&format!(
            " (sent to port {port}: something on the path redirected it)"
        ));
    }
    // What the address means needs the public address, known only when the
    // whole check is done: see `compare_with_public`.
    ReflectorProof {
        status: ProofStatus::Genuine,
        detail,
        seen_address: Some(signed.seen),
        seen_port: Some(signed.port),
        listening: signed.listening,
        local_address: local,
        public_address: None,
    }
}

/// A proof that proves nothing signed: unverified, or busy.
fn unproved(status: ProofStatus, detail: String, local: Option<IpAddr>) -> ReflectorProof {
    ReflectorProof {
        status,
        detail,
        seen_address: None,
        seen_port: None,
        listening: Vec::new(),
        local_address: local,
        public_address: None,
    }
}

/// Compares the address each reflector proof saw with this network's public
/// address of the same family, once the network facts are known (`None`:
/// not looked up, e.g. `--no-netinfo`; then the proof compares with this
/// machine's own address only). See
/// [`ReflectorProof::compare_with_public`].
pub fn compare_with_public(probes: &mut [ProbeResult], network: Option<&NetworkFacts>) {
    let public = |family: Family| -> Option<IpAddr> {
        let facts = network?;
        match family {
            Family::Ipv4 => facts.public_ipv4.found().map(|a| IpAddr::V4(*a)),
            Family::Ipv6 => facts.public_ipv6.found().map(|a| IpAddr::V6(*a)),
        }
    };
    for p in probes.iter_mut().filter(|p| p.spec.role == Role::Reflector) {
        let family = p.spec.family;
        if let Some(proof) = p.outcome.reflector_proof_mut() {
            proof.compare_with_public(public(family));
        }
    }
}

async fn send(w: &mut tokio::net::tcp::OwnedWriteHalf, s: &str) -> std::io::Result<()> {
    w.write_all(s.as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::DirectDialer;
    use crate::reflect::server::{spawn_on_loopback, Limits};
    use ed25519_dalek::SigningKey;
    use mailport_shared::netinfo::Fact;
    use mailport_shared::reflector::AddressCheck;
    use tokio::io::AsyncReadExt;

    fn cfg(key: VerifyingKey) -> ProveConfig {
        ProveConfig {
            key,
            connect_timeout: Duration::from_millis(1000),
            reply_timeout: Duration::from_millis(1000),
            ehlo_name: "test.invalid".into(),
        }
    }

    async fn free_port() -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn genuine_reflector_is_proved_and_a_wrong_key_is_not() {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let public = key.verifying_key();
        let (port, server) = spawn_on_loopback(key, Limits::default()).await;
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let r = prove("reflector.test", lo, port, &DirectDialer, &cfg(public)).await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        let proof = ex.reflector.as_ref().unwrap();
        assert!(proof.genuine(), "{proof:?}");
        assert_eq!(proof.seen_address, Some(lo));
        assert_eq!(proof.seen_port, Some(port));
        assert_eq!(proof.address_check(), AddressCheck::Direct);

        let other = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        let r = prove("reflector.test", lo, port, &DirectDialer, &cfg(other)).await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(
            ex.reflector.as_ref().unwrap().status,
            ProofStatus::Unverified
        );
        server.abort();
    }

    /// A plain SMTP server (an intercepting proxy) greets but cannot sign.
    #[tokio::test]
    async fn impostor_is_unverified() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (r, mut w) = s.into_split();
            let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(r));
            w.write_all(b"220 proxy.isp.example ESMTP\r\n")
                .await
                .unwrap();
            while let Ok(Some(_)) = lines.next_line().await {
                w.write_all(b"502 5.5.2 Error: command not recognized\r\n")
                    .await
                    .unwrap();
            }
        });
        let key = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let r = prove(
            "reflector.test",
            "127.0.0.1".parse().unwrap(),
            port,
            &DirectDialer,
            &cfg(key),
        )
        .await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        let proof = ex.reflector.as_ref().unwrap();
        assert_eq!(proof.status, ProofStatus::Unverified);
        assert!(proof.detail.contains("502"), "{}", proof.detail);
        assert!(matches!(ex.ehlo, EhloOutcome::Rejected { .. }));
    }

    /// An interceptor's greeting and EHLO answer carrying terminal escape
    /// sequences (OSC title, clear screen): read by the probes' reader,
    /// escaped on the way in, so no control byte reaches the report.
    #[tokio::test]
    async fn escape_sequences_from_an_impostor_are_escaped() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (r, mut w) = s.into_split();
            let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(r));
            w.write_all(b"220 proxy \x1b]0;owned\x07\x1b[2J ESMTP\r\n")
                .await
                .unwrap();
            while let Ok(Some(_)) = lines.next_line().await {
                w.write_all(b"250-hi \x1b[31mred\r\n250 X\x9b2J\r\n")
                    .await
                    .unwrap();
            }
        });
        let key = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let r = prove(
            "reflector.test",
            "127.0.0.1".parse().unwrap(),
            port,
            &DirectDialer,
            &cfg(key),
        )
        .await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(
            ex.greeting.lines,
            vec!["proxy \\x1b]0;owned\\x07\\x1b[2J ESMTP"]
        );
        let EhloOutcome::Accepted { reply, .. } = &ex.ehlo else {
            panic!("{:?}", ex.ehlo)
        };
        assert_eq!(reply.lines, vec!["hi \\x1b[31mred", "X\\x9b2J"]);
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            !json.contains("\\u001b") && !json.contains('\x1b'),
            "{json}"
        );
        assert_eq!(
            ex.reflector.as_ref().unwrap().status,
            ProofStatus::Unverified
        );
    }

    #[tokio::test]
    async fn closed_port_is_refused() {
        let port = free_port().await;
        let key = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let r = prove(
            "reflector.test",
            "127.0.0.1".parse().unwrap(),
            port,
            &DirectDialer,
            &cfg(key),
        )
        .await;
        assert_eq!(r.outcome, Outcome::Refused);
    }

    #[test]
    fn server_answer_is_checked_by_client_verify() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let seen: IpAddr = "192.0.2.10".parse().unwrap();
        let c = [5u8; CHALLENGE_LEN];
        let line = crate::reflect::server::answer(&key, &encode_hex(&c), seen, 25, &[25, 587]);
        let reply = Reply {
            code: 250,
            lines: vec![line.trim_end().trim_start_matches("250 ").to_string()],
        };
        let ok = verify(&reply, &c, 25, Some(seen), &key.verifying_key());
        assert!(ok.genuine(), "{ok:?}");
        assert_eq!(ok.listening, [25, 587]);
        // A port list altered on the way breaks the signature.
        let altered = Reply {
            code: 250,
            lines: vec![reply.lines[0].replace(" 25,587 ", " 587 ")],
        };
        assert!(!verify(&altered, &c, 25, Some(seen), &key.verifying_key()).genuine());
        // A replayed answer to another challenge fails.
        let bad = verify(
            &reply,
            &[6u8; CHALLENGE_LEN],
            25,
            Some(seen),
            &key.verifying_key(),
        );
        assert!(!bad.genuine());
        // A NAT shows.
        let nat = verify(
            &reply,
            &c,
            25,
            "10.0.0.2".parse().ok(),
            &key.verifying_key(),
        );
        assert!(nat.genuine());
        assert_eq!(nat.address_check(), AddressCheck::Translated);
        assert!(crate::reflect::server::answer(&key, "zz", seen, 25, &[25]).starts_with("501"));
    }

    /// A reflector that turns this client away (too many connections from
    /// its address) reads as busy: not genuine, not unverified.
    #[tokio::test]
    async fn a_busy_reflector_is_busy_not_unverified() {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let public = key.verifying_key();
        let limits = Limits {
            max_per_source: 1,
            ..Limits::default()
        };
        let (port, server) = spawn_on_loopback(key, limits).await;
        // Greeted: this connection holds the address's only place.
        let mut held = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let mut greeting = [0u8; 4];
        held.read_exact(&mut greeting).await.unwrap();
        assert_eq!(&greeting, b"220 ");
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let r = prove("reflector.test", lo, port, &DirectDialer, &cfg(public)).await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(ex.greeting.code, 421);
        let proof = ex.reflector.as_ref().unwrap();
        assert_eq!(proof.status, ProofStatus::Busy, "{proof:?}");
        assert!(proof.detail.contains("busy"), "{}", proof.detail);
        // Not evidence of interception: the port is judged by other hosts.
        let evidence = mailport_shared::interception::detect(std::slice::from_ref(&r));
        assert!(evidence.is_empty(), "{evidence:?}");

        // Once the other connection is gone, the same reflector proves.
        drop(held);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let r = prove("reflector.test", lo, port, &DirectDialer, &cfg(public)).await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert!(ex.reflector.as_ref().unwrap().genuine());
        server.abort();
    }

    /// A 421 without the reflector's tag is whatever answered refusing
    /// service: unverified, as before.
    #[tokio::test]
    async fn an_untagged_refusal_is_unverified() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            s.write_all(b"421 4.3.2 too busy, try later\r\n")
                .await
                .unwrap();
        });
        let key = SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let r = prove("reflector.test", lo, port, &DirectDialer, &cfg(key)).await;
        let Outcome::Banner(ex) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(
            ex.reflector.as_ref().unwrap().status,
            ProofStatus::Unverified
        );
    }

    #[test]
    fn proofs_are_compared_with_the_public_address_of_their_family() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let c = [5u8; CHALLENGE_LEN];
        let probe = |seen: &str, family: Family| {
            let seen: IpAddr = seen.parse().unwrap();
            let line = crate::reflect::server::answer(&key, &encode_hex(&c), seen, 25, &[25]);
            let reply = Reply {
                code: 250,
                lines: vec![line.trim_end().trim_start_matches("250 ").to_string()],
            };
            let local = match family {
                Family::Ipv4 => "192.168.1.5",
                Family::Ipv6 => "2001:db8:c::10",
            };
            let proof = verify(&reply, &c, 25, local.parse().ok(), &key.verifying_key());
            ProbeResult {
                spec: ProbeSpec {
                    host: "reflector.test".into(),
                    role: Role::Reflector,
                    port: 25,
                    family,
                    expected: true,
                },
                address: None,
                outcome: Outcome::Banner(SmtpExchange {
                    greeting: Reply {
                        code: 220,
                        lines: vec!["reflector.test ESMTP mailport-reflector".into()],
                    },
                    ehlo: EhloOutcome::NotSent,
                    implicit_tls: false,
                    tls: None,
                    reflector: Some(Box::new(proof)),
                }),
                timings: Timings::default(),
            }
        };
        let check = |p: &ProbeResult| match &p.outcome {
            Outcome::Banner(ex) => ex.reflector.as_ref().unwrap().address_check(),
            _ => AddressCheck::Unknown,
        };
        let facts = NetworkFacts {
            public_ipv4: Fact::Found {
                value: "203.0.113.9".parse().unwrap(),
            },
            ..NetworkFacts::default()
        };
        let mut probes = vec![
            probe("203.0.113.9", Family::Ipv4),
            probe("2001:db8:ff::1", Family::Ipv6),
        ];
        compare_with_public(&mut probes, Some(&facts));
        assert_eq!(check(&probes[0]), AddressCheck::PublicAddress);
        // No public IPv6 address known: a NAT, normal at home.
        assert_eq!(check(&probes[1]), AddressCheck::Translated);

        let mut probes = vec![probe("198.51.100.1", Family::Ipv4)];
        compare_with_public(&mut probes, Some(&facts));
        assert_eq!(check(&probes[0]), AddressCheck::Rewritten);

        // Without network facts, the local address is all there is.
        let mut probes = vec![probe("203.0.113.9", Family::Ipv4)];
        compare_with_public(&mut probes, None);
        assert_eq!(check(&probes[0]), AddressCheck::Translated);
    }
}
