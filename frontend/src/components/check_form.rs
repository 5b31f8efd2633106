//! The check form: optional domain, ports, families, extra targets, and a
//! reflector to prove (advanced, collapsed).
//! Validation is the shared code the agent runs, so both say the same.

use crate::state::form::{Field, Form};
use crate::state::Action;
use mailport_shared::MAIL_PORTS;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

fn port_name(p: u16) -> &'static str {
    match p {
        25 => "server to server",
        26 => "web hosts' alternative",
        465 => "submission, TLS",
        587 => "submission",
        2525 => "relay services",
        _ => "",
    }
}

/// The form as typed (`f`); edits go to `dispatch`, Run to `on_submit`.
/// While `busy` (a check runs) the Run button is disabled; the fields stay
/// editable for the next check.
pub fn check_form(
    f: &Form,
    busy: bool,
    dispatch: &Callback<Action>,
    on_submit: &Callback<()>,
) -> Html {
    let d = dispatch.clone();
    let onsubmit = {
        let cb = on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            cb.emit(());
        })
    };
    let on_domain = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            d.emit(Action::Domain(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        })
    };
    let on_targets = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            d.emit(Action::Targets(
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            ))
        })
    };
    let on_reflector_host = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            d.emit(Action::ReflectorHost(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        })
    };
    let on_reflector_key = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            d.emit(Action::ReflectorKey(
                e.target_unchecked_into::<HtmlInputElement>().value(),
            ))
        })
    };
    let on_inbound = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            d.emit(Action::Inbound(
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            ))
        })
    };
    let fam = |v6: bool| {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            d.emit(if v6 {
                Action::Ipv6(on)
            } else {
                Action::Ipv4(on)
            })
        })
    };
    let bad = f.error.as_ref().map(|e| e.field);
    // The invalid field says so, and points at the message (after its own
    // help text, when it has one).
    let invalid = |field: Field| (bad == Some(field)).then_some("true");
    let described = |field: Field, help: Option<&str>| {
        let err = (bad == Some(field)).then_some("form-error");
        let ids: Vec<&str> = help.into_iter().chain(err).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let extra_ports: Vec<u16> = f
        .ports
        .iter()
        .copied()
        .filter(|p| !MAIL_PORTS.contains(p))
        .collect();
    html! {
        <form id="check" class="check" {onsubmit} novalidate=true aria-labelledby="check-title">
            <h2 id="check-title">{ "Check this network" }</h2>
            <label for="domain">{ "Your mail domain (optional)" }</label>
            <input id="domain" type="text" inputmode="url" autocomplete="off" spellcheck="false"
                placeholder="example.org" value={f.domain.clone()} oninput={on_domain}
                aria-invalid={invalid(Field::Domain)}
                aria-describedby={described(Field::Domain, Some("domain-help"))} />
            <p id="domain-help" class="note">{ "Its mail servers are tested on every port, beside well-known servers." }</p>
            <fieldset id="ports" aria-invalid={invalid(Field::Ports)} aria-describedby={described(Field::Ports, None)}>
                <legend>{ "Ports" }</legend>
                { for MAIL_PORTS.iter().map(|&p| {
                    let d = d.clone();
                    let id = format!("port-{p}");
                    html! {
                        <label class="check-item" for={id.clone()}>
                            <input type="checkbox" id={id} checked={f.ports.contains(&p)}
                                onchange={Callback::from(move |_: Event| d.emit(Action::TogglePort(p)))} />
                            { format!(" {p} ") }<span class="note">{ port_name(p) }</span>
                        </label>
                    }
                }) }
                if !extra_ports.is_empty() {
                    <p class="note">{ format!("Also: {}", extra_ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")) }</p>
                }
            </fieldset>
            <fieldset id="families" aria-invalid={invalid(Field::Families)} aria-describedby={described(Field::Families, None)}>
                <legend>{ "Address families" }</legend>
                <label class="check-item" for="ipv4"><input type="checkbox" id="ipv4" checked={f.ipv4} onchange={fam(false)} />{ " IPv4" }</label>
                <label class="check-item" for="ipv6"><input type="checkbox" id="ipv6" checked={f.ipv6} onchange={fam(true)} />{ " IPv6" }</label>
            </fieldset>
            <details open={!f.targets.is_empty()}>
                <summary>{ "Test other servers" }</summary>
                <label for="targets">{ "One server per line, optionally followed by its role: mx, submission, own, echo, reflector or host. With servers here, the well-known ones are not tested." }</label>
                <textarea id="targets" rows="4" spellcheck="false" placeholder="mail.example.org submission"
                    value={f.targets.clone()} oninput={on_targets}
                    aria-invalid={invalid(Field::Targets)} aria-describedby={described(Field::Targets, None)} />
            </details>
            // Collapsed unless filled in: a <details> opens with Enter or
            // Space on its summary, like any button.
            <details id="reflector" class="reflector"
                open={!f.reflector_host.is_empty() || !f.reflector_key.is_empty() || f.inbound}>
                <summary>{ "Reflector (advanced)" }</summary>
                <p id="reflector-help" class="note">{ "A mailport reflector you run on a server of yours (mailport reflect) signs each connection it receives, so the check proves on each port whether the real server answered or something in between did." }</p>
                <div class="pair">
                    <div>
                        <label for="reflector-host">{ "Reflector host" }</label>
                        <input id="reflector-host" type="text" inputmode="url" autocomplete="off" spellcheck="false"
                            placeholder="reflector.example.org" value={f.reflector_host.clone()}
                            oninput={on_reflector_host} aria-invalid={invalid(Field::ReflectorHost)}
                            aria-describedby={described(Field::ReflectorHost, Some("reflector-help"))} />
                    </div>
                    <div>
                        <label for="reflector-key">{ "Its public key (hex or base64)" }</label>
                        <input id="reflector-key" type="text" autocomplete="off" spellcheck="false"
                            placeholder="printed by mailport reflect --gen-key" value={f.reflector_key.clone()}
                            oninput={on_reflector_key} aria-invalid={invalid(Field::ReflectorKey)}
                            aria-describedby={described(Field::ReflectorKey, Some("reflector-help"))} />
                    </div>
                </div>
                <label class="check-item" for="inbound-check">
                    <input id="inbound-check" type="checkbox" checked={f.inbound} onchange={on_inbound}
                        aria-describedby="inbound-help" />
                    { " Also test inbound port 25" }
                </label>
                <p id="inbound-help" class="note">{ "The reflector (run with mailport reflect --callback) connects back to this network on port 25, so you learn whether the internet can deliver mail to this machine: a separate answer from the outbound one." }</p>
            </details>
            if let Some(e) = &f.error {
                <p id="form-error" class="error" role="alert">{ e.message.clone() }</p>
            }
            <button id="run" class="primary" type="submit" disabled={busy}>
                { if busy { "Checking…" } else { "Run the check" } }
            </button>
        </form>
    }
}
