//! Real Postfix instances, one per simulated host, each with its own config
//! directory, queue and data directory (`postfix -c DIR`), started inside a
//! namespace and stopped on drop of the bench.

use crate::certs::Pki;
use crate::topo::{ns_run, Host};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What to run.
pub struct PostfixSpec {
    id: &'static str,
    ns: &'static str,
    hostname: &'static str,
    names: &'static [&'static str],
    /// (address or "" for all, port, kind)
    services: Vec<(String, u16, Kind)>,
    tls: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    Plain,
    Wrapper,
}

impl PostfixSpec {
    /// A mail host listening on 25, 26, 465 (implicit TLS), 587 and 2525 on
    /// both its addresses, offering STARTTLS with a certificate for its names.
    pub fn host(id: &'static str, ns: &'static str, h: &'static Host) -> PostfixSpec {
        let mut services = Vec::new();
        for addr in [h.v4.to_string(), format!("[{}]", h.v6)] {
            for port in [25u16, 26, 587, 2525] {
                services.push((addr.clone(), port, Kind::Plain));
            }
            services.push((addr, 465, Kind::Wrapper));
        }
        PostfixSpec {
            id,
            ns,
            hostname: h.names[0],
            names: h.names,
            services,
            tls: true,
        }
    }

    /// An ISP's transparent proxy MTA: its own greeting name, listening on
    /// every address of its namespace on `port`; without STARTTLS, or with
    /// STARTTLS and a certificate for its own names (`names`).
    pub fn proxy(
        id: &'static str,
        ns: &'static str,
        hostname: &'static str,
        port: u16,
        names: &'static [&'static str],
    ) -> PostfixSpec {
        PostfixSpec {
            id,
            ns,
            hostname,
            names,
            services: vec![(String::new(), port, Kind::Plain)],
            tls: !names.is_empty(),
        }
    }
}

impl PostfixSpec {
    /// A home mail server greeting as `hostname` on port 25 of `addrs`
    /// (IPv6 in brackets), without TLS: the user's own MTA, or another
    /// machine behind the same router.
    pub fn home(
        id: &'static str,
        ns: &'static str,
        hostname: &'static str,
        addrs: &[String],
    ) -> PostfixSpec {
        PostfixSpec {
            id,
            ns,
            hostname,
            names: &[],
            services: addrs.iter().map(|a| (a.clone(), 25, Kind::Plain)).collect(),
            tls: false,
        }
    }
}

/// A started instance.
pub struct Postfix {
    ns: &'static str,
    config: PathBuf,
}

const MASTER_TAIL: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

impl Postfix {
    /// Writes the configuration under `base/pf-ID` and starts the instance.
    pub fn start(base: &Path, pki: &Pki, spec: PostfixSpec) -> Result<Postfix> {
        let root = base.join(format!("pf-{}", spec.id));
        let config = root.join("etc");
        let queue = root.join("spool");
        let data = root.join("data");
        for d in [&config, &queue, &data] {
            std::fs::create_dir_all(d)?;
        }
        // Postfix refuses a data directory it does not own.
        crate::topo::run(&["chown", "postfix", data.to_str().context("path")?])?;
        // The parent must be traversable by the postfix user.
        for d in [base, &root] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
        }

        let mut main = String::new();
        let p = |x: &Path| x.display().to_string();
        writeln!(main, "compatibility_level = 3.6")?;
        writeln!(main, "queue_directory = {}", p(&queue))?;
        writeln!(main, "data_directory = {}", p(&data))?;
        writeln!(main, "myhostname = {}", spec.hostname)?;
        writeln!(main, "mydestination =")?;
        writeln!(main, "alias_maps =")?;
        writeln!(main, "alias_database =")?;
        writeln!(main, "inet_protocols = all")?;
        let addrs: Vec<String> = spec
            .services
            .iter()
            .map(|(a, _, _)| a.trim_start_matches('[').trim_end_matches(']').to_string())
            .filter(|a| !a.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if addrs.is_empty() {
            writeln!(main, "inet_interfaces = all")?;
        } else {
            writeln!(main, "inet_interfaces = {}", addrs.join(", "))?;
        }
        writeln!(main, "smtpd_banner = $myhostname ESMTP Postfix")?;
        writeln!(main, "maillog_file = {}", p(&root.join("maillog")))?;
        writeln!(main, "maillog_file_prefixes = {}", p(base))?;
        writeln!(main, "smtpd_relay_restrictions = reject")?;
        // No reverse lookup of the client before the greeting: the namespaces
        // have no DNS server, and the lookup would delay the greeting.
        writeln!(main, "smtpd_peername_lookup = no")?;
        if spec.tls {
            let (cert, key) = pki.issue(spec.id, spec.names)?;
            writeln!(main, "smtpd_tls_cert_file = {}", p(&cert))?;
            writeln!(main, "smtpd_tls_key_file = {}", p(&key))?;
            writeln!(main, "smtpd_tls_security_level = may")?;
        } else {
            writeln!(main, "smtpd_tls_security_level = none")?;
        }
        std::fs::write(config.join("main.cf"), main)?;

        let mut master = String::new();
        for (addr, port, kind) in &spec.services {
            let name = if addr.is_empty() {
                port.to_string()
            } else {
                format!("{addr}:{port}")
            };
            let opts = match kind {
                Kind::Plain => "",
                Kind::Wrapper => {
                    " -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt"
                }
            };
            writeln!(master, "{name} inet n - n - - smtpd{opts}")?;
        }
        master.push_str(MASTER_TAIL);
        std::fs::write(config.join("master.cf"), master)?;

        let c = p(&config);
        ns_run(spec.ns, &["postfix", "-c", &c, "start"]).with_context(|| {
            format!(
                "postfix {} did not start; log:\n{}",
                spec.id,
                std::fs::read_to_string(root.join("maillog")).unwrap_or_default()
            )
        })?;
        Ok(Postfix {
            ns: spec.ns,
            config,
        })
    }

    /// Stops the instance (best effort: the namespace teardown kills what is
    /// left).
    pub fn stop(&self) {
        let c = self.config.display().to_string();
        let _ = ns_run(self.ns, &["postfix", "-c", &c, "stop"]);
    }
}
