//! "Set up a relay": the configuration that makes the user's mail server
//! send through a smarthost, for the host, port, login and mail server
//! typed in. The text comes from `mailport_shared::relay`, the very code
//! `mailport relay --mta` prints, so page and terminal never differ.
//!
//! It is the inside of the page's "Set up a relay" section
//! ([`super::relay_section`]), built as its own module (`bin/relay.rs`),
//! which the page loads when the section is first opened.
//!
//! The snippet always carries a placeholder for the password. With the
//! agent connected, the panel also runs the relay test (`POST /v1/relay`,
//! the same test as `mailport relay`): the password typed into its
//! password field lives in this component's state only (never in the
//! page's [`crate::state::State`], the address, a share link or
//! `sessionStorage`) and is sent to the local agent only.

use crate::api;
use crate::state::relay_test::{self, RelayAnswer, RelayFields};
use mailport_shared::relay::{self, snippet, Mta, Password, RelaySpec, DEFAULT_PORT};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The agent the panel may ask to test the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayAgent {
    /// Its base URL.
    pub base: String,
    /// The page's token, when paired.
    pub token: Option<String>,
    /// The page is not the agent's own (Local Network Access applies).
    pub cross_origin: bool,
}

/// The panel's properties.
#[derive(Properties, PartialEq)]
pub struct RelayProps {
    /// The connected agent, if any.
    #[prop_or_default]
    pub agent: Option<RelayAgent>,
}

/// Where the relay test stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TestRun {
    Idle,
    Running,
    Done(RelayAnswer),
    Failed(String),
}

