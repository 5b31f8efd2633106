//! The page's state and every transition of it, as a Yew reducer.
//!
//! Components only dispatch [`Action`]s; the logic lives here, on plain
//! types, so it is tested natively (`cargo test -p mailport-frontend`).

use mailport_shared::api::{Health, API_VERSION, DEFAULT_PORT, PUBLIC_PAGE_ORIGIN};
use mailport_shared::options::Families;
use mailport_shared::reflector::{ProofStatus, ReflectorSpec};
use mailport_shared::report::Conclusion;
use mailport_shared::share::RedactOptions;
use mailport_shared::validate::InputError;
use mailport_shared::{
    validate, CheckEvent, CheckOptions, Family, Outcome, ProbeResult, ProbeSpec, Report, Role,
    Target, MAIL_PORTS,
};
use std::rc::Rc;
use yew::Reducible;

/// Where the page looks for the agent, from its own address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `location.origin`, e.g. `https://mailport.github.io` or
    /// `http://127.0.0.1:7525`.
    pub origin: String,
    /// `location.hostname`.
    pub hostname: String,
    /// The page's URL without its fragment: the "link to this page" base.
    pub page_url: String,
    /// `<meta name="mailport-share-base">` of the page, if it has one: the
    /// public copy that a self-hosted page's agent-served twin links to.
    pub configured_share_base: Option<String>,
}

impl Location {
    /// Whether the page is served from this machine, most likely by the agent.
    pub fn is_loopback(&self) -> bool {
        matches!(
            self.hostname.as_str(),
            "127.0.0.1" | "localhost" | "[::1]" | "::1"
        )
    }

    /// Where share links point. A link to `http://127.0.0.1:7525/` opens
    /// nowhere but on the sharer's own machine, so the page the agent serves
    /// links to a public copy: the one its `mailport-share-base` meta tag
    /// names (for a team that hosts its own), else the project's. A page
    /// already on the web links to itself.
    pub fn share_base(&self) -> String {
        if !self.is_loopback() {
            return self.page_url.clone();
        }
        self.configured_share_base
            .as_deref()
            .map(str::trim)
            .filter(|b| is_public_http_url(b))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{PUBLIC_PAGE_ORIGIN}/"))
    }
}

/// An `http(s)://` URL whose host is not this machine: a base a link can be
/// opened from elsewhere.
fn is_public_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next(),
        None => authority.split(':').next(),
    }
    .unwrap_or_default();
    !host.is_empty()
        && !authority.contains('@')
        && host != "localhost"
        && host != "::1"
        && !host.starts_with("127.")
}

/// The page's parameters from the URL fragment (`#agent=7600&token=…`).
/// Kept in the fragment so they never reach a web server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fragment {
    /// `agent=PORT`: the agent listens on another port.
    pub agent_port: Option<u16>,
    /// `token=HEX`: the pairing token the agent put in the URL it opened.
    pub token: Option<String>,
    /// `r=…`: a shared result.
    pub report: Option<String>,
    /// `targets=…`: extra targets, one per comma (`host role`).
    pub targets: Option<String>,
    /// `ports=25,587`.
    pub ports: Option<String>,
    /// `families=4`, `6` or `46`.
    pub families: Option<String>,
}

impl Fragment {
    /// Parses a fragment, with or without its `#`; unknown keys are ignored.
    pub fn parse(fragment: &str) -> Fragment {
        let mut f = Fragment::default();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        for kv in fragment.split('&') {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let v = percent_decode(v);
            match k {
                "agent" => f.agent_port = validate::port(&v).ok(),
                "token" if !v.is_empty() => f.token = Some(v),
                "r" => f.report = Some(v),
                "targets" => f.targets = Some(v),
                "ports" => f.ports = Some(v),
                "families" => f.families = Some(v),
                _ => {}
            }
        }
        f
    }

    /// The fragment to leave in the address bar once the token is stored:
    /// everything but the token.
    pub fn without_token(fragment: &str) -> String {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        fragment
            .split('&')
            .filter(|kv| !kv.starts_with("token=") && !kv.is_empty())
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The agent base URLs to try, in order.
    ///
    /// An explicit `agent=PORT` wins; a page served from loopback tries its
    /// own origin first (it is most likely the agent's own page), then the
    /// default port. The IP literal, not `localhost`: Chrome's Local Network
    /// Access treats the literal as loopback without a DNS lookup.
    pub fn agent_candidates(&self, loc: &Location) -> Vec<String> {
        if let Some(port) = self.agent_port {
            return vec![format!("http://127.0.0.1:{port}")];
        }
        let mut v = Vec::new();
        if loc.is_loopback() {
            v.push(loc.origin.clone());
        }
        let default = format!("http://127.0.0.1:{DEFAULT_PORT}");
        if !v.contains(&default) {
            v.push(default);
        }
        v
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the page knows about the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agent {
    /// Not looked for yet: a cross-origin page must wait for a click
    /// (Chrome asks for Local Network Access permission on a user gesture).
    NeedsClick {
        /// Where it will look.
        candidates: Vec<String>,
    },
    /// Looking.
    Detecting,
    /// Found and answering.
    Found {
        /// Its base URL, e.g. `http://127.0.0.1:7525`.
        base: String,
        /// Its health answer.
        health: Health,
        /// The page is served by the agent itself.
        same_origin: bool,
    },
    /// Something answered where the agent should be, but not with a health
    /// answer this page can read: most likely an agent too old for it.
    Unreadable {
        /// Where it answered.
        base: String,
        /// What was wrong with the answer, for the curious.
        detail: String,
    },
    /// It answered, then stopped answering (closed during a check).
    Stopped {
        /// Where it was.
        base: String,
    },
    /// Nothing answered.
    Missing {
        /// Where the page looked.
        tried: Vec<String>,
        /// The browser refused the request outright (a `TypeError`): the
        /// agent may be running but blocked by the browser.
        blocked: bool,
    },
}

/// This page's version: the agent it was built with has the same.
pub const PAGE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why an agent that answered is older than this page, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outdated {
    /// The agent's version as it gave it (may be empty).
    pub agent_version: String,
    /// Its API is older too: checks may fail, not just miss features.
    pub older_api: bool,
}

impl Outdated {
    /// The sentence the page shows.
    pub fn message(&self) -> String {
        let which = if self.agent_version.is_empty() {
            "This mailport agent does not say its version; it is older than this page".to_string()
        } else {
            format!(
                "This mailport agent is version {}, older than this page ({PAGE_VERSION})",
                self.agent_version
            )
        };
        let risk = if self.older_api {
            "checks may fail until you update it"
        } else {
            "some results may be missing until you update it"
        };
        format!("{which}: {risk}. Install the new version as below, then start it again.")
    }
}

impl Agent {
    /// How the agent is older than this page, if it is: an older API, or
    /// an older release of the same API.
    pub fn outdated(&self) -> Option<Outdated> {
        match self {
            Agent::Found { health, .. } => {
                let older_api = health.api_version < API_VERSION;
                (older_api || version_older(&health.agent_version, PAGE_VERSION)).then(|| {
                    Outdated {
                        agent_version: health.agent_version.clone(),
                        older_api,
                    }
                })
            }
            _ => None,
        }
    }

    /// The agent's own page on this machine (what Safari users must open):
    /// at the port the page looks at, `#agent=PORT` included.
    pub fn own_page(&self) -> String {
        let first = match self {
            Agent::NeedsClick { candidates } => candidates.first(),
            Agent::Missing { tried, .. } => tried.first(),
            Agent::Found { base, .. }
            | Agent::Unreadable { base, .. }
            | Agent::Stopped { base } => Some(base),
            Agent::Detecting => None,
        };
        match first {
            Some(base) => format!("{base}/"),
            None => format!("http://127.0.0.1:{DEFAULT_PORT}/"),
        }
    }
}

/// Whether version `a` is older than `b`, comparing dot-separated numbers
/// (`0.0.9` < `0.1.0` < `0.10.0`); a pre-release or build suffix is
/// ignored. A version that does not read as numbers at all is older: only
/// an old or odd agent sends one.
pub fn version_older(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<Vec<u64>> {
        let core = v.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next().unwrap_or_default();
        let mut n: Vec<u64> = core
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        // `0.1` and `0.1.0` are the same version.
        while n.last() == Some(&0) {
            n.pop();
        }
        Some(n)
    }
    match (parts(a), parts(b)) {
        (Some(a), Some(b)) => a < b,
        (None, Some(_)) => true,
        _ => false,
    }
}

/// The check form, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// The user's mail domain, optional.
    pub domain: String,
    /// Which of [`MAIL_PORTS`] are ticked.
    pub ports: Vec<u16>,
    /// IPv4 ticked.
    pub ipv4: bool,
    /// IPv6 ticked.
    pub ipv6: bool,
    /// Extra targets, one per line: `host [role]`.
    pub targets: String,
    /// The reflector's host (advanced; blank for none).
    pub reflector_host: String,
    /// The reflector's public key, hex or base64 (blank for none).
    pub reflector_key: String,
    /// Also ask the reflector to call back on port 25 (inbound).
    pub inbound: bool,
    /// The last validation error, shown under the form and tied to its
    /// field.
    pub error: Option<FormError>,
}

/// The form's fields that a validation error can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The mail domain box.
    Domain,
    /// The ports fieldset.
    Ports,
    /// The IPv4/IPv6 fieldset.
    Families,
    /// The other-servers box.
    Targets,
    /// The reflector's host box.
    ReflectorHost,
    /// The reflector's key box.
    ReflectorKey,
}

impl Field {
    /// The id of the element that takes the focus: the input, or the first
    /// box of a fieldset.
    pub fn focus_id(self) -> &'static str {
        match self {
            Field::Domain => "domain",
            Field::Ports => "port-25",
            Field::Families => "ipv4",
            Field::Targets => "targets",
            Field::ReflectorHost => "reflector-host",
            Field::ReflectorKey => "reflector-key",
        }
    }
}

