//! The relay panel with the agent (issue 16), in real Chromium:
//!
//! - `relay_panel_tests_with_the_agent`: without an agent the panel says the
//!   test needs it and has no password field; on the agent's page, the
//!   password typed into it (a `type=password` field) goes to the agent,
//!   which tests a fake relay that offers no STARTTLS: the page lists the
//!   steps in the terminal's words and says the password was not sent; the
//!   password is in neither the address nor the page's storage.
//! - `relay_panel_loads_when_opened_and_learns_of_the_agent`: the panel is
//!   a module of its own, fetched only when the section is first opened;
//!   opened before the agent is connected, it offers the test once the
//!   agent connects.

use crate::support::{browser_available, Agent, Browser, FakeSmtp, OtherOrigin, StaticSite};
use std::net::Ipv4Addr;

const SECRET: &str = "Br0wser-s3cret-7421";

async fn type_into(b: &Browser, css: &str, text: &str) {
    b.wait_for(css, 10)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
}

/// Opens the panel once the page has rendered it (the wasm loads first).
async fn open_panel(b: &Browser) {
    b.wait_for("#relay summary", 20)
        .await
        .click()
        .await
        .expect("open the relay panel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_panel_tests_with_the_agent() {
    if !browser_available("relay_panel_tests_with_the_agent") {
        return;
    }
    let b = Browser::start(1366, 900).await;

    // No agent: the panel says the test needs it.
    let site = StaticSite::start(Ipv4Addr::LOCALHOST);
    b.client
        .goto(&format!("http://127.0.0.1:{}/", site.port))
        .await
        .expect("open the static page");
    open_panel(&b).await;
    let needs = b
        .wait_text("#relay-test-needs-agent", 10, |t| !t.is_empty())
        .await;
    assert!(needs.contains("needs the mailport agent"), "{needs}");
    assert_eq!(b.text("#relay-password").await, "");
    assert!(b
        .client
        .find(fantoccini::Locator::Css("#relay-password"))
        .await
        .is_err());

    // With the agent: a relay without STARTTLS.
    let n = (std::process::id() % 200 + 20) as u8;
    let ip = Ipv4Addr::new(127, 91, n, 1);
    let _relay = FakeSmtp::start(ip, 587, "relay.fake.test");
    let agent = Agent::start(&[]);
    b.client
        .goto(&agent.url)
        .await
        .expect("open the agent's page");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
    open_panel(&b).await;
    type_into(&b, "#relay-host", &ip.to_string()).await;
    type_into(&b, "#relay-user", "me@example.org").await;
    type_into(&b, "#relay-password", SECRET).await;
    let field = b.wait_for("#relay-password", 5).await;
    assert_eq!(
        field.attr("type").await.expect("type").as_deref(),
        Some("password")
    );
    assert_eq!(
        field
            .attr("autocomplete")
            .await
            .expect("autocomplete")
            .as_deref(),
        Some("off")
    );
    // The panel is a Yew app of another wasm module inside the page's:
    // what is typed into it reaches it, and only it.
    let page_fields = b
        .client
        .execute(
            "return ['targets', 'reflector-host', 'reflector-key', 'domain'].map(id => document.getElementById(id).value).join('');",
            vec![],
        )
        .await
        .expect("the page's fields");
    assert_eq!(
        page_fields.as_str(),
        Some(""),
        "typing into the relay panel typed into the page's form"
    );
    b.click("#relay-test").await;
    let verdict = b
        .wait_text("#relay-test-verdict", 30, |t| !t.is_empty())
        .await;
    assert!(verdict.contains("does not offer STARTTLS"), "{verdict}");
    let result = b.text("#relay-test-result").await;
    for want in [
        "ok connect",
        "ok greeting",
        "ok EHLO",
        "failed STARTTLS",
        "password was not sent",
    ] {
        assert!(result.contains(want), "{want:?} missing from:\n{result}");
    }
    let url = b.client.current_url().await.expect("url").to_string();
    assert!(!url.contains(SECRET), "{url}");
    let storage = b
        .client
        .execute(
            "return JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + document.cookie;",
            vec![],
        )
        .await
        .expect("storage");
    assert!(!storage.to_string().contains(SECRET), "{storage}");
    assert!(!result.contains(SECRET));
    b.screenshot("relay-tested.png").await;
    b.phone(844).await;
    assert!(b.fits_phone().await, "the relay panel fits a phone");
    b.phone_screenshot("relay-tested-phone.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_panel_loads_when_opened_and_learns_of_the_agent() {
    if !browser_available("relay_panel_loads_when_opened_and_learns_of_the_agent") {
        return;
    }
    // A copy of the page on another origin: it asks the agent only when
    // "Connect" is clicked, so the panel can be opened before.
    let other = OtherOrigin::start();
    let origin = other.origin.as_str();
    let b = Browser::start(1366, 900).await;
    b.client
        .goto(&other.page_url(""))
        .await
        .expect("open the other copy");
    let connect = b.wait_for("#connect", 20).await;
    let module = format!("{origin}/pkg/mailport_relay_bg.wasm");
    let before = b.requests().await;
    assert!(
        !before.contains(&module),
        "the relay module is not fetched before the panel is opened: {before:?}"
    );
    open_panel(&b).await;
    b.wait_text("#relay-test-needs-agent", 10, |t| !t.is_empty())
        .await;
    let after = b.requests().await;
    assert!(
        after.contains(&module),
        "opening the panel fetched its module: {after:?}"
    );
    type_into(&b, "#relay-host", "smtp.example.net").await;
    connect.click().await.expect("click connect");
    b.wait_text("#agent-status", 20, |t| t.contains("Connected"))
        .await;
    // The panel now offers the test, and kept what was typed into it.
    b.wait_for("#relay-password", 10).await;
    assert!(b
        .client
        .find(fantoccini::Locator::Css("#relay-test-needs-agent"))
        .await
        .is_err());
    let host = b
        .client
        .execute(
            "return document.getElementById('relay-host').value;",
            vec![],
        )
        .await
        .expect("host field");
    assert_eq!(host.as_str(), Some("smtp.example.net"));
}
