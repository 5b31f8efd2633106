//! The page in a real browser (headless Chromium through chromedriver),
//! against the real `mailport` agent probing SMTP fakes on loopback.
//!
//! - `check_then_share`: the agent's own page pairs, validates the form (the
//!   error tied to its field, which takes the focus), runs a check from the
//!   keyboard, fills the grid, shows and announces the verdict, the network
//!   facts (from a fake DNS server on loopback) and the advice the fakes
//!   call for, requests nothing but 127.0.0.1, and makes a share link (with
//!   server names hidden too, the provider's relay stays) that opens in a
//!   fresh profile with no agent running: same verdict, exact date, rows in
//!   plan order, the public address "hidden". Phone width (emulated, 390
//!   CSS pixels) for both.
//! - `phone_grid_with_ten_columns`: five ports × two families at phone
//!   width, live and shared: nothing scrolls sideways; the grid is one block
//!   per server, each cell labelled with its port and family.
//! - `no_agent_shows_install_panel`: a copy of the page with nobody behind
//!   it: the install steps, and no browser-block hint on a loopback copy.
//! - `install_panel_offers_the_right_download`: with Windows, macOS, Linux
//!   and iPhone user agents (and client hints), the install panel shows that
//!   system's one-liner and download first, with its checksum from the
//!   mirrored release's SHA256SUMS; the phone is told it needs a computer.
//! - `older_agent_says_update`: an agent whose health answer lacks fields is
//!   named as older, with the install steps; one whose answer cannot be read
//!   is not called missing.
//! - `other_origin_connects_on_click`: a copy of the page on another origin
//!   (like the public page) sends nothing to the agent before a click, then
//!   calls it cross-origin (CORS, bearer token from the fragment); without
//!   network facts (`--no-netinfo`) the page shows no network block.
//! - `stopping_cancels_the_check`: the agent's page pairs itself without a
//!   token in its address; Stop closes the stream, the agent cancels the
//!   check and at once accepts a new one.
//! - `broken_share_link_explains`: cut-off, damaged and future links on a
//!   phone.
//!
//! Skipped with a message when chromedriver is missing, unless CI is set.
//! Screenshots land in `artifacts/`.

/// The one skip rule of every suite.
#[path = "../ci.rs"]
mod ci;
mod page;
mod relay;
mod support;

use fantoccini::Locator;
use mailport_shared::share;
use std::net::Ipv4Addr;
use support::{
    browser_available, free_port, Agent, Browser, FakeAgent, FakeNetinfoDns, FakeSmtp, OtherOrigin,
    StaticSite, ENTER, FAKE_PUBLIC_IP, TAB,
};

/// Private loopback addresses for this run, so parallel runs and other
/// suites' fakes on 127.0.0.1 do not collide.
fn fake_ips() -> [Ipv4Addr; 3] {
    let n = (std::process::id() % 200 + 20) as u8;
    [1, 2, 3].map(|last| Ipv4Addr::new(127, 88, n, last))
}

/// What the fakes make the page conclude: two MX hosts known to listen on
/// 25 refuse (nothing listens there), the submission server greets on 587.
const EXPECTED_HEADLINE: &str =
    "Outgoing port 25 is actively rejected on IPv4. Submission port 587 is open.";

