//! Share links: the report in the URL fragment, optionally redacted, on a
//! public copy of the page (a link to 127.0.0.1 opens nowhere else).
//!
//! The share module makes them (`bin/share.rs`, asked through
//! [`crate::share_links`]): the page itself carries no writer for the
//! report.

use crate::share_links::{use_share_links, Links};
use crate::state::share_source::ShareSource;
use crate::state::{copy_note, Action};
use mailport_shared::share::RedactOptions;
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

/// What to do when there is no link, after the sentence that says why.
const ELSEWHERE: &str = "\"mailport check --share\" in a terminal prints a link too.";

/// The panel.
#[component(SharePanel)]
pub fn share_panel(props: &Props) -> Html {
    let attempt = use_state(|| 0u32);
    // The short link (no transcripts) by default: it fits a chat message
    // or a ticket form; the full one is a click away.
    let links = use_share_links(
        &props.source,
        props.redact,
        &props.share_base,
        &props.page_url,
        *attempt,
    );
    let again = {
        let attempt = attempt.clone();
        Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
    };
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
            { match links {
                Links::Making => html! {
                    <p class="progress" role="status">{ "Making the link…" }</p>
                },
                Links::NotLoaded(e) => html! { <>
                    <p id="share-error" class="error" role="alert">{ format!("The link could not be made: the part of the page that makes links did not load ({e}). {ELSEWHERE}") }</p>
                    <button id="share-retry" type="button" onclick={again}>{ "Try again" }</button>
                </> },
                Links::Broken(e) => html! {
                    <p id="share-error" class="error" role="alert">{ format!("The link could not be made: the part of the page that makes links stopped working ({e}). {ELSEWHERE}") }</p>
                },
                Links::Made([public, here, full]) => {
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
                Links::Refused(sentence) => html! {
                    <p id="share-error" class="error" role="alert">{ format!("{sentence}.") }</p>
                },
            } }
        </section>
    }
}
