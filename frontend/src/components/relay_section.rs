//! "Set up a relay": the section's heading, and its panel
//! ([`super::relay`]) loaded when the section is first opened.
//!
//! The panel is a second wasm module (`bin/relay.rs`) that most visits
//! never need, so the page does not carry it: 20 KB (7 % at 42b9264) less to load,
//! gzipped, for every visit that never opens it, and 96 KB more for one
//! that does (the module has its own Yew and standard library).
//! `web/main.js` imports it ([`crate::lazy`]); its `mount`
//! renders the panel into this section, and `set_agent` keeps the agent it
//! may test with current (see `bin/relay.rs` for why the page's app and the
//! panel's never mix events). The module holds its own state: what is
//! typed into it, the password above all, never passes through here.

use super::relay::RelayAgent;
use crate::lazy::{self, call, reason, Module};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;
use yew::prelude::*;

/// The section's properties.
#[derive(Properties, PartialEq)]
pub struct RelaySectionProps {
    /// The connected agent, if any.
    #[prop_or_default]
    pub agent: Option<RelayAgent>,
}

/// Where loading the panel stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Load {
    NotYet,
    Loading,
    Failed(String),
    /// Loaded, then it stopped answering (it trapped).
    Broken(String),
}

/// The arguments `mount` and `set_agent` take after the element: the
/// agent's base URL and token (or `undefined`) and whether the page is
/// cross-origin.
fn agent_args(agent: &Option<RelayAgent>) -> [JsValue; 3] {
    match agent {
        None => [JsValue::UNDEFINED, JsValue::UNDEFINED, false.into()],
        Some(a) => [
            a.base.as_str().into(),
            a.token.as_deref().map_or(JsValue::UNDEFINED, JsValue::from),
            a.cross_origin.into(),
        ],
    }
}

/// Why the panel is not there, and what to do.
fn load_error(text: String) -> Html {
    html! { <p id="relay-load-error" class="error" role="alert">{ text }</p> }
}

/// The section; the panel appears inside it once loaded.
#[component(RelaySection)]
pub fn relay_section(props: &RelaySectionProps) -> Html {
    let mount = use_node_ref();
    let module: Rc<RefCell<Option<JsValue>>> = use_mut_ref(|| None);
    // The agent as of the last render, for a panel that finishes loading
    // after it changed.
    let latest = use_mut_ref(|| None::<RelayAgent>);
    *latest.borrow_mut() = props.agent.clone();
    let load = use_state(|| Load::NotYet);
    {
        let (module, load) = (module.clone(), load.clone());
        use_effect_with(props.agent.clone(), move |agent| {
            if let Some(m) = module.borrow().as_ref() {
                // The panel would go on with the agent it had: say so.
                if let Err(e) = call(m, "set_agent", &agent_args(agent)) {
                    load.set(Load::Broken(reason(&e)));
                }
            }
        });
    }
    let on_toggle = {
        let (mount, module, load) = (mount.clone(), module.clone(), load.clone());
        Callback::from(move |e: Event| {
            let open = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"open".into()).ok())
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let Some(root) = mount.cast::<Element>() else {
                return;
            };
            // Shown already, or on its way.
            if !open || root.child_element_count() > 0 || *load == Load::Loading {
                return;
            }
            load.set(Load::Loading);
            let (module, load, latest) = (module.clone(), load.clone(), latest.clone());
            spawn_local(async move {
                let mounted = match lazy::load(Module::Relay).await {
                    Ok(m) => {
                        let [base, token, cross] = agent_args(&latest.borrow());
                        let done = call(&m, "mount", &[root.into(), base, token, cross]).map(drop);
                        *module.borrow_mut() = Some(m);
                        done
                    }
                    Err(e) => Err(e),
                };
                load.set(match mounted {
                    Ok(()) => Load::NotYet,
                    Err(e) => Load::Failed(reason(&e)),
                });
            });
        })
    };
    html! {
        <section id="relay" class="relay" aria-labelledby="relay-title">
            <details ontoggle={on_toggle}>
                <summary><h2 id="relay-title">{ "Set up a relay" }</h2></summary>
                // The panel's own module renders into this element; this
                // page never renders anything inside it.
                <div id="relay-mount" ref={mount}></div>
                {
                    match &*load {
                        Load::NotYet => Html::default(),
                        Load::Loading => html! {
                            <p class="progress" role="status">{ "Loading the relay panel…" }</p>
                        },
                        Load::Failed(e) => load_error(format!("The relay panel could not load ({e}). Close and open this section to try again, or run \"mailport relay\" in a terminal.")),
                        Load::Broken(e) => load_error(format!("The relay panel stopped working ({e}). Reload the page to use it again, or run \"mailport relay\" in a terminal.")),
                    }
                }
            </details>
        </section>
    }
}