/// A Unix time in ms as the shared view writes it, computed by date(1) so
/// the test does not lean on the page's own arithmetic.
fn utc_minute(ms: u64) -> String {
    let out = std::process::Command::new("date")
        .args([
            "-u",
            "-d",
            &format!("@{}", ms / 1000),
            "+%Y-%m-%d %H:%M UTC",
        ])
        .output()
        .expect("date(1)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Whether every request that could leave the browser (http, https, ws,
/// wss) went to this machine's 127.0.0.1; `chrome:`, `data:` and `blob:`
/// URLs never leave it.
fn all_local(requests: &[String]) -> bool {
    requests.iter().all(|u| {
        let networked = ["http:", "https:", "ws:", "wss:"]
            .iter()
            .any(|s| u.starts_with(s));
        !networked || u.starts_with("http://127.0.0.1:")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_then_share() {
    if !browser_available("check_then_share") {
        return;
    }
    let [mx1, mx2, sub] = fake_ips();
    for mx in [mx1, mx2] {
        // The scenario needs port 25 closed there; a local MTA listening on
        // every address would answer instead.
        let probe = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from((mx, 25)),
            std::time::Duration::from_secs(2),
        );
        assert!(
            probe.is_err(),
            "something listens on {mx}:25 (a mail server bound to all addresses?): this test needs port 25 closed on 127.88.0.0/16"
        );
    }
    let _submission = FakeSmtp::start(sub, 587, "submission.fake.test");
    // The network facts come from a fake on loopback, never from OpenDNS.
    let netinfo = FakeNetinfoDns::start();
    let agent = Agent::start_with_netinfo(netinfo.addr, &[]);
    let url = format!(
        "{}&targets={mx1}%20mx,{mx2}%20mx,{sub}%20submission&ports=25,587&families=4",
        agent.url
    );

    let b = Browser::start(1000, 900).await;
    b.client.goto(&url).await.expect("open the agent's page");
    b.wait_text("#agent-status", 20, |t| {
        t.contains("Connected to the mailport agent")
    })
    .await;
    let here = b.client.current_url().await.expect("url");
    assert!(
        !here.as_str().contains("token="),
        "the token must leave the address bar: {here}"
    );
    assert!(here.as_str().contains("targets="));

    // Validation in the page, with the shared words.
    let domain = b.wait_for("#domain", 5).await;
    domain.send_keys("exa mple.org").await.expect("type");
    b.click("#run").await;
    let err = b.wait_text("#form-error", 5, |t| !t.is_empty()).await;
    assert_eq!(
        err,
        "\"exa mple.org\" is not a valid host name: only letters, digits, hyphens and dots are allowed."
    );
    // The error belongs to its field, which takes the focus.
    let domain = b.wait_for("#domain[aria-invalid=\"true\"]", 5).await;
    let described = domain
        .attr("aria-describedby")
        .await
        .expect("attr")
        .unwrap_or_default();
    assert_eq!(described, "domain-help form-error");
    assert_eq!(b.focused().await, "domain");

    // Reload: the token now comes from sessionStorage, the form from the fragment.
    b.client.refresh().await.expect("reload");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
    let targets = b.value("#targets", 5).await;
    assert_eq!(targets, format!("{mx1} mx\n{mx2} mx\n{sub} submission"));
    let ipv6_ticked = b
        .client
        .find(Locator::Css("#ipv6"))
        .await
        .expect("ipv6 box")
        .is_selected()
        .await
        .expect("state");
    assert!(!ipv6_ticked, "families=4 in the fragment unticks IPv6");
    assert!(
        b.client
            .find(Locator::Css("#domain[aria-invalid]"))
            .await
            .is_err(),
        "a fresh form marks nothing invalid"
    );
    // From the keyboard: Tab from the last field reaches Run, Enter runs.
    b.client
        .execute(
            "document.querySelector('#reflector summary').focus();",
            vec![],
        )
        .await
        .expect("focus the last field");
    b.press(TAB).await;
    assert_eq!(b.focused().await, "run", "Tab reaches the Run button");
    b.press(ENTER).await;

    // The grid fills in: 2 MX × 25, the submission host × 25 and 587.
    b.wait_text("#progress", 60, |t| t.starts_with("4 of 4"))
        .await;
    let headline = b.wait_text("#headline", 30, |t| !t.is_empty()).await;
    assert_eq!(headline, EXPECTED_HEADLINE);
    // The focus went from the Run button to the results, and the answer is
    // said in the live region.
    assert_eq!(b.focused().await, "results");
    let said = b
        .client
        .find(Locator::Css("#announce[aria-live=\"polite\"]"))
        .await
        .expect("a live region")
        .prop("textContent")
        .await
        .expect("text")
        .unwrap_or_default();
    assert_eq!(said, format!("Result: {EXPECTED_HEADLINE}"));
    // Under the headline: the network the check ran from, in the
    // terminal's words.
    let network = b.wait_text("#network", 10, |t| !t.is_empty()).await;
    assert!(
        network.contains("Network: Comcast Xfinity (AS7922, US), residential — known to block 25"),
        "{network}"
    );
    assert!(
        // The fake DNS is the only myip server asked: said as such.
        network.contains(&format!("Public address: IPv4 {FAKE_PUBLIC_IP} (one source), reverse DNS c-198-51-100-73.hsd1.ca.comcast.net")),
        "{network}"
    );
    assert!(
        network.contains("Blocklists: listed on Spamhaus PBL"),
        "{network}"
    );
    let grid = b.text("#grid").await;
    for host in [mx1, mx2, sub] {
        assert!(
            grid.contains(&host.to_string()),
            "{host} in the grid:\n{grid}"
        );
    }
    let cells = b
        .client
        .find_all(Locator::Css("#grid td[data-outcome]"))
        .await
        .expect("cells");
    let mut outcomes = Vec::new();
    for c in &cells {
        outcomes.push((
            c.attr("data-port").await.ok().flatten().unwrap_or_default(),
            c.attr("data-outcome")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            c.text().await.unwrap_or_default(),
        ));
    }
    outcomes.sort();
    let summary: Vec<(&str, &str)> = outcomes
        .iter()
        .map(|(p, o, _)| (p.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("25", "refused"),
            ("25", "refused"),
            ("25", "refused"),
            ("587", "SMTP greeting")
        ],
        "cells: {outcomes:?}"
    );
    // Words and a symbol in each cell, not colour alone.
    assert!(outcomes.iter().any(|(_, _, t)| t.contains("✗ refused")));
    assert!(outcomes
        .iter()
        .any(|(_, _, t)| t.contains("✓ SMTP greeting")));
    let v25 = b.text("#verdicts tr[data-port=\"25\"] td.v").await;
    assert!(v25.contains("blocked (rejected)"), "{v25}");
    let v587 = b.text("#verdicts tr[data-port=\"587\"] td.v").await;
    assert!(v587.contains("open"), "{v587}");
    let mut advice = Vec::new();
    for li in b
        .client
        .find_all(Locator::Css("#advice li"))
        .await
        .expect("advice")
    {
        advice.push(li.attr("data-id").await.ok().flatten().unwrap_or_default());
    }
    // The network is known (Comcast, which blocks 25): its own relay comes
    // first, submission on 587 right after.
    assert_eq!(
        advice.get(..2),
        Some(&["isp_relay".to_string(), "submit587".to_string()][..]),
        "{advice:?}"
    );

    // Details on demand: the greeting of the submission server.
    b.click("#grid td[data-port=\"587\"] summary").await;
    let details = b.text("#grid td[data-port=\"587\"] details").await;
    assert!(
        details.contains("220 submission.fake.test ESMTP fake ready"),
        "{details}"
    );
    assert!(details.contains("SIZE 10240000"), "{details}");

    // The share link: public page by default, addresses hidden by default.
    let link = b.value("#share-link", 10).await;
    b.screenshot_at("#share", "share-panel.png").await;
    assert!(
        link.starts_with("https://mailport.github.io/#r=3."),
        "{link}"
    );
    let fragment = link
        .split_once('#')
        .map(|(_, f)| f.to_string())
        .unwrap_or_default();
    let shared = share::from_fragment(&fragment)
        .expect("a report in the link")
        .expect("the link decodes");
    assert_eq!(shared.headline, EXPECTED_HEADLINE);
    let json = serde_json::to_string(&shared).expect("json");
    assert!(!json.contains("127.88."), "addresses are hidden: {json}");
    assert!(
        !json.contains(FAKE_PUBLIC_IP) && !json.contains("c-198-51-100-73"),
        "the public address and its name are hidden: {json}"
    );
    assert!(
        json.contains("submission.fake.test"),
        "names stay by default"
    );
    // Hiding server names too: the fakes' names go, the provider's relay
    // that the advice names stays.
    b.click("#redact-hosts").await;
    // The link follows the box.
    let hidden_link = b.wait_value("#share-link", 5, |l| l != link).await;
    let hidden = share::from_fragment(hidden_link.split_once('#').map(|(_, f)| f).unwrap_or(""))
        .expect("a report in the link")
        .expect("the link decodes");
    let hidden_json = serde_json::to_string(&hidden).expect("json");
    assert!(!hidden_json.contains("fake.test"), "{hidden_json}");
    assert!(!hidden_json.contains("127.88."), "{hidden_json}");
    assert_eq!(hidden.advice[0].title, shared.advice[0].title);
    assert!(
        hidden.advice[0].title.contains("smtp.comcast.net"),
        "{:?}",
        hidden.advice[0]
    );
    // Nothing left this machine: every request went to the agent.
    let requests = b.requests().await;
    assert!(
        requests.iter().any(|u| u.contains("/v1/checks")),
        "the log holds the page's requests: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.ends_with("/pkg/mailport_share_bg.wasm")),
        "the share module made the links: {requests:?}"
    );
    assert!(all_local(&requests), "{requests:?}");
    b.screenshot("check-result.png").await;
    // Phone width: the same page, one column, the grid one block per server.
    b.phone(844).await;
    assert!(b.fits_phone().await, "the page fits a phone's width");
    b.phone_screenshot("check-result-phone.png").await;
    b.close().await;
    drop(agent);

    // A fresh profile, no agent anywhere: the link shows the same verdict.
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(1000, 900).await;
    b.client
        .goto(&format!("http://127.0.0.1:{}/#{fragment}", site.port))
        .await
        .expect("open the shared link");
    let banner = b.wait_text("#shared-banner", 20, |t| !t.is_empty()).await;
    assert!(
        banner.starts_with(&format!(
            "Shared result from {}, measured by mailport {} in {} on the sender's network.",
            utc_minute(shared.started_at_ms),
            shared.tool_version,
            shared.duration_text()
        )),
        "{banner}"
    );
    assert_eq!(b.text("#headline").await, EXPECTED_HEADLINE);
    // Rows in the order the check planned them (the targets as given), not
    // in the order the probes finished.
    let mut rows = Vec::new();
    for th in b
        .client
        .find_all(Locator::Css("#grid tbody th .host"))
        .await
        .expect("rows")
    {
        rows.push(th.text().await.unwrap_or_default());
    }
    let planned: Vec<String> = shared
        .options
        .targets
        .iter()
        .map(|t| t.host.clone())
        .collect();
    assert_eq!(rows, planned);
    assert!(rows.iter().all(|r| r.starts_with("[ip-")), "{rows:?}");
    assert!(
        b.text("footer")
            .await
            .contains("measured on the sender's computer"),
        "the footer does not claim the check ran here"
    );
    let network = b.text("#network").await;
    assert!(network.contains("Comcast Xfinity"), "{network}");
    assert!(network.contains("Public address: IPv4 hidden"), "{network}");
    assert!(!network.contains(FAKE_PUBLIC_IP), "{network}");
    assert_eq!(
        b.text("#agent").await,
        "",
        "no agent panel in a shared view"
    );
    assert!(all_local(&b.requests().await), "a shared view calls nobody");
    b.screenshot("shared-view.png").await;
    b.phone(844).await;
    assert!(b.fits_phone().await, "the shared view fits a phone");
    b.phone_screenshot("shared-view-phone.png").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_grid_with_ten_columns() {
    if !browser_available("phone_grid_with_ten_columns") {
        return;
    }
    let [a, ..] = fake_ips();
    let sub = Ipv4Addr::new(a.octets()[0], a.octets()[1], a.octets()[2], 6);
    let _submission = FakeSmtp::start(sub, 587, "phone.fake.test");
    let agent = Agent::start(&[]);
    let b = Browser::start(1000, 900).await;
    b.phone(844).await;
    // An IPv4 and an IPv6 target on all five ports: ten columns.
    b.client
        .goto(&format!(
            "{}&targets={sub}%20submission,::1%20submission&ports=25,26,465,587,2525&families=46",
            agent.url
        ))
        .await
        .expect("open the agent's page");
    b.wait_for("#run:not([disabled])", 20)
        .await
        .click()
        .await
        .expect("run");
    b.wait_text("#progress", 60, |t| t.starts_with("10 of 10"))
        .await;
    b.wait_text("#headline", 30, |t| !t.is_empty()).await;
    // Below the long form, the answer scrolled into view by itself.
    let mut in_view = serde_json::Value::Null;
    for _ in 0..50 {
        in_view = b
            .client
            .execute(
                "const r = document.getElementById('verdict-title').getBoundingClientRect(); \
                 return r.top >= 0 && r.top < window.innerHeight && window.scrollY > 0;",
                vec![],
            )
            .await
            .expect("measure");
        if in_view == serde_json::json!(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(in_view, serde_json::json!(true), "the answer is in view");
    let columns = b
        .client
        .find_all(Locator::Css("#grid thead th"))
        .await
        .expect("columns")
        .len();
    assert_eq!(columns, 11, "the server column and 5 ports × 2 families");
    assert!(b.fits_phone().await, "the page does not scroll sideways");
    // On a phone the grid is one block per server: nothing scrolls
    // sideways, every cell lies within the screen and says its column.
    let fits = b
        .client
        .execute(
            "const s = document.querySelector('#grid').parentElement; \
             const cells = [...document.querySelectorAll('#grid td.cell')]; \
             const inside = cells.every(c => { const r = c.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; }); \
             const labels = cells.map(c => getComputedStyle(c, '::before').content); \
             return [s.scrollWidth <= s.clientWidth, inside, cells.length, labels.includes('\"2525 IPv6\"')];",
            vec![],
        )
        .await
        .expect("measure the grid");
    assert_eq!(fits, serde_json::json!([true, true, 20, true]), "{fits}");
    assert!(b.fits_phone().await);
    b.screenshot_at("#grid-title", "phone-grid-10-columns.png")
        .await;
    let link = b.value("#share-link", 10).await;
    b.close().await;
    drop(agent);

    // The same grid in a shared view, on a phone.
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(1000, 900).await;
    b.phone(844).await;
    let fragment = link.split_once('#').map(|(_, f)| f).unwrap_or("");
    b.client
        .goto(&format!("http://127.0.0.1:{}/#{fragment}", site.port))
        .await
        .expect("open the shared link");
    b.wait_text("#shared-banner", 20, |t| !t.is_empty()).await;
    assert_eq!(
        b.client
            .find_all(Locator::Css("#grid thead th"))
            .await
            .expect("columns")
            .len(),
        11
    );
    assert!(
        b.fits_phone().await,
        "the shared view does not scroll sideways"
    );
    b.screenshot_at("#grid-title", "shared-phone-grid-10-columns.png")
        .await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_agent_shows_install_panel() {
    if !browser_available("no_agent_shows_install_panel") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let nobody = free_port();
    let b = Browser::start(1000, 900).await;
    b.client
        .goto(&format!("http://127.0.0.1:{}/#agent={nobody}", site.port))
        .await
        .expect("open the page");
    let status = b.wait_text("#agent-status", 20, |t| !t.is_empty()).await;
    assert!(
        status.contains(&format!(
            "The agent is not running here yet (nothing answered at http://127.0.0.1:{nobody})."
        )),
        "{status}"
    );
    let install = b.wait_for("#install", 5).await.text().await.expect("text");
    // A prebuilt download: the one-liner for this (Linux) browser first,
    // building from source last.
    assert!(install.contains("One download"), "{install}");
    assert!(!install.contains("you need Rust"), "{install}");
    assert_eq!(
        b.text("#cmd-unix").await,
        format!(
            "curl -fsSL {}/install.sh | sh",
            mailport_shared::platform::RELEASE_BASE
        )
    );
    assert!(install.contains("What it does not do"), "{install}");
    assert!(
        install.contains("runs only while you have it started"),
        "{install}"
    );
    // A copy of the page on this computer reaches the agent freely: no
    // "blocked by the browser" or Safari hint here (issue 14).
    assert!(
        b.client.find(Locator::Css("#blocked-hint")).await.is_err(),
        "no browser-block hint on a loopback page"
    );
    // A copy button per command, which says what happened.
    b.click("#cmd-unix + button").await;
    let note = b
        .wait_text("#cmd-unix ~ p.note", 5, |t| !t.is_empty())
        .await;
    assert!(
        note == "Copied to the clipboard." || note.contains("copy it by hand"),
        "{note}"
    );
    assert!(
        b.client.find(Locator::Css("#check")).await.is_err(),
        "no check form without an agent"
    );
    b.screenshot("no-agent.png").await;
    // On a phone the command keeps to one line and scrolls in its box
    // (never broken inside the address), and the page does not scroll.
    b.phone(844).await;
    assert!(b.fits_phone().await, "the install panel fits a phone");
    let one_line = b
        .client
        .execute(
            "const p = document.getElementById('cmd-unix'); \
             return getComputedStyle(p).whiteSpace === 'pre' && p.scrollWidth > p.clientWidth;",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(one_line, serde_json::json!(true));
    b.phone_screenshot("no-agent-phone.png").await;
    // The page traps on a bug (panic=immediate-abort): main.js says so.
    // Only a trap does it, not any script's error.
    b.client
        .execute(
            "window.dispatchEvent(new ErrorEvent('error', { error: new TypeError('not ours') }));",
            vec![],
        )
        .await
        .expect("dispatch");
    assert!(b.client.find(Locator::Css("#crashed")).await.is_err());
    b.client
        .execute(
            "window.dispatchEvent(new ErrorEvent('error', { error: new WebAssembly.RuntimeError('unreachable') }));",
            vec![],
        )
        .await
        .expect("dispatch");
    let crashed = b.wait_text("#crashed", 5, |t| !t.is_empty()).await;
    assert!(
        crashed.starts_with("The page hit an internal error (unreachable) and stopped. Reload it"),
        "{crashed}"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_agent_says_update() {
    if !browser_available("older_agent_says_update") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(1000, 900).await;
    // A health answer from before `capabilities` existed.
    let old = FakeAgent::start(r#"{"agent_version":"0.0.5","api_version":0}"#);
    b.client
        .goto(&format!(
            "http://127.0.0.1:{}/#agent={}",
            site.port, old.port
        ))
        .await
        .expect("open the page");
    let status = b.wait_text("#agent-status", 20, |t| !t.is_empty()).await;
    assert_eq!(
        status,
        format!(
            "✓ Connected to the mailport agent 0.0.5 at http://127.0.0.1:{}.",
            old.port
        ),
        "an older agent is an agent, and no IPv6 claim is made for it"
    );
    assert_eq!(
        b.text("#agent-outdated").await,
        format!(
            "This mailport agent is version 0.0.5, older than this page ({}): checks may fail until you update it. Install the new version as below, then start it again.",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(b.text("#install").await.contains("install.sh | sh"));
    b.screenshot("old-agent.png").await;

    // An answer this page cannot read at all: not "no agent".
    let odd = FakeAgent::start(r#"{"agent_version":5,"api_version":"one"}"#);
    b.client
        .goto(&format!(
            "http://127.0.0.1:{}/?odd#agent={}",
            site.port, odd.port
        ))
        .await
        .expect("open the page");
    let status = b.wait_text("#agent-status", 20, |t| !t.is_empty()).await;
    assert!(
        status.starts_with(&format!(
            "✗ Something answered at http://127.0.0.1:{}, but not as a mailport agent this page can talk to: most likely an older mailport.",
            odd.port
        )),
        "{status}"
    );
    assert!(b.text("#install").await.contains("install.sh | sh"));
    b.screenshot("unreadable-agent.png").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_share_link_explains() {
    if !browser_available("broken_share_link_explains") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(1000, 900).await;
    b.phone(800).await;
    // A real link to damage in three ways.
    let report: mailport_shared::Report = serde_json::from_value(serde_json::json!({
        "schema_version": mailport_shared::SCHEMA_VERSION, "tool_version": "0.1.0",
        "started_at_ms": 1_790_000_000_000u64, "duration_ms": 840,
        "options": {}, "probes": [], "verdicts": [],
        "headline": "Port 25 was not tested.", "advice": []
    }))
    .expect("a report");
    let good = share::encode(&report);
    let (version, data) = good.split_once('.').expect("versioned");
    let mid = data.len() / 2;
    let flipped = if &data[mid..=mid] == "A" { "B" } else { "A" };
    let cases = [
        (
            "cut",
            format!("{version}.{}", &data[..mid]),
            "This link is incomplete",
        ),
        (
            "damaged",
            format!("{version}.{}{flipped}{}", &data[..mid], &data[mid + 1..]),
            "This link is damaged",
        ),
        (
            "future",
            format!("{}.{data}", share::LINK_VERSION + 1),
            "This result was made by a newer version of mailport",
        ),
    ];
    for (name, value, words) in cases {
        // A query makes each a new page load (a new fragment alone would not).
        b.client
            .goto(&format!("http://127.0.0.1:{}/?{name}#r={value}", site.port))
            .await
            .expect("open the page");
        let why = b.wait_text("#share-error", 20, |t| !t.is_empty()).await;
        assert!(why.starts_with(words), "{name}: {why}");
        assert!(
            b.text("footer")
                .await
                .starts_with("The check runs on your computer"),
            "{name}: a broken link claims no sender"
        );
        assert!(b.fits_phone().await, "{name}: fits the phone");
        b.phone_screenshot(&format!("broken-link-{name}-phone.png"))
            .await;
        b.phone(800).await;
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_origin_connects_on_click() {
    if !browser_available("other_origin_connects_on_click") {
        return;
    }
    let [_, _, sub] = fake_ips();
    let sub = Ipv4Addr::new(sub.octets()[0], sub.octets()[1], sub.octets()[2], 4);
    let _submission = FakeSmtp::start(sub, 587, "relay.fake.test");
    let other = OtherOrigin::start();
    let (origin, agent_port) = (other.origin.as_str(), other.agent_port.as_str());
    let b = Browser::start(1000, 900).await;
    b.client
        .goto(&other.page_url(&format!("&targets={sub}%20submission&ports=587&families=4")))
        .await
        .expect("open the other copy");
    // No request to the agent before a click: Chrome grants loopback access
    // on a gesture. The page had time to misbehave: it rendered and waited.
    let connect = b.wait_for("#connect", 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let to_agent = format!("http://127.0.0.1:{agent_port}/");
    let before = b.requests().await;
    assert!(
        before.iter().any(|u| u.starts_with(origin)),
        "the log holds the page's own loads: {before:?}"
    );
    assert!(
        !before.iter().any(|u| u.starts_with(&to_agent)),
        "nothing went to the agent before the click: {before:?}"
    );
    connect.click().await.expect("click connect");
    b.wait_text("#agent-status", 20, |t| {
        t.contains(&format!(
            "Connected to the mailport agent {} at http://127.0.0.1:{agent_port}",
            env!("CARGO_PKG_VERSION")
        ))
    })
    .await;
    b.click("#run").await;
    let headline = b.wait_text("#headline", 60, |t| !t.is_empty()).await;
    assert_eq!(
        headline,
        "Port 25 was not tested. Submission port 587 is open."
    );
    let after = b.requests().await;
    assert!(
        after.contains(&format!("{to_agent}v1/health")),
        "the click asked the agent: {after:?}"
    );
    // This agent runs with --no-netinfo: no network block at all, not an
    // empty or broken one.
    assert!(
        b.client.find(Locator::Css("#network")).await.is_err(),
        "no network block without network facts"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_cancels_the_check() {
    if !browser_available("stopping_cancels_the_check") {
        return;
    }
    let [a, ..] = fake_ips();
    let tarpit = Ipv4Addr::new(a.octets()[0], a.octets()[1], a.octets()[2], 5);
    let _tarpit = FakeSmtp::silent(tarpit, 587);
    let agent = Agent::start(&[]);
    let b = Browser::start(1000, 900).await;
    // Without the token in the address: the agent's own page pairs itself
    // through /v1/pair.
    let (base, _token) = agent.url.split_once("#token=").expect("token in URL");
    b.client
        .goto(&format!(
            "{base}#targets={tarpit}%20submission&ports=587&families=4"
        ))
        .await
        .expect("open the agent's page");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
    assert!(
        !b.text("#agent").await.contains("not paired"),
        "paired through /v1/pair"
    );
    for round in 1..=2 {
        b.wait_for("#run:not([disabled])", 10)
            .await
            .click()
            .await
            .expect("run");
        // The tarpit keeps the probe waiting for a greeting (8 s by default).
        b.wait_text("#progress", 10, |t| t.starts_with("Testing… 0 of 1"))
            .await;
        b.wait_for("#stop", 5).await.click().await.expect("stop");
        let stopped = b.wait_text("#run-stopped", 5, |t| !t.is_empty()).await;
        assert!(stopped.starts_with("You stopped the check"), "{stopped}");
        assert_eq!(b.text("#run-error").await, "", "round {round}: no error");
        assert_eq!(b.text("#headline").await, "", "no verdict after a stop");
    }
    b.close().await;
}

/// The user agents of each system, and what the panel must offer first.
struct Visitor {
    name: &'static str,
    user_agent: &'static str,
    /// `navigator.platform`.
    platform: &'static str,
    /// Client hints (`userAgentMetadata`): Chromium-based browsers send
    /// them, Safari does not.
    hints: Option<serde_json::Value>,
    /// The one-liner's element and text (after the base), if any.
    command: Option<(&'static str, &'static str)>,
    /// The targets offered first, in order.
    first: &'static [&'static str],
}

fn hints(platform: &str, version: &str, arch: &str, mobile: bool) -> serde_json::Value {
    serde_json::json!({
        "brands": [{"brand": "Chromium", "version": "131"}],
        "fullVersion": "131.0.0.0",
        "platform": platform,
        "platformVersion": version,
        "architecture": arch,
        "model": "",
        "mobile": mobile,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_panel_offers_the_right_download() {
    if !browser_available("install_panel_offers_the_right_download") {
        return;
    }
    let targets = [
        "x86_64-pc-windows-gnu",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
    ];
    // A checksum per archive, distinct, as SHA256SUMS lists them.
    let hash = |i: usize| format!("{:064x}", 0xabc0 + i);
    let sums: String = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ext = if t.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            };
            format!("{}  mailport-{t}.{ext}\n", hash(i))
        })
        .collect();
    let site = StaticSite::with_downloads(Ipv4Addr::LOCALHOST, sums);
    let base = format!("http://127.0.0.1:{}/dl", site.port);
    let nobody = free_port();
    let visitors = [
        Visitor {
            name: "windows",
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            platform: "Win32",
            hints: Some(hints("Windows", "15.0.0", "x86", false)),
            command: Some(("#cmd-windows", "irm {base}/install.ps1 | iex")),
            first: &["x86_64-pc-windows-gnu"],
        },
        Visitor {
            name: "macos",
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            platform: "MacIntel",
            hints: None,
            command: Some(("#cmd-unix", "curl -fsSL {base}/install.sh | sh")),
            first: &["aarch64-apple-darwin", "x86_64-apple-darwin"],
        },
        Visitor {
            name: "linux",
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            platform: "Linux x86_64",
            hints: Some(hints("Linux", "6.1.0", "x86", false)),
            command: Some(("#cmd-unix", "curl -fsSL {base}/install.sh | sh")),
            first: &["x86_64-unknown-linux-musl"],
        },
        Visitor {
            name: "iphone",
            user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            platform: "iPhone",
            hints: None,
            command: None,
            first: &[],
        },
    ];
    for v in visitors {
        let b = Browser::start(1000, 900).await;
        let mut ua = serde_json::json!({ "userAgent": v.user_agent, "platform": v.platform });
        if let Some(h) = &v.hints {
            ua["userAgentMetadata"] = h.clone();
        }
        b.cdp("Emulation.setUserAgentOverride", ua).await;
        b.client
            .goto(&format!("http://127.0.0.1:{}/#agent={nobody}", site.port))
            .await
            .expect("open the page");
        let install = b.wait_for("#install", 20).await.text().await.expect("text");
        let first: serde_json::Value = b
            .client
            .execute(
                "return [...document.querySelectorAll('#downloads-mine li')].map(l => l.dataset.target);",
                vec![],
            )
            .await
            .expect("first downloads");
        assert_eq!(first, serde_json::json!(v.first), "{}: {install}", v.name);
        match v.command {
            Some((id, cmd)) => {
                assert_eq!(b.text(id).await, cmd.replace("{base}", &base), "{}", v.name);
                // The direct download links to the base, with its checksum
                // from SHA256SUMS.
                let i = targets
                    .iter()
                    .position(|t| *t == v.first[0])
                    .expect("known");
                let sha = b
                    .wait_text("#download-mine .hash", 10, |t| !t.is_empty())
                    .await;
                assert_eq!(sha, hash(i), "{}", v.name);
                let href: serde_json::Value = b
                    .client
                    .execute(
                        "return document.querySelector('#download-mine a').href;",
                        vec![],
                    )
                    .await
                    .expect("href");
                assert!(
                    href.as_str()
                        .is_some_and(|h| h.starts_with(&base) && h.contains(v.first[0])),
                    "{}: {href}",
                    v.name
                );
                assert!(!install.contains("needs a computer"), "{}", v.name);
            }
            None => {
                assert!(
                    install.contains("This needs a computer on the network you want to test."),
                    "{}: {install}",
                    v.name
                );
                assert!(b.client.find(Locator::Css("#sample-report")).await.is_ok());
                assert!(b.client.find(Locator::Css("#cmd-unix")).await.is_err());
            }
        }
        // Every system's download is on the page (the others folded below).
        let all: serde_json::Value = b
            .client
            .execute(
                "return document.querySelectorAll('#install li.download').length;",
                vec![],
            )
            .await
            .expect("count");
        assert_eq!(all, serde_json::json!(targets.len()), "{}", v.name);
        assert!(install.contains("Building from source"), "{}", v.name);
        b.screenshot(&format!("install-{}.png", v.name)).await;
        b.phone(844).await;
        assert!(
            b.fits_phone().await,
            "{}: the install panel fits a phone",
            v.name
        );
        b.phone_screenshot(&format!("install-{}-phone.png", v.name))
            .await;
        b.close().await;
    }
}
