//! The live progress grid: hosts down, port × family across, each cell in
//! words, symbol and colour, with the probe's details on demand.

use crate::facts::ProofView;
use crate::state::grid::{Cell, Grid};
use crate::state::tone::Tone;
use mailport_shared::outcome::{EhloOutcome, TlsOutcome};
use mailport_shared::reflector::ReflectorProof;
use mailport_shared::Family;
use mailport_shared::{Outcome, ProbeResult};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Arrow keys move between the cells: the grid is one Tab stop (the first
/// cell), not one per cell before the share panel.
fn on_grid_key(columns: usize) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        let step: isize = match e.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "ArrowDown" => columns as isize,
            "ArrowUp" => -(columns as isize),
            _ => return,
        };
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(cells) = doc.query_selector_all("#grid td.cell") else {
            return;
        };
        let active = doc.active_element();
        let n = cells.length() as isize;
        let current = (0..n).find(|i| {
            cells
                .item(*i as u32)
                .zip(active.as_ref())
                .is_some_and(|(c, a)| c.contains(Some(a)))
        });
        let Some(current) = current else { return };
        let next = (current + step).clamp(0, n - 1);
        let target = cells
            .item(next as u32)
            .and_then(|c| c.dyn_into::<web_sys::Element>().ok())
            .and_then(|c| c.query_selector("summary, .focus").ok().flatten())
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(t) = target {
            e.prevent_default();
            let _ = t.focus();
        }
    })
}

/// The grid; `running` shows the progress bar, and families in `folded`
/// (that could not be tested at all) get no columns: the answer says so in
/// one line.
pub fn progress_grid(grid: &Grid, running: bool, folded: &[Family]) -> Html {
    let cols: Vec<_> = grid
        .columns()
        .into_iter()
        .filter(|(_, f)| !folded.contains(f))
        .collect();
    let (done, total) = grid.progress();
    let probes = if total == 1 { "probe" } else { "probes" };
    let status = if running {
        format!("Testing… {done} of {total} {probes} finished")
    } else {
        format!("{done} of {total} {probes} finished")
    };
    html! {
        <section class="grid-section" aria-labelledby="grid-title">
            <h2 id="grid-title">{ "What each server answered" }</h2>
            <p id="progress" class={classes!("progress", running.then_some("running"))} aria-live="polite">
                { status }
                if running {
                    <progress max={total.to_string()} value={done.to_string()} aria-hidden="true"></progress>
                }
            </p>
            <div class="table-scroll" onkeydown={on_grid_key(cols.len())}>
            <table id="grid" class="grid" aria-describedby="grid-keys">
                <thead><tr>
                    <th scope="col">{ "Server" }</th>
                    { for cols.iter().map(|(p, f)| html!{ <th scope="col">{ format!("{p} ") }<span class="fam">{ f.to_string() }</span></th> }) }
                </tr></thead>
                <tbody>
                { for grid.rows().into_iter().enumerate().map(|(row, (host, role))| html! {
                    <tr>
                        <th scope="row"><span class="host">{ breakable(&host) }</span><span class="role">{ role.label() }</span></th>
                        { for cols.iter().enumerate().map(|(col, (p, f))| {
                            let first = row == 0 && col == 0;
                            match grid.cell(&host, *p, *f) {
                                Some(cell) => view_cell(cell, first, running),
                                None => html!{ <td class="cell none" data-col={col_label(*p, *f)}><span class="focus" tabindex={if first { "0" } else { "-1" }}><span class="sr">{ "not tested" }</span>{ "·" }</span></td> },
                            }
                        }) }
                    </tr>
                }) }
                </tbody>
            </table>
            </div>
            <p id="grid-keys" class="note">{ "In the table, the arrow keys move between servers and ports; Enter opens a cell." }</p>
        </section>
    }
}

/// A host name that may wrap at one place only, before its last two labels
/// (`gmail-smtp-in.l.<wbr>google.com`), and an IPv6 address after its
/// colons: the row header stays narrow on a phone and the name still reads
/// as a name, not one label per line.
fn breakable(host: &str) -> Html {
    break_points(host)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                html! { { part } }
            } else {
                html! { <><wbr />{ part }</> }
            }
        })
        .collect()
}

/// The pieces [`breakable`] may wrap between.
fn break_points(host: &str) -> Vec<String> {
    if host.contains(':') {
        let mut parts: Vec<String> = host.split_inclusive(':').map(str::to_string).collect();
        parts.retain(|p| !p.is_empty());
        return parts;
    }
    let dots: Vec<usize> = host.match_indices('.').map(|(i, _)| i).collect();
    match dots.len() {
        0 | 1 => vec![host.to_string()],
        n => {
            let at = dots[n - 2] + 1;
            vec![host[..at].to_string(), host[at..].to_string()]
        }
    }
}

/// A cell's column in words ("587 IPv6"): on a phone, where the grid is one
/// block per server, each cell shows it in place of the column heading.
fn col_label(port: u16, family: Family) -> String {
    format!("{port} {family}")
}

