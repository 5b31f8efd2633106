//! Share links: the report in the URL fragment, optionally redacted, on a
//! public copy of the page (a link to 127.0.0.1 opens nowhere else).
//!
//! The links are made by the share module (`bin/share.rs`, loaded through
//! [`crate::lazy`] when this panel first shows): the page itself carries
//! no writer for the report, so a visit that never shares downloads none.

use crate::lazy::{self, call, reason, Module};
use crate::state::share_source::ShareSource;
use crate::state::{copy_note, Action};
use mailport_shared::share::RedactOptions;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`SharePanel`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The texts the report came from (cheap to clone: shared).
    pub source: ShareSource,
    /// What to hide.
    pub redact: RedactOptions,
    /// This page's URL without fragment.
    pub page_url: AttrValue,
    /// Where the main link points (see `Location::share_base`).
    pub share_base: AttrValue,
    /// The last copy: what, and did it work?
    pub copied: Option<(String, bool)>,
    /// Redaction changes.
    pub dispatch: Callback<Action>,
    /// Copy text to the clipboard.
    pub on_copy: Callback<String>,
}

/// Where the links stand.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Links {
    /// The share module is on its way.
    Making,
    /// The short link on the share base, the short link on this page and
    /// the full link; or why there are none (redaction failed: never an
    /// unredacted link).
    Made(Result<[String; 3], String>),
    /// The share module did not load: why.
    NotLoaded(String),
}

/// What the share module's `links` answered.
fn made(answer: Result<JsValue, JsValue>) -> Links {
    Links::Made(match answer {
        Ok(v) => {
            let array = js_sys::Array::from(&v);
            let mut links = array.iter().filter_map(|l| l.as_string());
            match (links.next(), links.next(), links.next()) {
                (Some(public), Some(here), Some(full)) => Ok([public, here, full]),
                _ => Err("the share module gave no links".into()),
            }
        }
        Err(e) => Err(reason(&e)),
    })
}

/// The panel.
#[component(SharePanel)]
pub fn share_panel(props: &Props) -> Html {
    let links = use_state(|| Links::Making);
    let module = use_mut_ref(|| None::<JsValue>);
    // Counts the requests: an answer to an older one (the boxes changed
    // while the module loaded) is dropped.
    let asked = use_mut_ref(|| 0u32);
    {
        let links = links.clone();
        let key = (
            props.source.clone(),
            props.redact,
            props.share_base.clone(),
            props.page_url.clone(),
        );
        use_effect_with(key, move |(source, redact, share_base, page_url)| {
            // The short link (no transcripts) by default: it fits a chat
            // message or a ticket form; the full one is a click away.
            let args = [
                source
                    .to_parts()
                    .into_iter()
                    .map(JsValue::from)
                    .collect::<js_sys::Array>()
                    .into(),
                redact.ip.into(),
                redact.hosts.into(),
                JsValue::from(share_base.as_str()),
                JsValue::from(page_url.as_str()),
            ];
            *asked.borrow_mut() += 1;
            let mine = *asked.borrow();
            if let Some(m) = module.borrow().as_ref() {
                links.set(made(call(m, "links", &args)));
                return;
            }
            links.set(Links::Making);
            spawn_local(async move {
                let answer = match lazy::load(Module::Share).await {
                    Ok(m) => {
                        let answer = made(call(&m, "links", &args));
                        *module.borrow_mut() = Some(m);
                        answer
                    }
                    Err(e) => Links::NotLoaded(reason(&e)),
                };
                if *asked.borrow() == mine {
                    links.set(answer);
                }
            });
        });
    }
    let toggle = |hosts: bool| {
        let d = props.dispatch.clone();
        let r = props.redact;
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            d.emit(Action::Redact(if hosts {
                RedactOptions { hosts: on, ..r }
            } else {
                RedactOptions { ip: on, ..r }
            }))
        })
    };
    let copy = |text: String| {
        let cb = props.on_copy.clone();
        Callback::from(move |_: MouseEvent| cb.emit(text.clone()))
    };
    html! {
        <section id="share" class="share" aria-labelledby="share-title">
            <h2 id="share-title">{ "Share this result" }</h2>
            <p>{ "Send this link to your ISP, your hosting support or a forum. The whole result is inside the link: no server stores it." }</p>
            <label class="check-item" for="redact-ip"><input type="checkbox" id="redact-ip" checked={props.redact.ip} onchange={toggle(false)} />{ " Hide IP addresses" }</label>
            <label class="check-item" for="redact-hosts"><input type="checkbox" id="redact-hosts" checked={props.redact.hosts} onchange={toggle(true)} />{ " Hide server names (well-known public servers and your provider's relay stay)" }</label>
            { match (*links).clone() {
                Links::Making => html! {
                    <p class="progress" role="status">{ "Making the link…" }</p>
                },
                Links::NotLoaded(e) => html! {
                    <p id="share-error" class="error" role="alert">{ format!("The link could not be made: the part of the page that makes links did not load ({e}). Reload the page to try again, or run \"mailport check --share\" in a terminal.") }</p>
                },
                Links::Made(Ok([public, here, full])) => {
                    let note = [&public, &here, &full]
                        .into_iter()
                        .map(|l| copy_note(props.copied.as_ref(), l))
                        .find(|n| !n.is_empty())
                        .unwrap_or("");
                    html! { <>
                    <label for="share-link">{ "Link" }</label>
                    <div class="copy-row">
                        <input id="share-link" type="text" readonly=true value={public.clone()} />
                        <button type="button" onclick={copy(public)}>{ "Copy" }</button>
                    </div>
                    <p id="copy-status" class="note" role="status">{ note }</p>
                    <details>
                        <summary>{ format!("Full link with the servers' greetings and TLS details ({} characters)", full.len()) }</summary>
                        <div class="copy-row">
                            <input id="share-link-full" type="text" readonly=true aria-label="Full link" value={full.clone()} />
                            <button type="button" onclick={copy(full)}>{ "Copy" }</button>
                        </div>
                        <p class="note">{ "The link above leaves out the transcripts and the probed addresses; verdicts, advice and network facts are the same." }</p>
                    </details>
                    if props.share_base != props.page_url {
                    <details>
                        <summary>{ "Link to this copy of the page instead" }</summary>
                        <div class="copy-row">
                            <input id="share-link-here" type="text" readonly=true aria-label="Link to this page" value={here.clone()} />
                            <button type="button" onclick={copy(here)}>{ "Copy" }</button>
                        </div>
                        <p class="note">{ "Only useful if the other person can open this address: 127.0.0.1 is always their own computer." }</p>
                    </details>
                    }
                </> }
                }
                Links::Made(Err(e)) => html! {
                    <p id="share-error" class="error" role="alert">{ format!("{e}.") }</p>
                },
            } }
        </section>
    }
}
