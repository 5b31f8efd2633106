//! The command line: `mailport check` and friends.
//!
//! Parsing is strict and every refusal is one line on stderr with exit code
//! 2; the check itself runs in [`crate::runner`]. Other subcommands
//! (`serve`, `reflect`) are added to [`Command`] and dispatched in [`run`].

use crate::args::{parse_dns, parse_domain, parse_host, parse_ports, NetinfoArgs, PortList};
pub use crate::args::{EXIT_BLOCKED, EXIT_OPEN, EXIT_SETUP, EXIT_UNJUDGED};
use crate::runner::{self, Env, RunError, DEFAULT_CONCURRENCY};
use crate::term;
use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand};
use mailport_shared::options::Families;
use mailport_shared::reflector::ReflectorSpec;
use mailport_shared::report::Port25;
use mailport_shared::{CheckEvent, CheckOptions, Report, Role, Target};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes (mailport check):
  0  outgoing port 25 is open on at least one address family
  1  port 25 is blocked, intercepted or restricted (and open on no family)
  2  usage or setup error (bad option, unreadable CA file, nothing to probe...)
  3  port 25 could not be judged: not tested, or nothing reachable to judge
     (DNS failed, no route, a single host down, no connection could be opened)";

/// The exit code of a finished check.
pub fn exit_code(report: &Report) -> u8 {
    match report.port25() {
        Port25::Open => EXIT_OPEN,
        Port25::Blocked => EXIT_BLOCKED,
        Port25::Unjudged => EXIT_UNJUDGED,
    }
}

/// mailport: which mail ports can this network reach, and what to do about it.
#[derive(Debug, Parser)]
#[command(name = "mailport", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe the mail ports from this machine and print a verdict.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Start the local agent for the web page (the default without arguments).
    Serve(crate::serve::ServeArgs),
    /// Run a reflector on a server you control: answers on the mail ports
    /// and signs what it saw, so `check --reflector` can prove interception.
    Reflect(crate::reflect::cmd::ReflectArgs),
    /// Test a relay (smarthost) with your login, and print the configuration
    /// that makes your mail server use it (--mta).
    Relay(crate::relay::RelayArgs),
    /// Write the man pages into DIR (for packagers; see scripts/dist.sh).
    #[command(hide = true)]
    GenerateMan {
        /// Where to write `mailport.1` and the subcommand pages.
        dir: PathBuf,
    },
    /// Write bash, zsh, fish and PowerShell completions into DIR.
    #[command(hide = true)]
    GenerateCompletions {
        /// Where to write the completion scripts.
        dir: PathBuf,
    },
}

/// `mailport check` flags.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Your own mail domain: its MX hosts (and smtp./mail. hosts) are probed.
    #[arg(long, value_name = "DOMAIN", value_parser = parse_domain)]
    pub domain: Option<String>,
    /// A recipient MX host to probe on port 25 (repeatable).
    #[arg(long, value_name = "HOST", value_parser = parse_host)]
    pub mx: Vec<String>,
    /// A submission server or relay (repeatable). Probed on every port asked
    /// for; a refusal from it counts against the network only on 465 and 587,
    /// where such servers are known to listen.
    #[arg(long, value_name = "HOST", value_parser = parse_host)]
    pub submission: Vec<String>,
    /// Any host to probe on every port (repeatable).
    #[arg(long, value_name = "HOST", value_parser = parse_host)]
    pub host: Vec<String>,
    /// Ports to probe, comma-separated.
    #[arg(long, value_name = "PORTS", value_parser = parse_ports, default_value = "25,26,465,587,2525")]
    pub ports: PortList,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6_only")]
    pub ipv4_only: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6_only: bool,
    /// TCP connect timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 4000)]
    pub connect_timeout: u32,
    /// How long to wait for the SMTP greeting, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 8000)]
    pub greeting_timeout: u32,
    /// Do not try STARTTLS (port 465 still speaks TLS: it has no plain form).
    #[arg(long)]
    pub no_tls: bool,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// `--share` and its redaction flags.
    #[command(flatten)]
    pub share: crate::share::ShareArgs,
    /// DNS server to use instead of the system's, as IP or IP:PORT (repeatable).
    #[arg(long, value_name = "IP:PORT", value_parser = parse_dns)]
    pub dns: Vec<SocketAddr>,
    /// Allow probing private, loopback and other non-public addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// Probes at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Also trust the PEM certificates in this file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The control probes' port (one connect per target address, to learn
    /// the round trip and which hosts are up); 0 makes none. For tests.
    #[arg(long, value_name = "PORT", default_value_t = mailport_shared::control::CONTROL_PORT, hide = true)]
    pub control_port: u16,
    /// Where the network facts come from.
    #[command(flatten)]
    pub netinfo: NetinfoArgs,
    /// A mailport reflector you run (`mailport reflect`): proves, per port,
    /// whether the real server answered or something in between did.
    #[arg(long, value_name = "HOST", value_parser = parse_host, requires = "reflector_key")]
    pub reflector: Option<String>,
    /// The reflector's public key, hex or base64 (`mailport reflect --gen-key`).
    #[arg(long, value_name = "KEY", value_parser = parse_reflector_key, requires = "reflector")]
    pub reflector_key: Option<String>,
    /// Also test inbound port 25: the reflector (run with `--callback`)
    /// connects back to this network, and the report says whether the
    /// internet reaches this machine, apart from the outbound verdicts.
    /// Binding port 25 for the check (root, CAP_NET_BIND_SERVICE) lets it
    /// prove the answer is this machine's.
    #[arg(long, requires = "reflector")]
    pub inbound: bool,
}

