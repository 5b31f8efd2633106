//! How to get the agent, per operating system, and what it does and does
//! not do: shown when no agent answers, or an older one does.
//!
//! The commands are the honest ones: mailport is built from source, so
//! each needs Rust; only `install.sh` builds the page into the agent, and
//! an agent built without it opens the public page instead.

use crate::state::copy_note;
use yew::prelude::*;

const REPO: &str = "https://github.com/mailport/mailport";

/// Props of [`Install`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Which system the browser runs on: `linux`, `macos`, `windows`.
    pub os: AttrValue,
    /// The last copy to the clipboard: what, and did it work?
    pub copied: Option<(String, bool)>,
    /// Copy text to the clipboard.
    pub on_copy: Callback<String>,
}

/// One command on its own line (it scrolls sideways rather than breaking
/// in the middle of the address), with a copy button and its outcome.
fn command(id: &str, cmd: &str, props: &Props) -> Html {
    let onclick = {
        let cb = props.on_copy.clone();
        let cmd = cmd.to_string();
        Callback::from(move |_: MouseEvent| cb.emit(cmd.clone()))
    };
    html! {
        <div class="cmd">
            <pre id={id.to_string()}><code>{ cmd }</code></pre>
            <button type="button" class="copy" {onclick} aria-describedby={id.to_string()}>{ "Copy" }</button>
            <p class="note" role="status">{ copy_note(props.copied.as_ref(), cmd) }</p>
        </div>
    }
}

/// The install panel.
#[component(Install)]
pub fn install(props: &Props) -> Html {
    let script = format!("git clone {REPO} && bash mailport/install.sh");
    let cargo = format!("cargo install --git {REPO} mailport");
    let os = props.os.as_str();
    html! {
        <section id="install" class="install" aria-labelledby="install-title">
            <h2 id="install-title">{ "Get the mailport agent" }</h2>
            <p>{ "A web page cannot open connections to mail servers, so mailport runs a small program on your computer and shows its results here. It is built from source: you need Rust (from " }<a href="https://rustup.rs/">{ "rustup.rs" }</a>{ ")." }</p>
            <details open={os != "windows"}>
                <summary>{ "Linux and macOS" }</summary>
                <p>{ "With Rust and git installed, in a terminal (it builds the page and the agent, a few minutes the first time, into ~/.local/bin):" }</p>
                { command("cmd-unix", &script, props) }
                <p>{ "Then run " }<code>{ "mailport" }</code>{ ": it opens this page, connected. Or " }<code>{ "mailport check" }</code>{ " for the answer in the terminal." }</p>
                <p class="note">{ "Want it always at hand? " }<code>{ "bash mailport/install.sh --service" }</code>{ " also writes a user service; it starts only once you enable it." }</p>
            </details>
            <details open={os == "windows"}>
                <summary>{ "Windows (and any system without bash)" }</summary>
                <p>{ "With Rust installed (rustup sets up the C++ build tools it needs), in PowerShell:" }</p>
                { command("cmd-cargo", &cargo, props) }
                <p>{ "Then run " }<code>{ "mailport" }</code>{ ". This build carries no copy of the page: it opens the public mailport page, connected to it." }</p>
            </details>
            <div class="facts">
                <div>
                    <h3>{ "What the agent does" }</h3>
                    <ul>
                        <li>{ "Opens TCP connections from your network to mail servers on ports 25, 26, 465, 587 and 2525, reads their greeting and tries TLS." }</li>
                        <li>{ "Looks up mail servers in DNS, and your public address, its network and blocklist listings (asking OpenDNS, Google, Team Cymru and Spamhaus, by DNS only)." }</li>
                        <li>{ "Listens only on this computer's loopback addresses (127.0.0.1 and ::1), for this page." }</li>
                    </ul>
                </div>
                <div>
                    <h3>{ "What it does not do" }</h3>
                    <ul>
                        <li>{ "Send any mail: it says goodbye after the greeting, EHLO and the TLS handshake." }</li>
                        <li>{ "Upload anything: results stay on your computer unless you share a link." }</li>
                        <li>{ "Accept connections from other machines." }</li>
                        <li>{ "Start by itself: it runs only while you have it started, or as the user service if you chose to enable it." }</li>
                    </ul>
                </div>
            </div>
        </section>
    }
}
