//! How to get the agent, per operating system, and what it does and does
//! not do: shown when no agent answers.

use yew::prelude::*;

const REPO: &str = "https://github.com/mailport/mailport";

/// Props of [`Install`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Which system the browser runs on: `linux`, `macos`, `windows`.
    pub os: AttrValue,
}

/// The install panel.
#[component(Install)]
pub fn install(props: &Props) -> Html {
    let cargo = format!("cargo install --git {REPO} mailport");
    let os = props.os.as_str();
    html! {
        <section id="install" class="install" aria-labelledby="install-title">
            <h2 id="install-title">{ "Get the mailport agent" }</h2>
            <p>{ "A web page cannot open connections to mail servers, so mailport runs a small program on your computer and shows its results here." }</p>
            <details open={os != "windows"}>
                <summary>{ "Linux and macOS" }</summary>
                <ol>
                    <li>{ "Install Rust from rustup.rs if you do not have it." }</li>
                    <li>{ "In a terminal:" }<pre><code>{ cargo.clone() }</code></pre></li>
                    <li>{ "Run " }<code>{ "mailport" }</code>{ ": it opens this page, connected. Or " }<code>{ "mailport check" }</code>{ " for the answer in the terminal." }</li>
                </ol>
                <p class="note">{ "Prefer a script? Download install.sh from the repository, read it, then run it: it builds the same thing." }</p>
            </details>
            <details open={os == "windows"}>
                <summary>{ "Windows" }</summary>
                <ol>
                    <li>{ "Install Rust from rustup.rs (it installs the C++ build tools it needs)." }</li>
                    <li>{ "In PowerShell:" }<pre><code>{ cargo }</code></pre></li>
                    <li>{ "Run " }<code>{ "mailport" }</code>{ "." }</li>
                </ol>
            </details>
            <div class="facts">
                <div>
                    <h3>{ "What the agent does" }</h3>
                    <ul>
                        <li>{ "Opens TCP connections from your network to mail servers on ports 25, 26, 465, 587 and 2525, reads their greeting and tries TLS." }</li>
                        <li>{ "Looks up mail servers in DNS." }</li>
                        <li>{ "Listens only on 127.0.0.1 (this computer), for this page." }</li>
                    </ul>
                </div>
                <div>
                    <h3>{ "What it does not do" }</h3>
                    <ul>
                        <li>{ "Send any mail: it says goodbye right after the greeting." }</li>
                        <li>{ "Upload anything: results stay on your computer unless you share a link." }</li>
                        <li>{ "Accept connections from other machines, or run in the background when you close it." }</li>
                    </ul>
                </div>
            </div>
        </section>
    }
}