/// Checks the key with the shared rules (the page and the API use the same),
/// plus the curve check only the agent can do; keeps the key as the user
/// typed it, normalised, for [`ReflectorSpec`].
fn parse_reflector_key(s: &str) -> Result<String, String> {
    crate::reflect::parse_public_key(s)
        .map(|k| mailport_shared::reflector::encode_hex(k.as_bytes()))
        .map_err(|e| e.to_string())
}

impl CheckArgs {
    /// The check options these flags ask for (not yet validated).
    pub fn options(&self) -> CheckOptions {
        let mut targets = Vec::new();
        targets.extend(self.mx.iter().map(|h| Target::new(h, Role::RecipientMx)));
        targets.extend(
            self.submission
                .iter()
                .map(|h| Target::new(h, Role::Submission)),
        );
        targets.extend(self.host.iter().map(|h| Target::new(h, Role::Custom)));
        CheckOptions {
            domain: self.domain.clone(),
            targets,
            ports: self.ports.0.clone(),
            families: Families {
                ipv4: !self.ipv6_only,
                ipv6: !self.ipv4_only,
            },
            connect_timeout_ms: self.connect_timeout,
            greeting_timeout_ms: self.greeting_timeout,
            tls: !self.no_tls,
            reflector: match (&self.reflector, &self.reflector_key) {
                (Some(host), Some(key)) => Some(ReflectorSpec {
                    host: host.clone(),
                    public_key: key.clone(),
                }),
                _ => None,
            },
            inbound: self.inbound,
        }
    }

    /// The agent environment these flags ask for.
    pub fn env(&self) -> anyhow::Result<Env> {
        let mut builder = Env::builder()
            .nameservers(self.dns.clone())
            .allow_private(self.allow_private)
            .concurrency(self.concurrency)
            .control_port(Some(self.control_port));
        if let Some(path) = &self.ca_file {
            builder = builder.ca_file(path)?;
        }
        builder = builder.netinfo(self.netinfo.config());
        Ok(builder.build()?)
    }
}

/// Parses the command line and runs it; the returned code is the process's.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return Ok(usage_error(&e)),
    };
    match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => crate::serve::serve(&args).map(|()| ExitCode::SUCCESS),
        Some(Command::Reflect(args)) => crate::reflect::cmd::run(&args),
        Some(Command::Relay(args)) => crate::relay::run(&args),
        Some(Command::GenerateMan { dir }) => {
            generated(crate::generate::man_pages(Cli::command(), &dir)?)
        }
        Some(Command::GenerateCompletions { dir }) => {
            generated(crate::generate::completions(Cli::command(), &dir)?)
        }
        None => {
            crate::serve::serve(&crate::serve::ServeArgs::defaults()).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// Help and version go to stdout with 0; anything else is one line on stderr.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "mailport: {} (see --help)",
                one_line(&e.render().to_string())
            );
            ExitCode::from(EXIT_SETUP)
        }
    }
}

/// clap's error in one line: its first paragraph, which names the problem
/// (the missing argument is on the line after "were not provided:"),
/// without the usage and tips that follow the first blank line.
fn one_line(rendered: &str) -> String {
    let text = rendered
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    if text.is_empty() {
        "invalid arguments".to_string()
    } else {
        text.to_string()
    }
}