/// A validation error: which field, and what is wrong in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// The field to fix.
    pub field: Field,
    /// The shared validation message, as a sentence.
    pub message: String,
}

impl FormError {
    fn new(field: Field, e: &impl std::fmt::Display) -> FormError {
        FormError {
            field,
            message: capitalise(&e.to_string()),
        }
    }
}

impl Default for Form {
    fn default() -> Self {
        Form {
            domain: String::new(),
            ports: MAIL_PORTS.to_vec(),
            ipv4: true,
            ipv6: true,
            targets: String::new(),
            reflector_host: String::new(),
            reflector_key: String::new(),
            inbound: false,
            error: None,
        }
    }
}

/// The roles a user can name after a target host, and their words.
pub const ROLE_WORDS: &[(&str, Role)] = &[
    ("mx", Role::RecipientMx),
    ("submission", Role::Submission),
    ("own", Role::OwnHost),
    ("echo", Role::PortEcho),
    ("reflector", Role::Reflector),
    ("host", Role::Custom),
];

impl Form {
    /// The form prefilled from the fragment (`targets=`, `ports=`, `families=`).
    pub fn from_fragment(f: &Fragment) -> Form {
        let mut form = Form::default();
        if let Some(t) = &f.targets {
            form.targets = t
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
        }
        if let Some(p) = f.ports.as_deref().and_then(|p| validate::port_list(p).ok()) {
            form.ports = p;
        }
        if let Some(fam) = &f.families {
            form.ipv4 = fam.contains('4');
            form.ipv6 = fam.contains('6');
        }
        form
    }

    /// Parses the targets box: one target per line, `host` or `host role`.
    pub fn parse_targets(text: &str) -> Result<Vec<Target>, String> {
        let mut targets = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let mut words = line.split_whitespace();
            let Some(host) = words.next() else { continue };
            let role = match words.next() {
                None => Role::Custom,
                Some(w) => ROLE_WORDS
                    .iter()
                    .find(|(word, _)| word.eq_ignore_ascii_case(w))
                    .map(|(_, r)| *r)
                    .ok_or_else(|| {
                        format!(
                            "line {}: unknown role {w:?} (use one of: {})",
                            i + 1,
                            ROLE_WORDS
                                .iter()
                                .map(|(w, _)| *w)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
            };
            if words.next().is_some() {
                return Err(format!(
                    "line {}: give one host per line, optionally followed by its role",
                    i + 1
                ));
            }
            targets.push(Target::new(host, role));
        }
        Ok(targets)
    }

    /// The options to send, validated with the same code as the agent, or
    /// the first problem in words with the field it is about.
    pub fn options(&self) -> Result<CheckOptions, FormError> {
        let domain = self.domain.trim();
        if !domain.is_empty() {
            validate::domain(domain).map_err(|e| FormError::new(Field::Domain, &e))?;
        }
        let mut ports: Vec<u16> = MAIL_PORTS
            .iter()
            .copied()
            .filter(|p| self.ports.contains(p))
            .collect();
        // Ports given in the fragment beyond the usual five stay.
        ports.extend(self.ports.iter().filter(|p| !MAIL_PORTS.contains(p)));
        let mut targets = Form::parse_targets(&self.targets).map_err(|message| FormError {
            field: Field::Targets,
            message,
        })?;
        if !domain.is_empty() && targets.is_empty() {
            // A domain alone would probe only the user's own hosts: keep the
            // independent defaults beside it so a verdict is possible.
            targets = mailport_shared::target::default_targets();
        }
        let reflector = ReflectorSpec::from_parts(&self.reflector_host, &self.reflector_key)
            .map_err(|e| {
                let field = match e {
                    InputError::BadReflectorKey(_) => Field::ReflectorKey,
                    InputError::ReflectorIncomplete if !self.reflector_host.trim().is_empty() => {
                        Field::ReflectorKey
                    }
                    _ => Field::ReflectorHost,
                };
                FormError::new(field, &e)
            })?;
        CheckOptions {
            domain: (!domain.is_empty()).then(|| domain.to_string()),
            targets,
            ports,
            families: Families {
                ipv4: self.ipv4,
                ipv6: self.ipv6,
            },
            inbound: self.inbound,
            reflector,
            ..CheckOptions::default()
        }
        .validated()
        .map_err(|e| {
            // The domain and the reflector were checked above; what is left
            // is about ports, families, or the other servers.
            let field = match e {
                InputError::NoPorts
                | InputError::BadPort(_)
                | InputError::TooMany { what: "ports", .. } => Field::Ports,
                InputError::NoFamily => Field::Families,
                InputError::InboundNeedsReflector => Field::ReflectorHost,
                _ => Field::Targets,
            };
            FormError::new(field, &e)
        })
    }
}

/// A message as a sentence: capital first letter, final full stop.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

/// One row × column of the progress grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The planned probe.
    pub spec: ProbeSpec,
    /// Its results (one per address tried), empty while pending.
    pub results: Vec<ProbeResult>,
}

/// How a cell reads at a glance: colour AND word AND symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Not finished.
    Pending,
    /// A mail server answered.
    Good,
    /// Dropped or rejected.
    Bad,
    /// Connected, but something odd answered.
    Odd,
    /// Says nothing about the path (no route, no address).
    Neutral,
}

