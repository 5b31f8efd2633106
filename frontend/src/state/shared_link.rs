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
