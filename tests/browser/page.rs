//! The page as people use it (issue 14), in real Chromium:
//!
//! - `answer_first_on_desktop_and_phone`: a short link of a realistic report
//!   (printed length ≤ 1,000) shows one line per question and the first
//!   advice without scrolling at 1366×900 and 390×844, in both themes; no
//!   sideways scrolling, "2525" on one line, the grid one Tab stop.
//! - `pasted_link_replaces_what_is_shown`: a link pasted over a shown report
//!   shows the new one (the viewer reads it in place); an address without
//!   one goes back to the Connect page (the checker); a link pasted there
//!   shows the report (the page reloads as the viewer).
//! - `agent_killed_mid_check`: the agent dies during a check: the page says
//!   it stopped, shows the exact restart command, keeps what finished and
//!   shares it as a partial result; no "testing…", no "Connected".
//! - `agent_killed_before_the_share_module_loaded`: the same without the
//!   share module, which judges partial results: the grid keeps what
//!   finished, the page says why it is not judged, and offers no link.
//! - `share_module_not_loaded_is_tried_again`: the module that makes share
//!   links cannot be fetched: the panel says so, offers no link and a "Try
//!   again" that works once it can be fetched.
//! - `first_visit_without_an_agent`: friendly: what this is, a sample report,
//!   the install steps; no browser-block or Safari hint in Chromium on a
//!   loopback copy; the first visit starts the checker, the sample report
//!   the viewer alone; neither fetches the share module.
//! - `inbound_is_its_own_section`: the inbound answer after the outbound
//!   one, with its own headline and advice, fitting a phone.
//! - `no_serious_accessibility_violations_in_either_theme`: axe-core (from
//!   npm, cached outside the repository) on a report, light and dark.

use crate::support::{browser_available, root, Agent, Browser, FakeSmtp, StaticSite};
use mailport_shared::sample::sample_report;
use mailport_shared::share;
use std::net::Ipv4Addr;

/// The realistic report's short link on a static copy of the page.
fn sample_link(site: &StaticSite) -> String {
    share::link_short(
        &format!("http://127.0.0.1:{}/", site.port),
        &share::redact(
            &sample_report(),
            share::RedactOptions {
                ip: true,
                hosts: false,
            },
        )
        .expect("redact"),
    )
}

/// Whether the element's box lies within the viewport (no scrolling).
async fn in_view(b: &Browser, css: &str) -> bool {
    b.client
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; \
             const r = e.getBoundingClientRect(); \
             return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("measure")
        .as_bool()
        .unwrap_or(false)
}

