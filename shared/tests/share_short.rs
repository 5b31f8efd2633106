//! The short share link (format 3): short enough for a chat message, and
//! still the same verdicts, advice, network facts and outcome kinds.

use mailport_shared::sample::sample_report;
use mailport_shared::share::{self, RedactOptions, ShareError};

/// The public page's address, as the page and `mailport check --share` use.
const BASE: &str = "https://mailport.github.io/";

#[test]
fn a_realistic_report_fits_a_short_link() {
    let report = sample_report();
    let full = share::link(BASE, &report);
    let short = share::link_short(BASE, &report);
    println!(
        "realistic report ({} probes): full link {} characters, short link {} characters",
        report.probes.len(),
        full.len(),
        short.len()
    );
    assert!(
        short.len() <= 1000,
        "short link is {} characters",
        short.len()
    );
    assert!(
        short.len() * 2 < full.len(),
        "{} vs {}",
        short.len(),
        full.len()
    );
    // Redacted as the page shares by default: still short.
    let red = share::redact(
        &report,
        RedactOptions {
            ip: true,
            hosts: false,
        },
    )
    .unwrap();
    let short_red = share::link_short(BASE, &red);
    println!("with addresses hidden: {} characters", short_red.len());
    assert!(short_red.len() <= 1000, "{}", short_red.len());
}

#[test]
fn a_short_link_keeps_what_a_reader_needs() {
    for report in [
        sample_report(),
        share::redact(
            &sample_report(),
            RedactOptions {
                ip: true,
                hosts: true,
            },
        )
        .unwrap(),
    ] {
        let enc = share::encode_short(&report);
        assert!(enc.starts_with("3."));
        let back = share::decode(&enc).unwrap();
        assert_eq!(back.verdicts, report.verdicts);
        assert_eq!(back.headline, report.headline);
        assert_eq!(back.advice, report.advice);
        assert_eq!(back.network, report.network);
        assert_eq!(back.options, report.options);
        assert_eq!(back.probes.len(), report.probes.len());
        for (a, b) in back.probes.iter().zip(&report.probes) {
            assert_eq!(a.spec, b.spec);
            assert_eq!(a.outcome.label(), b.outcome.label(), "{}", b.spec.host);
            assert_eq!(a.timings.total_ms, b.timings.total_ms);
            // The transcripts are what is left out.
            assert_eq!(a.address, None);
        }
        let frag = format!("r={enc}");
        assert!(share::fragment_is_short(&frag));
        assert!(!share::fragment_is_short(&format!(
            "r={}",
            share::encode(&report)
        )));
    }
}

/// Judged text that the kept facts would not give again (here: a verdict
/// reason and advice edited as a newer mailport might word them) travels in
/// the link as is, never silently replaced.
#[test]
fn text_the_probes_do_not_give_travels_as_is() {
    let mut report = sample_report();
    report.verdicts[0].why = "worded by another version".into();
    report.headline = "Another headline.".into();
    report.advice[0].title = "Another title".into();
    let back = share::decode(&share::encode_short(&report)).unwrap();
    assert_eq!(back.verdicts, report.verdicts);
    assert_eq!(back.headline, report.headline);
    assert_eq!(back.advice, report.advice);
}

#[test]
fn old_formats_still_open_and_damage_is_refused() {
    let report = sample_report();
    let full = share::encode(&report);
    assert!(full.starts_with("4."));
    assert_eq!(share::decode(&full), Ok(report.clone()));
    let short = share::encode_short(&report);
    // Cut off: refused as incomplete or damaged, never shown altered.
    let cut = &short[..short.len() / 2];
    assert!(matches!(
        share::decode(cut),
        Err(ShareError::Truncated | ShareError::Corrupted(_))
    ));
    // One changed character: the checksum refuses it.
    let mut bytes = short.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let damaged = String::from_utf8(bytes).unwrap();
    assert!(share::decode(&damaged).is_err());
    // Format 5 is from the future.
    assert!(matches!(
        share::decode(&format!("5.{}", &short[2..])),
        Err(ShareError::FutureVersion { found: 5, .. })
    ));
}
