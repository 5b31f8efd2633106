//! `mailport relay HOST[:PORT] --user USER`: tests a smarthost the user
//! means to relay through ([`client`]), and with `--mta NAME` prints the
//! configuration that makes that mail server use it (the text comes from
//! [`mailport_shared::relay::snippet`], the same the page renders).
//!
//! Exit codes follow `mailport check`: 0 the relay works (or `--no-test`
//! printed the configuration), 1 it does not from here, 2 usage or setup
//! error, 3 nothing could be tested (the name did not resolve, no route).

pub mod client;
pub mod password;
pub mod run;

use crate::args::{EXIT_BLOCKED, EXIT_OPEN, EXIT_SETUP, EXIT_UNJUDGED};
use crate::probe::tls::{self, TlsContext};
use anyhow::Context as _;
use clap::Args;
use client::Envelope;
use mailport_shared::relay::step::{Judged, RelayReport};
use mailport_shared::relay::{self as shared_relay, Mta, Password, RelaySpec};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `mailport relay` flags.
#[derive(Debug, Args)]
#[command(after_help = RELAY_HELP)]
pub struct RelayArgs {
    /// The relay (smarthost): HOST, HOST:PORT or [IPv6]:PORT. Port 587 by
    /// default (STARTTLS); 465 means TLS from the first byte.
    #[arg(value_name = "HOST[:PORT]")]
    pub target: String,
    /// The login at the relay.
    #[arg(long, value_name = "LOGIN")]
    pub user: String,
    /// Read the password from the first line of this file (else
    /// MAILPORT_RELAY_PASSWORD, else a prompt). Never give it on the command line.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Also try MAIL FROM with this sender (needs --to). No mail is sent.
    #[arg(long, value_name = "ADDR", requires = "to")]
    pub from: Option<String>,
    /// Also try RCPT TO with this recipient (needs --from).
    #[arg(long, value_name = "ADDR", requires = "from")]
    pub to: Option<String>,
    /// Print the configuration for this mail server: postfix, exim,
    /// docker-mailserver, mailu, mailcow, yunohost, stalwart, mox, maddy, haraka.
    #[arg(long, value_name = "NAME", value_parser = parse_mta)]
    pub mta: Option<Mta>,
    /// Put the password into the printed configuration instead of a placeholder.
    #[arg(long, requires = "mta")]
    pub fill_password: bool,
    /// Do not connect: only print the configuration (for a relay this
    /// machine cannot reach).
    #[arg(long, requires = "mta")]
    pub no_test: bool,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Connect to this address instead of resolving HOST (the certificate
    /// is still checked against HOST).
    #[arg(long, value_name = "IP")]
    pub connect: Option<IpAddr>,
    /// DNS server to use instead of the system's, as IP or IP:PORT (repeatable).
    #[arg(long, value_name = "IP:PORT", value_parser = crate::args::parse_dns)]
    pub dns: Vec<SocketAddr>,
    /// Also trust the PEM certificates in this file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// TCP connect timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = run::CONNECT_TIMEOUT_MS)]
    pub connect_timeout: u32,
    /// Timeout of every later step (each reply, each TLS handshake), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = run::STEP_TIMEOUT_MS)]
    pub timeout: u32,
    /// The EHLO name (default: this machine's address as a literal).
    #[arg(long, value_name = "NAME")]
    pub ehlo_name: Option<String>,
}

const RELAY_HELP: &str = "\
The password comes from --password-file, MAILPORT_RELAY_PASSWORD, or a prompt
without echo; it is never printed (unless --fill-password puts it in the
configuration you asked for). No mail is sent: the test stops before DATA.

Exit codes (mailport relay):
  0  the relay accepted the login (and the sender and recipient, if given);
     with --no-test: the configuration was printed
  1  the relay does not work from here (port blocked, TLS, certificate,
     login, sender or recipient refused): the output says which step
  2  usage or setup error
  3  nothing could be tested (the name did not resolve, no route)";

fn parse_mta(s: &str) -> Result<Mta, String> {
    Mta::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Mta::ALL.iter().map(|m| m.id()).collect();
        format!("unknown mail server {s:?}; one of: {}", names.join(", "))
    })
}

