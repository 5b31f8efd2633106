//! The page as a share link opens it: the result the link carries, and
//! nothing of the checker (no agent, no form, no live check).
//!
//! `web/main.js` starts this app instead of [`crate::app::App`] when the
//! address carries a shared result (`#r=…`), so that a visit which opens
//! no link never downloads the link codec, nor the classification and
//! advice a short link derives its verdicts with; and a visit that opens
//! one never downloads the checker. A link pasted over the one shown is
//! read in place; an address that carries none any more reloads the page,
//! which then starts the checker.

use crate::app::{decode_uri_component, hash_listener, reload};
use crate::components::grid::progress_grid;
use crate::components::inbound::inbound_view;
use crate::components::verdict::verdict_view;
use crate::state::fragment::Fragment;
use crate::state::grid::Grid;
use crate::state::run::conclusion_of;
use crate::state::shared_link::{shared_of, Shared};
use crate::state::time::utc_datetime;
use yew::prelude::*;

/// The shared result in the address, read.
fn shown() -> Option<(Shared, bool)> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    shared_of(&Fragment::parse(&hash, decode_uri_component))
}

/// The page's address without its fragment: where "Run your own check"
/// goes.
fn page_url() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// The viewer.
#[component(Viewer)]
pub fn viewer() -> Html {
    let page_url = use_memo((), |_| page_url());
    let shared = use_state(shown);
    {
        let shared = shared.clone();
        use_effect_with((), move |_| {
            hash_listener(move |_| match shown() {
                Some(s) => {
                    shared.set(Some(s));
                    if let Some(w) = web_sys::window() {
                        w.scroll_to_with_x_and_y(0.0, 0.0);
                    }
                }
                // The page's own view is the checker's.
                None => reload(),
            })
        });
    }
    let page_url = (*page_url).clone();
    let body = match &*shared {
        Some((Shared::Report(report), short)) => html! {
            <>
                <section id="shared-banner" class="shared-banner">
                    <p><strong>{ format!("Shared result from {}", utc_datetime(report.started_at_ms)) }</strong>
                    { format!(", measured by mailport {} in {} on the sender's network. ", report.tool_version, report.duration_text()) }
                    <a href={page_url.clone()}>{ "Run your own check" }</a></p>
                </section>
                { verdict_view(&conclusion_of(report), report.network.as_ref()) }
                if let Some(inbound) = &report.inbound {
                    { inbound_view(inbound) }
                }
                { progress_grid(&Grid::from_report(report), false, &crate::app::folded(&report.verdicts)) }
                if *short {
                    <p class="note" id="short-note">{ "This was a short link: it carries the verdicts, advice and network facts, not the servers' greetings or the probed addresses." }</p>
                }
            </>
        },
        Some((Shared::Broken(why), _)) => html! {
            <section id="shared-banner" class="shared-banner broken" role="alert">
                <h2>{ "This shared result cannot be shown" }</h2>
                <p id="share-error">{ why.clone() }</p>
                <p><a href={page_url.clone()}>{ "Run your own check instead" }</a></p>
            </section>
        },
        // Only when the address changed while the page loaded: main.js
        // starts the viewer exactly when `Fragment::parse` finds a result.
        None => html! {
            <section id="shared-banner" class="shared-banner" role="status">
                <p>{ "This address carries no shared result. " }
                <a href={page_url.clone()}>{ "Open the page" }</a></p>
            </section>
        },
    };
    let footer = match &*shared {
        Some((Shared::Report(_), _)) => "This result was measured on the sender's computer and travels inside the link; this page only shows it. Nothing is uploaded.",
        _ => "The check runs on your computer; this page only shows it. Nothing is uploaded.",
    };
    crate::app::frame(body, footer, String::new())
}