async fn dark(b: &Browser, on: bool) {
    b.cdp(
        "Emulation.setEmulatedMedia",
        serde_json::json!({ "features": [
            { "name": "prefers-color-scheme", "value": if on { "dark" } else { "light" } }
        ]}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_first_on_desktop_and_phone() {
    if !browser_available("answer_first_on_desktop_and_phone") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let link = sample_link(&site);
    println!(
        "short link of a realistic report ({} probes): {} characters",
        sample_report().probes.len(),
        link.len()
    );
    assert!(link.len() <= 1000, "{}", link.len());
    let b = Browser::start(1366, 900).await;
    for (w, h, mobile) in [(1366u32, 900u32, false), (390, 844, true)] {
        for theme in [false, true] {
            b.viewport(w, h, mobile).await;
            dark(&b, theme).await;
            b.client.goto("about:blank").await.expect("blank");
            b.client.goto(&link).await.expect("open the link");
            b.wait_text("#answers", 20, |t| !t.is_empty()).await;
            let answers = b.text("#answers").await;
            assert!(
                answers.contains("Can this computer send mail directly (port 25)?")
                    && answers.contains("No — port 25 is dropped.")
                    && answers.contains("Yes, on 465, 587 and 2525 (port 26 is dropped)."),
                "{answers}"
            );
            let name = format!("answer-{w}x{h}-{}", if theme { "dark" } else { "light" });
            b.window_screenshot(&format!("{name}.png")).await;
            assert!(
                in_view(&b, "#answers").await,
                "{name}: the answers are in view"
            );
            assert!(
                in_view(&b, "#advice li:first-child").await,
                "{name}: the first advice is in view"
            );
            // The IPv6 family that could not be tested is one line.
            let folded = b.text(".folded[data-family=\"IPv6\"]").await;
            assert!(
                folded.starts_with("IPv6: not tested on any port"),
                "{folded}"
            );
            assert_eq!(
                b.client
                    .find_all(fantoccini::Locator::Css("#verdicts thead th"))
                    .await
                    .expect("columns")
                    .len(),
                2,
                "port and IPv4 only"
            );
            // "2525" stays on one line: as tall as "25".
            let heights = b
                .client
                .execute(
                    "return ['25', '2525'].map(p => document.querySelector(`#verdicts tr[data-port=\"${p}\"] th`).getBoundingClientRect().height);",
                    vec![],
                )
                .await
                .expect("heights");
            assert_eq!(heights[0], heights[1], "{name}: {heights}");
            let fits = b
                .client
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth;",
                    vec![],
                )
                .await
                .expect("width");
            assert_eq!(fits, serde_json::json!(true), "{name}: no sideways scroll");
        }
    }
    // One Tab stop for the grid: the first cell only.
    let stops = b
        .client
        .execute(
            "return [...document.querySelectorAll('#grid summary, #grid .focus')].filter(e => e.tabIndex >= 0).length;",
            vec![],
        )
        .await
        .expect("tab stops");
    assert_eq!(stops, serde_json::json!(1));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_link_replaces_what_is_shown() {
    if !browser_available("pasted_link_replaces_what_is_shown") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let a = sample_link(&site);
    let mut other = sample_report();
    other.headline = "Another result entirely.".into();
    let b_link = share::link(&format!("http://127.0.0.1:{}/", site.port), &other);
    let b = Browser::start(1000, 900).await;
    b.client.goto(&a).await.expect("open A");
    let first = b.wait_text("#headline", 20, |t| !t.is_empty()).await;
    assert_ne!(first, other.headline);
    // Pasting B into the address bar changes only the fragment.
    let set_hash = |l: &str| {
        let frag = l
            .split_once('#')
            .map(|(_, f)| f.to_string())
            .unwrap_or_default();
        serde_json::json!(frag)
    };
    b.client
        .execute(
            "window.location.hash = arguments[0];",
            vec![set_hash(&b_link)],
        )
        .await
        .expect("paste B");
    b.wait_text("#headline", 10, |t| t == other.headline).await;
    // Back to the page itself (no report), then a link pasted there.
    b.client
        .execute("window.location.hash = '';", vec![])
        .await
        .expect("clear");
    b.wait_for("#agent", 20).await;
    assert_eq!(b.text("#shared-banner").await, "");
    b.client
        .execute("window.location.hash = arguments[0];", vec![set_hash(&a)])
        .await
        .expect("paste A");
    let again = b.wait_text("#headline", 10, |t| !t.is_empty()).await;
    assert_eq!(again, first);
    assert!(b.text("#short-note").await.contains("short link"));
    b.close().await;
}

/// Checks two submission servers on 127.`net`.x.x, one that answers and one
/// that keeps the check waiting, and stops the agent once the first has
/// finished; with the share module blocked first when `block_share`. The
/// browser, the agent's port, and the servers (to keep them running).
async fn agent_stopped_mid_check(net: u8, block_share: bool) -> (Browser, String, [FakeSmtp; 2]) {
    let n = (std::process::id() % 200 + 20) as u8;
    let quick = Ipv4Addr::new(127, net, n, 1);
    let tarpit = Ipv4Addr::new(127, net, n, 2);
    let servers = [
        FakeSmtp::start(quick, 587, "quick.fake.test"),
        FakeSmtp::silent(tarpit, 587),
    ];
    let agent = Agent::start(&[]);
    let port = agent
        .url
        .split_once("#token=")
        .and_then(|(b, _)| b.trim_end_matches('/').rsplit(':').next())
        .expect("port")
        .to_string();
    let b = Browser::start(1366, 900).await;
    open_connected(
        &b,
        &agent,
        &format!("{quick}%20submission,{tarpit}%20submission"),
    )
    .await;
    if block_share {
        block(&b, &["*mailport_share*"]).await;
    }
    run(&b).await;
    // The greeting host finishes; the tarpit keeps the other waiting.
    b.wait_text("#progress", 20, |t| t.contains("1 of 2")).await;
    drop(agent);
    (b, port, servers)
}

/// The text of the dialog the page opened (waiting for it a little).
async fn alert_text(b: &Browser) -> String {
    for _ in 0..50 {
        if let Ok(text) = b.client.get_alert_text().await {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page asked nothing")
}

/// Makes the network drop the requests whose URL matches one of `urls`
/// (as a flaky connection, or an agent gone before they were made, would);
/// none when empty.
async fn block(b: &Browser, urls: &[&str]) {
    b.cdp("Network.enable", serde_json::json!({})).await;
    b.cdp(
        "Network.setBlockedURLs",
        serde_json::json!({ "urls": urls }),
    )
    .await;
}

/// Opens the agent's page with these targets (already escaped for the
/// fragment) on port 587 over IPv4, and waits until it is connected.
async fn open_connected(b: &Browser, agent: &Agent, targets: &str) {
    b.client
        .goto(&format!(
            "{}&targets={targets}&ports=587&families=4",
            agent.url
        ))
        .await
        .expect("open the agent's page");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
}

/// Starts the check.
async fn run(b: &Browser) {
    b.wait_for("#run:not([disabled])", 10)
        .await
        .click()
        .await
        .expect("run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_killed_mid_check() {
    if !browser_available("agent_killed_mid_check") {
        return;
    }
    let (b, port, _servers) = agent_stopped_mid_check(89, false).await;
    let lost = b.wait_text("#run-lost", 20, |t| !t.is_empty()).await;
    assert!(
        lost.contains("The agent stopped before the check finished (1 of 2"),
        "{lost}"
    );
    // Judged by the share module, a moment later.
    b.wait_text("#partial", 10, |t| t.contains("partial result"))
        .await;
    let status = b.text("#agent").await;
    assert!(status.contains("stopped answering"), "{status}");
    assert!(!status.contains("Connected"), "{status}");
    assert_eq!(
        b.text("#restart-command").await,
        format!("mailport serve --port {port}")
    );
    let grid = b.text("#grid").await;
    assert!(!grid.contains("testing…"), "{grid}");
    assert!(grid.contains("not finished"), "{grid}");
    // What finished can be shared, marked as partial.
    let link = b.value("#share-link", 10).await;
    let shared = share::from_fragment(link.split_once('#').map(|(_, f)| f).unwrap_or(""))
        .expect("a report")
        .expect("decodes");
    assert!(
        shared
            .headline
            .starts_with("Partial result: the agent stopped after 1 of 2 probes."),
        "{}",
        shared.headline
    );
    assert_eq!(shared.probes.len(), 1);
    b.window_screenshot("agent-killed.png").await;
    // A share link pasted now would close this result: the page asks
    // first; declined, the address goes back and the result stays.
    let pasted = share::link_short("http://127.0.0.1:9/", &sample_report());
    let fragment = pasted.split_once('#').map(|(_, f)| f).unwrap_or_default();
    b.client
        .execute(
            "window.location.hash = arguments[0];",
            vec![serde_json::json!(fragment)],
        )
        .await
        .expect("paste a link");
    let question = alert_text(&b).await;
    assert!(question.contains("will be closed"), "{question}");
    b.client.dismiss_alert().await.expect("decline");
    let hash = b
        .client
        .execute("return location.hash;", vec![])
        .await
        .expect("hash");
    assert!(!hash.as_str().unwrap_or("r=").contains("r="), "{hash}");
    assert!(b.text("#run-lost").await.contains("1 of 2"));
    b.close().await;
}

/// The agent stopped before the page had its share module (which judges
/// partial results: the page carries no classification of its own): what
/// finished stays in the grid, the page says why it is not judged, and it
/// offers no share link it could not make.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_killed_before_the_share_module_loaded() {
    if !browser_available("agent_killed_before_the_share_module_loaded") {
        return;
    }
    let (b, _, _servers) = agent_stopped_mid_check(91, true).await;
    let lost = b
        .wait_text("#run-lost", 20, |t| t.contains("could not be judged"))
        .await;
    assert!(
        lost.starts_with("The agent stopped before the check finished (1 of 2 probes done).")
            && lost.contains("it had not loaded when the agent that served the page stopped")
            && lost.contains("Start the agent again"),
        "{lost}"
    );
    // The agent served the page: nothing to try again.
    assert_eq!(b.text("#judge-retry").await, "");
    let grid = b.text("#grid").await;
    assert!(
        grid.contains("SMTP greeting"),
        "what finished stays: {grid}"
    );
    assert_eq!(b.text("#verdict-title").await, "", "nothing judged");
    assert!(
        b.client
            .find(fantoccini::Locator::Css("#share"))
            .await
            .is_err(),
        "no share panel without the module"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_module_not_loaded_is_tried_again() {
    if !browser_available("share_module_not_loaded_is_tried_again") {
        return;
    }
    let n = (std::process::id() % 200 + 20) as u8;
    let quick = Ipv4Addr::new(127, 90, n, 1);
    let _quick = FakeSmtp::start(quick, 587, "quick.fake.test");
    let agent = Agent::start(&[]);
    let b = Browser::start(1366, 900).await;
    open_connected(&b, &agent, &format!("{quick}%20submission")).await;
    // The network drops the share module (as a flaky connection, or an
    // agent gone before it was fetched, would).
    block(&b, &["*mailport_share*"]).await;
    run(&b).await;
    let why = b.wait_text("#share-error", 20, |t| !t.is_empty()).await;
    assert!(
        why.starts_with(
            "The link could not be made: the part of the page that makes links did not load"
        ) && why.contains("mailport check --share"),
        "{why}"
    );
    assert!(
        b.client
            .find(fantoccini::Locator::Css("#share-link"))
            .await
            .is_err(),
        "no link without the module"
    );
    b.screenshot_at("#share", "share-not-loaded.png").await;
    block(&b, &[]).await;
    b.click("#share-retry").await;
    let link = b.value("#share-link", 10).await;
    let shared = share::from_fragment(link.split_once('#').map(|(_, f)| f).unwrap_or(""))
        .expect("a report")
        .expect("decodes");
    assert_eq!(shared.probes.len(), 1, "{shared:?}");
    assert_eq!(b.text("#share-error").await, "");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_visit_without_an_agent() {
    if !browser_available("first_visit_without_an_agent") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(1366, 900).await;
    b.client
        .goto(&format!("http://127.0.0.1:{}/#agent=9", site.port))
        .await
        .expect("open");
    let agent = b
        .wait_text("#agent", 20, |t| t.contains("not running"))
        .await;
    assert!(
        agent.contains("mailport tests your network from this computer"),
        "{agent}"
    );
    assert!(
        !agent.contains("blocked"),
        "no browser-block hint on loopback: {agent}"
    );
    assert!(
        !agent.contains("Safari"),
        "no Safari hint in Chromium: {agent}"
    );
    assert_eq!(b.text("#blocked-hint").await, "");
    // The checker, not the viewer: no link was opened.
    let fetched = b.requests().await;
    assert!(
        fetched
            .iter()
            .any(|r| r.ends_with("/pkg/mailport_frontend_bg.wasm"))
            && !fetched.iter().any(|r| r.contains("mailport_viewer")),
        "{fetched:?}"
    );
    // A sample report, openable without an agent: the page reloads as the
    // viewer, which shows it.
    b.click("#sample-report").await;
    let answers = b.wait_text("#answers", 10, |t| !t.is_empty()).await;
    assert!(answers.contains("No — port 25 is dropped."), "{answers}");
    // A shared result is shown by the viewer alone: not the checker again,
    // nor the module that makes links (it stays on the server).
    let fetched = b.requests().await;
    assert!(
        fetched
            .iter()
            .any(|r| r.ends_with("/pkg/mailport_viewer_bg.wasm"))
            && !fetched.iter().any(|r| r.contains("mailport_frontend_bg"))
            && !fetched.iter().any(|r| r.contains("mailport_share")),
        "the viewer, not the checker nor the share module: {fetched:?}"
    );
    b.window_screenshot("first-visit-sample.png").await;
    b.close().await;
}

/// axe-core from npm, installed once into a cache directory (never into
/// the repository).
fn axe_source() -> Option<String> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))
        .unwrap_or_else(|| root().join("target"))
        .join("mailport/axe");
    let file = cache.join("node_modules/axe-core/axe.min.js");
    if !file.is_file() {
        let _ = std::fs::create_dir_all(&cache);
        let ok = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&cache)
            .arg("axe-core@4")
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    std::fs::read_to_string(file).ok()
}

/// Inbound (issue 15) is a section of its own, after the outbound answer,
/// with its own headline and advice, in a short link as in the live page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_is_its_own_section() {
    use mailport_shared::inbound::words::{advice_text, headline};
    use mailport_shared::inbound::{
        InboundAdvice, InboundFamily, InboundReport, InboundUntestable, InboundVerdict, Witness,
    };
    use mailport_shared::Family;
    if !browser_available("inbound_is_its_own_section") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let mut report = sample_report();
    let inbound = InboundReport {
        reflector: "reflector.example.org".into(),
        families: vec![
            InboundFamily {
                family: Family::Ipv4,
                verdict: InboundVerdict::Refused,
                witness: Witness::Nonce {
                    nonce: "mailport-inbound-00".into(),
                },
                statement: None,
                elapsed_ms: 41,
            },
            InboundFamily {
                family: Family::Ipv6,
                verdict: InboundVerdict::NotTestable {
                    reason: InboundUntestable::ReflectorUnreachable {
                        detail: "no IPv6 route".into(),
                    },
                },
                witness: Witness::Nonce {
                    nonce: "mailport-inbound-00".into(),
                },
                statement: None,
                elapsed_ms: 0,
            },
        ],
    };
    report.inbound = Some(inbound.clone());
    let link = share::link_short(&format!("http://127.0.0.1:{}/", site.port), &report);
    let b = Browser::start(1366, 900).await;
    b.client.goto(&link).await.expect("open the link");
    let want = headline(&inbound);
    assert_eq!(
        want,
        "Can the internet reach this machine on port 25? No, on IPv4; on IPv6, not testable."
    );
    b.wait_text("#inbound-headline", 20, |t| t == want).await;
    assert_eq!(
        b.text("#inbound-advice li").await,
        advice_text(InboundAdvice::AddPortForward)
    );
    // After the outbound answer, never inside it.
    let order = b
        .client
        .execute(
            "const o = document.getElementById('verdict-title'), i = document.getElementById('inbound-title'); \
             return [!!o && !!i && o.compareDocumentPosition(i) === Node.DOCUMENT_POSITION_FOLLOWING, \
                     !!i && !i.closest('.verdict')];",
            vec![],
        )
        .await
        .expect("order");
    assert_eq!(order, serde_json::json!([true, true]));
    b.phone(844).await;
    assert!(b.fits_phone().await, "the inbound section fits a phone");
    b.screenshot_at("#inbound-title", "inbound-phone.png").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_serious_accessibility_violations_in_either_theme() {
    if !browser_available("no_serious_accessibility_violations_in_either_theme") {
        return;
    }
    let Some(axe) = axe_source() else {
        crate::ci::skip_or_fail(
            "no_serious_accessibility_violations_in_either_theme",
            "npm could not install axe-core",
        );
        return;
    };
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    // The agent's page has the check form: inputs and the primary button.
    let agent = Agent::start(&[]);
    let b = Browser::start(1366, 900).await;
    for page in [
        sample_link(&site),
        format!("http://127.0.0.1:{}/#agent=9", site.port),
        agent.url.clone(),
    ] {
        for theme in [false, true] {
            dark(&b, theme).await;
            b.client.goto("about:blank").await.expect("blank");
            b.client.goto(&page).await.expect("open");
            b.wait_for("#agent, #answers", 20).await;
            if page == agent.url {
                b.wait_for("#run", 20).await;
            }
            // axe checks text contrast, not the edges of controls (WCAG
            // 1.4.11, 3:1): measured here, with the primary button's text.
            let ratios = b
                .client
                .execute(
                    "const lum = c => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(x => { x /= 255; \
                       return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); \
                       return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }; \
                     const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); }; \
                     const out = []; \
                     document.querySelectorAll('input[type=text], textarea').forEach(e => { const s = getComputedStyle(e); \
                       out.push(['edge ' + (e.id || e.name), ratio(s.borderTopColor, getComputedStyle(document.body).backgroundColor)]); }); \
                     document.querySelectorAll('button.primary').forEach(e => { const s = getComputedStyle(e); \
                       out.push(['text ' + e.id, ratio(s.color, s.backgroundColor)]); }); \
                     return out;",
                    vec![],
                )
                .await
                .expect("contrast");
            let ratios: Vec<(String, f64)> = serde_json::from_value(ratios).expect("pairs");
            for (what, r) in &ratios {
                let min = if what.starts_with("text") { 4.5 } else { 3.0 };
                assert!(*r >= min, "{page}: {what} contrast {r:.2} < {min}");
            }
            if page == agent.url {
                assert!(
                    ratios.iter().any(|(w, _)| w.starts_with("edge")),
                    "{ratios:?}"
                );
                assert!(
                    ratios.iter().any(|(w, _)| w.starts_with("text")),
                    "{ratios:?}"
                );
            }
            // Open every details element so that what they hide is checked.
            let _ = b
                .client
                .execute(
                    "document.querySelectorAll('details').forEach(d => d.open = true);",
                    vec![],
                )
                .await;
            // Opening "Set up a relay" loads its module: check the panel
            // too, once it is there.
            let relay = b
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; \
                     if (!document.getElementById('relay-mount')) { done('no relay section'); return; } \
                     const t0 = Date.now(); \
                     (function poll() { \
                       if (document.getElementById('relay-host')) done('loaded'); \
                       else if (Date.now() - t0 > 10000) done('not loaded'); \
                       else setTimeout(poll, 50); })();",
                    vec![],
                )
                .await
                .expect("the relay panel");
            assert_ne!(relay.as_str(), Some("not loaded"), "{page}");
            if page == agent.url {
                assert_eq!(relay.as_str(), Some("loaded"));
            }
            b.client
                .execute(&format!("{axe}\n;return true;"), vec![])
                .await
                .expect("load axe");
            let result = b
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; \
                     axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'] }).then(r => done( \
                       r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
                        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ') + ' ' + (n.failureSummary || '')).join(' | '))));",
                    vec![],
                )
                .await
                .expect("run axe");
            // An array, even when empty: axe ran and answered.
            let serious: Vec<String> = serde_json::from_value(result.clone())
                .unwrap_or_else(|e| panic!("axe's answer {result}: {e}"));
            assert!(
                serious.is_empty(),
                "{page} ({}): {serious:#?}",
                if theme { "dark" } else { "light" }
            );
        }
    }
    b.close().await;
}

/// The load figures for the record (not a pass/fail test; run with
/// `cargo test -p mailport-e2e --test browser measure_page_load -- --ignored
/// --nocapture`): bytes on the wire and time to interactive (until the
/// page's code has started and rendered, `mailport-interactive` in
/// main.js), as the agent serves the page (gzip) and as a plain static
/// server does (uncompressed), each in a fresh profile, 5 loads each; and
/// a shared link (the sample report's short link) opened from the agent,
/// timed until its answer shows (main.js starts the viewer for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test: prints figures"]
async fn measure_page_load() {
    if !browser_available("measure_page_load") {
        return;
    }
    // The page (the checker), and the viewer a share link opens.
    for name in ["mailport_frontend", "mailport_viewer"] {
        let file = root().join(format!("web/pkg/{name}_bg.wasm"));
        let wasm = std::fs::read(&file).expect("built page");
        let gz = std::process::Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&file)
            .output()
            .expect("gzip")
            .stdout
            .len();
        // As the agent serves it: the zopfli gzip build-web.sh wrote, if any.
        let served = std::fs::metadata(file.with_extension("wasm.gz"))
            .map(|m| format!(", {} bytes as served (zopfli)", m.len()))
            .unwrap_or_default();
        println!("{name}: {} bytes, {gz} bytes gzip -9{served}", wasm.len());
    }
    let agent = Agent::start(&[]);
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let agent_base = agent.url.split('#').next().unwrap_or_default().to_string();
    // (what, address, the element that says it is ready, the mark for it)
    for (name, url, ready, mark) in [
        (
            "agent (gzip)",
            agent.url.clone(),
            "#agent",
            "mailport-interactive",
        ),
        (
            "static, uncompressed",
            format!("http://127.0.0.1:{}/#agent=9", site.port),
            "#agent",
            "mailport-interactive",
        ),
        (
            "a short link from the agent (gzip), until its answer shows",
            share::link_short(&agent_base, &sample_report()),
            "#answers",
            "mailport-answer-shown",
        ),
    ] {
        let mut ttis = Vec::new();
        let mut bytes = 0u64;
        for _ in 0..5 {
            let b = Browser::start(1366, 900).await;
            // Marks the moment a shared result's answer is on the screen.
            b.cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                serde_json::json!({ "source": "new MutationObserver((_, o) => { \
                    if (document.getElementById('answers')?.textContent) { \
                      performance.mark('mailport-answer-shown'); o.disconnect(); } }) \
                    .observe(document, { subtree: true, childList: true, characterData: true });" }),
            )
            .await;
            b.client.goto(&url).await.expect("open");
            b.wait_for(ready, 30).await;
            let m = b
                .client
                .execute(
                    "const i = performance.getEntriesByName(arguments[0])[0]; \
                     const n = performance.getEntriesByType('navigation')[0]; \
                     const r = performance.getEntriesByType('resource').filter(e => !e.name.includes('/v1/')); \
                     return [i ? i.startTime : -1, n.transferSize + r.reduce((s, e) => s + e.transferSize, 0)];",
                    vec![serde_json::json!(mark)],
                )
                .await
                .expect("measure");
            ttis.push(m[0].as_f64().unwrap_or(-1.0));
            bytes = m[1].as_u64().unwrap_or(0);
            b.close().await;
        }
        ttis.sort_by(f64::total_cmp);
        println!(
            "{name}: {bytes} bytes on the wire; time to interactive median {:.0} ms (min {:.0}, max {:.0}) over {} loads",
            ttis[ttis.len() / 2],
            ttis[0],
            ttis[ttis.len() - 1],
            ttis.len()
        );
    }
}