impl Tone {
    /// Of one outcome. A reflector's greeting is judged by its proof: one
    /// without the reflector's signature is something else answering in
    /// its place, and a busy reflector tested nothing.
    pub fn of(o: &Outcome) -> Tone {
        match o {
            Outcome::Banner(ex) => ex
                .reflector
                .as_deref()
                .map_or(Tone::Good, |p| Tone::of_proof(p.status)),
            Outcome::PortTester { .. } => Tone::Good,
            Outcome::Refused | Outcome::Filtered | Outcome::Unreachable { .. } | Outcome::Reset => {
                Tone::Bad
            }
            Outcome::Silent
            | Outcome::ClosedEarly
            | Outcome::NotSmtp { .. }
            | Outcome::TlsFailed { .. } => Tone::Odd,
            Outcome::NoRoute { .. }
            | Outcome::DnsFailed { .. }
            | Outcome::LocalError { .. }
            | Outcome::LocalFirewall { .. } => Tone::Neutral,
        }
    }

    /// Of a reflector's proof.
    pub fn of_proof(status: ProofStatus) -> Tone {
        match status {
            ProofStatus::Genuine => Tone::Good,
            ProofStatus::Unverified => Tone::Odd,
            ProofStatus::Busy => Tone::Neutral,
        }
    }

    /// The CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Pending => "pending",
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Odd => "odd",
            Tone::Neutral => "neutral",
        }
    }

    /// A symbol, so colour is never the only signal.
    pub fn symbol(self) -> &'static str {
        match self {
            Tone::Pending => "…",
            Tone::Good => "✓",
            Tone::Bad => "✗",
            Tone::Odd => "?",
            Tone::Neutral => "–",
        }
    }
}

impl Cell {
    /// The cell's tone: the best result wins (one good address is enough).
    pub fn tone(&self) -> Tone {
        let tones: Vec<Tone> = self.results.iter().map(|r| Tone::of(&r.outcome)).collect();
        [Tone::Good, Tone::Odd, Tone::Bad, Tone::Neutral]
            .into_iter()
            .find(|t| tones.contains(t))
            .unwrap_or(Tone::Pending)
    }

    /// The cell's words.
    pub fn label(&self) -> String {
        let mut labels: Vec<&str> = self.results.iter().map(|r| r.outcome.label()).collect();
        labels.dedup();
        if labels.is_empty() {
            "testing…".into()
        } else {
            labels.join(" / ")
        }
    }
}

/// The progress grid: hosts down, (port, family) across.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grid {
    /// Every planned probe, in plan order.
    pub cells: Vec<Cell>,
}

impl Grid {
    /// A grid of pending cells.
    ///
    /// One cell per host, port and family: a host typed twice with two
    /// roles is probed as planned, but its results land in one cell, so a
    /// second cell would wait forever ("20 of 22 probes finished").
    pub fn planned(specs: Vec<ProbeSpec>) -> Grid {
        let mut g = Grid::default();
        for spec in specs {
            if g.cell(&spec.host, spec.port, spec.family).is_none() {
                g.cells.push(Cell {
                    spec,
                    results: Vec::new(),
                });
            }
        }
        g
    }

    /// A finished grid from a report (a shared one): its probes are in the
    /// order they finished, its rows in the order the check planned them.
    pub fn from_report(report: &Report) -> Grid {
        let mut g = Grid::default();
        for p in &report.probes {
            g.record(p.clone());
        }
        g.order_as_planned(&report.options);
        g
    }

    /// Puts the rows in the order the check planned them, as the agent
    /// does: the targets as asked (the well-known ones when none were),
    /// then the hosts found for the domain, then the reflector. A stable
    /// sort: cells keep their order within a row, and hosts of the same
    /// rank their first-seen order.
    pub fn order_as_planned(&mut self, options: &CheckOptions) {
        let targets = options.effective_targets();
        let rank = |spec: &ProbeSpec| {
            if spec.role == Role::Reflector {
                return usize::MAX;
            }
            targets
                .iter()
                .position(|t| t.host.eq_ignore_ascii_case(&spec.host))
                .unwrap_or(targets.len())
        };
        self.cells.sort_by_key(|c| rank(&c.spec));
    }

    /// Files a result in its cell (adding a cell if it was not planned).
    pub fn record(&mut self, result: ProbeResult) {
        let key = |s: &ProbeSpec| (s.host.clone(), s.port, s.family);
        let k = key(&result.spec);
        match self.cells.iter_mut().find(|c| key(&c.spec) == k) {
            Some(cell) => cell.results.push(result),
            None => self.cells.push(Cell {
                spec: result.spec.clone(),
                results: vec![result],
            }),
        }
    }

    /// Hosts in first-seen order, with their role.
    pub fn rows(&self) -> Vec<(String, Role)> {
        let mut rows: Vec<(String, Role)> = Vec::new();
        for c in &self.cells {
            if !rows.iter().any(|(h, _)| *h == c.spec.host) {
                rows.push((c.spec.host.clone(), c.spec.role));
            }
        }
        rows
    }

    /// (port, family) columns: ports in [`MAIL_PORTS`] order, IPv4 first.
    pub fn columns(&self) -> Vec<(u16, Family)> {
        let mut cols: Vec<(u16, Family)> = Vec::new();
        for c in &self.cells {
            let k = (c.spec.port, c.spec.family);
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
        cols.sort_by_key(|(p, f)| {
            (
                MAIL_PORTS.iter().position(|m| m == p).unwrap_or(usize::MAX),
                *p,
                *f,
            )
        });
        cols
    }

    /// The cell at a host × column, if that probe was planned.
    pub fn cell(&self, host: &str, port: u16, family: Family) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.spec.host == host && c.spec.port == port && c.spec.family == family)
    }

    /// (finished, planned).
    pub fn progress(&self) -> (usize, usize) {
        let done = self.cells.iter().filter(|c| !c.results.is_empty()).count();
        (done, self.cells.len())
    }
}

/// Where the check is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Run {
    /// Nothing started.
    Idle,
    /// Posted, waiting for `started`.
    Starting,
    /// Events arriving.
    Running,
    /// The report is in.
    Done,
    /// It could not run, in words.
    Failed(String),
    /// The user stopped it (closing the stream cancels every probe).
    Stopped,
    /// The agent stopped answering during the check (it was closed, or the
    /// computer slept): what finished is kept as a partial result.
    Lost,
}

