//! `mailport serve` (and `mailport` alone): the HTTP API and the page on
//! loopback, then the page opened in the browser with the token in the URL
//! fragment (fragments are never sent to a server, nor in a Referer).

use crate::api::{
    self, ApiState, EngineChecker, Guard, Limits, Listeners, Origin, RelayTests, Token,
    RELAY_TESTS_PER_MINUTE,
};
use crate::args::NetinfoArgs;
use crate::runner::Env;
use anyhow::Context as _;
use clap::Args;
use mailport_shared::api::{DEFAULT_PORT, PUBLIC_PAGE_ORIGIN};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The environment variable that fixes the token, for scripts.
pub const TOKEN_ENV: &str = "MAILPORT_TOKEN";

/// `mailport serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 and ::1; 0 picks a free one (printed).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Also allow a page from this origin, e.g. http://localhost:8080 (repeatable).
    #[arg(long, value_name = "URL", value_parser = Origin::parse_flag)]
    pub allow_origin: Vec<Origin>,
    /// Do not open the browser.
    #[arg(long)]
    pub no_open: bool,
    /// Allow probing private, loopback and other non-public addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// DNS server to use instead of the system's, as IP or IP:PORT (repeatable).
    #[arg(long, value_name = "IP:PORT", value_parser = crate::args::parse_dns)]
    pub dns: Vec<SocketAddr>,
    /// Accept API calls without an Origin header (curl, scripts). They still
    /// need the token: set it with MAILPORT_TOKEN or copy it from the printed URL.
    #[arg(long)]
    pub allow_no_origin: bool,
    /// Also trust the PEM certificates in this file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Where the network facts come from (the same flags as `check`): every
    /// check the page starts reports them.
    #[command(flatten)]
    pub netinfo: NetinfoArgs,
}

impl ServeArgs {
    /// The defaults of `mailport` without arguments: exactly what
    /// `mailport serve` with no flags parses to, so the clap defaults
    /// (port, Cymru zone...) are written once.
    pub fn defaults() -> Self {
        /// A parser holding only the serve flags.
        #[derive(clap::Parser)]
        struct Bare {
            #[command(flatten)]
            args: ServeArgs,
        }
        <Bare as clap::Parser>::parse_from(["mailport"]).args
    }

    fn env(&self) -> anyhow::Result<Env> {
        let mut builder = Env::builder()
            .nameservers(self.dns.clone())
            .allow_private(self.allow_private)
            .netinfo(self.netinfo.config());
        if let Some(path) = &self.ca_file {
            builder = builder.ca_file(path)?;
        }
        Ok(builder.build()?)
    }
}

/// The token: from [`TOKEN_ENV`] when set, else fresh random.
fn token() -> anyhow::Result<Token> {
    match std::env::var(TOKEN_ENV) {
        Ok(value) => Ok(Token::from_user(&value)?),
        Err(_) => Ok(Token::generate()?),
    }
}

/// Runs the agent until Ctrl-C.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let env = args.env()?;
    let token = token()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listeners = Listeners::bind(args.port).await.with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{} (is another mailport running? try --port)",
                args.port
            )
        })?;
        let port = listeners.port();
        let guard = Arc::new(Guard::new(
            port,
            args.allow_origin.iter().cloned(),
            args.allow_no_origin,
            token,
        ));
        // Without a page of its own, the public copy talks to this agent
        // (allowed by default); the fragment tells it the port and token.
        let url = if crate::web::has_page() {
            format!("http://127.0.0.1:{port}/#token={}", guard.token().expose())
        } else {
            format!(
                "{PUBLIC_PAGE_ORIGIN}/#agent={port}&token={}",
                guard.token().expose()
            )
        };
        announce(&listeners, &guard, &url, args)?;
        if !args.no_open {
            open_browser(&url);
        }
        let state = Arc::new(
            ApiState::new(Arc::new(EngineChecker::new(env.clone())), Limits::default())
                .with_relay(RelayTests::new(env, RELAY_TESTS_PER_MINUTE)),
        );
        let app = api::router(state, guard);
        tokio::select! {
            () = listeners.serve(app) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("mailport: stopped");
            }
        }
        Ok(())
    })
}

fn announce(
    listeners: &Listeners,
    guard: &Guard,
    url: &str,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let addresses: Vec<String> = listeners
        .addresses()
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    writeln!(
        out,
        "mailport agent listening on {}",
        addresses.join(" and ")
    )?;
    if let Some(e) = &listeners.ipv6_error {
        writeln!(out, "  (not on [::1]: {e})")?;
    }
    if !crate::web::has_page() {
        writeln!(
            out,
            "This build does not include the page (scripts/build-web.sh was not run before building), so the link opens the public page, which talks to this agent."
        )?;
    }
    writeln!(
        out,
        "Open this link to use it (it carries the access token):"
    )?;
    writeln!(out, "  {url}")?;
    let origins: Vec<String> = guard
        .allowed_origins()
        .iter()
        .map(|o| o.to_string())
        .collect();
    writeln!(out, "Pages allowed to call it: {}", origins.join(", "))?;
    if args.allow_private {
        writeln!(
            out,
            "Private and loopback addresses may be probed (--allow-private)."
        )?;
    }
    if args.netinfo.no_netinfo {
        writeln!(
            out,
            "Network facts (public address, provider, blocklists) are not looked up (--no-netinfo)."
        )?;
    } else {
        writeln!(
            out,
            "Each check also looks up, by DNS, this network's public address, provider and blocklist listings (--no-netinfo to skip)."
        )?;
    }
    if args.allow_no_origin {
        writeln!(
            out,
            "Requests without an Origin are accepted (--allow-no-origin); they still need the token."
        )?;
    }
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    Ok(())
}

/// Opens `url` in the user's browser; failure is fine (the URL is printed).
/// The `opener` crate knows each OS's way (xdg-open or WSL's, `open`,
/// `ShellExecute`) and honours `$BROWSER`; it runs on its own thread because
/// it may block while the launcher starts.
fn open_browser(url: &str) {
    let url = url.to_string();
    std::thread::spawn(move || {
        let _ = opener::open_browser(url);
    });
}