/// Lists the files a `generate-*` subcommand wrote.
fn generated(files: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    for f in files {
        println!("{}", f.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `mailport check`.
pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let options = args.options();
    let env = args.env()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress = std::io::stderr().is_terminal() && !args.json;
    let result = runtime.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let show = tokio::spawn(show_progress(rx, progress));
        // The reflector, when asked for, is proved by the runner alongside
        // the other probes and judged with them.
        let report = runner::run(options, &env, tx).await;
        let _ = show.await;
        let report = report?;
        Ok::<_, RunError>(report)
    });
    let report = match result {
        Ok(r) => r,
        Err(e @ (RunError::Input(_) | RunError::NothingToProbe(_))) => {
            eprintln!("mailport: {e}");
            return Ok(ExitCode::from(EXIT_SETUP));
        }
    };
    print_report(&report, args.json)?;
    if let Some(link) = args.share.link(&report)? {
        // With --json, stdout stays one JSON document.
        if args.json {
            eprintln!("Share this result: {link}");
        } else {
            println!("\nShare this result (the whole result is in the link): {link}");
        }
    }
    Ok(ExitCode::from(exit_code(&report)))
}

/// Prints the report. Through `anstream`: ANSI colour passes to a terminal
/// that understands it, is translated to console calls on an old Windows
/// console, and is stripped when stdout is not a terminal.
fn print_report(report: &Report, json: bool) -> anyhow::Result<()> {
    let mut out = anstream::AutoStream::auto(std::io::stdout().lock());
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
    } else {
        let style = term::Style {
            colour: std::io::stdout().is_terminal() && !no_color(std::env::var_os("NO_COLOR")),
        };
        out.write_all(term::render(report, style).as_bytes())?;
        if let Some(inbound) = &report.inbound {
            out.write_all(crate::inbound::render::render(inbound).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Whether the `NO_COLOR` convention (<https://no-color.org>) asks for no
/// colour: set to anything but the empty string.
fn no_color(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Drains the events; on a terminal, shows "probing 12/40…" on stderr.
async fn show_progress(mut rx: tokio::sync::mpsc::Receiver<CheckEvent>, show: bool) {
    let mut planned = 0usize;
    let mut done = 0usize;
    // Progress uses "\r\x1b[K" (erase the line): anstream passes it to a
    // VT-capable console (Windows 10 and later, every unix terminal).
    let mut err = anstream::AutoStream::auto(std::io::stderr());
    if show {
        let _ = write!(err, "resolving…");
        let _ = err.flush();
    }
    while let Some(event) = rx.recv().await {
        match event {
            CheckEvent::Started { planned: p } => planned = p.len(),
            CheckEvent::Probe { .. } => done += 1,
            _ => {}
        }
        if show {
            let _ = write!(err, "\r\x1b[Kprobing {done}/{planned}…");
            let _ = err.flush();
        }
    }
    if show {
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn usage(args: &[&str]) -> String {
        let err = Cli::try_parse_from(args).expect_err("a usage error");
        one_line(&err.render().to_string())
    }

    #[test]
    fn usage_errors_keep_what_names_the_problem() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["mailport", "check", "--reflector", "r.example"],
                "the following required arguments were not provided: --reflector-key <KEY>",
            ),
            (
                &["mailport", "check", "--bogus"],
                "unexpected argument '--bogus' found",
            ),
            (
                &["mailport", "check", "-4", "-6"],
                "the argument '-4' cannot be used with '-6'",
            ),
        ];
        for (args, want) in cases {
            assert_eq!(usage(args), *want, "{args:?}");
        }
        assert_eq!(one_line(""), "invalid arguments");
    }

    #[test]
    fn no_color_is_any_non_empty_value() {
        assert!(!no_color(None));
        assert!(!no_color(Some("".into())));
        assert!(no_color(Some("1".into())));
        assert!(no_color(Some("0".into())));
    }

    #[test]
    fn help_says_what_is_probed() {
        let mut cmd = Cli::command();
        let check = cmd.find_subcommand_mut("check").expect("check");
        let help = check.render_long_help().to_string();
        assert!(help.contains("Probed on every port asked"), "{help}");
        assert!(!help.contains("probe on 465/587"), "{help}");
    }
}
