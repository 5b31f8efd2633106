//! The answer: one line per question, the headline sentence, ranked advice,
//! then the network it was measured from and the verdict per port.

use crate::facts::network_lines;
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::report::Conclusion;
use mailport_shared::small_sort;
use mailport_shared::summary::{self, Short};
use mailport_shared::Advice;
use mailport_shared::Family;
use mailport_shared::NetworkFacts;
use yew::prelude::*;

/// How a verdict looks: its CSS class and a symbol, so colour is never the
/// only signal. A proved interception is no longer a question mark.
fn look(v: &PortVerdict) -> (&'static str, &'static str) {
    match &v.verdict {
        _ if v.proved() => ("bad", "!"),
        Verdict::Open => ("good", "✓"),
        Verdict::Restricted => ("odd", "◐"),
        Verdict::BlockedSilently | Verdict::BlockedActively => ("bad", "✗"),
        Verdict::BlockedLocally => ("odd", "✗"),
        Verdict::RateLimited => ("odd", "◐"),
        Verdict::InterceptedSuspected => ("odd", "?"),
        Verdict::NotTestable { .. } => ("neutral", "–"),
    }
}

/// The provider, public-address and blocklist lines, or nothing at all.
fn network_block(facts: Option<&NetworkFacts>) -> Html {
    let lines = network_lines(facts);
    if lines.is_empty() {
        return html! {};
    }
    html! {
        <ul id="network" class="network" aria-label="The network this check ran from">
            { for lines.into_iter().map(|l| html! {
                <li data-fact={l.kind.key()} class={classes!(l.warn.then_some("warn"))}>{ l.text }</li>
            }) }
        </ul>
    }
}

/// How many pieces of advice show before "N more": the ranking puts what
/// matters first, and a long list buries it.
const SHOWN_ADVICE: usize = 3;

fn more_label(n: usize) -> String {
    if n == 1 {
        "1 more thing to know".into()
    } else {
        format!("{n} more things to know")
    }
}

fn view_advice(a: &Advice) -> Html {
    html! {
        <li data-id={serde_json::to_string(&a.id).map(|s| s.trim_matches('"').to_string()).unwrap_or_default()}>
            <strong>{ a.title.clone() }</strong>
            <p>{ a.why.clone() }</p>
        </li>
    }
}

/// The look of a short answer: the same classes as the verdicts.
fn answer_class(short: Short) -> (&'static str, &'static str) {
    match short {
        Short::Yes => ("good", "✓"),
        Short::Partly => ("odd", "◐"),
        Short::No => ("bad", "✗"),
        Short::Unknown => ("neutral", "–"),
    }
}

/// One summary line per question, before anything else.
fn answers_block(verdicts: &[PortVerdict]) -> Html {
    let answers = summary::answers(verdicts);
    if answers.is_empty() {
        return html! {};
    }
    html! {
        <ul id="answers" class="answers">
            { for answers.iter().map(|a| {
                let (class, sym) = answer_class(a.short);
                html! {
                    <li class={classes!("answer", class)}>
                        <span class="q">{ a.question.text() }</span>{ " " }
                        <strong class="a"><span aria-hidden="true">{ sym }{ " " }</span>{ a.text() }</strong>
                    </li>
                }
            }) }
        </ul>
    }
}

