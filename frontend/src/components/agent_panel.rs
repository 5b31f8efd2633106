//! The agent's status: looking, found (and how old), something unreadable
//! answering, or missing with how to get it and how to let the browser
//! reach it.

use crate::components::install::Install;
use crate::state::agent::{restart_command, Agent};
use yew::prelude::*;

/// What [`agent_panel`] shows, and what it calls back: borrowed from the
/// app's state for one render.
pub struct Panel<'a> {
    /// The agent's state.
    pub agent: &'a Agent,
    /// Paired with a token.
    pub paired: bool,
    /// The browser is Safari, which blocks public pages from loopback.
    pub safari: bool,
    /// Look for the agent (from a click).
    pub on_connect: &'a Callback<()>,
    /// The last copy to the clipboard: what, and did it work?
    pub copied: &'a Option<(String, bool)>,
    /// Copy text to the clipboard.
    pub on_copy: &'a Callback<String>,
    /// A link to the sample report on this page (a first visit shows what
    /// a result looks like without an agent).
    pub sample_link: &'a AttrValue,
}

/// The panel.
pub fn agent_panel(props: &Panel) -> Html {
    let connect = {
        let cb = props.on_connect.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let own_page = props.agent.own_page();
    let copy = |text: String| {
        let cb = props.on_copy.clone();
        Callback::from(move |_: MouseEvent| cb.emit(text.clone()))
    };
    let install = html! {
        <Install copied={props.copied.clone()} on_copy={props.on_copy.clone()} />
    };
    match props.agent {
        Agent::NeedsClick { candidates } => html! {
            <section id="agent" class="agent" aria-live="polite">
                <p>{ "mailport measures from your own computer with a small agent. If it is running, connect to it:" }</p>
                <button id="connect" class="primary" onclick={connect}>{ "Connect to my mailport agent" }</button>
                <p class="note">{ format!("The page will call {} on your computer; your browser may ask whether it may access devices on your local network: allow it.", candidates.join(" or ")) }</p>
                if props.safari {
                    <p class="warn">{ "Safari does not let public pages reach your computer. Start the agent and open " }<a href={own_page.clone()}>{ own_page.clone() }</a>{ " instead." }</p>
                }
                <details><summary>{ "Not installed yet?" }</summary>{ install }</details>
            </section>
        },
        Agent::Detecting => html! {
            <section id="agent" class="agent" aria-live="polite"><p>{ "Looking for the mailport agent on this computer…" }</p></section>
        },
        Agent::Found { base, health, .. } => {
            let outdated = props.agent.outdated();
            let version = if health.agent_version.is_empty() {
                String::new()
            } else {
                format!(" {}", health.agent_version)
            };
            html! {
                <section id="agent" class={classes!("agent", if outdated.is_some() { "old" } else { "found" })} aria-live="polite">
                    <p id="agent-status"><span aria-hidden="true">{ "✓ " }</span>
                        { format!("Connected to the mailport agent{version} at {base}.") }
                        // An older agent may not say what it can do.
                        if outdated.is_none() && !health.capabilities.ipv6 { { " This computer has no public IPv6 address, so IPv6 will probably not be testable from here." } }
                    </p>
                    if !props.paired {
                        <p class="warn" role="alert">{ "This page is not paired with the agent yet: open the address the agent printed when it started (it ends with #token=…)." }</p>
                    }
                    if let Some(old) = outdated {
                        <p id="agent-outdated" class="warn" role="alert">{ old.message() }</p>
                        { install }
                    }
                </section>
            }
        }
        Agent::Unreadable { base, detail } => html! {
            <section id="agent" class="agent old" aria-live="polite">
                <p id="agent-status" class="warn"><span aria-hidden="true">{ "✗ " }</span>
                    { format!("Something answered at {base}, but not as a mailport agent this page can talk to: most likely an older mailport. Update it as below, then start it again.") }
                </p>
                <details><summary>{ "What it answered" }</summary><p class="note">{ detail.clone() }</p></details>
                <button id="connect" onclick={connect}>{ "Try again" }</button>
                { install }
            </section>
        },
        Agent::Stopped { base } => {
            let cmd = restart_command(base);
            html! {
                <section id="agent" class="agent missing" aria-live="polite">
                    <p id="agent-status" class="warn"><span aria-hidden="true">{ "✗ " }</span>
                        { format!("The mailport agent stopped answering at {base} during the check (it was closed, or the computer slept). What finished is kept below as a partial result.") }
                    </p>
                    <p>{ "To check again, start it in a terminal:" }</p>
                    <div class="cmd">
                        <pre id="restart-command">{ cmd.clone() }</pre>
                        <button type="button" onclick={copy(cmd)}>{ "Copy" }</button>
                    </div>
                    <button id="connect" class="primary" onclick={connect}>{ "Reconnect" }</button>
                </section>
            }
        }
        Agent::Missing { tried, blocked } => html! {
            <section id="agent" class="agent" aria-live="polite">
                <h2>{ "Test your network's mail ports" }</h2>
                <p id="agent-status">{ "mailport tests your network from this computer: a small program, the agent, connects to real mail servers on ports 25, 26, 465, 587 and 2525, and this page shows what it found and what to do. The agent is not running here yet (nothing answered at " }{ tried.join(" or ") }{ ")." }</p>
                <p>{ "Want to see what a result looks like first? " }<a id="sample-report" href={props.sample_link.clone()}>{ "Open a sample report" }</a>{ " (a home connection whose provider blocks port 25)." }</p>
                { install }
                <p>{ "Once it runs, " }<button id="connect" onclick={connect}>{ "Connect" }</button></p>
                // Only where a browser can be in the way: a page on the web
                // calling this computer (Local Network Access, Safari).
                if *blocked {
                    <div id="blocked-hint" class="hint">
                        <p>{ "Already running the agent? Your browser may have blocked this page from reaching it:" }</p>
                        <ul>
                            if props.safari {
                                <li>{ "Safari does not let web pages reach your computer: open the agent's own page, " }<a href={own_page.clone()}>{ own_page.clone() }</a>{ "." }</li>
                            } else {
                                <li>{ "Click the icon left of the address bar, open Site settings, set “Local network access” to Allow, then connect again." }</li>
                            }
                            <li>{ "Or simply run " }<code>{ "mailport" }</code>{ ": it opens its own copy of this page." }</li>
                        </ul>
                    </div>
                }
            </section>
        },
    }
}
