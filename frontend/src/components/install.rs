//! How to get the agent, and what it does and does not do: shown when no
//! agent answers, or an older one does.
//!
//! The visitor's system is detected from what the browser says (User-Agent
//! Client Hints where available, `navigator.platform` and the User-Agent
//! otherwise; the deciding is [`mailport_shared::platform`]): its one-line
//! installer and direct download come first, with the checksum when the
//! release's `SHA256SUMS` can be read, the other systems' downloads below.
//! A phone is told the agent needs a computer. Building from source is
//! last.
//!
//! The download base is the latest GitHub release unless the page carries
//! `<meta name="mailport-download-base" content="…">`; `SHA256SUMS` is
//! fetched only from such a configured base (a copy of the page that
//! mirrors the release), never from a host the deployer did not name.

use crate::state::copy_note;
use mailport_shared::platform::{
    self, checksum_of, one_liner, ordered, BrowserSays, Download, Platform, System, RELEASE_BASE,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::platform::spawn_local;
use yew::prelude::*;

const REPO: &str = "https://github.com/mailport/mailport";

/// Props of [`Install`].
#[derive(Properties, PartialEq)]
pub struct Props {
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

/// What this browser says about its computer.
fn browser_says() -> BrowserSays {
    use js_sys::Reflect;
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return BrowserSays::default();
    };
    let data = Reflect::get(&nav, &"userAgentData".into())
        .ok()
        .filter(|d| d.is_object());
    let field = |name: &str| {
        data.as_ref()
            .and_then(|d| Reflect::get(d, &name.into()).ok())
    };
    BrowserSays {
        hint_platform: field("platform").and_then(|v| v.as_string()),
        hint_mobile: field("mobile").and_then(|v| v.as_bool()),
        hint_arch: None,
        platform: nav.platform().unwrap_or_default(),
        user_agent: nav.user_agent().unwrap_or_default(),
    }
}

/// The configured download base, if the page names one.
fn configured_base() -> Option<String> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(r#"meta[name="mailport-download-base"]"#)
                .ok()
                .flatten()
        })
        .and_then(|m| m.get_attribute("content"))
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
}

/// `SHA256SUMS` from `base`, or `None` when it cannot be read.
async fn fetch_sums(base: &str) -> Option<String> {
    let window = web_sys::window()?;
    let resp = JsFuture::from(window.fetch_with_str(&format!("{base}/SHA256SUMS")))
        .await
        .ok()?;
    let resp: web_sys::Response = resp.dyn_into().ok()?;
    if !resp.ok() {
        return None;
    }
    JsFuture::from(resp.text().ok()?).await.ok()?.as_string()
}

/// One download link, with its checksum when known.
fn download(d: &Download, base: &str, sums: Option<&str>, id: Option<&str>) -> Html {
    let name = d.archive();
    let hash = sums.and_then(|s| checksum_of(s, &name));
    html! {
        <li id={id.map(str::to_string)} class="download" data-target={d.target}>
            <a href={format!("{base}/{name}")}>{ d.label }</a>
            { " — " }<code>{ name.clone() }</code>
            if let Some(h) = hash {
                <p class="sha">{ "SHA-256: " }<code class="hash">{ h.to_string() }</code></p>
            }
        </li>
    }
}

/// How to check a download by hand, per system.
fn verify_hint(system: System, base: &str) -> Html {
    let how = match system {
        System::Windows => "Get-FileHash mailport-x86_64-pc-windows-gnu.zip",
        System::MacOs => "shasum -a 256 -c SHA256SUMS --ignore-missing",
        _ => "sha256sum -c SHA256SUMS --ignore-missing",
    };
    html! {
        <p class="note" id="verify">
            { "The installer checks the download against " }
            <a href={format!("{base}/SHA256SUMS")}>{ "SHA256SUMS" }</a>
            { " itself. For a direct download, compare by hand: " }<code>{ how }</code>
        </p>
    }
}

