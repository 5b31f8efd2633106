//! The page in a real browser (headless Chromium through chromedriver),
//! against the real `mailport` agent probing SMTP fakes on loopback.
//!
//! - `check_then_share`: the agent's own page pairs, validates the form,
//!   runs a check, fills the grid, shows the verdict, the network facts (from
//!   a fake DNS server on loopback) and the advice the fakes call for, and
//!   makes a share link that opens in a fresh profile with no agent running
//!   (the public address reads "hidden" there).
//! - `no_agent_shows_install_panel`: a copy of the page with nobody behind it.
//! - `other_origin_connects_on_click`: a copy of the page on another origin
//!   (like the public page) waits for a click, then calls the agent
//!   cross-origin (CORS, bearer token from the fragment); without network
//!   facts (`--no-netinfo`) the page shows no network block.
//! - `stopping_cancels_the_check`: the agent's page pairs itself without a
//!   token in its address; Stop closes the stream, the agent cancels the
//!   check and at once accepts a new one.
//! - `broken_share_link_explains`: a cut-off link on a phone-width screen.
//!
//! Skipped with a message when chromedriver is missing, unless CI is set.
//! Screenshots land in `artifacts/`.

mod support;

use fantoccini::Locator;
use mailport_shared::share;
use std::net::Ipv4Addr;
use support::{
    browser_available, free_port, Agent, Browser, FakeNetinfoDns, FakeSmtp, StaticSite,
    FAKE_PUBLIC_IP,
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
    b.client
        .find(Locator::Css("#run"))
        .await
        .expect("run button")
        .click()
        .await
        .expect("click");
    let err = b.wait_text("#form-error", 5, |t| !t.is_empty()).await;
    assert_eq!(
        err,
        "\"exa mple.org\" is not a valid host name: only letters, digits, hyphens and dots are allowed."
    );

    // Reload: the token now comes from sessionStorage, the form from the fragment.
    b.client.refresh().await.expect("reload");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
    let targets = b
        .wait_for("#targets", 5)
        .await
        .prop("value")
        .await
        .expect("targets value")
        .unwrap_or_default();
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
    b.client
        .find(Locator::Css("#run"))
        .await
        .expect("run button")
        .click()
        .await
        .expect("click");

    // The grid fills in: 2 MX × 25, the submission host × 25 and 587.
    b.wait_text("#progress", 60, |t| t.starts_with("4 of 4"))
        .await;
    let headline = b.wait_text("#headline", 30, |t| !t.is_empty()).await;
    assert_eq!(headline, EXPECTED_HEADLINE);
    // Under the headline: the network the check ran from, in the
    // terminal's words.
    let network = b.wait_text("#network", 10, |t| !t.is_empty()).await;
    assert!(
        network.contains("Network: Comcast Xfinity (AS7922, US), residential — known to block 25"),
        "{network}"
    );
    assert!(
        network.contains(&format!("Public address: IPv4 {FAKE_PUBLIC_IP}, reverse DNS c-198-51-100-73.hsd1.ca.comcast.net")),
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
    let summary = b
        .client
        .find(Locator::Css("#grid td[data-port=\"587\"] summary"))
        .await
        .expect("587 cell");
    summary.click().await.expect("open details");
    let details = b.text("#grid td[data-port=\"587\"] details").await;
    assert!(
        details.contains("220 submission.fake.test ESMTP fake ready"),
        "{details}"
    );
    assert!(details.contains("SIZE 10240000"), "{details}");

    // The share link: public page by default, addresses hidden by default.
    let link = b
        .wait_for("#share-link", 10)
        .await
        .prop("value")
        .await
        .expect("link")
        .unwrap_or_default();
    assert!(
        link.starts_with("https://mailport.github.io/#r=1."),
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
    let shot = b.screenshot("check-result.png").await;
    eprintln!("screenshot: {}", shot.display());
    // Phone width: the same page, one column, tables scroll on their own.
    b.client.set_window_size(390, 844).await.expect("resize");
    let overflow = b
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(
        overflow.as_bool(),
        Some(false),
        "the page fits a phone's width"
    );
    let shot = b
        .screenshot_at("#verdict-title", "check-result-phone.png")
        .await;
    eprintln!("screenshot: {}", shot.display());
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
    assert!(banner.starts_with("Shared result from 20"), "{banner}");
    assert_eq!(b.text("#headline").await, EXPECTED_HEADLINE);
    assert!(b.text("#grid").await.contains("[ip-"));
    let network = b.text("#network").await;
    assert!(network.contains("Comcast Xfinity"), "{network}");
    assert!(network.contains("Public address: IPv4 hidden"), "{network}");
    assert!(!network.contains(FAKE_PUBLIC_IP), "{network}");
    assert_eq!(
        b.text("#agent").await,
        "",
        "no agent panel in a shared view"
    );
    let shot = b.screenshot("shared-view.png").await;
    eprintln!("screenshot: {}", shot.display());
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
    assert_eq!(
        status,
        format!("✗ No mailport agent answered at http://127.0.0.1:{nobody}.")
    );
    let install = b.wait_for("#install", 5).await.text().await.expect("text");
    assert!(install.contains("cargo install --git"), "{install}");
    assert!(install.contains("What it does not do"), "{install}");
    assert!(
        b.client.find(Locator::Css("#check")).await.is_err(),
        "no check form without an agent"
    );
    let shot = b.screenshot("no-agent.png").await;
    eprintln!("screenshot: {}", shot.display());
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_share_link_explains() {
    if !browser_available("broken_share_link_explains") {
        return;
    }
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    let b = Browser::start(390, 800).await;
    b.client
        .goto(&format!("http://127.0.0.1:{}/#r=1.eJyrVkrOz0", site.port))
        .await
        .expect("open the page");
    let why = b.wait_text("#share-error", 20, |t| !t.is_empty()).await;
    assert!(
        why.starts_with("This link is incomplete") || why.starts_with("This link is damaged"),
        "{why}"
    );
    let shot = b.screenshot("broken-link-phone.png").await;
    eprintln!("screenshot: {}", shot.display());
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
    let site = StaticSite::start(Ipv4Addr::new(127, 0, 0, 2));
    let origin = format!("http://{}:{}", site.ip, site.port);
    let agent = Agent::start(&["--allow-origin", &origin]);
    let (agent_base, token) = agent
        .url
        .split_once("/#token=")
        .expect("the agent's URL carries its token");
    let agent_port = agent_base.rsplit(':').next().expect("port");
    let b = Browser::start(1000, 900).await;
    b.client
        .goto(&format!(
            "{origin}/#agent={agent_port}&token={token}&targets={sub}%20submission&ports=587&families=4"
        ))
        .await
        .expect("open the other copy");
    // No request before a click: Chrome grants loopback access on a gesture.
    let connect = b.wait_for("#connect", 20).await;
    assert_eq!(b.text("#agent-status").await, "");
    connect.click().await.expect("click connect");
    b.wait_text("#agent-status", 20, |t| {
        t.contains(&format!(
            "Connected to the mailport agent {} at http://127.0.0.1:{agent_port}",
            env!("CARGO_PKG_VERSION")
        ))
    })
    .await;
    b.client
        .find(Locator::Css("#run"))
        .await
        .expect("run button")
        .click()
        .await
        .expect("click run");
    let headline = b.wait_text("#headline", 60, |t| !t.is_empty()).await;
    assert_eq!(
        headline,
        "Port 25 was not tested. Submission port 587 is open."
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
