//! The page's side of the share module (`bin/share.rs`): a hook that asks
//! it for the links of the result shown, so that the share panel only
//! shows the answer.
//!
//! The module is imported when a check starts (`app::run_check`); a visit
//! that never runs a check never downloads it. Once it is loaded, a change
//! of what to hide is answered in the same render, so the panel never shows
//! a link made with the boxes as they were.

use crate::lazy::{self, reason, Module};
use crate::state::share_source::ShareSource;
use mailport_shared::share::RedactOptions;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Where the links stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Links {
    /// The share module is on its way.
    Making,
    /// The short link on the share base, the short link on this page and
    /// the full link.
    Made([String; 3]),
    /// The module made none, and says why in a sentence (redaction failed:
    /// never an unredacted link).
    Refused(String),
    /// The module did not load (the network, or the agent that served the
    /// page is gone): why. Asking again may work.
    NotLoaded(String),
    /// The module stopped working (it trapped): why. It stays broken until
    /// the page is loaded again.
    Broken(String),
}

/// What one call of the module's `links` came to. It throws a string, a
/// sentence of its own, when it makes no link; anything else thrown is the
/// module failing.
fn answer(called: Result<JsValue, JsValue>) -> Links {
    match called {
        Ok(v) => {
            let array = js_sys::Array::from(&v);
            let mut links = array.iter().filter_map(|l| l.as_string());
            match (links.next(), links.next(), links.next(), links.next()) {
                (Some(public), Some(here), Some(full), None) => Links::Made([public, here, full]),
                _ => Links::Broken("it answered with something other than three links".into()),
            }
        }
        Err(e) => match e.as_string() {
            Some(sentence) => Links::Refused(sentence),
            None => Links::Broken(reason(&e)),
        },
    }
}

/// Asks the module for `source`'s links, hiding what `redact` says, on
/// `share_base` and on `page_url`; again whenever one of them changes, or
/// `attempt` does (a "Try again" after the module did not load).
#[hook]
pub fn use_share_links(
    source: &ShareSource,
    redact: RedactOptions,
    share_base: &AttrValue,
    page_url: &AttrValue,
    attempt: u32,
) -> Links {
    let links = use_state(|| Links::Making);
    let module = use_mut_ref(|| None::<JsValue>);
    // Counts the requests: the answer to an older one (the boxes changed
    // while the module loaded) is dropped.
    let asked = use_mut_ref(|| 0u32);
    {
        let links = links.clone();
        let key = (
            source.clone(),
            redact,
            share_base.clone(),
            page_url.clone(),
            attempt,
        );
        use_effect_with(key, move |(source, redact, share_base, page_url, _)| {
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
                links.set(answer(lazy::call(m, "links", &args)));
                return;
            }
            links.set(Links::Making);
            spawn_local(async move {
                let made = match lazy::load(Module::Share).await {
                    Ok(m) => {
                        let made = answer(lazy::call(&m, "links", &args));
                        *module.borrow_mut() = Some(m);
                        made
                    }
                    Err(e) => Links::NotLoaded(reason(&e)),
                };
                if *asked.borrow() == mine {
                    links.set(made);
                }
            });
        });
    }
    (*links).clone()
}