/// The panel (holds only what is typed into it).
#[component(RelayPanel)]
pub fn relay_panel(props: &RelayProps) -> Html {
    let host = use_state(String::new);
    let port = use_state(|| DEFAULT_PORT.to_string());
    let user = use_state(String::new);
    let mta = use_state(|| Mta::Postfix);
    let password = use_state(String::new);
    let from = use_state(String::new);
    let to = use_state(String::new);
    let run = use_state(|| TestRun::Idle);
    let text_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_mta = {
        let mta = mta.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(m) = Mta::parse(&v) {
                mta.set(m);
            }
        })
    };
    let on_test = {
        let (host, port, user, from, to) = (
            host.clone(),
            port.clone(),
            user.clone(),
            from.clone(),
            to.clone(),
        );
        let (password, run, agent) = (password.clone(), run.clone(), props.agent.clone());
        Callback::from(move |_: MouseEvent| {
            if *run == TestRun::Running {
                return;
            }
            let Some(agent) = agent.clone() else { return };
            let Some(token) = agent.token.clone() else {
                return run.set(TestRun::Failed(
                    "This page is not paired with the agent: open the address the agent printed when it started (it ends with #token=…).".into(),
                ));
            };
            let fields = RelayFields {
                host: (*host).clone(),
                port: (*port).clone(),
                user: (*user).clone(),
                from: (*from).clone(),
                to: (*to).clone(),
            };
            let body = match relay_test::request_body(&fields, &password) {
                Ok(b) => b,
                Err(e) => return run.set(TestRun::Failed(e)),
            };
            run.set(TestRun::Running);
            let run = run.clone();
            spawn_local(async move {
                let answer = api::test_relay(&agent.base, &token, body, agent.cross_origin).await;
                run.set(match answer {
                    Ok(report) => TestRun::Done(relay_test::answer(&report)),
                    // An agent from before `/v1/relay` answers 404.
                    Err(api::ApiFailure::Http { status: 404, .. }) => TestRun::Failed(
                        "This mailport agent is too old to test relays: update it, or run the command above in a terminal.".into(),
                    ),
                    Err(e) => TestRun::Failed(e.message()),
                });
            });
        })
    };
    let tester = match &props.agent {
        None => html! {
            <p id="relay-test-needs-agent" class="note">{ "Testing the login needs the mailport agent on this computer: connect to it above, or run the command below in a terminal." }</p>
        },
        Some(_) => html! {
            <div class="relay-test">
                <p>{ "Or let the agent test it now: the password goes only to the mailport agent on this computer, for this test. It is not kept, put in the address or in a share link." }</p>
                <div class="relay-form">
                    <label>{ "Password " }<input id="relay-password" type="password" autocomplete="off" value={(*password).clone()} oninput={text_input(&password)} /></label>
                    <label>{ "Sender (optional) " }<input id="relay-from" type="text" placeholder="you@example.net" value={(*from).clone()} oninput={text_input(&from)} /></label>
                    <label>{ "Recipient (optional) " }<input id="relay-to" type="text" placeholder="friend@example.org" value={(*to).clone()} oninput={text_input(&to)} /></label>
                </div>
                <button id="relay-test" type="button" onclick={on_test} disabled={*run == TestRun::Running}>{ "Test this relay with the agent" }</button>
                { test_result(&run) }
            </div>
        },
    };
    let output = if host.trim().is_empty() || user.trim().is_empty() {
        html! { <p class="note">{ "Enter the relay's host name and your login to see the configuration." }</p> }
    } else {
        let spec = relay::port(port.trim())
            .and_then(|p| RelaySpec::new(&host, p, &user))
            .map_err(|e| e.to_string());
        match spec.and_then(|s| snippet(*mta, &s, Password::Placeholder).map_err(|e| e.to_string()))
        {
            Ok(s) => {
                let test = format!(
                    "mailport relay {}:{} --user {} --mta {}",
                    host.trim(),
                    s.port,
                    user.trim(),
                    mta.id()
                );
                html! {
                    <>
                        <p>{ "Test it first from the machine that will relay (it asks for the password, sends no mail): " }<code>{ test }</code></p>
                        <pre id="relay-snippet"><code>{ s.render() }</code></pre>
                    </>
                }
            }
            Err(e) => html! { <p class="error" role="alert">{ e }</p> },
        }
    };
    html! {
        <>
                <p>{ "Port 25 blocked? Send through a smarthost on 587 or 465. Enter its details to get a ready-to-paste configuration for your mail server (the password stays a placeholder in it)." }</p>
                <div class="relay-form">
                    <label>{ "Relay host " }<input id="relay-host" type="text" placeholder="smtp.example.net" value={(*host).clone()} oninput={text_input(&host)} /></label>
                    <label>{ "Port " }<input id="relay-port" type="text" inputmode="numeric" size="5" value={(*port).clone()} oninput={text_input(&port)} /></label>
                    <label>{ "Login " }<input id="relay-user" type="text" placeholder="you@example.net" value={(*user).clone()} oninput={text_input(&user)} /></label>
                    <label>{ "Mail server " }
                        <select id="relay-mta" onchange={on_mta}>
                            { for Mta::ALL.iter().map(|m| html! {
                                <option value={m.id()} selected={*m == *mta}>{ m.name() }</option>
                            }) }
                        </select>
                    </label>
                </div>
                { output }
                { tester }
        </>
    }
}

/// The test's progress or answer, one row per step.
fn test_result(run: &TestRun) -> Html {
    match run {
        TestRun::Idle => Html::default(),
        TestRun::Running => html! {
            <p id="relay-test-running" class="progress" role="status">{ "The agent is testing the relay (no mail is sent)…" }</p>
        },
        TestRun::Failed(e) => {
            html! { <p id="relay-test-error" class="error" role="alert">{ e.clone() }</p> }
        }
        TestRun::Done(a) => html! {
            <div id="relay-test-result" role="status">
                <ol class="relay-steps">
                    { for a.rows.iter().map(|r| html! {
                        <li class={if r.passed { "good" } else { "bad" }}>
                            <strong>{ if r.passed { "ok " } else { "failed " } }{ r.label }</strong>
                            if !r.detail.is_empty() { { " " }<code>{ r.detail.clone() }</code> }
                            { format!(" ({} ms)", r.ms) }
                        </li>
                    }) }
                </ol>
                <p id="relay-test-verdict" class={if a.works { "good" } else { "bad" }}><strong>{ a.headline.clone() }</strong></p>
                if !a.explain.is_empty() { <p>{ a.explain.clone() }</p> }
            </div>
        },
    }
}