/// A shared result opened from a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Decoded.
    Report(Box<Report>),
    /// Could not be decoded: why, for the user.
    Broken(String),
}

/// The shared result a fragment carries, if any.
fn shared_of(fragment: &Fragment) -> Option<Shared> {
    fragment
        .report
        .as_deref()
        .map(|r| match mailport_shared::share::decode(r) {
            Ok(report) => Shared::Report(Box::new(report)),
            Err(e) => Shared::Broken(capitalise(&e.to_string())),
        })
}

/// The whole page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Where the page is.
    pub location: Location,
    /// The agent.
    pub agent: Agent,
    /// The bearer token, when paired.
    pub token: Option<String>,
    /// The form.
    pub form: Form,
    /// The check.
    pub run: Run,
    /// Live progress.
    pub grid: Grid,
    /// Verdicts and advice once in.
    pub conclusion: Option<Conclusion>,
    /// The full report once done.
    pub report: Option<Box<Report>>,
    /// A shared result being shown instead of a live check.
    pub shared: Option<Shared>,
    /// The shared result came from a short link (no transcripts).
    pub shared_short: bool,
    /// What to hide in share links.
    pub redact: RedactOptions,
    /// The last copy to the clipboard: what was copied, and did it work?
    pub copied: Option<(String, bool)>,
}

impl State {
    /// The initial state from the page's address.
    pub fn new(location: Location, fragment: &Fragment, token: Option<String>) -> State {
        let shared = shared_of(fragment);
        let candidates = fragment.agent_candidates(&location);
        let agent = if location.is_loopback() {
            Agent::Detecting
        } else {
            Agent::NeedsClick { candidates }
        };
        State {
            location,
            agent,
            token: fragment.token.clone().or(token),
            form: Form::from_fragment(fragment),
            run: Run::Idle,
            grid: Grid::default(),
            conclusion: None,
            report: None,
            shared_short: fragment
                .report
                .as_deref()
                .is_some_and(|r| mailport_shared::share::fragment_is_short(&format!("r={r}"))),
            shared,
            redact: RedactOptions {
                ip: true,
                hosts: false,
            },
            copied: None,
        }
    }

    /// The page is showing a shared result, not running checks.
    pub fn showing_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// A check is in flight.
    pub fn busy(&self) -> bool {
        matches!(self.run, Run::Starting | Run::Running)
    }

    /// What the page's polite live region says, so that screen readers
    /// hear the check start and its answer without hunting for it.
    pub fn announcement(&self) -> String {
        match (&self.run, &self.conclusion) {
            (Run::Starting, _) => "The check started.".into(),
            (Run::Lost, _) => "The agent stopped before the check finished.".into(),
            (Run::Done, Some(c)) => format!("Result: {}", c.headline),
            _ => String::new(),
        }
    }
}

/// Every change to the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Detection started.
    Detecting,
    /// The agent answered.
    AgentFound {
        /// Its base URL.
        base: String,
        /// Its health.
        health: Health,
        /// Served by it.
        same_origin: bool,
    },
    /// Something answered, unreadably (an older agent, most likely).
    AgentUnreadable {
        /// Where.
        base: String,
        /// What was wrong.
        detail: String,
    },
    /// Nothing answered.
    AgentMissing {
        /// Where the page looked.
        tried: Vec<String>,
        /// The browser blocked a request.
        blocked: bool,
    },
    /// Paired.
    Token(String),
    /// Form edits.
    Domain(String),
    /// Tick or untick a port.
    TogglePort(u16),
    /// IPv4 on/off.
    Ipv4(bool),
    /// IPv6 on/off.
    Ipv6(bool),
    /// The targets box.
    Targets(String),
    /// The reflector's host box.
    ReflectorHost(String),
    /// The reflector's key box.
    ReflectorKey(String),
    /// The inbound box.
    Inbound(bool),
    /// The form did not validate.
    FormError(FormError),
    /// The check was posted.
    Starting,
    /// An event from the stream.
    Event(Box<CheckEvent>),
    /// The check could not run or the stream broke.
    Failed(String),
    /// What to hide in share links.
    Redact(RedactOptions),
    /// The user stopped the check.
    Stopped,
    /// The agent stopped answering during the check: keep what finished
    /// as a partial result, dated `now_ms` (Unix milliseconds).
    AgentLost {
        /// The time, for the partial report.
        now_ms: u64,
    },
    /// The address's fragment changed (a link pasted into the address bar
    /// of this tab): show the result it carries, or the page's own view
    /// when it carries none.
    Hash(String),
    /// Text was copied (or the browser refused).
    Copied {
        /// What the button copied.
        text: String,
        /// Whether the browser allowed it.
        ok: bool,
    },
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        s.apply(action);
        Rc::new(s)
    }
}

impl State {
    /// Applies one action in place.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Detecting => self.agent = Agent::Detecting,
            Action::AgentFound {
                base,
                health,
                same_origin,
            } => {
                self.agent = Agent::Found {
                    base,
                    health,
                    same_origin,
                }
            }
            Action::AgentUnreadable { base, detail } => {
                self.agent = Agent::Unreadable { base, detail }
            }
            Action::AgentMissing { tried, blocked } => {
                self.agent = Agent::Missing { tried, blocked }
            }
            Action::Token(t) => self.token = Some(t),
            Action::Domain(d) => {
                self.form.domain = d;
                self.form.error = None;
            }
            Action::TogglePort(p) => {
                if let Some(i) = self.form.ports.iter().position(|x| *x == p) {
                    self.form.ports.remove(i);
                } else {
                    self.form.ports.push(p);
                }
                self.form.error = None;
            }
            Action::Ipv4(on) => {
                self.form.ipv4 = on;
                self.form.error = None;
            }
            Action::Ipv6(on) => {
                self.form.ipv6 = on;
                self.form.error = None;
            }
            Action::Targets(t) => {
                self.form.targets = t;
                self.form.error = None;
            }
            Action::ReflectorHost(h) => {
                self.form.reflector_host = h;
                self.form.error = None;
            }
            Action::ReflectorKey(k) => {
                self.form.reflector_key = k;
                self.form.error = None;
            }
            Action::Inbound(on) => {
                self.form.inbound = on;
                self.form.error = None;
            }
            Action::FormError(e) => self.form.error = Some(e),
            Action::Starting => {
                self.form.error = None;
                self.run = Run::Starting;
                self.grid = Grid::default();
                self.conclusion = None;
                self.report = None;
                self.copied = None;
            }
            Action::Event(ev) => self.event(*ev),
            Action::Failed(msg) => {
                // A stream that breaks because the user stopped it is not
                // a failure to report.
                if self.run != Run::Stopped {
                    self.run = Run::Failed(msg)
                }
            }
            Action::Stopped => {
                if self.busy() {
                    self.run = Run::Stopped
                }
            }
            Action::Redact(r) => {
                self.redact = r;
                self.copied = None;
            }
            Action::Copied { text, ok } => self.copied = Some((text, ok)),
            Action::AgentLost { now_ms } => self.lost(now_ms),
            Action::Hash(hash) => {
                let f = Fragment::parse(&hash);
                self.shared_short = f
                    .report
                    .as_deref()
                    .is_some_and(|r| mailport_shared::share::fragment_is_short(&format!("r={r}")));
                self.shared = shared_of(&f);
            }
        }
    }

    fn event(&mut self, ev: CheckEvent) {
        if self.run == Run::Stopped {
            return;
        }
        match ev {
            CheckEvent::Started { planned } => {
                self.grid = Grid::planned(planned);
                self.run = Run::Running;
            }
            CheckEvent::Probe { result } => {
                self.grid.record(result);
                self.run = Run::Running;
            }
            CheckEvent::Concluded { conclusion } => self.conclusion = Some(conclusion),
            CheckEvent::Done { report } => {
                // The report is the truth: rebuild the grid from it, keeping
                // the planned order for cells that are already there.
                for p in &report.probes {
                    if !self
                        .grid
                        .cell(&p.spec.host, p.spec.port, p.spec.family)
                        .is_some_and(|c| c.results.contains(p))
                    {
                        self.grid.record(p.clone());
                    }
                }
                self.grid.order_as_planned(&report.options);
                self.conclusion = Some(conclusion_of(&report));
                self.report = Some(report);
                self.run = Run::Done;
            }
            CheckEvent::Failed { message, .. } => self.run = Run::Failed(message),
        }
    }
}

