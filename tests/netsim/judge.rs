//! What a scenario expects, checked against a report: the selectors
//! (`PORT[/FAMILY][@HOST]`) of `scenarios.toml` and the comparison.

use crate::scenario::Scenario;
use anyhow::{bail, Context, Result};
use mailport_shared::reflector::AddressCheck;
use mailport_shared::{Outcome, Report, Role};
use serde_json::Value;

/// The families a selector without one stands for: both.
const FAMILIES: [&str; 2] = ["ipv4", "ipv6"];

/// `PORT[/FAMILY][@HOST]` selector.
#[derive(Clone)]
struct Sel {
    port: u16,
    family: Option<String>,
    host: Option<String>,
}

impl Sel {
    /// One selector per family it stands for: a selector without a family
    /// must hold on both, each on its own.
    fn per_family(&self) -> Vec<Sel> {
        match &self.family {
            Some(_) => vec![self.clone()],
            None => FAMILIES
                .iter()
                .map(|f| Sel {
                    family: Some(f.to_string()),
                    ..self.clone()
                })
                .collect(),
        }
    }

    fn show(&self) -> String {
        let mut s = self.port.to_string();
        if let Some(f) = &self.family {
            s.push('/');
            s.push_str(f);
        }
        if let Some(h) = &self.host {
            s.push('@');
            s.push_str(h);
        }
        s
    }
}

fn parse_sel(s: &str) -> Result<Sel> {
    let (rest, host) = match s.split_once('@') {
        Some((r, h)) => (r, Some(h.to_string())),
        None => (s, None),
    };
    let (port, family) = match rest.split_once('/') {
        Some((p, f)) if FAMILIES.contains(&f) => (p, Some(f.to_string())),
        Some((_, f)) => bail!("unknown family {f} in {s}"),
        None => (rest, None),
    };
    Ok(Sel {
        port: port.parse().with_context(|| format!("bad port in {s}"))?,
        family,
        host,
    })
}

fn parse_line(line: &str) -> Result<(Sel, String)> {
    let (sel, kind) = line
        .split_once(' ')
        .with_context(|| format!("expected \"SELECTOR KIND\": {line}"))?;
    Ok((parse_sel(sel)?, kind.trim().to_string()))
}

fn matches(sel: &Sel, v: &Value) -> bool {
    v["port"].as_u64() == Some(u64::from(sel.port))
        && sel
            .family
            .as_deref()
            .is_none_or(|f| v["family"].as_str() == Some(f))
        && sel
            .host
            .as_deref()
            .is_none_or(|h| v["host"].as_str() == Some(h))
}

/// The verdict kind as written in scenarios: `kind` or `not_testable:reason`.
pub fn verdict_kind(v: &Value) -> String {
    let kind = v["verdict"]["kind"].as_str().unwrap_or("?");
    match v["verdict"]["reason"].as_str() {
        Some(r) => format!("{kind}:{r}"),
        None => kind.to_string(),
    }
}

/// The reflector proof status of a probe, if any.
pub fn proof_status(p: &Value) -> Option<&str> {
    p["outcome"]["reflector"]["status"].as_str()
}

/// The name of an address check, as scenarios write it.
fn address_check_name(c: AddressCheck) -> &'static str {
    match c {
        AddressCheck::Unknown => "unknown",
        AddressCheck::Direct => "direct",
        AddressCheck::PublicAddress => "public_address",
        AddressCheck::Translated => "translated",
        AddressCheck::Rewritten => "rewritten",
    }
}

