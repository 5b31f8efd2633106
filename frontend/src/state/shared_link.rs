//! A result opened from a share link instead of a live check.

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

/// The shared result a fragment carries, if any.
pub(super) fn shared_of(fragment: &Fragment) -> Option<Shared> {
    fragment
        .report
        .as_deref()
        .map(|r| match mailport_shared::share::decode(r) {
            Ok(report) => Shared::Report(Rc::new(report)),
            Err(e) => Shared::Broken(capitalise(&e.to_string())),
        })
}

/// The sample report (`mailport_shared::sample`) as a short link's
/// fragment, for the first visit's "see a sample report". Written out, not
/// made in the page: making links is the share module's work
/// (`bin/share.rs`), and the page does not load it for a sample. A test
/// makes the link again and compares.
pub const SAMPLE_FRAGMENT: &str = "r=3.eNptkt9q1EAYxb9JZtKl3XatW5XGPzuCi610pjPZFtSLarssCK1asIK3MRu2wfxZkywWr3wAH0K88y30eq8KCl64byF460yS3S0iBCbnO3y_c0gGE8ElFx9-fvv8cec7XbAHkRuELIvyIQtiHvJBkgxCn3tJ1H7m5--S9A0NMjqKU9_1Tt3XoU83koz6aZqkVAq5uRadCck1hAdemIz6enVF83iB1nK1kJkf9wdp0Oexn9eHSZq_HQXvtWg8OTk53pZcUkcI-vwQgKzb5-YYT5oIfWp93UMANsA6RsaXljothFHdqLRRaROdmxjBL4RMAIT08wPpYeWO8dRFMHPHuHAxKlnqrPSUhecsPGXhGQvPWXjOmjT_406ahUvMMkmdlbYrbVdaJ9fBOtRv1UjHlaMqg5g6oxxVYFBFazVYqxlwxTDgqgGwuoBqGDatZfngPt9Vn1cI7nTgLtmDezUTmLIR3CEPYUktky3YII-gofaBGIplwQ1r0RFSMNFhQsJNa6v3av_p8VGPdfcPjnqU0d6ZGw3VhegW16KbRNEoDjw3D5I4g2vG7z8m2Jbx8oX6Q40LHcS2swPXyQFcUmFL5LEKXITlafC_dVdUSSAmXJ41M6FFbgMtyrfhltX2mFphu5KpFeZ0-GnWl9xz1aN6cb9sCc0LafAXL-mHudFPIDk";

/// Whether a fragment's shared result is a short link's (no transcripts).
pub(super) fn from_short_link(fragment: &Fragment) -> bool {
    fragment
        .report
        .as_deref()
        .is_some_and(|r| mailport_shared::share::fragment_is_short(&format!("r={r}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::test_support::{decode, loc, report};
    use crate::state::{Action, State};

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

    #[test]
    fn shared_links_open_or_explain() {
        let report = Report {
            started_at_ms: 1_790_000_000_000,
            ..report(vec![], "Port 25 was not tested.")
        };
        let enc = mailport_shared::share::encode(&report);
        let l = loc("https://mailport.github.io", "mailport.github.io");
        let s = State::new(
            l.clone(),
            &Fragment::parse(&format!("r={enc}"), decode),
            None,
        );
        assert_eq!(s.shared, Some(Shared::Report(Rc::new(report))));
        let s = State::new(
            l,
            &Fragment::parse(&format!("r={}", &enc[..enc.len() / 2]), decode),
            None,
        );
        match s.shared {
            Some(Shared::Broken(msg)) => assert!(msg.starts_with("This link is incomplete")),
            other => panic!("{other:?}"),
        }
    }

    /// A link pasted over a shown result replaces it; a fragment without a
    /// result goes back to the page's own view.
    #[test]
    fn a_pasted_link_replaces_what_is_shown() {
        let a = mailport_shared::sample::sample_report();
        let b = Report {
            started_at_ms: 1_790_000_000_000,
            ..report(vec![], "Port 25 was not tested.")
        };
        let l = loc("https://mailport.github.io", "mailport.github.io");
        let mut s = State::new(
            l,
            &Fragment::parse(&format!("r={}", mailport_shared::share::encode(&a)), decode),
            None,
        );
        assert_eq!(s.shared, Some(Shared::Report(Rc::new(a.clone()))));
        assert!(!s.shared_short);
        s.apply(Action::Hash(Fragment::parse(
            &format!("#r={}", mailport_shared::share::encode_short(&b)),
            decode,
        )));
        match &s.shared {
            Some(Shared::Report(r)) => assert_eq!(r.headline, b.headline),
            other => panic!("{other:?}"),
        }
        assert!(s.shared_short);
        s.apply(Action::Hash(Fragment::parse("#r=2.broken", decode)));
        assert!(matches!(s.shared, Some(Shared::Broken(_))));
        s.apply(Action::Hash(Fragment::parse("", decode)));
        assert_eq!(s.shared, None);
        assert!(!s.shared_short);
    }
}