/// The install panel.
#[component(Install)]
pub fn install(props: &Props) -> Html {
    let platform: Platform = *use_memo((), |_| platform::detect(&browser_says()));
    let configured = use_memo((), |_| configured_base());
    let base = configured.as_deref().unwrap_or(RELEASE_BASE).to_string();
    let sums = use_state(|| None::<String>);
    {
        let sums = sums.clone();
        let configured = (*configured).clone();
        use_effect_with((), move |_| {
            if let Some(base) = configured {
                spawn_local(async move { sums.set(fetch_sums(&base).await) });
            }
        });
    }
    let sums = sums.as_deref();
    let (first, rest) = ordered(platform);
    let system = platform.system;
    let mine = match system {
        System::Phone => html! {
            <div id="install-mine" class="phone">
                <p><strong>{ "This needs a computer on the network you want to test." }</strong>
                { " The agent is a small program for Windows, macOS or Linux; a phone cannot run it. Open this page on a computer connected to the same network (the same Wi-Fi or office line)." }</p>
                <p><a id="sample-report" href={format!("{REPO}#using-it")}>{ "What a check reports, and what each verdict means" }</a></p>
            </div>
        },
        System::Unknown => html! {
            <div id="install-mine">
                <p>{ "This page could not tell which system this is: pick the download for it below, or build from source." }</p>
            </div>
        },
        _ => {
            let cmd = one_liner(system, &base).unwrap_or_default();
            let (shell, id) = if system == System::Windows {
                ("In PowerShell (no administrator needed; installs into your profile and adds it to your PATH):", "cmd-windows")
            } else {
                (
                    "In a terminal (installs into ~/.local/bin, no root needed):",
                    "cmd-unix",
                )
            };
            html! {
                <div id="install-mine">
                    <p>{ shell }</p>
                    { command(id, &cmd, props) }
                    <p>{ "Then run " }<code>{ "mailport" }</code>{ ": it opens this page, connected. Or " }<code>{ "mailport check" }</code>{ " for the answer in the terminal." }</p>
                    <p>{ "Or download it directly:" }</p>
                    <ul class="downloads" id="downloads-mine">
                        { for first.iter().enumerate().map(|(i, d)| download(d, &base, sums, (i == 0).then_some("download-mine"))) }
                    </ul>
                    { verify_hint(system, &base) }
                    if system != System::Windows {
                        <p class="note">{ "Want it always at hand? " }<code>{ format!("{cmd} -s -- --service") }</code>{ " also writes a user service (systemd on Linux, launchd on macOS); it starts only once you enable it." }</p>
                    }
                </div>
            }
        }
    };
    let others_open = matches!(system, System::Unknown);
    html! {
        <section id="install" class="install" aria-labelledby="install-title" data-system={format!("{system:?}")}>
            <h2 id="install-title">{ "Get the mailport agent" }</h2>
            <p>{ "A web page cannot open connections to mail servers, so mailport runs a small program on your computer and shows its results here. One download, no installation of anything else." }</p>
            { mine }
            <details id="install-others" open={others_open}>
                <summary>{ if first.is_empty() { "Downloads for every system" } else { "Other systems" } }</summary>
                <ul class="downloads">
                    { for rest.iter().map(|d| download(d, &base, sums, None)) }
                </ul>
                <p>{ "Linux and macOS: " }<code>{ one_liner(System::Linux, &base).unwrap_or_default() }</code></p>
                <p>{ "Windows (PowerShell): " }<code>{ one_liner(System::Windows, &base).unwrap_or_default() }</code></p>
            </details>
            <details id="install-source">
                <summary>{ "Building from source" }</summary>
                <p>{ "With Rust (" }<a href="https://rustup.rs/">{ "rustup.rs" }</a>{ ") and git: " }<code>{ format!("git clone {REPO} && cd mailport && bash scripts/run.sh") }</code>{ " (builds the page into the agent), or " }<code>{ format!("cargo install --git {REPO} mailport") }</code>{ " (without the page: it opens the public one)." }</p>
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
