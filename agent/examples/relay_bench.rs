//! How long one relay test takes against a fake submission server on
//! loopback: 587 (STARTTLS, certificate check, AUTH PLAIN, MAIL FROM, RCPT
//! TO, RSET, QUIT) and 465 (TLS from the first byte, then the same).
//!
//! `cargo run --release -p mailport --example relay_bench`
//!
//! Prints the median, 95th percentile and maximum of ROUNDS runs each. What
//! a real relay adds (network round trips, its SASL back end) is on top.

#[path = "../tests/fakes/mod.rs"]
mod fakes;
#[path = "../tests/relay_fake/mod.rs"]
mod relay_fake;

use fakes::MapDialer;
use mailport::probe::tls::TlsContext;
use mailport::relay::client::{self, ClientConfig, Envelope};
use mailport::relay::password::Secret;
use mailport_shared::relay::step::RelayVerdict;
use mailport_shared::relay::RelaySpec;
use relay_fake::{Cert, Relay, PASSWORD, USER};
use std::net::IpAddr;
use std::time::{Duration, Instant};

const ROUNDS: usize = 200;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let cert = Cert::new(&["localhost"]);
        let starttls = Relay::new(&cert).start().await;
        let implicit = Relay {
            implicit: true,
            ..Relay::new(&cert)
        }
        .start()
        .await;
        let dialer = MapDialer::new();
        dialer.map("127.0.0.1", 587, starttls);
        dialer.map("127.0.0.1", 465, implicit);
        let tls = TlsContext::new(std::slice::from_ref(&cert.der))?;
        let addrs: [IpAddr; 1] = ["127.0.0.1".parse()?];
        let config = ClientConfig {
            connect_timeout: Duration::from_secs(2),
            step_timeout: Duration::from_secs(5),
            ehlo_name: Some("bench.test".into()),
        };
        let envelope = Envelope {
            from: USER.into(),
            to: "friend@example.net".into(),
        };
        let secret = Secret::new(PASSWORD.into());
        for port in [587u16, 465] {
            let spec = RelaySpec::new("localhost", port, USER)?;
            let target = client::Target {
                dialer: &dialer,
                spec: &spec,
                addrs: &addrs,
                tls: &tls,
            };
            let mut times = Vec::with_capacity(ROUNDS);
            for _ in 0..ROUNDS {
                let start = Instant::now();
                let r = client::test_relay(&target, &secret, Some(&envelope), &config).await;
                times.push(start.elapsed());
                anyhow::ensure!(
                    r.verdict == RelayVerdict::Works { envelope_tested: true },
                    "port {port}: {r:?}"
                );
            }
            times.sort();
            let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
            println!(
                "relay test, port {port}, {ROUNDS} runs: median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
                at(0.5).as_secs_f64() * 1e3,
                at(0.95).as_secs_f64() * 1e3,
                at(1.0).as_secs_f64() * 1e3
            );
        }
        Ok(())
    })
}
