//! A result opened from a share link, for the viewer (`crate::viewer`).
//!
//! Only the viewer reads links: the checker never does (an address that
//! carries one starts the viewer instead), so the link codec, and the
//! classification and advice a short link derives its verdicts with, are
//! not in the checker's wasm.

use super::form::capitalise;
use super::fragment::Fragment;
use mailport_shared::Report;
use std::rc::Rc;

/// A shared result opened from a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Decoded.
    Report(Rc<Report>),
    /// Could not be decoded: why, for the user.
    Broken(String),
}

/// The shared result a fragment carries, if any, and whether it came from
/// a short link (no transcripts).
pub fn shared_of(fragment: &Fragment) -> Option<(Shared, bool)> {
    let value = fragment.report.as_deref()?;
    let shared = match mailport_shared::share::decode(value) {
        Ok(report) => Shared::Report(Rc::new(report)),
        Err(e) => Shared::Broken(capitalise(&e.to_string())),
    };
    let short = mailport_shared::share::fragment_is_short(&format!("r={value}"));
    Some((shared, short))
}

/// The sample report (`mailport_shared::sample`) as a short link's
/// fragment, for the first visit's "see a sample report". Written out, not
/// made in the page: making links is the share module's work
/// (`bin/share.rs`), and the page does not load it for a sample. A test
/// makes the link again and compares.
pub const SAMPLE_FRAGMENT: &str = "r=3.eNptkt9q1EAYxb9JZtKl3XatW5XGPzuCi610pjPZFtSLarssCK1asIK3MRu2wfxZkywWr3wAH0K88y30eq8KCl64byF460yS3S0iBCbnO3y_c0gGE8ElFx9-fvv8cec7XbAHkRuELIvyIQtiHvJBkgxCn3tJ1H7m5--S9A0NMjqKU9_1Tt3XoU83koz6aZqkVAq5uRadCck1hAdemIz6enVF83iB1nK1kJkf9wdp0Oexn9eHSZq_HQXvtWg8OTk53pZcUkcI-vwQgKzb5-YYT5oIfWp93UMANsA6RsaXljothFHdqLRRaROdmxjBL4RMAIT08wPpYeWO8dRFMHPHuHAxKlnqrPSUhecsPGXhGQvPWXjOmjT_406ahUvMMkmdlbYrbVdaJ9fBOtRv1UjHlaMqg5g6oxxVYFBFazVYqxlwxTDgqgGwuoBqGDatZfngPt9Vn1cI7nTgLtmDezUTmLIR3CEPYUktky3YII-gofaBGIplwQ1r0RFSMNFhQsJNa6v3av_p8VGPdfcPjnqU0d6ZGw3VhegW16KbRNEoDjw3D5I4g2vG7z8m2Jbx8oX6Q40LHcS2swPXyQFcUmFL5LEKXITlafC_dVdUSSAmXJ41M6FFbgMtyrfhltX2mFphu5KpFeZ0-GnWl9xz1aN6cb9sCc0LafAXL-mHudFPIDk";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::test_support::{decode, report};

    #[test]
    fn the_sample_link_is_the_sample_report() {
        let made =
            mailport_shared::share::link_short("", &mailport_shared::sample::sample_report());
        assert_eq!(
            made.strip_prefix('#'),
            Some(SAMPLE_FRAGMENT),
            "the sample report changed: set SAMPLE_FRAGMENT to the new link's fragment"
        );
    }

    /// Full and short links open (and say which they were), a link cut in
    /// half explains itself, and an address without one is no shared
    /// result.
    #[test]
    fn shared_links_open_or_explain() {
        let report = Report {
            started_at_ms: 1_790_000_000_000,
            ..report(vec![], "Port 25 was not tested.")
        };
        let open = |f: &str| shared_of(&Fragment::parse(f, decode));
        let enc = mailport_shared::share::encode(&report);
        assert_eq!(
            open(&format!("#agent=7600&r={enc}")),
            Some((Shared::Report(Rc::new(report.clone())), false))
        );
        let short = mailport_shared::share::encode_short(&report);
        match open(&format!("r={short}")) {
            Some((Shared::Report(r), true)) => assert_eq!(r.headline, report.headline),
            other => panic!("{other:?}"),
        }
        match open(&format!("r={}", &enc[..enc.len() / 2])) {
            Some((Shared::Broken(msg), false)) => {
                assert!(msg.starts_with("This link is incomplete"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(open("#r=2.broken"), Some((Shared::Broken(_), _))));
        assert_eq!(open("#agent=7600"), None);
        assert_eq!(open(""), None);
    }
}
