//! Redaction: a copy of a report with addresses and/or host names replaced
//! by stable placeholders, so a result can be shown in public. It is apart
//! from the link codec because it judges text (what looks like a name, which
//! names every user shares), while the codec only moves bytes.

use crate::knowledge::PROVIDERS;
use crate::netinfo::{embeds_ip, has_dotted_quad};
use crate::report::Report;
use crate::target::DEFAULT_TARGETS;
use std::collections::HashMap;
use std::net::IpAddr;
use thiserror::Error;

/// What to hide before sharing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedactOptions {
    /// Replace every IP address with `[ip-N]` (and drop probe addresses),
    /// and hide every name that spells one out (`c-203-0-113-9.example`,
    /// `9.113.0.203.in-addr.arpa`).
    pub ip: bool,
    /// Replace every host name with `host-N`, except the names that are the
    /// same for every user and reveal nothing: the well-known default
    /// targets, and the relays and domains of the knowledge base, which the
    /// advice needs ("send through smtp.comcast.net").
    pub hosts: bool,
}

/// A report that could not be redacted. A redacted text put where the
/// report's type holds no text (an address field that [`redact`] did not
/// clear first) would make the report unreadable; the page then offers no
/// link at all, rather than an unredacted or an emptied one.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("mailport could not hide what you asked in this result ({0}), so it offers no link for it. Please report this as a bug")]
pub struct RedactError(String);

/// Returns a copy of `report` with IP addresses and/or host names replaced
/// in every string it holds: options, probe hosts, greetings, EHLO lines, TLS
/// names, verdict and advice texts, evidence.
///
/// Placeholders are stable within one report (the same host is `host-2`
/// everywhere), so the report still reads consistently: "host-1 greets as
/// host-3" keeps its meaning.
pub fn redact(report: &Report, opts: RedactOptions) -> Result<Report, RedactError> {
    if !opts.ip && !opts.hosts {
        return Ok(report.clone());
    }
    let mut redactor = Redactor::new(opts);
    let mut report = report.clone();
    if opts.ip {
        // A first pass over everything, typed fields included, learns every
        // address the report holds; its output is thrown away. The real pass
        // then also hides the names that spell one of them out, whether or
        // not the network facts were gathered.
        let mut all = to_value(&report)?;
        redactor.walk(&mut all);
        redactor.hosts.clear();
        // The public address's reverse DNS names: they may name the line
        // without its digits (`mail.smith-family.example`).
        if let Some(network) = &report.network {
            redactor.hidden_names.extend(
                [&network.reverse_dns_v4, &network.reverse_dns_v6]
                    .into_iter()
                    .filter_map(|f| f.found())
                    .map(|p| p.name.trim_end_matches('.').to_ascii_lowercase())
                    .filter(|n| !n.is_empty()),
            );
        }
        // A typed field that cannot hold a placeholder: the address goes.
        for p in &mut report.probes {
            p.address = None;
            if let Some(proof) = p.outcome.reflector_proof_mut() {
                proof.seen_address = None;
                proof.local_address = None;
                proof.public_address = None;
            }
        }
        for c in &mut report.controls {
            c.address = None;
        }
        if let Some(network) = &mut report.network {
            network.redact_addresses();
        }
    }
    let mut value = to_value(&report)?;
    redactor.walk(&mut value);
    rebuild(value)
}

fn to_value(report: &Report) -> Result<serde_json::Value, RedactError> {
    super::json::to_value(report).map_err(|e| RedactError(e.to_string()))
}

/// The redacted JSON as a report again. Every text field of [`Report`] is a
/// free `String`, so replacing text keeps it valid; a typed field that got a
/// placeholder is an error, never a silently emptied report.
pub(super) fn rebuild(value: serde_json::Value) -> Result<Report, RedactError> {
    super::json::from_value(&value).map_err(|e| RedactError(e.to_string()))
}

/// Whether `c` can be part of an address or a name: letters and digits
/// (Unicode ones too, for internationalised names), `.`, `-` and `:`.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | ':')
}

pub(super) struct Redactor {
    opts: RedactOptions,
    ips: HashMap<IpAddr, usize>,
    hosts: HashMap<String, usize>,
    /// Names replaced by [`crate::netinfo::HIDDEN`] wherever they appear.
    hidden_names: Vec<String>,
    /// Names that stay (lowercase): see [`public_names`].
    public: Vec<String>,
}

impl Redactor {
    pub(super) fn new(opts: RedactOptions) -> Redactor {
        Redactor {
            opts,
            ips: HashMap::new(),
            hosts: HashMap::new(),
            hidden_names: Vec::new(),
            public: public_names(),
        }
    }

