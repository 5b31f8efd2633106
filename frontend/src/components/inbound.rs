//! The inbound answer: can the internet reach this machine on port 25? A
//! section of its own, with its own headline and advice, so that it is
//! never read as part of the outbound answer (users mix the two up).

use mailport_shared::inbound::words::{advice_text, headline, label, sentence, witness_text};
use mailport_shared::inbound::{InboundReport, InboundVerdict};
use yew::prelude::*;

/// How an inbound verdict looks: the outbound verdicts' classes and a
/// symbol, so colour is never the only signal.
fn look(v: &InboundVerdict) -> (&'static str, &'static str) {
    match v {
        InboundVerdict::Reachable => ("good", "✓"),
        InboundVerdict::ReachableElsewhere { .. } | InboundVerdict::ReachableUnconfirmed { .. } => {
            ("odd", "?")
        }
        InboundVerdict::Refused
        | InboundVerdict::Dropped
        | InboundVerdict::Rejected { .. }
        | InboundVerdict::CarrierGradeNat => ("bad", "✗"),
        InboundVerdict::NotTestable { .. } => ("neutral", "–"),
    }
}

/// The inbound section: what the reflector's call-back showed, per family.
pub fn inbound_view(r: &InboundReport) -> Html {
    let advice = r.advice();
    html! {
        <section id="inbound" class="inbound" aria-labelledby="inbound-title">
            <h2 id="inbound-title">{ "Inbound: can mail reach this machine?" }</h2>
            <p id="inbound-headline" class="headline">{ headline(r) }</p>
            <ul class="inbound-families">
            { for r.families.iter().map(|f| {
                let (class, sym) = look(&f.verdict);
                html! {
                    <li data-family={f.family.to_string()}>
                        <strong class={classes!("v", class)}>
                            <span aria-hidden="true">{ sym }{ " " }</span>
                            { format!("{}: {}", f.family, label(&f.verdict)) }
                        </strong>
                        <p>{ sentence(f.family, &f.verdict) }</p>
                        // How the answer was attributed, only when there was one.
                        if !matches!(f.verdict, InboundVerdict::NotTestable { .. }) {
                            <p class="note">{ format!("How: {}; the call-back took {} ms.", witness_text(&f.witness), f.elapsed_ms) }</p>
                        }
                    </li>
                }
            }) }
            </ul>
            if !advice.is_empty() {
                <h3 id="inbound-advice-title">{ "What to do (inbound)" }</h3>
                <ol id="inbound-advice" class="advice" aria-labelledby="inbound-advice-title">
                    { for advice.iter().map(|a| html! { <li>{ advice_text(*a) }</li> }) }
                </ol>
            }
            <p class="note">{ format!("The reflector {} called back from outside this network.", r.reflector) }</p>
        </section>
    }
}