/// For each line of `lines`, per family it stands for: `items` matching
/// it must exist, and `holds(matching items, kind)` returns the failures.
fn check_lines(
    what: &str,
    lines: &[String],
    items: &[&Value],
    fails: &mut Vec<String>,
    holds: impl Fn(&Sel, &[&Value], &str) -> Vec<String>,
) {
    for line in lines {
        let Ok((sel, kind)) = parse_line(line) else {
            fails.push(format!("bad {what} line {line}"));
            continue;
        };
        for one in sel.per_family() {
            let hits: Vec<&Value> = items.iter().copied().filter(|v| matches(&one, v)).collect();
            if hits.is_empty() {
                fails.push(format!("no {what} for {} (from \"{line}\")", one.show()));
                continue;
            }
            fails.extend(holds(&one, &hits, &kind));
        }
    }
}

/// Compares a report with the scenario's expectations.
pub fn judge(s: &Scenario, json: &Value, report: &Report) -> Vec<String> {
    let mut fails = Vec::new();
    let empty = Vec::new();
    let probes: Vec<&Value> = json["probes"].as_array().unwrap_or(&empty).iter().collect();
    let verdicts: Vec<&Value> = json["verdicts"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .collect();
    // Reflector probes are judged through `proof`; the plain outcome lines are
    // about the mail servers.
    let servers: Vec<&Value> = probes
        .iter()
        .copied()
        .filter(|p| p["role"].as_str() != Some("reflector"))
        .collect();
    let reflector: Vec<&Value> = probes
        .iter()
        .copied()
        .filter(|p| p["role"].as_str() == Some("reflector"))
        .collect();

    // Every scenario states the truth of every mail port on both families.
    for port in mailport_shared::MAIL_PORTS {
        for family in FAMILIES {
            let stated = s.verdicts.iter().any(|line| {
                parse_line(line).is_ok_and(|(sel, _)| {
                    sel.port == port && sel.family.as_deref().is_none_or(|f| f == family)
                })
            });
            if !stated {
                fails.push(format!(
                    "the scenario states no verdict for {port}/{family}"
                ));
            }
        }
    }

    check_lines(
        "probe",
        &s.outcomes,
        &servers,
        &mut fails,
        |_, hits, kind| {
            hits.iter()
                .filter(|p| p["outcome"]["kind"].as_str() != Some(kind))
                .map(|p| {
                    format!(
                        "outcome {}:{} {}: expected {kind}, got {} ({})",
                        p["host"].as_str().unwrap_or("?"),
                        p["port"],
                        p["family"].as_str().unwrap_or("?"),
                        p["outcome"]["kind"].as_str().unwrap_or("?"),
                        p["outcome"]
                    )
                })
                .collect()
        },
    );
    check_lines(
        "verdict",
        &s.verdicts,
        &verdicts,
        &mut fails,
        |_, hits, kind| {
            hits.iter()
                .filter(|v| verdict_kind(v) != kind)
                .map(|v| {
                    format!(
                        "verdict {}/{}: expected {kind}, got {} (why: {})",
                        v["port"],
                        v["family"].as_str().unwrap_or("?"),
                        verdict_kind(v),
                        v["why"].as_str().unwrap_or("")
                    )
                })
                .collect()
        },
    );
    check_lines(
        "verdict",
        &s.evidence,
        &verdicts,
        &mut fails,
        |sel, hits, kind| {
            let shown = hits.iter().any(|v| {
                v["evidence"]
                    .as_array()
                    .is_some_and(|ev| ev.iter().any(|e| e["kind"].as_str() == Some(kind)))
            });
            if shown {
                vec![]
            } else {
                vec![format!("evidence {kind} not shown on {}", sel.show())]
            }
        },
    );
    // Evidence only where the scenario says something answers in the
    // servers' place (or rewrites the connection): none anywhere else.
    let allowed: Vec<Sel> = s
        .evidence
        .iter()
        .filter_map(|l| parse_line(l).ok())
        .flat_map(|(sel, _)| sel.per_family())
        .collect();
    for v in &verdicts {
        if allowed.iter().any(|sel| matches(sel, v)) {
            continue;
        }
        for e in v["evidence"].as_array().unwrap_or(&empty) {
            fails.push(format!(
                "unexpected evidence on {}/{}: {} ({})",
                v["port"],
                v["family"].as_str().unwrap_or("?"),
                e["kind"].as_str().unwrap_or("?"),
                e["detail"].as_str().unwrap_or("")
            ));
        }
    }
    check_lines(
        "reflector probe",
        &s.proof,
        &reflector,
        &mut fails,
        |_, hits, kind| {
            hits.iter()
                .filter(|p| proof_status(p).unwrap_or("none") != kind)
                .map(|p| {
                    format!(
                        "reflector proof on {} {}: expected {kind}, got {} ({})",
                        p["port"],
                        p["family"].as_str().unwrap_or("?"),
                        proof_status(p).unwrap_or("none"),
                        p["outcome"]
                    )
                })
                .collect()
        },
    );
    // What the address the reflector saw means, from the typed report.
    let seen_check = |port: u64, family: &str| {
        report
            .probes
            .iter()
            .find(|p| {
                p.spec.role == Role::Reflector
                    && u64::from(p.spec.port) == port
                    && p.spec.family.to_string().eq_ignore_ascii_case(family)
            })
            .and_then(|p| match &p.outcome {
                Outcome::Banner(ex) => ex.reflector.as_ref().map(|r| r.address_check()),
                _ => None,
            })
            .map(address_check_name)
            .unwrap_or("none")
    };
    check_lines(
        "reflector probe",
        &s.seen,
        &reflector,
        &mut fails,
        |_, hits, kind| {
            hits.iter()
            .filter_map(|p| {
                let port = p["port"].as_u64().unwrap_or(0);
                let family = p["family"].as_str().unwrap_or("?");
                let got = seen_check(port, family);
                (got != kind).then(|| {
                    format!(
                        "address the reflector saw on {port} {family}: expected {kind}, got {got} ({})",
                        p["outcome"]["reflector"]["detail"].as_str().unwrap_or("")
                    )
                })
            })
            .collect()
        },
    );
    // Control probes: "HOST KIND" must hold on both families, and never
    // appear among the mail-port probes.
    let controls: Vec<&Value> = json["controls"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .collect();
    for line in &s.controls {
        let Some((host, kind)) = line.split_once(' ') else {
            fails.push(format!("bad controls line {line}"));
            continue;
        };
        for family in FAMILIES {
            let hits: Vec<&&Value> = controls
                .iter()
                .filter(|c| {
                    c["host"].as_str() == Some(host) && c["family"].as_str() == Some(family)
                })
                .collect();
            if hits.is_empty() {
                fails.push(format!("no control probe of {host} over {family}"));
            }
            for c in hits {
                if c["outcome"]["kind"].as_str() != Some(kind) {
                    fails.push(format!(
                        "control probe of {host} over {family}: expected {kind}, got {}",
                        c["outcome"]
                    ));
                }
            }
        }
    }
    if !s.controls.is_empty() {
        for p in probes.iter().filter(|p| p["port"].as_u64() == Some(443)) {
            fails.push(format!("a control probe among the mail probes: {p}"));
        }
    }
    for line in &s.network {
        let Some((field, want)) = line.split_once(' ') else {
            fails.push(format!("bad network line {line}"));
            continue;
        };
        let fact = &json["network"][field];
        let state = fact["state"].as_str().unwrap_or("absent");
        let value = fact["value"]["name"]
            .as_str()
            .or_else(|| fact["value"].as_str());
        let ok = if state == "found" {
            value == Some(want)
        } else {
            state == want
        };
        if !ok {
            fails.push(format!("network fact {field}: expected {want}, got {fact}"));
        }
    }
    let top = json["advice"][0]["id"].as_str().unwrap_or("none");
    if top != s.advice {
        fails.push(format!(
            "top advice: expected {}, got {top} (all: {})",
            s.advice,
            json["advice"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|x| x["id"].as_str().unwrap_or("?").to_string())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ));
    }
    fails
}
