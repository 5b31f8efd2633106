//! `mailport reflect`: the command-line side of the reflector.

use super::{
    bind, generate_key_file, load_signing_key, public_key_forms, CallbackLimits, Limits,
    ServerConfig,
};
use crate::args::{parse_host, parse_ports, PortList};
use anyhow::Context as _;
use clap::Args;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// `mailport reflect` flags.
#[derive(Debug, Args)]
pub struct ReflectArgs {
    /// Create a new secret key file (mode 0600), print its public key, exit.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    pub gen_key: Option<PathBuf>,
    /// The secret key file to sign with (made by --gen-key).
    #[arg(long, value_name = "FILE", required_unless_present = "gen_key")]
    pub key: Option<PathBuf>,
    /// Address to listen on (repeatable); default `::`, which takes IPv4 too
    /// (`0.0.0.0` where IPv6 is disabled).
    #[arg(long, value_name = "IP")]
    pub bind: Vec<IpAddr>,
    /// Ports to listen on, comma-separated.
    #[arg(long, value_name = "PORTS", value_parser = parse_ports, default_value = "25,26,465,587,2525")]
    pub ports: PortList,
    /// Host name announced in the greeting.
    #[arg(long, value_name = "NAME", value_parser = parse_host, default_value = "mailport-reflector.invalid")]
    pub name: String,
    /// Simultaneous connections at most; more are told the reflector is busy.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Simultaneous connections at most from one IPv4 address or IPv6 /64;
    /// one check opens one per port at once (5 with the default ports).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_per_source)]
    pub max_per_address: usize,
    /// Call agents back on request (`mailport check --inbound`): connect to
    /// the address a request comes from, on 25 (465, 587 if asked), read the
    /// greeting and EHLO reply, and sign what happened. Off by default; see
    /// docs/reflector.md for its abuse limits.
    #[arg(long)]
    pub callback: bool,
    /// Call-backs per source address per hour (per IPv6 /64: twice this).
    #[arg(long, value_name = "N", default_value_t = CallbackLimits::default().per_address, requires = "callback")]
    pub callback_per_hour: usize,
    /// Also call private and loopback addresses (tests on one machine only).
    #[arg(long, hide = true, requires = "callback")]
    pub callback_allow_private: bool,
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
    if args.max_per_address == 0 || args.max_connections == 0 {
        anyhow::bail!("--max-connections and --max-per-address must be at least 1");
    }
    let key_path = args.key.as_ref().context("--key FILE is required")?;
    let key = load_signing_key(key_path)?;
    let (hex, _) = public_key_forms(&key.verifying_key());
    let cfg = ServerConfig {
        binds: args.bind.clone(),
        ports: args.ports.0.clone(),
        name: args.name.clone(),
        key,
        limits: Limits {
            max_connections: args.max_connections,
            max_per_source: args.max_per_address,
            ..Limits::default()
        },
        callback: args.callback.then(|| CallbackLimits {
            per_address: args.callback_per_hour.max(1),
            per_prefix: 2 * args.callback_per_hour.max(1),
            allow_private: args.callback_allow_private,
            ..CallbackLimits::default()
        }),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let bound = bind(cfg).await?;
        let addrs: Vec<String> = bound.local_addrs().iter().map(|a| a.to_string()).collect();
        eprintln!(
            "mailport reflector {} on {}, public key {hex}{}",
            args.name,
            addrs.join(" "),
            if args.callback { ", call-back on" } else { "" }
        );
        tokio::select! {
            () = bound.run() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
