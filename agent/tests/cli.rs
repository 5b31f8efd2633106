//! The `mailport` binary: usage errors, exit codes, `--json`.
//!
//! Modules: `fakes` (fake servers).

mod fakes;

use fakes::Behaviour;
use mailport_shared::{Outcome, Report};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_mailport");

/// Runs the binary. `check` gets `--no-netinfo`: the network facts would
/// ask OpenDNS and Google, and tests talk to loopback only.
async fn mailport(args: &[&str]) -> Output {
    let mut argv: Vec<&str> = args.to_vec();
    if argv.first() == Some(&"check") {
        argv.insert(1, "--no-netinfo");
    }
    let run = tokio::process::Command::new(BIN)
        .args(&argv)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(std::time::Duration::from_secs(30), run)
        .await
        .expect("the binary must not hang")
        .expect("run mailport")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn bad_input_is_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", "--ports", "0"],
            "\"0\" is not a valid port (1 to 65535)",
        ),
        (
            &["check", "--ports", "70000"],
            "\"70000\" is not a valid port (1 to 65535)",
        ),
        (&["check", "--ports", "25,x"], "\"x\" is not a valid port"),
        (
            &["check", "--host", "exa mple.com"],
            "\"exa mple.com\" is not a valid host name",
        ),
        (
            &["check", "--domain", "192.0.2.1"],
            "a domain is a name, not an IP address",
        ),
        (
            &["check", "--mx", "http://mx.example.com"],
            "give a host name, not a URL",
        ),
        (&["check", "--bogus"], "unexpected argument '--bogus'"),
        (&["check", "-4", "-6"], "cannot be used with"),
        (
            &["check", "--dns", "resolver"],
            "is not an IP address or IP:PORT",
        ),
        (
            &["check", "--connect-timeout", "5"],
            "the connect timeout must be between 100 and 30000 ms, not 5 ms",
        ),
        (
            &["check", "--concurrency", "0"],
            "the concurrency must be between 1 and 256, not 0",
        ),
        (
            &["check", "--ca-file", "/nonexistent/ca.pem"],
            "cannot use /nonexistent/ca.pem as a CA file",
        ),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        // clap's first line alone did not say which argument was missing.
        (
            &["check", "--reflector", "r.example"],
            "the following required arguments were not provided: --reflector-key <KEY>",
        ),
        // Valid options that leave nothing to probe: refused before any
        // lookup or connection, not an empty table.
        (
            &["check", "-6", "--mx", "127.0.3.2", "--allow-private"],
            "mailport: nothing to probe: 127.0.3.2 is an IPv4 address, and only IPv6 is probed",
        ),
        (
            &["check", "--ports", "587", "--mx", "127.0.3.2"],
            "mailport: nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for",
        ),
    ];
    for (args, want) in cases {
        let out = mailport(args).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(want),
            "{args:?}: {err:?} should contain {want:?}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn help_documents_exit_codes() {
    let out = mailport(&["check", "--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit codes"), "{help}");
    for code in [
        "0  outgoing port 25 is open",
        "1  port 25 is blocked, intercepted or restricted",
        "2  usage or setup error",
        "3  port 25 could not be judged",
    ] {
        assert!(help.contains(code), "{code}: {help}");
    }
    assert!(help.contains("--greeting-timeout"), "{help}");
}

#[tokio::test]
async fn json_report_against_a_fake() {
    let fake = fakes::start(Behaviour::smtp("mx.cli.test ESMTP")).await;
    let port = fake.addr.port().to_string();
    let out = mailport(&[
        "check",
        "--allow-private",
        "--host",
        "127.0.0.1",
        "--ports",
        &port,
        "-4",
        "--greeting-timeout",
        "2000",
        "--dns",
        "127.0.0.1:9",
        "--json",
    ])
    .await;
    // Port 25 was not probed, so it could not be judged: 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: Report = serde_json::from_slice(&out.stdout).expect("stdout is one Report");
    assert_eq!(report.probes.len(), 1);
    assert_eq!(report.probes[0].spec.port, fake.addr.port());
    match &report.probes[0].outcome {
        Outcome::Banner(ex) => assert_eq!(ex.greeting.lines, vec!["mx.cli.test ESMTP"]),
        other => panic!("{other:?}"),
    }
    assert!(
        report.headline.starts_with("Port 25 was not tested."),
        "{}",
        report.headline
    );
}

#[tokio::test]
async fn human_output_without_a_terminal_has_no_colour() {
    let fake = fakes::start(Behaviour::smtp("mx.cli.test ESMTP")).await;
    let port = fake.addr.port().to_string();
    let out = mailport(&[
        "check",
        "--allow-private",
        "--host",
        "127.0.0.1",
        "--ports",
        &port,
        "-4",
        "--dns",
        "127.0.0.1:9",
    ])
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("SMTP greeting"), "{text}");
    assert!(text.contains("220 mx.cli.test ESMTP"), "{text}");
    assert!(text.contains("Port 25 was not tested."), "{text}");
    // No progress noise when stderr is not a terminal.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[tokio::test]
async fn private_targets_need_the_flag() {
    let out = mailport(&[
        "check",
        "--host",
        "127.0.0.1",
        "--ports",
        "25",
        "-4",
        "--dns",
        "127.0.0.1:9",
    ])
    .await;
    // Nothing was probed, so nothing was judged.
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("127.0.0.1 is not public (use --allow-private)"),
        "{text}"
    );
}