fn view_cell(cell: &Cell, first: bool, running: bool) -> Html {
    let tabindex = if first { "0" } else { "-1" };
    let col = col_label(cell.spec.port, cell.spec.family);
    let tone = cell.tone();
    let class = classes!("cell", tone.class());
    let data_outcome = cell
        .results
        .first()
        .map(|r| r.outcome.label().to_string())
        .unwrap_or_default();
    let head = html! { <><span class="sym" aria-hidden="true">{ tone.symbol() }</span>{ " " }{ cell.label() }</> };
    // The check ended (stopped, or the agent went away) before this probe:
    // it is not "testing…" any more.
    if tone == Tone::Pending && !running {
        return html! { <td class="cell neutral" data-port={cell.spec.port.to_string()} data-col={col} data-outcome="unfinished"><span class="focus" {tabindex}><span class="sym" aria-hidden="true">{ "–" }</span>{ " not finished" }</span></td> };
    }
    if tone == Tone::Pending {
        return html! { <td {class} data-port={cell.spec.port.to_string()} data-col={col}><span class="focus" {tabindex}>{ head }</span></td> };
    }
    html! {
        <td {class} data-port={cell.spec.port.to_string()} data-col={col} data-outcome={data_outcome}>
            <details>
                <summary {tabindex}>{ head }</summary>
                { for cell.results.iter().map(view_result) }
            </details>
        </td>
    }
}

fn view_result(r: &ProbeResult) -> Html {
    let t = &r.timings;
    let mut timing = Vec::new();
    if let Some(ms) = t.dns_ms {
        timing.push(format!("DNS {ms} ms"));
    }
    if let Some(ms) = t.connect_ms {
        timing.push(format!("connect {ms} ms"));
    }
    if let Some(ms) = t.greeting_ms {
        timing.push(format!("greeting {ms} ms"));
    }
    timing.push(format!("total {} ms", t.total_ms));
    html! {
        <div class="probe">
            if let Some(a) = r.address { <div><b>{ "Address: " }</b><code>{ a.to_string() }</code></div> }
            <p>{ r.outcome.explain() }</p>
            { view_smtp(&r.outcome) }
            <div class="timings">{ timing.join(" · ") }</div>
        </div>
    }
}

/// A reflector's proof: genuine or not, and the address it saw.
fn view_proof(proof: &ReflectorProof) -> Html {
    let v = ProofView::of(proof);
    html! {
        <>
            <dt>{ "Reflector proof" }</dt>
            <dd class="proof">
                <span class={classes!("proof-status", v.tone.class())}>{ v.status }</span>
                <span class="proof-detail">{ v.detail }</span>
            </dd>
            if let Some(seen) = v.seen {
                <dt>{ "Seen from" }</dt><dd class="proof-seen"><code>{ seen }</code></dd>
            }
        </>
    }
}

fn view_smtp(o: &Outcome) -> Html {
    let Outcome::Banner(ex) = o else {
        return html! {};
    };
    let greeting: Vec<String> = ex
        .greeting
        .lines
        .iter()
        .map(|l| format!("{} {l}", ex.greeting.code))
        .collect();
    let ehlo = match &ex.ehlo {
        EhloOutcome::Accepted { extensions, .. } if extensions.is_empty() => {
            "accepted, no extensions".to_string()
        }
        EhloOutcome::Accepted { extensions, .. } => extensions.join(", "),
        EhloOutcome::Rejected { reply } => format!("refused: {}", reply.first_line()),
        EhloOutcome::NoReply => "no reply".into(),
        EhloOutcome::Reset => "reset".into(),
        EhloOutcome::Closed => "closed".into(),
        EhloOutcome::Garbage { .. } => "not SMTP".into(),
        EhloOutcome::NotSent => "not sent".into(),
    };
    let tls = match &ex.tls {
        None if ex.starttls_offered() => "offered, not tried".to_string(),
        None => "not offered".into(),
        Some(TlsOutcome::Established {
            version,
            cipher,
            trusted,
            name_matches,
            names,
        }) => format!(
            "{}; certificate {}{}; names: {}",
            if version.is_empty() {
                mailport_shared::share::OMITTED.to_string()
            } else {
                format!("{version} {cipher}")
            },
            if *trusted { "trusted" } else { "NOT trusted" },
            if *name_matches {
                ", matches the host"
            } else {
                ", does NOT match the host"
            },
            if names.is_empty() && version.is_empty() {
                mailport_shared::share::OMITTED.into()
            } else if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        ),
        Some(TlsOutcome::Failed { error }) => format!("failed: {error}"),
    };
    html! {
        <dl>
            <dt>{ "Greeting" }</dt><dd><pre>{ greeting.join("\n") }</pre></dd>
            <dt>{ "EHLO" }</dt><dd>{ ehlo }</dd>
            <dt>{ if ex.implicit_tls { "TLS (implicit)" } else { "TLS" } }</dt><dd>{ tls }</dd>
            if let Some(proof) = &ex.reflector {
                { view_proof(proof) }
            }
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::break_points;

    #[test]
    fn host_names_wrap_before_the_site_only() {
        for (host, want) in [
            (
                "gmail-smtp-in.l.google.com",
                vec!["gmail-smtp-in.l.", "google.com"],
            ),
            ("portquiz.net", vec!["portquiz.net"]),
            ("localhost", vec!["localhost"]),
            ("[ip-1]", vec!["[ip-1]"]),
            ("2001:db8::25", vec!["2001:", "db8:", ":", "25"]),
        ] {
            assert_eq!(break_points(host), want, "{host}");
        }
    }
}