/// The ports as rows and the families as cells; a family that could not be
/// tested at all is one line under the table, not a column of dashes.
fn port_table(verdicts: &[PortVerdict]) -> Html {
    let folded = summary::folded_families(verdicts);
    let families: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| verdicts.iter().any(|v| v.family == *f))
        .filter(|f| !folded.iter().any(|(g, _)| g == f))
        .collect();
    let mut ports: Vec<u16> = verdicts.iter().map(|v| v.port).collect();
    small_sort::sort(&mut ports);
    ports.dedup();
    let cell = |port: u16, family: Family| match verdicts
        .iter()
        .find(|v| v.port == port && v.family == family)
    {
        Some(v) => {
            let (class, sym) = look(v);
            html! {
                <td class={classes!("v", class)} data-family={family.to_string()}>
                    <span aria-hidden="true">{ sym }{ " " }</span>{ v.label() }
                </td>
            }
        }
        None => html! { <td class="v none" data-family={family.to_string()}>{ "not tested" }</td> },
    };
    let shown: Vec<&PortVerdict> = verdicts
        .iter()
        .filter(|v| families.contains(&v.family))
        .collect();
    html! {
        <>
        if !families.is_empty() {
            <table id="verdicts" class="verdicts">
                <thead><tr>
                    <th scope="col">{ "Port" }</th>
                    { for families.iter().map(|f| html! { <th scope="col">{ f.to_string() }</th> }) }
                </tr></thead>
                <tbody>
                { for ports.iter().map(|p| html! {
                    <tr data-port={p.to_string()}>
                        <th scope="row" class="port">{ *p }</th>
                        { for families.iter().map(|f| cell(*p, *f)) }
                    </tr>
                }) }
                </tbody>
            </table>
        }
        { for folded.iter().map(|(f, reason)| html! {
            <p class="folded note" data-family={f.to_string()}>{ summary::folded_text(*f, *reason) }</p>
        }) }
        if !shown.is_empty() {
            <details id="why" class="why">
                <summary>{ "Why each verdict" }</summary>
                <dl>
                { for shown.iter().map(|v| html! {
                    <>
                    <dt>{ format!("{} {}: {}", v.port, v.family, v.label()) }</dt>
                    <dd>
                        { v.why.clone() }
                        if !v.evidence.is_empty() {
                            <ul class="evidence">
                            { for v.evidence.iter().map(|e| {
                                // Strong findings and notes look apart, in
                                // words as well as in style.
                                let (class, tag) = match (e.proof, e.strong) {
                                    (true, _) => ("proof", "Proof: "),
                                    (false, true) => ("strong", ""),
                                    (false, false) => ("note", "Note: "),
                                };
                                html!{ <li class={class}>{ tag }{ e.detail.clone() }</li> }
                            }) }
                            </ul>
                        }
                    </dd>
                    </>
                }) }
                </dl>
            </details>
        }
        </>
    }
}

/// The verdict: the answers first, the first advice, then the details.
/// `c` holds the verdicts, headline and advice; `network` what the agent
/// learned about the network (absent while the check runs, with
/// `--no-netinfo`, or from an older agent).
pub fn verdict_view(c: &Conclusion, network: Option<&NetworkFacts>) -> Html {
    html! {
        <section class="verdict" aria-labelledby="verdict-title">
            <h2 id="verdict-title">{ "The answer" }</h2>
            // A partial result says so before anything else, wherever its
            // link is opened.
            if crate::state::run::is_partial(&c.headline) {
                <p id="partial" class="warn">{ "This is a partial result: the agent stopped before every probe finished." }</p>
            }
            { answers_block(&c.verdicts) }
            if !c.advice.is_empty() {
                <h3 id="advice-title">{ "What to do" }</h3>
                <ol id="advice" class="advice" aria-labelledby="advice-title">
                    { for c.advice.iter().take(SHOWN_ADVICE).map(view_advice) }
                </ol>
                if c.advice.len() > SHOWN_ADVICE {
                    <details id="more-advice" class="more-advice">
                        <summary>{ more_label(c.advice.len() - SHOWN_ADVICE) }</summary>
                        <ol class="advice" start={(SHOWN_ADVICE + 1).to_string()}>
                            { for c.advice.iter().skip(SHOWN_ADVICE).map(view_advice) }
                        </ol>
                    </details>
                }
            }
            <h3 id="ports-title">{ "Each port" }</h3>
            <p id="headline" class="headline">{ c.headline.clone() }</p>
            { network_block(network) }
            { port_table(&c.verdicts) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::interception::{Evidence, EvidenceKind};

    #[test]
    fn a_proved_interception_is_not_a_question() {
        let intercepted = |proof: bool| PortVerdict {
            port: 25,
            family: Family::Ipv4,
            verdict: Verdict::InterceptedSuspected,
            why: String::new(),
            reached: Vec::new(),
            relays: Vec::new(),
            evidence: vec![Evidence {
                kind: EvidenceKind::ReflectorUnverified,
                port: 25,
                family: Family::Ipv4,
                host: "reflector.example".into(),
                detail: "no signature".into(),
                strong: true,
                proof,
            }],
        };
        let suspected = intercepted(false);
        assert_eq!(
            (look(&suspected), suspected.label()),
            (("odd", "?"), "intercepted?")
        );
        let proved = intercepted(true);
        assert_eq!(
            (look(&proved), proved.label()),
            (("bad", "!"), "intercepted (proved)")
        );
        let open = PortVerdict {
            verdict: Verdict::Open,
            evidence: Vec::new(),
            ..suspected
        };
        assert_eq!(look(&open), ("good", "✓"));
    }
}