/// A check on port 25 of loopback hosts, IPv4 only, with a resolver that
/// is never needed (IP literals).
async fn check_port_25(mx: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["check", "--allow-private", "--ports", "25", "-4"];
    for host in mx {
        args.extend(["--mx", host]);
    }
    args.extend(["--dns", "127.0.0.1:9", "--greeting-timeout", "2000"]);
    args.extend(extra);
    mailport(&args).await
}

#[tokio::test]
async fn exit_0_when_port_25_is_open() {
    let ip = fakes::own_loopback(2);
    let Some(_fake) = fakes::start_on_port_25(
        &ip,
        Behaviour::smtp("mx.open.test ESMTP"),
        "exit_0_when_port_25_is_open",
    )
    .await
    else {
        return;
    };
    let out = check_port_25(&[&ip], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("220 mx.open.test ESMTP"), "{text}");
    assert!(text.contains("Outgoing port 25 is open on IPv4."), "{text}");
}

#[tokio::test]
async fn exit_1_when_port_25_is_refused_by_two_mail_servers() {
    // Nothing listens on port 25 of these addresses: both MX hosts, which
    // are known to listen there, refuse. That is a block.
    let (a, b) = (fakes::own_loopback(3), fakes::own_loopback(4));
    let out = check_port_25(&[&a, &b], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("blocked (rejected)"), "{text}");
}

#[tokio::test]
async fn exit_3_when_the_resolver_refuses_fast_and_said_so() {
    let dns = fakes::closed_udp_port().await.to_string();
    let started = std::time::Instant::now();
    let out = mailport(&[
        "check",
        "--mx",
        "mx.one.test",
        "--mx",
        "mx.two.test",
        "--ports",
        "25",
        "-4",
        "--dns",
        &dns,
    ])
    .await;
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    // It used to wait out the 6 s lookup cap and call it a timeout.
    assert!(took < std::time::Duration::from_secs(2), "{took:?}: {text}");
    assert!(
        text.contains(&format!(
            "DNS server {dns} refused the query (nothing listens there)"
        )),
        "{text}"
    );
    assert!(!text.contains("timed out"), "{text}");
}

/// `mailport check` as users run it (the default targets), behind a DNS
/// server that says no name exists (a company DNS that knows only internal
/// names, or a resolver with no way out): the resolver is named as the
/// cause, with what to do, and no workaround for a block nobody measured.
/// Nothing is probed: no name resolved.
#[tokio::test]
async fn a_dns_server_that_denies_every_name_is_named_on_the_default_path() {
    let dns = fakes::dns::serve(fakes::dns::Zone::new()).await.to_string();
    let out = mailport(&["check", "--dns", &dns]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(
        text.contains("Nothing could be tested: the DNS server says that gmail-smtp-in.l.google.com does not exist, and it does"),
        "{text}"
    );
    assert!(text.contains("--dns 1.1.1.1"), "{text}");
    assert!(!text.contains("Check the names"), "{text}");
    for never in ["smarthost", "587", "Ask your provider"] {
        assert!(!text.contains(never), "{never}: {text}");
    }
}

/// `--share` prints the page's short link; the flags choose the redaction
/// and the page it opens, and the link opens the same result.
#[tokio::test]
async fn share_prints_a_link_with_the_chosen_redaction() {
    let fake = fakes::start(Behaviour::smtp("mx.share.test ESMTP")).await;
    let port = fake.addr.port().to_string();
    let base = [
        "check",
        "--allow-private",
        "--host",
        "127.0.0.1",
        "--ports",
        &port,
        "-4",
        "--greeting-timeout",
        "2000",
        "--dns",
        "127.0.0.1:9",
    ];
    let link_in = |o: &Output| -> String {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("Share this result"))
            .unwrap_or_else(|| panic!("no share line in {text}"));
        line.rsplit(' ').next().unwrap().to_string()
    };
    let out = mailport(&[&base[..], &["--share"]].concat()).await;
    let link = link_in(&out);
    assert!(
        link.starts_with("https://mailport.github.io/#r=3."),
        "{link}"
    );
    let report = mailport_shared::share::from_fragment(link.split_once('#').unwrap().1)
        .unwrap()
        .unwrap();
    assert_eq!(report.probes.len(), 1);
    assert_eq!(report.probes[0].outcome.label(), "SMTP greeting");
    // Addresses hidden by default, as on the page.
    assert!(!serde_json::to_string(&report)
        .unwrap()
        .contains("127.0.0.1"));

    let out = mailport(
        &[
            &base[..],
            &[
                "--share",
                "--share-show-addresses",
                "--share-full",
                "--share-base",
                "https://ports.example.org/check/",
            ],
        ]
        .concat(),
    )
    .await;
    let link = link_in(&out);
    assert!(
        link.starts_with("https://ports.example.org/check/#r=4."),
        "{link}"
    );
    let report = mailport_shared::share::from_fragment(link.split_once('#').unwrap().1)
        .unwrap()
        .unwrap();
    assert!(serde_json::to_string(&report)
        .unwrap()
        .contains("127.0.0.1"));
    match &report.probes[0].outcome {
        Outcome::Banner(ex) => assert_eq!(ex.greeting.lines, vec!["mx.share.test ESMTP"]),
        other => panic!("{other:?}"),
    }

    // A base that is not a web address is a usage error.
    let out = mailport(&["check", "--share", "--share-base", "ftp://x"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an http:// or https:// address"),
        "{}",
        stderr(&out)
    );
}
