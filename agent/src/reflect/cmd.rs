//! `mailport reflect`: the command-line side of the reflector.

use super::{generate_key_file, load_signing_key, public_key_forms, serve, ServerConfig};
use crate::cli::{parse_host, parse_ports, PortList};
use anyhow::Context as _;
use clap::Args;
use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `mailport reflect` flags.
#[derive(Debug, Args)]
pub struct ReflectArgs {
    /// Create a new secret key file (mode 0600), print its public key, exit.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    pub gen_key: Option<PathBuf>,
    /// The secret key file to sign with (made by --gen-key).
    #[arg(long, value_name = "FILE", required_unless_present = "gen_key")]
    pub key: Option<PathBuf>,
    /// Address to listen on (repeatable); default `::`, which takes IPv4 too.
    #[arg(long, value_name = "IP")]
    pub bind: Vec<IpAddr>,
    /// Ports to listen on, comma-separated.
    #[arg(long, value_name = "PORTS", value_parser = parse_ports, default_value = "25,26,465,587,2525")]
    pub ports: PortList,
    /// Host name announced in the greeting.
    #[arg(long, value_name = "NAME", value_parser = parse_host, default_value = "mailport-reflector.invalid")]
    pub name: String,
    /// Simultaneous connections at most; more are told to come back later.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,
}

/// Runs `mailport reflect`.
pub fn run(args: &ReflectArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.gen_key {
        let public = generate_key_file(path)?;
        let (hex, b64) = public_key_forms(&public);
        println!("secret key written to {}", path.display());
        println!("public key (hex): {hex}");
        println!("public key (base64): {b64}");
        println!("check with: mailport check --reflector <this host> --reflector-key {hex}");
        return Ok(ExitCode::SUCCESS);
    }
    let listed = mailport_shared::reflector::MAX_LISTED_PORTS;
    if args.ports.0.len() > listed {
        anyhow::bail!(
            "a reflector listens on {listed} ports at most (its signed answer lists them all)"
        );
    }
    let key_path = args.key.as_ref().context("--key FILE is required")?;
    let key = load_signing_key(key_path)?;
    let binds = if args.bind.is_empty() {
        vec![IpAddr::V6(Ipv6Addr::UNSPECIFIED)]
    } else {
        args.bind.clone()
    };
    let (hex, _) = public_key_forms(&key.verifying_key());
    eprintln!(
        "mailport reflector {} on {:?} ports {:?}, public key {hex}",
        args.name, binds, args.ports.0
    );
    let cfg = ServerConfig {
        binds,
        ports: args.ports.0.clone(),
        name: args.name.clone(),
        key,
        max_connections: args.max_connections,
        session_timeout: Duration::from_secs(15),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        tokio::select! {
            r = serve(cfg) => r.map_err(anyhow::Error::from),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
