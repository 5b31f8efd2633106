//! The answer: one headline sentence, the network it was measured from, the
//! verdict per port, ranked advice.

use crate::facts::network_lines;
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::report::Conclusion;
use mailport_shared::Advice;
use mailport_shared::NetworkFacts;
use yew::prelude::*;

/// Props of [`VerdictView`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Verdicts, headline and advice.
    pub conclusion: Conclusion,
    /// What the agent learned about the network (absent while the check
    /// runs, with `--no-netinfo`, or from an older agent).
    #[prop_or_default]
    pub network: Option<NetworkFacts>,
}

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
        <li data-id={serde_json::to_value(a.id).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()}>
            <strong>{ a.title.clone() }</strong>
            <p>{ a.why.clone() }</p>
        </li>
    }
}

/// The verdict.
#[component(VerdictView)]
pub fn verdict_view(props: &Props) -> Html {
    let c = &props.conclusion;
    html! {
        <section class="verdict" aria-labelledby="verdict-title">
            <h2 id="verdict-title">{ "The answer" }</h2>
            <p id="headline" class="headline">{ c.headline.clone() }</p>
            { network_block(props.network.as_ref()) }
            <div class="table-scroll">
            <table id="verdicts" class="verdicts">
                <thead><tr>
                    <th scope="col">{ "Port" }</th><th scope="col">{ "Family" }</th>
                    <th scope="col">{ "Verdict" }</th><th scope="col">{ "Why" }</th>
                </tr></thead>
                <tbody>
                { for c.verdicts.iter().map(|v| {
                    let (class, sym) = look(v);
                    html! {
                        <tr data-port={v.port.to_string()} data-family={v.family.to_string()}>
                            <td>{ v.port }</td>
                            <td>{ v.family.to_string() }</td>
                            <td class={classes!("v", class)}><span aria-hidden="true">{ sym }{ " " }</span>{ v.label() }</td>
                            <td>
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
                            </td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
            if !c.advice.is_empty() {
                <h2 id="advice-title">{ "What to do" }</h2>
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
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailport_shared::interception::{Evidence, EvidenceKind};
    use mailport_shared::Family;

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
