//! The simulated internet: network namespaces, veth pairs, an ISP router with
//! nftables, internet hosts running real Postfix, a fake DNS in the client.
//!
//! ```text
//!  mpsim-cli                 mpsim-isp (router, nft)              mpsim-net
//!  192.0.2.10   c0 ──── i0  192.0.2.1        i1 ──── n0  198.51.100.2   hosts on lo:
//!  2001:db8:c::10           2001:db8:c::1   198.51.100.1    2001:db8:ff::2  mx1, mx2, relay,
//!  DNS 127.0.0.1:53                         2001:db8:ff::1                  reflector, the
//!                           proxy MTA :10025, PIX :10026, tarpit :10027,   user's own MX,
//!                           TLS proxy MTA :10028                           a myip DNS server
//! ```
//!
//! Only documentation ranges, and only inside the namespaces: nothing is
//! routed to the host. Everything is torn down by `Drop`, and stale
//! namespaces with our prefix are removed before building.

use crate::certs::Pki;
use crate::postfix::{Postfix, PostfixSpec};
use anyhow::{bail, Context, Result};
use mailport_shared::netinfo::ptr_query_name;
use mailport_shared::MAIL_PORTS;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Prefix of every namespace the bench creates; anything with it is ours.
pub const PREFIX: &str = "mpsim-";
/// The client namespace, where the agent runs.
pub const CLIENT: &str = "mpsim-cli";
/// The ISP router namespace.
pub const ISP: &str = "mpsim-isp";
/// The internet namespace holding the servers.
pub const NET: &str = "mpsim-net";

/// The client's second address (with its prefix), as another customer, or
/// another machine of the user's behind the same router (the wrong host a
/// port forward names, scenario 32).
const NEIGHBOUR: &str = "192.0.2.11/24";
/// The neighbour's IPv6 address.
pub const NEIGHBOUR_V6: &str = "2001:db8:c::11";
/// The client's address inside a carrier-grade NAT (RFC 6598), the source
/// of its IPv4 traffic when a scenario puts the line behind one.
pub const CGNAT_V4: &str = "100.64.0.10";

/// The preference of the client's own `prohibit` rules (a local firewall).
const CLIENT_RULE_PREF: &str = "100";

/// The fake DNS server inside the client namespace.
pub const DNS: &str = "127.0.0.1:53";
/// A second one that knows only an internal name and says "no such name"
/// to every other (a company DNS, a resolver with no way out).
pub const DENYING_DNS: &str = "127.0.0.1:5354";

/// Ports of the interceptors on the router (targets of nft `redirect`).
pub const PROXY_PORT: u16 = 10025;
/// PIX-style fixup.
pub const PIX_PORT: u16 = 10026;
/// Tarpit.
pub const TARPIT_PORT: u16 = 10027;
/// A proxy MTA that keeps STARTTLS but presents its own certificate.
pub const TLS_PROXY_PORT: u16 = 10028;

/// A server on the simulated internet.
pub struct Host {
    /// Names it is known by (first is its own).
    pub names: &'static [&'static str],
    /// IPv4 address.
    pub v4: &'static str,
    /// IPv6 address.
    pub v6: &'static str,
}