    fn walk(&mut self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => *s = self.text(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.walk(x)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| self.walk(x)),
            _ => {}
        }
    }

    /// Rewrites one string: splits it into runs of characters that can
    /// form addresses and names, and replaces the runs that are ones.
    pub(super) fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut token = String::new();
        for c in s.chars() {
            if is_name_char(c) {
                token.push(c);
            } else {
                self.flush(&mut token, &mut out);
                out.push(c);
            }
        }
        self.flush(&mut token, &mut out);
        out
    }

    fn flush(&mut self, token: &mut String, out: &mut String) {
        if !token.is_empty() {
            out.push_str(&self.token(token));
            token.clear();
        }
    }

    fn token(&mut self, token: &str) -> String {
        let (head, core, tail) = split_punct(token);
        // `IPv6:2001:db8::5` is how SMTP writes an IPv6 address literal.
        let (tag, bare) = match core.get(..5) {
            Some(t) if t.eq_ignore_ascii_case("ipv6:") => core.split_at(5),
            _ => ("", core),
        };
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return format!("{head}{tag}{}{tail}", self.ip(ip, bare));
        }
        if core.contains(':') {
            // `host:port`, `a:b`: judge each part alone.
            return token
                .split(':')
                .map(|part| self.token(part))
                .collect::<Vec<_>>()
                .join(":");
        }
        if self.opts.ip && self.names_an_address(core) {
            return format!("{head}{}{tail}", crate::netinfo::HIDDEN);
        }
        if self.opts.hosts && looks_like_host(core) && !self.is_public(core) {
            let n = self.hosts.len() + 1;
            let n = *self.hosts.entry(core.to_ascii_lowercase()).or_insert(n);
            return format!("{head}host-{n}{tail}");
        }
        token.to_string()
    }

    fn ip(&mut self, ip: IpAddr, original: &str) -> String {
        if !self.opts.ip || crate::text::OWN_WORDS_ADDRESSES.contains(&ip) {
            return original.to_string();
        }
        let n = self.ips.len() + 1;
        let n = *self.ips.entry(ip).or_insert(n);
        format!("[ip-{n}]")
    }

    /// Whether a run that is not an address still gives one away: a hidden
    /// reverse DNS name, four numbers in a row (`ip-203-0-113-9`,
    /// `9.113.0.203.in-addr.arpa`), or any form of an address this report
    /// holds (dashed, reversed, hex, `ip6.arpa` nibbles).
    fn names_an_address(&self, core: &str) -> bool {
        let name = core.to_ascii_lowercase();
        self.hidden_names.contains(&name)
            || has_dotted_quad(&name)
            || self.ips.keys().any(|ip| embeds_ip(&name, *ip))
    }

    fn is_public(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.public.contains(&host)
    }
}

/// Names that are the same in every user's report and that the advice
/// needs, so hiding server names keeps them (lowercase): the default
/// targets, and every name the knowledge base gives (relays such as
/// `smtp.comcast.net`, domains its notes mention such as `comcast.net`).
pub(super) fn public_names() -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_TARGETS
        .iter()
        .map(|d| d.host.to_ascii_lowercase())
        .collect();
    for p in PROVIDERS {
        let texts = [p.name, p.unblock.text(), p.scope, p.note]
            .into_iter()
            .chain(p.relay.map(|r| r.host));
        for text in texts {
            for run in text.split(|c: char| !is_name_char(c)) {
                let (_, core, _) = split_punct(run);
                if looks_like_host(core) {
                    names.push(core.to_ascii_lowercase());
                }
            }
        }
    }
    crate::small_sort::sort(&mut names);
    names.dedup();
    names
}

/// Splits punctuation off both ends of a run: `mx.example.org.` is the name
/// `mx.example.org` at the end of a sentence, `*.example.org` a wildcard
/// whose run starts with a dot. Leading colons stay: `::1` is an address.
fn split_punct(token: &str) -> (&str, &str, &str) {
    let start = token.len() - token.trim_start_matches(['.', '-']).len();
    let (head, rest) = token.split_at(start);
    let core = rest.trim_end_matches(['.', '-', ':']);
    (head, core, &rest[core.len()..])
}

/// A DNS name with at least two labels whose last label is a top-level
/// domain (letters, or an internationalised `xn--` one): `mx.example.org`,
/// `mx.example.xn--p1ai`, `почта.пример.рф`, not `TLSv1.3`, `0.1.0` or `e.g`.
fn looks_like_host(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 || s.len() > 253 {
        return false;
    }
    let tld = labels.last().copied().unwrap_or_default();
    let tld_ok = (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        || tld
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--") && tld.len() > 4);
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}
