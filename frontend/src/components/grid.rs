//! The live progress grid: hosts down, port × family across, each cell in
//! words, symbol and colour, with the probe's details on demand.

use crate::facts::ProofView;
use crate::state::{Cell, Grid, Tone};
use mailport_shared::outcome::{EhloOutcome, TlsOutcome};
use mailport_shared::reflector::ReflectorProof;
use mailport_shared::{Outcome, ProbeResult};
use yew::prelude::*;

/// Props of [`ProgressGrid`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The grid.
    pub grid: Grid,
    /// Still running: show the progress bar.
    pub running: bool,
}

/// The grid.
#[component(ProgressGrid)]
pub fn progress_grid(props: &Props) -> Html {
    let grid = &props.grid;
    let cols = grid.columns();
    let (done, total) = grid.progress();
    let probes = if total == 1 { "probe" } else { "probes" };
    let status = if props.running {
        format!("Testing… {done} of {total} {probes} finished")
    } else {
        format!("{done} of {total} {probes} finished")
    };
    html! {
        <section class="grid-section" aria-labelledby="grid-title">
            <h2 id="grid-title">{ "What each server answered" }</h2>
            <p id="progress" class="progress" aria-live="polite">
                { status }
                if props.running {
                    <progress max={total.to_string()} value={done.to_string()} aria-hidden="true"></progress>
                }
            </p>
            <div class="table-scroll">
            <table id="grid" class="grid">
                <thead><tr>
                    <th scope="col">{ "Server" }</th>
                    { for cols.iter().map(|(p, f)| html!{ <th scope="col">{ format!("{p} ") }<span class="fam">{ f.to_string() }</span></th> }) }
                </tr></thead>
                <tbody>
                { for grid.rows().into_iter().map(|(host, role)| html! {
                    <tr>
                        <th scope="row"><span class="host">{ breakable(&host) }</span><span class="role">{ role.label() }</span></th>
                        { for cols.iter().map(|(p, f)| match grid.cell(&host, *p, *f) {
                            Some(cell) => view_cell(cell),
                            None => html!{ <td class="cell none"><span class="sr">{ "not tested" }</span>{ "·" }</td> },
                        }) }
                    </tr>
                }) }
                </tbody>
            </table>
            </div>
        </section>
    }
}

/// A host name or address that may wrap only after its dots and colons
/// (`gmail-smtp-in.l.<wbr>google.<wbr>com`), never inside a label or a
/// number: the row header stays narrow on a phone and still reads.
fn breakable(host: &str) -> Html {
    let mut parts = Vec::new();
    let mut rest = host;
    while let Some(i) = rest.find(['.', ':']) {
        let (part, tail) = rest.split_at(i + 1);
        parts.push(html! { <>{ part.to_string() }<wbr /></> });
        rest = tail;
    }
    parts.push(html! { { rest.to_string() } });
    parts.into_iter().collect()
}

fn view_cell(cell: &Cell) -> Html {
    let tone = cell.tone();
    let class = classes!("cell", tone.class());
    let data_outcome = cell
        .results
        .first()
        .map(|r| r.outcome.label().to_string())
        .unwrap_or_default();
    let head = html! { <><span class="sym" aria-hidden="true">{ tone.symbol() }</span>{ " " }{ cell.label() }</> };
    if tone == Tone::Pending {
        return html! { <td {class} data-port={cell.spec.port.to_string()}>{ head }</td> };
    }
    html! {
        <td {class} data-port={cell.spec.port.to_string()} data-outcome={data_outcome}>
            <details>
                <summary>{ head }</summary>
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
            "{version} {cipher}; certificate {}{}; names: {}",
            if *trusted { "trusted" } else { "NOT trusted" },
            if *name_matches {
                ", matches the host"
            } else {
                ", does NOT match the host"
            },
            if names.is_empty() {
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