impl State {
    /// The agent went away mid-check: say so (no green "Connected"), and
    /// judge what finished as a partial result that can be shared, clearly
    /// marked in its headline.
    fn lost(&mut self, now_ms: u64) {
        if !self.busy() {
            return;
        }
        let version = match &self.agent {
            Agent::Found { health, .. } => health.agent_version.clone(),
            _ => String::new(),
        };
        if let Agent::Found { base, .. } = &self.agent {
            self.agent = Agent::Stopped { base: base.clone() };
        }
        self.run = Run::Lost;
        let probes: Vec<ProbeResult> = self
            .grid
            .cells
            .iter()
            .flat_map(|c| c.results.iter().cloned())
            .collect();
        if probes.is_empty() {
            return;
        }
        let (done, total) = self.grid.progress();
        let mut c = Conclusion::from_probes(&probes, &Default::default());
        c.headline = partial_headline(done, total, &c.headline);
        let options = self.form.options().unwrap_or_default();
        self.report = Some(Box::new(Report {
            schema_version: mailport_shared::SCHEMA_VERSION,
            tool_version: if version.is_empty() {
                PAGE_VERSION.into()
            } else {
                version
            },
            started_at_ms: now_ms,
            duration_ms: 0,
            options,
            probes,
            verdicts: c.verdicts.clone(),
            headline: c.headline.clone(),
            advice: c.advice.clone(),
            network: None,
            controls: Vec::new(),
            inbound: None,
        }));
        self.conclusion = Some(c);
    }
}

/// The headline of a partial result: marked first, in the headline itself,
/// so that a share link of it says so wherever it is opened.
pub fn partial_headline(done: usize, total: usize, headline: &str) -> String {
    format!("Partial result: the agent stopped after {done} of {total} probes. {headline}")
}

/// Whether a headline is [`partial_headline`]'s.
pub fn is_partial(headline: &str) -> bool {
    headline.starts_with("Partial result: the agent stopped after ")
}

/// The command that starts the agent again on the port it was on.
pub fn restart_command(base: &str) -> String {
    let port = base
        .rsplit_once(':')
        .and_then(|(_, p)| p.trim_end_matches('/').parse::<u16>().ok());
    match port {
        Some(p) if p != DEFAULT_PORT => format!("mailport serve --port {p}"),
        _ => "mailport".into(),
    }
}

/// The verdicts, headline and advice a finished report carries: what the
/// page shows of a live check's report and of a shared one.
pub fn conclusion_of(report: &Report) -> Conclusion {
    Conclusion {
        verdicts: report.verdicts.clone(),
        headline: report.headline.clone(),
        advice: report.advice.clone(),
    }
}

/// What a copy button says after a click: only the button whose text was
/// the last one copied (`copied`, from [`State::copied`]) says anything.
pub fn copy_note(copied: Option<&(String, bool)>, text: &str) -> &'static str {
    match copied.filter(|(t, _)| t == text).map(|(_, ok)| *ok) {
        Some(true) => "Copied to the clipboard.",
        Some(false) => "The browser did not allow copying: select the text and copy it by hand.",
        None => "",
    }
}