/// Two unrelated recipient MX hosts, the ISP's relay, and the reflector.
pub const MX1: Host = Host {
    names: &["mx1.example.net", "smtp.example.net"],
    v4: "198.51.100.10",
    v6: "2001:db8:2::10",
};
/// A second, unrelated operator.
pub const MX2: Host = Host {
    names: &["mx2.example.org"],
    v4: "198.51.100.20",
    v6: "2001:db8:2::20",
};
/// The ISP's own relay (the one host port 25 may reach in scenario 7).
pub const RELAY: Host = Host {
    names: &["relay.isp.example"],
    v4: "203.0.113.25",
    v6: "2001:db8:3::25",
};
/// The mailport reflector.
pub const REFLECTOR: Host = Host {
    names: &["reflector.example.com"],
    v4: "198.51.100.30",
    v6: "2001:db8:2::30",
};
/// The user's own mail server, found only through its domain's MX record
/// (`check --domain customer.example`).
pub const OWN_MX: Host = Host {
    names: &["mail.customer.example"],
    v4: "198.51.100.40",
    v6: "2001:db8:2::40",
};
/// The domain whose MX is [`OWN_MX`].
pub const OWN_DOMAIN: &str = "customer.example";
/// A public-address server on the internet side: answers
/// `myip.opendns.com` with the address the query came from, as OpenDNS
/// does, so a NAT on the router shows as it would at home.
pub const MYIP: Host = Host {
    names: &[],
    v4: "198.51.100.53",
    v6: "2001:db8:2::53",
};

/// The client's own addresses, and the router's addresses its NAT rewrites
/// them to: each has a reverse DNS name (resolving back to it) in the
/// client's DNS, so the network facts' reverse DNS lookup has an answer.
const REVERSE_NAMES: [(&str, &str); 4] = [
    ("192.0.2.10", "home.client.example"),
    ("2001:db8:c::10", "home.client.example"),
    ("198.51.100.1", "nat.isp.example"),
    ("2001:db8:ff::1", "nat.isp.example"),
];

/// `PATH` with the sbin directories, where ip, nft and postfix live, in case
/// the caller's PATH lacks them.
pub fn path_env() -> String {
    let mut path = std::env::var("PATH").unwrap_or_default();
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        if !path.split(':').any(|p| p == dir) {
            path.push(':');
            path.push_str(dir);
        }
    }
    path
}

