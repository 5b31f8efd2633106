//! `delay DEVICE MS JITTER_MS`: a line with latency, for kernels without
//! netem (nor nftables' `queue`). The router routes the packets it forwards
//! into the TUN device `DEVICE` (policy routing by incoming interface, see
//! `topo::Net::delay`); this holds each one for `MS` ± `JITTER_MS`
//! milliseconds and writes it back, and the router forwards it on by its
//! main table. Packets leave in the order they came (a later packet never
//! overtakes an earlier one, as on a real line), so the jitter shows as
//! varying delay, not reordering. Both directions pass: each way gets the
//! delay, the round trip twice.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Largest packet read (the device's MTU is 1500).
const MAX_PACKET: usize = 65536;

/// Runs until killed.
pub fn run(device: &str, delay_ms: u64, jitter_ms: u64) -> Result<()> {
    let mut config = tun::Configuration::default();
    config.tun_name(device).mtu(1500).up();
    let dev = tun::create(&config).with_context(|| format!("create TUN device {device}"))?;
    let (mut reader, mut writer) = dev.split();
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    // The writer: releases each packet when it is due, in order.
    let released = std::thread::spawn(move || -> Result<()> {
        for (due, packet) in rx {
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            // A packet the kernel will not take is a lost packet, as on a line.
            let _ = writer.write(&packet);
        }
        Ok(())
    });
    println!("ready");
    let mut rng = Jitter::seeded();
    let mut last_due = Instant::now();
    let mut buf = vec![0u8; MAX_PACKET];
    loop {
        let n = reader.read(&mut buf).context("read from the TUN device")?;
        let wait = delay_ms as i64 + rng.within(jitter_ms);
        let due = Instant::now() + Duration::from_millis(wait.max(0) as u64);
        last_due = due.max(last_due);
        if tx.send((last_due, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(tx);
    released
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))?
}

/// A small xorshift generator: the jitter needs spread, not quality.
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Jitter {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Jitter(t | 1)
    }

    /// A value in [-max, max].
    fn within(&mut self, max: u64) -> i64 {
        if max == 0 {
            return 0;
        }
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % (2 * max + 1)) as i64 - max as i64
    }
}
