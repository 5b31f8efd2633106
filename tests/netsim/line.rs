//! What the line between the client and the internet does to every packet,
//! whatever its port: random loss (nftables on the router, see
//! `Net::set_router`) and latency (a TUN device on the router, see
//! `delay.rs` for the helper's side).

use crate::topo::{ns_run, path_env, Net, ISP};
use anyhow::{bail, Context, Result};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The router's TUN device that holds packets (the helper's `delay`).
const DELAY_DEV: &str = "dl0";
/// The routing table that sends forwarded packets into it.
const DELAY_TABLE: &str = "100";

/// What the line between the client and the internet does to every packet,
/// whatever its port: not a filter, a bad line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Line {
    /// Share of packets lost at random, both directions.
    pub loss_percent: u8,
}

impl Net {
    /// Starts the router's delay: `ms` ± `jitter_ms` each way for every
    /// packet it forwards. The helper's `delay` creates the TUN device;
    /// policy rules send what comes in from the client's or the internet's
    /// side into it, and what it writes back is routed by the main table.
    /// Stopped (rules removed, device gone) on drop.
    pub fn delay(&self, ms: u32, jitter_ms: u32) -> Result<Delay> {
        let log = self.dir.join("delay.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new("ip")
            .env("PATH", path_env())
            .args(["netns", "exec", ISP])
            .arg(&self.helper)
            .args(["delay", DELAY_DEV, &ms.to_string(), &jitter_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("spawn the delay")?;
        let delay = Delay(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.lines().any(|l| l == "ready") {
                break;
            }
            if Instant::now() > deadline {
                bail!("the router's delay did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for cmd in [
            format!("sysctl -qw net.ipv4.conf.{DELAY_DEV}.rp_filter=0"),
            "sysctl -qw net.ipv4.conf.all.rp_filter=0".to_string(),
            format!("ip route add default dev {DELAY_DEV} table {DELAY_TABLE}"),
            format!("ip -6 route add default dev {DELAY_DEV} table {DELAY_TABLE}"),
        ] {
            ns_run(ISP, &cmd.split_whitespace().collect::<Vec<_>>())?;
        }
        for family in ["-4", "-6"] {
            for dev in ["i0", "i1"] {
                ns_run(
                    ISP,
                    &[
                        "ip",
                        family,
                        "rule",
                        "add",
                        "pref",
                        DELAY_TABLE,
                        "iif",
                        dev,
                        "lookup",
                        DELAY_TABLE,
                    ],
                )?;
            }
        }
        Ok(delay)
    }
}

/// The router's running delay; removed on drop.
pub struct Delay(Child);

impl Drop for Delay {
    fn drop(&mut self) {
        for family in ["-4", "-6"] {
            while ns_run(ISP, &["ip", family, "rule", "del", "pref", DELAY_TABLE]).is_ok() {}
        }
        // The device, and its routes, go with the process.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