/// Runs `mailport relay`.
pub fn run(args: &RelayArgs) -> anyhow::Result<ExitCode> {
    let setup = |msg: String| {
        eprintln!("mailport: {msg}");
        Ok(ExitCode::from(EXIT_SETUP))
    };
    let spec = match RelaySpec::parse(&args.target, &args.user) {
        Ok(s) => s,
        Err(e) => return setup(e.to_string()),
    };
    let envelope = match (&args.from, &args.to) {
        (Some(f), Some(t)) => match (
            shared_relay::check_address(f),
            shared_relay::check_address(t),
        ) {
            (Ok(from), Ok(to)) => Some(Envelope { from, to }),
            (Err(e), _) | (_, Err(e)) => return setup(e.to_string()),
        },
        _ => None,
    };
    let mut extra = Vec::new();
    if let Some(path) = &args.ca_file {
        match tls::load_ca_file(path) {
            Ok(c) => extra = c,
            Err(e) => return setup(e.to_string()),
        }
    }
    let need_password = !args.no_test || args.fill_password;
    let secret = if need_password {
        let prompt = format!("Password for {} at {}: ", spec.user, spec.host);
        match password::obtain(
            args.password_file.as_deref(),
            std::env::var_os(password::PASSWORD_ENV),
            std::io::stdin().is_terminal(),
            &prompt,
        ) {
            Ok(s) => Some(s),
            Err(e) => return setup(e.to_string()),
        }
    } else {
        None
    };
    let pw = match (&secret, args.fill_password) {
        (Some(s), true) => Password::Filled(s.expose()),
        _ => Password::Placeholder,
    };
    let snippet = match args
        .mta
        .map(|m| shared_relay::snippet(m, &spec, pw))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return setup(e.to_string()),
    };
    let report = match (&secret, args.no_test) {
        (Some(secret), false) => {
            let tls = TlsContext::new(&extra).context("cannot set up TLS")?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let mut config = run::default_config(args.ehlo_name.clone());
            config.connect_timeout = Duration::from_millis(args.connect_timeout.into());
            config.step_timeout = Duration::from_millis(args.timeout.into());
            let net = run::Network {
                dialer: &crate::probe::DirectDialer,
                tls: &tls,
                nameservers: &args.dns,
                connect: args.connect,
                // The user typed the host at their own terminal: the guard
                // protects against web pages, which reach only the API.
                allow_private: true,
            };
            let tested = run::run(&spec, secret, envelope.as_ref(), &net, &config);
            match runtime.block_on(tested) {
                Ok(r) => Some(r),
                Err(e) => return setup(e.to_string()),
            }
        }
        _ => None,
    };
    print(report.as_ref(), snippet.as_ref(), args.json)?;
    Ok(ExitCode::from(match report.map(|r| r.verdict.judged()) {
        None | Some(Judged::Works) => EXIT_OPEN,
        Some(Judged::Fails) => EXIT_BLOCKED,
        Some(Judged::Unjudged) => EXIT_UNJUDGED,
    }))
}

fn print(
    report: Option<&RelayReport>,
    snippet: Option<&shared_relay::Snippet>,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let doc = serde_json::json!({
            "relay_test": report,
            "config": snippet.map(|s| serde_json::json!({
                "mta": s.mta,
                "port": s.port,
                "written_for": s.mta.written_for(),
                "sources": s.mta.sources(),
                "parts": s.parts,
                "notes": s.notes,
                "text": s.render(),
            })),
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        if let Some(r) = report {
            out.write_all(shared_relay::words::render(r).as_bytes())?;
        }
        if let Some(s) = snippet {
            if report.is_some_and(|r| r.verdict.judged() != Judged::Works) {
                writeln!(
                    out,
                    "\nThe configuration below will not work until the problem above is solved."
                )?;
            }
            if report.is_some() {
                writeln!(out)?;
            }
            out.write_all(s.render().as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}