/// A Unix time in ms as `2026-11-22 22:30 UTC`: pure, so shared views read
/// the same in every time zone and in tests.
pub fn utc_datetime(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::advice::Context;
    use mailport_shared::Timings;

    fn loc(origin: &str, host: &str) -> Location {
        Location {
            origin: origin.into(),
            hostname: host.into(),
            page_url: format!("{origin}/"),
            configured_share_base: None,
        }
    }

    #[test]
    fn share_links_never_point_at_this_machine() {
        let with = |origin: &str, host: &str, meta: Option<&str>| Location {
            configured_share_base: meta.map(str::to_string),
            ..loc(origin, host)
        };
        let public = format!("{PUBLIC_PAGE_ORIGIN}/");
        let table: &[(Location, &str)] = &[
            // Served by the agent: the public copy, or the configured one.
            (with("http://127.0.0.1:7525", "127.0.0.1", None), &public),
            (with("http://[::1]:7525", "[::1]", None), &public),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some(" https://mail.example.org/check/ "),
                ),
                "https://mail.example.org/check/",
            ),
            // A meta tag that would point back at this machine, or is not a
            // web address, is ignored.
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://localhost:7525/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://127.0.0.2/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://[::1]:80/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("javascript:alert(1)"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("https://user@evil.example/"),
                ),
                &public,
            ),
            (
                with("http://127.0.0.1:7525", "127.0.0.1", Some("")),
                &public,
            ),
            // A page on the web links to itself, whatever its meta says.
            (
                with(
                    "https://mail.example.org",
                    "mail.example.org",
                    Some("https://other.example/"),
                ),
                "https://mail.example.org/",
            ),
        ];
        for (location, want) in table {
            assert_eq!(location.share_base(), *want, "{location:?}");
        }
    }

    fn spec(host: &str, port: u16, family: Family) -> ProbeSpec {
        ProbeSpec {
            host: host.into(),
            role: Role::RecipientMx,
            port,
            family,
            expected: true,
        }
    }

    fn result(host: &str, port: u16, outcome: Outcome) -> ProbeResult {
        ProbeResult {
            spec: spec(host, port, Family::Ipv4),
            address: "192.0.2.1".parse().ok(),
            outcome,
            timings: Timings::default(),
        }
    }

    /// A finished report of these probes with this headline, and nothing
    /// else.
    fn report(probes: Vec<ProbeResult>, headline: &str) -> Report {
        Report {
            schema_version: 1,
            tool_version: "0.1.0".into(),
            started_at_ms: 0,
            duration_ms: 10,
            options: CheckOptions::default(),
            probes,
            verdicts: vec![],
            headline: headline.into(),
            advice: vec![],
            network: None,
            inbound: None,
            controls: Vec::new(),
        }
    }

    #[test]
    fn fragment_parsing() {
        let f = Fragment::parse("#agent=7600&token=abc123&targets=127.77.0.1%20mx,127.77.0.2+submission&ports=25,587&families=4");
        assert_eq!(f.agent_port, Some(7600));
        assert_eq!(f.token.as_deref(), Some("abc123"));
        assert_eq!(
            f.targets.as_deref(),
            Some("127.77.0.1 mx,127.77.0.2 submission")
        );
        assert_eq!(Fragment::parse("agent=0&token=").agent_port, None);
        assert_eq!(Fragment::parse("agent=0&token=").token, None);
        assert_eq!(
            Fragment::parse("%&=&r=%zz%4").report.as_deref(),
            Some("%zz%4")
        );
        assert_eq!(
            Fragment::without_token("#agent=7600&token=abc&ports=25"),
            "agent=7600&ports=25"
        );
        let form = Form::from_fragment(&f);
        assert_eq!(form.ports, vec![25, 587]);
        assert!(form.ipv4 && !form.ipv6);
        assert_eq!(form.targets, "127.77.0.1 mx\n127.77.0.2 submission");
    }

    #[test]
    fn agent_candidates() {
        let public = loc("https://mailport.github.io", "mailport.github.io");
        let local = loc("http://127.0.0.1:7600", "127.0.0.1");
        assert_eq!(
            Fragment::default().agent_candidates(&public),
            vec!["http://127.0.0.1:7525"]
        );
        assert_eq!(
            Fragment::default().agent_candidates(&local),
            vec!["http://127.0.0.1:7600", "http://127.0.0.1:7525"]
        );
        let f = Fragment::parse("agent=9000");
        assert_eq!(f.agent_candidates(&local), vec!["http://127.0.0.1:9000"]);
        // A public page waits for a click; a loopback page looks at once.
        assert!(matches!(
            State::new(public, &Fragment::default(), None).agent,
            Agent::NeedsClick { .. }
        ));
        assert_eq!(
            State::new(local, &Fragment::default(), None).agent,
            Agent::Detecting
        );
    }

    #[test]
    fn form_validation_uses_shared_rules() {
        let mut form = Form {
            domain: "exa mple.org".into(),
            ..Form::default()
        };
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Domain,
                message: "\"exa mple.org\" is not a valid host name: only letters, digits, hyphens and dots are allowed.".into()
            }
        );
        form.domain = "example.org".into();
        // Inbound needs a reflector to call back: the error points there.
        form.inbound = true;
        assert_eq!(
            form.options().unwrap_err().field,
            Field::ReflectorHost,
            "inbound without a reflector"
        );
        form.inbound = false;
        let o = form.options().unwrap();
        assert_eq!(o.domain.as_deref(), Some("example.org"));
        assert!(!o.targets.is_empty(), "defaults kept beside the domain");
        form.ports.clear();
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Ports,
                message: "Choose at least one port.".into()
            }
        );
        form.ports = vec![587, 25];
        form.ipv4 = false;
        form.ipv6 = false;
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Families,
                message: "Choose at least one of IPv4 and IPv6.".into()
            }
        );
        form.ipv4 = true;
        assert_eq!(form.options().unwrap().ports, vec![25, 587]);
        form.targets = "127.77.0.1 mx\n\n mail.example.org submission\n".into();
        let o = form.options().unwrap();
        assert_eq!(
            o.targets,
            vec![
                Target::new("127.77.0.1", Role::RecipientMx),
                Target::new("mail.example.org", Role::Submission)
            ]
        );
        for (targets, words) in [
            ("a.example bogus", "unknown role \"bogus\""),
            ("a.example mx extra", "one host per line"),
            ("a..example", "empty label"),
        ] {
            form.targets = targets.into();
            let e = form.options().unwrap_err();
            assert_eq!(e.field, Field::Targets, "{targets}");
            assert!(e.message.contains(words), "{targets}: {}", e.message);
        }
        // A fieldset's error focuses its first box.
        assert_eq!(Field::Ports.focus_id(), "port-25");
        assert_eq!(Field::Domain.focus_id(), "domain");
    }

    #[test]
    fn reflector_fields_use_the_shared_rules() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        assert_eq!(s.form.options().unwrap().reflector, None, "optional");
        s.apply(Action::ReflectorHost(" Reflector.Example.org ".into()));
        assert_eq!(
            s.form.options().unwrap_err(),
            FormError {
                field: Field::ReflectorKey,
                message: "Give both the reflector's host and its public key, or neither.".into()
            }
        );
        s.apply(Action::FormError(FormError {
            field: Field::Domain,
            message: "x".into(),
        }));
        s.apply(Action::ReflectorKey("not a key".into()));
        assert_eq!(s.form.error, None, "typing clears the error");
        assert_eq!(
            s.form.options().unwrap_err(),
            FormError {
                field: Field::ReflectorKey,
                message: "\"not a key\" is not a reflector public key: give the 64 hex digits or the base64 printed by `mailport reflect --gen-key`.".into()
            }
        );
        s.apply(Action::ReflectorKey("AB".repeat(32)));
        s.apply(Action::Inbound(true));
        assert!(
            s.form.options().unwrap().inbound,
            "inbound asked with a reflector"
        );
        let r = s.form.options().unwrap().reflector.expect("a reflector");
        assert_eq!(r.host, "reflector.example.org");
        assert_eq!(r.public_key, "ab".repeat(32));
        s.apply(Action::ReflectorHost("r..example".into()));
        let e = s.form.options().unwrap_err();
        assert_eq!(e.field, Field::ReflectorHost);
        assert!(e.message.contains("empty label"));
        // Only the key given: the host is what is missing.
        s.apply(Action::ReflectorHost(String::new()));
        assert_eq!(s.form.options().unwrap_err().field, Field::ReflectorHost);
    }

    #[test]
    fn events_fill_the_grid() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        s.apply(Action::Starting);
        assert_eq!(s.run, Run::Starting);
        let planned = vec![
            spec("mx1.example", 25, Family::Ipv4),
            spec("mx1.example", 25, Family::Ipv6),
            spec("mx2.example", 25, Family::Ipv4),
            spec("mx2.example", 587, Family::Ipv4),
        ];
        s.apply(Action::Event(Box::new(CheckEvent::Started { planned })));
        assert_eq!(s.run, Run::Running);
        assert_eq!(s.grid.progress(), (0, 4));
        assert_eq!(
            s.grid
                .rows()
                .iter()
                .map(|r| r.0.as_str())
                .collect::<Vec<_>>(),
            vec!["mx1.example", "mx2.example"]
        );
        assert_eq!(
            s.grid.columns(),
            vec![(25, Family::Ipv4), (25, Family::Ipv6), (587, Family::Ipv4)]
        );
        let pending = s.grid.cell("mx1.example", 25, Family::Ipv4).unwrap();
        assert_eq!(
            (pending.tone(), pending.label().as_str()),
            (Tone::Pending, "testing…")
        );

        let r1 = result("mx1.example", 25, Outcome::Filtered);
        let r2 = result("mx2.example", 25, Outcome::Refused);
        for r in [&r1, &r2] {
            s.apply(Action::Event(Box::new(CheckEvent::Probe {
                result: r.clone(),
            })));
        }
        assert_eq!(s.grid.progress(), (2, 4));
        let c = s.grid.cell("mx1.example", 25, Family::Ipv4).unwrap();
        assert_eq!((c.tone(), c.label().as_str()), (Tone::Bad, "timed out"));
        assert!(s.grid.cell("mx1.example", 587, Family::Ipv4).is_none());

        let conclusion = Conclusion::from_probes(&[r1.clone(), r2.clone()], &Context::default());
        s.apply(Action::Event(Box::new(CheckEvent::Concluded {
            conclusion: conclusion.clone(),
        })));
        assert_eq!(s.conclusion.as_ref(), Some(&conclusion));
        let report = Report {
            verdicts: conclusion.verdicts.clone(),
            advice: conclusion.advice.clone(),
            ..report(vec![r1, r2], &conclusion.headline)
        };
        s.apply(Action::Event(Box::new(CheckEvent::Done {
            report: Box::new(report.clone()),
        })));
        assert_eq!(s.run, Run::Done);
        assert_eq!(s.report.as_deref(), Some(&report));
        // Done does not duplicate results already recorded.
        assert_eq!(
            s.grid
                .cell("mx1.example", 25, Family::Ipv4)
                .unwrap()
                .results
                .len(),
            1
        );
        // A new check clears the old one.
        s.apply(Action::Starting);
        assert!(s.grid.cells.is_empty() && s.conclusion.is_none() && s.report.is_none());
        s.apply(Action::Event(Box::new(CheckEvent::Failed {
            code: "busy".into(),
            message: "another check is running".into(),
        })));
        assert_eq!(s.run, Run::Failed("another check is running".into()));
    }

    #[test]
    fn stopping_a_check() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        s.apply(Action::Stopped);
        assert_eq!(s.run, Run::Idle, "nothing to stop");
        s.apply(Action::Starting);
        s.apply(Action::Stopped);
        assert_eq!(s.run, Run::Stopped);
        assert!(!s.busy());
        // The aborted stream's error and late events change nothing.
        s.apply(Action::Failed("The user aborted a request.".into()));
        s.apply(Action::Event(Box::new(CheckEvent::Started {
            planned: vec![spec("a.example", 25, Family::Ipv4)],
        })));
        assert_eq!(s.run, Run::Stopped);
        assert!(s.grid.cells.is_empty());
        s.apply(Action::Copied {
            text: "https://x.example/#r=2.abc".into(),
            ok: true,
        });
        assert_eq!(
            copy_note(s.copied.as_ref(), "https://x.example/#r=2.abc"),
            "Copied to the clipboard."
        );
        assert_eq!(copy_note(s.copied.as_ref(), "another text"), "");
        s.apply(Action::Redact(RedactOptions::default()));
        assert_eq!(s.copied, None, "a new link is not copied yet");
        s.apply(Action::Copied {
            text: "cmd".into(),
            ok: false,
        });
        assert!(copy_note(s.copied.as_ref(), "cmd").contains("by hand"));
    }

    #[test]
    fn best_result_sets_the_tone() {
        let mut g = Grid::default();
        g.record(result("a.example", 25, Outcome::Refused));
        g.record(result("a.example", 25, Outcome::Silent));
        let c = g.cell("a.example", 25, Family::Ipv4).unwrap();
        assert_eq!(c.tone(), Tone::Odd);
        assert_eq!(c.label(), "refused / no greeting");
        for t in [
            Tone::Pending,
            Tone::Good,
            Tone::Bad,
            Tone::Odd,
            Tone::Neutral,
        ] {
            assert!(!t.symbol().is_empty() && !t.class().is_empty());
        }
    }

    /// A reflector's greeting reads by its proof: without the signature it
    /// is not a good sign (something else answered), and a busy reflector
    /// says nothing; a mail server's greeting stays good.
    #[test]
    fn a_reflector_greeting_reads_by_its_proof() {
        use mailport_shared::outcome::{EhloOutcome, Reply, SmtpExchange};
        use mailport_shared::reflector::ReflectorProof;
        let greeting = |status: Option<ProofStatus>| {
            Outcome::Banner(SmtpExchange {
                greeting: Reply {
                    code: 220,
                    lines: vec!["reflector.example ESMTP".into()],
                },
                ehlo: EhloOutcome::NotSent,
                implicit_tls: false,
                tls: None,
                reflector: status.map(|status| {
                    Box::new(ReflectorProof {
                        status,
                        detail: String::new(),
                        seen_address: None,
                        seen_port: None,
                        listening: Vec::new(),
                        local_address: None,
                        public_address: None,
                    })
                }),
            })
        };
        for (status, tone) in [
            (None, Tone::Good),
            (Some(ProofStatus::Genuine), Tone::Good),
            (Some(ProofStatus::Unverified), Tone::Odd),
            (Some(ProofStatus::Busy), Tone::Neutral),
        ] {
            assert_eq!(Tone::of(&greeting(status)), tone, "{status:?}");
        }
    }

    #[test]
    fn shared_links_open_or_explain() {
        let report = Report {
            started_at_ms: 1_790_000_000_000,
            ..report(vec![], "Port 25 was not tested.")
        };
        let enc = mailport_shared::share::encode(&report);
        let l = loc("https://mailport.github.io", "mailport.github.io");
        let s = State::new(l.clone(), &Fragment::parse(&format!("r={enc}")), None);
        assert_eq!(s.shared, Some(Shared::Report(Box::new(report))));
        let s = State::new(
            l,
            &Fragment::parse(&format!("r={}", &enc[..enc.len() / 2])),
            None,
        );
        match s.shared {
            Some(Shared::Broken(msg)) => assert!(msg.starts_with("This link is incomplete")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_host_typed_twice_is_one_cell() {
        let spec = |role| ProbeSpec {
            host: "mx.example".into(),
            role,
            port: 25,
            family: Family::Ipv4,
            expected: true,
        };
        let g = Grid::planned(vec![spec(Role::RecipientMx), spec(Role::OwnHost)]);
        assert_eq!(g.progress(), (0, 1));
    }

    #[test]
    fn partial_results_are_marked() {
        let h = partial_headline(3, 22, "Port 25 was not tested.");
        assert!(is_partial(&h), "{h}");
        assert!(!is_partial("Port 25 was not tested."));
    }

    #[test]
    fn restart_commands_name_the_port() {
        for (base, want) in [
            ("http://127.0.0.1:7525", "mailport"),
            ("http://127.0.0.1:8125", "mailport serve --port 8125"),
            ("http://127.0.0.1:8125/", "mailport serve --port 8125"),
            ("http://[::1]:9000", "mailport serve --port 9000"),
            ("nonsense", "mailport"),
        ] {
            assert_eq!(restart_command(base), want, "{base}");
        }
    }

    /// A link pasted over a shown result replaces it; a fragment without a
    /// result goes back to the page's own view.
    #[test]
    fn a_pasted_link_replaces_what_is_shown() {
        let a = mailport_shared::sample::sample_report();
        let b = Report {
            started_at_ms: 1_790_000_000_000,
            ..report(vec![], "Port 25 was not tested.")
        };
        let l = loc("https://mailport.github.io", "mailport.github.io");
        let mut s = State::new(
            l,
            &Fragment::parse(&format!("r={}", mailport_shared::share::encode(&a))),
            None,
        );
        assert_eq!(s.shared, Some(Shared::Report(Box::new(a.clone()))));
        assert!(!s.shared_short);
        s.apply(Action::Hash(format!(
            "#r={}",
            mailport_shared::share::encode_short(&b)
        )));
        match &s.shared {
            Some(Shared::Report(r)) => assert_eq!(r.headline, b.headline),
            other => panic!("{other:?}"),
        }
        assert!(s.shared_short);
        s.apply(Action::Hash("#r=2.broken".into()));
        assert!(matches!(s.shared, Some(Shared::Broken(_))));
        s.apply(Action::Hash(String::new()));
        assert_eq!(s.shared, None);
        assert!(!s.shared_short);
    }

    fn found(version: &str, api: u32) -> Agent {
        Agent::Found {
            base: "http://127.0.0.1:7525".into(),
            health: Health {
                agent_version: version.into(),
                api_version: api,
                capabilities: mailport_shared::api::Capabilities {
                    ipv6: false,
                    tls: true,
                },
            },
            same_origin: true,
        }
    }

    #[test]
    fn outdated_agent() {
        assert_eq!(
            found("0.0.9", 0).outdated(),
            Some(Outdated {
                agent_version: "0.0.9".into(),
                older_api: true
            })
        );
        assert_eq!(found(PAGE_VERSION, API_VERSION).outdated(), None);
        // Same API, older release: still said, less strongly.
        let old = found("0.0.1", API_VERSION).outdated().expect("older");
        assert!(!old.older_api);
        assert!(old.message().starts_with(&format!(
            "This mailport agent is version 0.0.1, older than this page ({PAGE_VERSION}): some results"
        )));
        // A health answer without a version (read leniently).
        let unknown = found("", 0).outdated().expect("older");
        assert!(unknown.message().contains("does not say its version"));
        assert!(unknown.message().contains("checks may fail"));
        // A newer agent is not "outdated".
        assert_eq!(found("99.0.0", API_VERSION).outdated(), None);
    }

    #[test]
    fn versions_compare_as_numbers() {
        for (a, b, older) in [
            ("0.0.9", "0.1.0", true),
            ("0.1.0", "0.1.0", false),
            ("0.1", "0.1.0", false),
            ("0.9.0", "0.10.0", true),
            ("0.10.0", "0.9.0", false),
            ("v0.1.0", "0.1.1", true),
            ("0.1.0-beta.1", "0.1.0", false),
            ("1.0.0", "0.9.9", false),
            ("", "0.1.0", true),
            ("dev", "0.1.0", true),
        ] {
            assert_eq!(version_older(a, b), older, "{a} < {b}");
        }
    }

    #[test]
    fn the_agents_own_page_follows_the_port() {
        let public = loc("https://mailport.github.io", "mailport.github.io");
        let with_port = State::new(public.clone(), &Fragment::parse("agent=7600"), None);
        assert_eq!(with_port.agent.own_page(), "http://127.0.0.1:7600/");
        let default = State::new(public, &Fragment::default(), None);
        assert_eq!(default.agent.own_page(), "http://127.0.0.1:7525/");
        let missing = Agent::Missing {
            tried: vec!["http://127.0.0.1:9000".into()],
            blocked: true,
        };
        assert_eq!(missing.own_page(), "http://127.0.0.1:9000/");
        assert_eq!(Agent::Detecting.own_page(), "http://127.0.0.1:7525/");
    }

    #[test]
    fn an_unreadable_answer_is_not_a_missing_agent() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        s.apply(Action::AgentUnreadable {
            base: "http://127.0.0.1:7525".into(),
            detail: "invalid type".into(),
        });
        assert!(matches!(s.agent, Agent::Unreadable { .. }));
        assert_eq!(s.agent.outdated(), None);
    }

    #[test]
    fn the_answer_is_announced() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        assert_eq!(s.announcement(), "");
        s.apply(Action::Starting);
        assert_eq!(s.announcement(), "The check started.");
        s.apply(Action::Event(Box::new(CheckEvent::Started {
            planned: vec![spec("a.example", 25, Family::Ipv4)],
        })));
        assert_eq!(s.announcement(), "");
        let r = result("a.example", 25, Outcome::Filtered);
        let report = report(
            vec![r.clone()],
            "Outgoing port 25 is silently dropped on IPv4.",
        );
        s.apply(Action::Event(Box::new(CheckEvent::Done {
            report: Box::new(report),
        })));
        assert_eq!(
            s.announcement(),
            "Result: Outgoing port 25 is silently dropped on IPv4."
        );
    }

    /// A shared report lists its probes in the order they finished; its
    /// grid lists the hosts in the order the check planned them.
    #[test]
    fn rows_follow_the_plan_not_the_finish() {
        let r = |host: &str, role: Role, port: u16| ProbeResult {
            spec: ProbeSpec {
                role,
                ..spec(host, port, Family::Ipv4)
            },
            ..result(host, port, Outcome::Refused)
        };
        let report = Report {
            options: CheckOptions {
                domain: Some("own.example".into()),
                targets: vec![
                    Target::new("[ip-1]", Role::RecipientMx),
                    Target::new("[ip-2]", Role::RecipientMx),
                    Target::new("[ip-3]", Role::Submission),
                ],
                ..CheckOptions::default()
            },
            ..report(
                vec![
                    r("reflector.example", Role::Reflector, 25),
                    r("[ip-3]", Role::Submission, 587),
                    r("mx.own.example", Role::RecipientMx, 25),
                    r("[ip-2]", Role::RecipientMx, 25),
                    r("[ip-3]", Role::Submission, 25),
                    r("[ip-1]", Role::RecipientMx, 25),
                ],
                "",
            )
        };
        let g = Grid::from_report(&report);
        let rows: Vec<String> = g.rows().into_iter().map(|(h, _)| h).collect();
        assert_eq!(
            rows,
            [
                "[ip-1]",
                "[ip-2]",
                "[ip-3]",
                "mx.own.example",
                "reflector.example"
            ]
        );
        assert_eq!(g.columns(), vec![(25, Family::Ipv4), (587, Family::Ipv4)]);
        // Without targets, the well-known defaults are the plan.
        let defaults = Report {
            options: CheckOptions::default(),
            probes: vec![
                r("portquiz.net", Role::PortEcho, 25),
                r("gmail-smtp-in.l.google.com", Role::RecipientMx, 25),
            ],
            ..report
        };
        let rows: Vec<String> = Grid::from_report(&defaults)
            .rows()
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        assert_eq!(rows, ["gmail-smtp-in.l.google.com", "portquiz.net"]);
    }

    #[test]
    fn dates() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_datetime(1_790_000_000_000), "2026-09-21 14:13 UTC");
        assert_eq!(utc_datetime(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
