//! "Set up a relay": the configuration that makes the user's mail server
//! send through a smarthost, for the host, port, login and mail server
//! typed in. The text comes from `mailport_shared::relay`, the very code
//! `mailport relay --mta` prints, so page and terminal never differ.
//!
//! No password field: the snippet carries a placeholder, so nothing secret
//! is ever typed into, kept in, or shared from this page. Testing the relay
//! with the password is `mailport relay` in a terminal.

use mailport_shared::relay::{snippet, Mta, Password, RelaySpec, DEFAULT_PORT};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The panel (holds only what is typed into it).
#[component(RelayPanel)]
pub fn relay_panel() -> Html {
    let host = use_state(String::new);
    let port = use_state(|| DEFAULT_PORT.to_string());
    let user = use_state(String::new);
    let mta = use_state(|| Mta::Postfix);
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
    let output = if host.trim().is_empty() || user.trim().is_empty() {
        html! { <p class="note">{ "Enter the relay's host name and your login to see the configuration." }</p> }
    } else {
        let spec = port
            .trim()
            .parse::<u16>()
            .map_err(|_| format!("{:?} is not a port number (1 to 65535)", port.trim()))
            .and_then(|p| RelaySpec::new(&host, p, &user).map_err(|e| e.to_string()));
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
        <section id="relay" class="relay" aria-labelledby="relay-title">
            <details>
                <summary><h2 id="relay-title">{ "Set up a relay" }</h2></summary>
                <p>{ "Port 25 blocked? Send through a smarthost on 587 or 465. Enter its details to get a ready-to-paste configuration for your mail server. The password stays a placeholder: never type it into a web page." }</p>
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
            </details>
        </section>
    }
}
