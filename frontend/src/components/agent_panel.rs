//! The agent's status: looking, found (and how old), or missing with how to
//! get it and how to let the browser reach it.

use crate::components::install::Install;
use crate::state::Agent;
use mailport_shared::api::{API_VERSION, DEFAULT_PORT};
use yew::prelude::*;

/// Props of [`AgentPanel`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The agent's state.
    pub agent: Agent,
    /// Paired with a token.
    pub paired: bool,
    /// `linux`, `macos`, `windows`.
    pub os: AttrValue,
    /// The browser is Safari, which blocks public pages from loopback.
    pub safari: bool,
    /// Look for the agent (from a click).
    pub on_connect: Callback<()>,
}

/// The panel.
#[component(AgentPanel)]
pub fn agent_panel(props: &Props) -> Html {
    let connect = {
        let cb = props.on_connect.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let own_page = format!("http://127.0.0.1:{DEFAULT_PORT}/");
    match &props.agent {
        Agent::NeedsClick { candidates } => html! {
            <section id="agent" class="agent" aria-live="polite">
                <p>{ "mailport measures from your own computer with a small agent. If it is running, connect to it:" }</p>
                <button id="connect" class="primary" onclick={connect}>{ "Connect to my mailport agent" }</button>
                <p class="note">{ format!("The page will call {} on your computer; your browser may ask whether it may access devices on your local network: allow it.", candidates.join(" or ")) }</p>
                if props.safari {
                    <p class="warn">{ "Safari does not let public pages reach your computer. Start the agent and open " }<a href={own_page.clone()}>{ own_page.clone() }</a>{ " instead." }</p>
                }
                <details><summary>{ "Not installed yet?" }</summary><Install os={props.os.clone()} /></details>
            </section>
        },
        Agent::Detecting => html! {
            <section id="agent" class="agent" aria-live="polite"><p>{ "Looking for the mailport agent on this computer…" }</p></section>
        },
        Agent::Found { base, health, .. } => html! {
            <section id="agent" class="agent found" aria-live="polite">
                <p id="agent-status"><span aria-hidden="true">{ "✓ " }</span>
                    { format!("Connected to the mailport agent {} at {base}.", health.agent_version) }
                    if !health.capabilities.ipv6 { { " This computer has no IPv6 address, so IPv6 will show “no route”." } }
                </p>
                if let Some(v) = props.agent.outdated() {
                    <p class="warn" role="alert">{ format!("This agent speaks API version {v}, older than this page's ({API_VERSION}). Update it (run the install command again) if something fails.") }</p>
                }
                if !props.paired {
                    <p class="warn" role="alert">{ "This page is not paired with the agent yet: open the address the agent printed when it started (it ends with #token=…)." }</p>
                }
            </section>
        },
        Agent::Missing { tried, blocked } => html! {
            <section id="agent" class="agent missing" aria-live="polite">
                <p id="agent-status" class="warn"><span aria-hidden="true">{ "✗ " }</span>{ format!("No mailport agent answered at {}.", tried.join(" or ")) }</p>
                if *blocked {
                    <div class="hint">
                        <p>{ "If the agent is running, your browser may have blocked this page from reaching it:" }</p>
                        <ul>
                            <li>{ "Chrome and Edge: click the icon left of the address bar, open Site settings, set “Local network access” to Allow, then try again." }</li>
                            <li>{ "Safari blocks it always: open the agent's own page, " }<a href={own_page.clone()}>{ own_page.clone() }</a>{ "." }</li>
                            <li>{ "Or simply run " }<code>{ "mailport" }</code>{ ": it opens its own copy of this page." }</li>
                        </ul>
                    </div>
                }
                <button id="connect" onclick={connect}>{ "Try again" }</button>
                <Install os={props.os.clone()} />
            </section>
        },
    }
}