/// Runs a command, failing with its stderr.
pub fn run(args: &[&str]) -> Result<String> {
    let (prog, rest) = args.split_first().context("empty command")?;
    let out = Command::new(prog)
        .env("PATH", path_env())
        .args(rest)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("spawn {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`{}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command inside a namespace.
pub fn ns_run(ns: &str, args: &[&str]) -> Result<String> {
    let mut full = vec!["ip", "netns", "exec", ns];
    full.extend_from_slice(args);
    run(&full)
}

/// Namespaces with our prefix.
fn our_namespaces() -> Vec<String> {
    run(&["ip", "netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(PREFIX))
        .map(str::to_string)
        .collect()
}

/// Kills every process inside our namespaces (by pid, from `ip netns pids`)
/// and deletes the namespaces. Used before building and on drop.
pub fn remove_namespaces() {
    for ns in our_namespaces() {
        if let Ok(pids) = run(&["ip", "netns", "pids", &ns]) {
            for pid in pids.split_whitespace() {
                let _ = run(&["kill", "-KILL", pid]);
            }
        }
        let _ = run(&["ip", "netns", "del", &ns]);
    }
}

/// This run's scratch directory (configs, certificates, Postfix queues).
pub fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("mpsim-{}", std::process::id()))
}

/// Whether this machine can run the bench: root and `ip netns`.
pub fn can_run() -> std::result::Result<(), String> {
    let uid = run(&["id", "-u"]).map_err(|e| e.to_string())?;
    if uid.trim() != "0" {
        return Err("not root".into());
    }
    // nc, openssl and curl: the topology test talks to the stand-ins with them.
    for tool in ["ip", "nft", "postfix", "nc", "openssl", "curl"] {
        if run(&["sh", "-c", &format!("command -v {tool}")]).is_err() {
            return Err(format!("`{tool}` is not installed"));
        }
    }
    run(&["ip", "netns", "list"]).map_err(|e| format!("`ip netns` unavailable: {e}"))?;
    Ok(())
}

/// The running simulated internet. Dropping it tears everything down.
pub struct Net {
    /// Scratch directory (configs, certs, queues).
    pub dir: PathBuf,
    /// The PKI whose CA the agent trusts.
    pub pki: Pki,
    /// Public key of the reflector, when it runs.
    pub reflector_key: Option<String>,
    pub(crate) helper: PathBuf,
    children: Vec<Child>,
    postfixes: Vec<Postfix>,
}

impl Net {
    /// Builds the topology and starts every server. `mailport` is the agent
    /// binary (for the reflector); `helper` the netsim-helper binary.
    pub fn build(helper: &Path, mailport: Option<&Path>) -> Result<Net> {
        remove_namespaces();
        let dir = scratch_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let pki = Pki::generate(&dir)?;
        let mut net = Net {
            dir,
            pki,
            reflector_key: None,
            helper: helper.to_path_buf(),
            children: Vec::new(),
            postfixes: Vec::new(),
        };
        net.wire()?;
        net.start_servers(helper, mailport)?;
        Ok(net)
    }

    fn wire(&self) -> Result<()> {
        for ns in [CLIENT, ISP, NET] {
            run(&["ip", "netns", "add", ns])?;
            ns_run(ns, &["ip", "link", "set", "lo", "up"])?;
        }
        run(&[
            "ip", "link", "add", "c0", "netns", CLIENT, "type", "veth", "peer", "name", "i0",
            "netns", ISP,
        ])?;
        run(&[
            "ip", "link", "add", "i1", "netns", ISP, "type", "veth", "peer", "name", "n0", "netns",
            NET,
        ])?;
        let cmds: &[(&str, &str)] = &[
            (CLIENT, "ip addr add 192.0.2.10/24 dev c0"),
            // Another customer of the same ISP, for the flood scenarios.
            (CLIENT, &format!("ip addr add {NEIGHBOUR} dev c0")),
            (CLIENT, "ip addr add 2001:db8:c::10/64 dev c0 nodad"),
            // Deprecated at once (preferred_lft 0): never picked as a source,
            // so the client's own traffic keeps 2001:db8:c::10; a server may
            // still listen on it.
            (
                CLIENT,
                &format!("ip addr add {NEIGHBOUR_V6}/64 dev c0 nodad preferred_lft 0"),
            ),
            (CLIENT, "ip link set c0 up"),
            (CLIENT, "ip route add default via 192.0.2.1"),
            (CLIENT, "ip -6 route add default via 2001:db8:c::1"),
            (ISP, "ip addr add 192.0.2.1/24 dev i0"),
            (ISP, "ip addr add 2001:db8:c::1/64 dev i0 nodad"),
            (ISP, "ip addr add 198.51.100.1/30 dev i1"),
            (ISP, "ip addr add 2001:db8:ff::1/64 dev i1 nodad"),
            (ISP, "ip link set i0 up"),
            (ISP, "ip link set i1 up"),
            (ISP, "ip route add 198.51.100.0/24 via 198.51.100.2"),
            (ISP, "ip route add 203.0.113.0/24 via 198.51.100.2"),
            (ISP, "ip -6 route add 2001:db8:2::/48 via 2001:db8:ff::2"),
            (ISP, "ip -6 route add 2001:db8:3::/48 via 2001:db8:ff::2"),
            (ISP, "sysctl -qw net.ipv4.ip_forward=1"),
            (ISP, "sysctl -qw net.ipv6.conf.all.forwarding=1"),
            // An ICMP rejection must reach every probe: without this the
            // kernel rate-limits the router's errors and some probes see a
            // drop instead.
            (ISP, "sysctl -qw net.ipv4.icmp_ratelimit=0"),
            (ISP, "sysctl -qw net.ipv6.icmp.ratelimit=0"),
            (NET, "ip addr add 198.51.100.2/30 dev n0"),
            (NET, "ip addr add 2001:db8:ff::2/64 dev n0 nodad"),
            (NET, "ip link set n0 up"),
            (NET, "ip route add default via 198.51.100.1"),
            (NET, "ip -6 route add default via 2001:db8:ff::1"),
        ];
        for (ns, cmd) in cmds {
            ns_run(ns, &cmd.split_whitespace().collect::<Vec<_>>())?;
        }
        for h in [&MX1, &MX2, &RELAY, &REFLECTOR, &OWN_MX, &MYIP] {
            ns_run(
                NET,
                &["ip", "addr", "add", &format!("{}/32", h.v4), "dev", "lo"],
            )?;
            let v6 = format!("{}/128", h.v6);
            ns_run(NET, &["ip", "addr", "add", &v6, "dev", "lo", "nodad"])?;
        }
        crate::defaults::wire()?;
        self.set_rules(&[], &[], &[])?;
        Ok(())
    }

    /// Starts a long-running server inside `ns`, logging to `log` in the
    /// scratch directory; killed on drop.
    pub fn spawn(&mut self, ns: &str, args: &[&str], log: &str) -> Result<()> {
        let log = std::fs::File::create(self.dir.join(log))?;
        let child = Command::new("ip")
            .env("PATH", path_env())
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawn {}", args.join(" ")))?;
        self.children.push(child);
        Ok(())
    }

    fn start_servers(&mut self, helper: &Path, mailport: Option<&Path>) -> Result<()> {
        // DNS for the client.
        let zone = self.dir.join("zone.txt");
        let mut z = String::new();
        for h in [&MX1, &MX2, &RELAY, &REFLECTOR, &OWN_MX] {
            for n in h.names {
                z.push_str(&format!("{n} A {}\n{n} AAAA {}\n", h.v4, h.v6));
            }
        }
        z.push_str(&format!("{OWN_DOMAIN} MX 10 {}\n", OWN_MX.names[0]));
        z.push_str(&crate::defaults::zone());
        for (addr, name) in REVERSE_NAMES {
            let ip: std::net::IpAddr = addr.parse().context("reverse name address")?;
            let ty = if ip.is_ipv4() { "A" } else { "AAAA" };
            z.push_str(&format!(
                "{} PTR {name}\n{name} {ty} {addr}\n",
                ptr_query_name(ip)
            ));
        }
        std::fs::write(&zone, z)?;
        let helper = helper.to_str().context("helper path")?;
        let zone_s = zone.to_str().context("zone path")?.to_string();
        self.spawn(CLIENT, &[helper, "dns", DNS, &zone_s], "dns.log")?;
        let internal = self.dir.join("internal-zone.txt");
        // The name is never asked for: the check only asks for the defaults.
        std::fs::write(&internal, "intranet.corp.example A 192.0.2.253\n")?;
        let internal_s = internal.to_str().context("zone path")?.to_string();
        self.spawn(
            CLIENT,
            &[helper, "dns", DENYING_DNS, &internal_s],
            "denying-dns.log",
        )?;
        // The public-address server, on the internet side of the router.
        let myip_zone = self.dir.join("myip-zone.txt");
        std::fs::write(
            &myip_zone,
            "myip.opendns.com A asker\nmyip.opendns.com AAAA asker\n",
        )?;
        let myip_zone_s = myip_zone.to_str().context("zone path")?.to_string();
        // One per address: a UDP socket on `::` would answer from whatever
        // source address the route picks, and resolvers drop such answers.
        for (listen, log) in [
            (format!("{}:53", MYIP.v4), "myip4.log"),
            (format!("[{}]:53", MYIP.v6), "myip6.log"),
        ] {
            self.spawn(NET, &[helper, "dns", &listen, &myip_zone_s], log)?;
        }
        let default_waits = crate::defaults::start(self, helper)?;
        let pix = format!("[::]:{PIX_PORT}");
        self.spawn(ISP, &[helper, "pix", &pix], "pix.log")?;
        let tarpit = format!("[::]:{TARPIT_PORT}");
        self.spawn(ISP, &[helper, "tarpit", &tarpit], "tarpit.log")?;

        // Real Postfix on the internet hosts, and the ISP's proxy MTA.
        let specs = [
            PostfixSpec::host("mx1", NET, &MX1),
            PostfixSpec::host("mx2", NET, &MX2),
            PostfixSpec::host("relay", NET, &RELAY),
            PostfixSpec::host("ownmx", NET, &OWN_MX),
            PostfixSpec::proxy("proxy", ISP, "smtp-proxy.isp.example", PROXY_PORT, &[]),
            PostfixSpec::proxy(
                "tlsproxy",
                ISP,
                "tls-proxy.isp.example",
                TLS_PROXY_PORT,
                &["tls-proxy.isp.example"],
            ),
        ];
        // In parallel: each `postfix start` takes a second or two.
        let (dir, pki) = (&self.dir, &self.pki);
        let started: Vec<Result<Postfix>> = std::thread::scope(|scope| {
            let handles: Vec<_> = specs
                .into_iter()
                .map(|spec| scope.spawn(move || Postfix::start(dir, pki, spec)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("postfix start panicked")))
                })
                .collect()
        });
        let mut first_error = None;
        for pf in started {
            match pf {
                Ok(pf) => self.postfixes.push(pf),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }

        // The reflector.
        if let Some(mp) = mailport {
            let mp = mp.to_str().context("mailport path")?;
            let key = self.dir.join("reflector.key");
            let key_s = key.to_str().context("key path")?.to_string();
            let out = run(&[mp, "reflect", "--gen-key", &key_s])?;
            let pubkey = out
                .lines()
                .find_map(|l| l.trim().strip_prefix("public key (hex): "))
                .map(str::to_string)
                .with_context(|| format!("no public key in: {out}"))?;
            self.reflector_key = Some(pubkey);
            // Call-back on (`check --inbound`); the documentation addresses
            // of the bench are ones a real reflector never calls.
            let mut args = vec![
                mp,
                "reflect",
                "--key",
                &key_s,
                "--name",
                REFLECTOR.names[0],
                "--callback",
                "--callback-allow-private",
            ];
            let v4 = REFLECTOR.v4.to_string();
            let v6 = REFLECTOR.v6.to_string();
            args.extend(["--bind", &v4, "--bind", &v6]);
            self.spawn(NET, &args, "reflector.log")?;
        }

        // Wait until everything listens.
        let mut waits: Vec<(&str, String)> = vec![
            (ISP, format!("127.0.0.1:{PIX_PORT}")),
            (ISP, format!("127.0.0.1:{TARPIT_PORT}")),
            (ISP, format!("127.0.0.1:{PROXY_PORT}")),
            (ISP, format!("127.0.0.1:{TLS_PROXY_PORT}")),
        ];
        waits.push((NET, format!("{}:53", MYIP.v4)));
        waits.push((NET, format!("[{}]:53", MYIP.v6)));
        for h in [&MX1, &MX2, &RELAY, &OWN_MX] {
            for port in MAIL_PORTS {
                waits.push((NET, format!("{}:{port}", h.v4)));
                waits.push((NET, format!("[{}]:{port}", h.v6)));
            }
        }
        waits.extend(default_waits.into_iter().map(|a| (NET, a)));
        if mailport.is_some() {
            waits.push((NET, format!("{}:25", REFLECTOR.v4)));
            waits.push((NET, format!("[{}]:2525", REFLECTOR.v6)));
        }
        for (ns, addr) in waits {
            wait_listening(ns, &addr, &self.dir)?;
        }
        Ok(())
    }

    /// Replaces the router's ruleset: `filter` lines go in the forward chain,
    /// `nat` lines in the prerouting NAT chain (for redirects), `snat` lines
    /// in the postrouting NAT chain (for a carrier-grade NAT); each only for
    /// traffic from the client.
    pub fn set_rules(&self, filter: &[String], nat: &[String], snat: &[String]) -> Result<()> {
        let rules = Rules {
            filter,
            nat,
            snat,
            filter_in: &[],
            nat_in: &[],
        };
        self.set_router(&rules, crate::line::Line::default())
    }

    /// [`Net::set_rules`], on a line that may also lose packets or hold them
    /// (see [`crate::line::Line`]).
    pub fn set_router(&self, rules: &Rules, line: crate::line::Line) -> Result<()> {
        let lines = |rules: &[String], dir: &str| {
            rules
                .iter()
                .map(|r| format!("\t\t{dir} {r}\n"))
                .collect::<String>()
        };
        // Only packets coming in from either side: a delayed line forwards
        // each packet twice (in through the TUN device, out again).
        let loss = if line.loss_percent > 0 {
            format!(
                "\t\tiifname {{ \"i0\", \"i1\" }} numgen random mod 100 < {} drop\n",
                line.loss_percent
            )
        } else {
            String::new()
        };

        let ruleset = format!(
            "flush ruleset\n\
             table inet mpsim {{\n\
             \tchain forward {{\n\t\ttype filter hook forward priority 0; policy accept;\n{loss}{}{}\t}}\n\
             \tchain prerouting {{\n\t\ttype nat hook prerouting priority -100; policy accept;\n{}{}\t}}\n\
             \tchain postrouting {{\n\t\ttype nat hook postrouting priority 100; policy accept;\n{}\t}}\n\
             }}\n",
            lines(rules.filter, "iifname \"i0\""),
            lines(rules.filter_in, "iifname \"i1\""),
            lines(rules.nat, "iifname \"i0\""),
            lines(rules.nat_in, "iifname \"i1\""),
            lines(rules.snat, "oifname \"i1\""),
        );
        let file = self.dir.join("ruleset.nft");
        std::fs::write(&file, &ruleset)?;
        ns_run(ISP, &["nft", "-f", file.to_str().context("path")?])
            .with_context(|| format!("ruleset:\n{ruleset}"))?;
        Ok(())
    }

    /// Puts the client's IPv4 traffic behind a carrier-grade NAT address
    /// ([`CGNAT_V4`], the source of its default route; the router routes it
    /// back), or takes it away. The router's `snat` rules do the NAT.
    pub fn set_client_cgnat(&self, on: bool) -> Result<()> {
        let host = format!("{CGNAT_V4}/32");
        if on {
            ns_run(CLIENT, &["ip", "addr", "add", &host, "dev", "c0"])?;
            ns_run(ISP, &["ip", "route", "add", &host, "dev", "i0"])?;
            ns_run(
                CLIENT,
                &[
                    "ip",
                    "route",
                    "replace",
                    "default",
                    "via",
                    "192.0.2.1",
                    "src",
                    CGNAT_V4,
                ],
            )?;
        } else {
            ns_run(
                CLIENT,
                &["ip", "route", "replace", "default", "via", "192.0.2.1"],
            )?;
            // Absent unless a scenario added them.
            let _ = ns_run(ISP, &["ip", "route", "del", &host, "dev", "i0"]);
            let _ = ns_run(CLIENT, &["ip", "addr", "del", &host, "dev", "c0"]);
        }
        Ok(())
    }

    /// Starts a Postfix for one scenario (the user's own mail server, a
    /// neighbour's) and waits until it listens on `wait` (`ADDR:PORT`).
    pub fn start_postfix(&self, spec: PostfixSpec, ns: &str, wait: &[String]) -> Result<Postfix> {
        let pf = Postfix::start(&self.dir, &self.pki, spec)?;
        for addr in wait {
            if let Err(e) = wait_listening(ns, addr, &self.dir) {
                pf.stop();
                return Err(e);
            }
        }
        Ok(pf)
    }

    /// Refuses, on the client's own machine, every TCP connection to
    /// `ports` (both families) with a policy-routing `prohibit` rule:
    /// connect() fails at once with EACCES, as under a local firewall that
    /// denies the program. (An nftables drop in the output hook would not
    /// do: the kernel ignores the first SYN's error and the connection
    /// times out, exactly like a drop at the ISP.) Replaces what was there.
    pub fn set_client_prohibit(&self, ports: &[u16]) -> Result<()> {
        for family in ["-4", "-6"] {
            // Remove ours (they all have this preference).
            while ns_run(
                CLIENT,
                &["ip", family, "rule", "del", "pref", CLIENT_RULE_PREF],
            )
            .is_ok()
            {}
            for port in ports {
                let p = port.to_string();
                ns_run(
                    CLIENT,
                    &[
                        "ip",
                        family,
                        "rule",
                        "add",
                        "pref",
                        CLIENT_RULE_PREF,
                        "ipproto",
                        "tcp",
                        "dport",
                        &p,
                        "prohibit",
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// Gives or takes away the client's IPv6 default route.
    pub fn set_client_ipv6_route(&self, on: bool) -> Result<()> {
        let has = ns_run(CLIENT, &["ip", "-6", "route", "show", "default"])?;
        match (on, has.trim().is_empty()) {
            (true, true) => {
                ns_run(
                    CLIENT,
                    &[
                        "ip",
                        "-6",
                        "route",
                        "add",
                        "default",
                        "via",
                        "2001:db8:c::1",
                    ],
                )?;
            }
            (false, false) => {
                ns_run(CLIENT, &["ip", "-6", "route", "del", "default"])?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts an abusive client in the client namespace holding
    /// `connections` connections from `source` to `target` (the helper's
    /// `hold`), and waits until each got its first line. Stopped on drop.
    pub fn flood(&self, target: &str, connections: u32, source: &str) -> Result<Flood> {
        let log = self.dir.join("flood.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new("ip")
            .env("PATH", path_env())
            .args(["netns", "exec", CLIENT])
            .arg(&self.helper)
            .args(["hold", target, &connections.to_string(), source])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("spawn the flood")?;
        let flood = Flood(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.lines().any(|l| l == "ready") {
                return Ok(flood);
            }
            if Instant::now() > deadline {
                bail!("the flood to {target} did not get going: {text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The CA file the agent must trust.
    pub fn ca_file(&self) -> &Path {
        &self.pki.ca_file
    }
}

/// The router's rules, by chain and direction.
pub struct Rules<'a> {
    /// Forward chain, traffic from the client.
    pub filter: &'a [String],
    /// Prerouting NAT chain, traffic from the client (redirects).
    pub nat: &'a [String],
    /// Postrouting NAT chain, traffic toward the internet (masquerade).
    pub snat: &'a [String],
    /// Forward chain, traffic from the internet (an inbound block).
    pub filter_in: &'a [String],
    /// Prerouting NAT chain, traffic from the internet (a port forward).
    pub nat_in: &'a [String],
}

/// Waits until nothing accepts TCP on `addr` inside `ns` any more, up to
/// 10 s (a stopped server's children may hold its socket a moment).
pub fn wait_closed(ns: &str, addr: &str) -> Result<()> {
    let (host, port) = addr.rsplit_once(':').context("addr")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ns_run(ns, &["nc", "-z", "-w", "1", host, port]).is_err() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{addr} in {ns} still accepts connections 10 s after its server stopped")
}

/// Waits until `addr` accepts TCP inside `ns` (nc -z), up to 10 s.
fn wait_listening(ns: &str, addr: &str, dir: &Path) -> Result<()> {
    let (host, port) = addr.rsplit_once(':').context("addr")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ns_run(ns, &["nc", "-z", "-w", "1", host, port]).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let logs = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .map(|e| {
                    format!(
                        "--- {}\n{}",
                        e.path().display(),
                        std::fs::read_to_string(e.path()).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    bail!("nothing listens on {addr} in {ns} after 10 s\n{logs}")
}

/// A running flood; killed on drop.
pub struct Flood(Child);

impl Drop for Flood {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for pf in &self.postfixes {
            pf.stop();
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        remove_namespaces();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Namespaces with our prefix that still exist (should be none after a run).
pub fn leftover_namespaces() -> Vec<String> {
    our_namespaces()
}
