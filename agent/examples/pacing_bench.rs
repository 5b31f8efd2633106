//! How long a check with the default timeouts (4 s connect, 8 s greeting)
//! takes against stand-ins for the default targets, on loopback: a healthy
//! network, port 25 dropped, every mail port dropped. The figures the
//! adaptive timing (issue 13 §3) is judged by before the netsim bench
//! measures them on a simulated ISP.
//!
//! `cargo run --release -p mailport --example pacing_bench`
//!
//! The stand-ins: two MX hosts (25; their 443 drops, as real MX hosts'
//! do), a submission host (465 implicit TLS, 587), a relay service (25,
//! 465, 587, 2525; answers 443) and a port tester (HTTP on every port,
//! silent until asked), each with an IPv4 and an IPv6 logical address. A
//! dropped port is a connect that never completes.

#[path = "../tests/fakes/mod.rs"]
mod fakes;

use fakes::dns::Zone;
use fakes::{Behaviour, MapDialer, TestCert};
use mailport::runner;
use mailport_shared::{CheckOptions, Role, Target, MAIL_PORTS};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

struct Host {
    name: &'static str,
    role: Role,
    ports: &'static [u16],
    v4: &'static str,
    v6: &'static str,
    control: bool,
}

const HOSTS: &[Host] = &[
    Host {
        name: "mx-a.bench.test",
        role: Role::RecipientMx,
        ports: &[25],
        v4: "127.0.0.2",
        v6: "2001:db8::2",
        control: false,
    },
    Host {
        name: "mx-b.bench.test",
        role: Role::RecipientMx,
        ports: &[25],
        v4: "127.0.0.3",
        v6: "2001:db8::3",
        control: false,
    },
    Host {
        name: "smtp.bench.test",
        role: Role::Submission,
        ports: &[465, 587],
        v4: "127.0.0.4",
        v6: "2001:db8::4",
        control: true,
    },
    Host {
        name: "relay.bench.test",
        role: Role::Submission,
        ports: &[25, 465, 587, 2525],
        v4: "127.0.0.5",
        v6: "2001:db8::5",
        control: true,
    },
    Host {
        name: "tester.bench.test",
        role: Role::PortEcho,
        ports: &MAIL_PORTS,
        v4: "127.0.0.6",
        v6: "2001:db8::6",
        control: true,
    },
];

#[derive(Clone, Copy)]
enum Scenario {
    Healthy,
    Drop25,
    DropAll,
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let cert = TestCert::new();
    let smtp = fakes::start(Behaviour::smtp_tls("mx.bench.test ESMTP", &cert)).await;
    let tls = fakes::start(Behaviour::ImplicitTls {
        greeting: "smtp.bench.test ESMTP".into(),
        acceptor: cert.acceptor(),
    })
    .await;
    let tester = fakes::start(Behaviour::PortTester).await;
    let web = fakes::start(Behaviour::Close).await;
    let mut zone = Zone::new();
    for h in HOSTS {
        zone.addr(h.name, h.v4);
        zone.addr(h.name, h.v6);
    }
    let dns = fakes::dns::serve(zone).await;
    println!("scenario              runs  min ms  median ms  max ms  verdicts");
    for (name, scenario) in [
        ("healthy", Scenario::Healthy),
        ("port 25 dropped", Scenario::Drop25),
        ("every mail port dropped", Scenario::DropAll),
    ] {
        let d = MapDialer::new();
        for h in HOSTS {
            for ip in [h.v4, h.v6] {
                for &port in h.ports {
                    let dropped = match scenario {
                        Scenario::Healthy => false,
                        Scenario::Drop25 => port == 25,
                        Scenario::DropAll => true,
                    };
                    let to: SocketAddr = match (h.role, port) {
                        (Role::PortEcho, _) => tester.addr,
                        (_, 465) => tls.addr,
                        _ => smtp.addr,
                    };
                    if dropped {
                        d.blackhole(ip, port);
                    } else {
                        d.map(ip, port, to);
                    }
                }
                if h.control {
                    d.map(ip, 443, web.addr);
                } else {
                    d.blackhole(ip, 443);
                }
            }
        }
        let env = fakes::env_builder(&d, Some(&cert))
            .nameservers(vec![dns])
            .control_port(Some(443))
            .build()?;
        let options = CheckOptions {
            targets: HOSTS
                .iter()
                .map(|h| Target::with_ports(h.name, h.role, h.ports))
                .collect(),
            ..CheckOptions::default()
        };
        let mut walls = Vec::new();
        let mut verdicts = String::new();
        for _ in 0..RUNS {
            let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
            let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
            let t = Instant::now();
            let report = runner::run(options.clone(), &env, tx).await?;
            walls.push(t.elapsed());
            drain.await?;
            verdicts = report
                .verdicts
                .iter()
                .map(|v| format!("{}/{}:{}", v.port, v.family, v.label()))
                .collect::<Vec<_>>()
                .join(" ");
        }
        walls.sort();
        let ms = |d: Duration| d.as_millis();
        println!(
            "{name:<22}{RUNS:>5}  {:>6}  {:>9}  {:>6}  {verdicts}",
            ms(walls[0]),
            ms(walls[RUNS / 2]),
            ms(walls[RUNS - 1]),
        );
    }
    Ok(())
}
