//! What the share module (`bin/share.rs`) makes links from.
//!
//! Making a share link takes redaction, the link codec's writing side and a
//! JSON writer for the whole report: 25 KB of the page's gzipped wasm,
//! which a visit that never runs a check does not need. So the page keeps
//! no writer for the report; the share module, imported when a check
//! starts, rebuilds the report from the texts the page was sent and then
//! writes the links. These are those texts: the agent's events as it sent
//! them, never the report written again.

use super::grid::Grid;
use super::run::partial_report;
use mailport_shared::quoted::Quoted;
use mailport_shared::{CheckEvent, CheckOptions, Report};
use std::rc::Rc;

/// The report the share panel makes links of, as the texts it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareSource {
    /// A finished check: the agent's `done` event (JSON), as it sent it.
    Done(Rc<str>),
    /// A check the agent stopped answering during: what finished, judged
    /// by the share module (`run::partial_report`), for the page to show
    /// and to make links of.
    Partial {
        /// The `started` and `probe` events the page applied, as sent.
        events: Rc<[Rc<str>]>,
        /// The options the check was asked with.
        options: Rc<CheckOptions>,
        /// The agent's version (the page's when it never said).
        tool_version: Rc<str>,
        /// When the agent was found gone (Unix milliseconds).
        now_ms: u64,
    },
}

/// The first of [`ShareSource::to_parts`]'s strings for each kind.
const DONE: &str = "done";
const PARTIAL: &str = "partial";

impl ShareSource {
    /// The source as strings, the form the share module's `links` takes:
    /// `["done", event]` or `["partial", options, version, now_ms,
    /// events…]`.
    pub fn to_parts(&self) -> Vec<String> {
        match self {
            ShareSource::Done(event) => vec![DONE.into(), event.to_string()],
            ShareSource::Partial {
                events,
                options,
                tool_version,
                now_ms,
            } => {
                // Plain data with string keys: writing it cannot fail (an
                // empty text would be refused by `from_parts`).
                let options = serde_json::to_string(&**options).unwrap_or_default();
                [PARTIAL, &options, tool_version, &now_ms.to_string()]
                    .into_iter()
                    .map(String::from)
                    .chain(events.iter().map(|e| e.to_string()))
                    .collect()
            }
        }
    }

    /// The inverse of [`ShareSource::to_parts`].
    pub fn from_parts(parts: Vec<String>) -> Result<ShareSource, String> {
        let mut parts = parts.into_iter();
        match parts.next().as_deref() {
            Some(DONE) => match (parts.next(), parts.next()) {
                (Some(event), None) => Ok(ShareSource::Done(event.into())),
                _ => Err("a finished check is one event".into()),
            },
            Some(PARTIAL) => {
                let (Some(options), Some(tool_version), Some(now_ms)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err("a partial result needs its options, version and time".into());
                };
                let options: CheckOptions = mailport_shared::json::from_str(&options)
                    .map_err(|e| format!("the check's options could not be read again ({e})"))?;
                Ok(ShareSource::Partial {
                    options: options.into(),
                    tool_version: tool_version.into(),
                    now_ms: now_ms
                        .parse()
                        .map_err(|_| format!("not a time: {}", Quoted(&now_ms)))?,
                    events: parts.map(Rc::from).collect(),
                })
            }
            _ => Err("not a result the page shows".into()),
        }
    }

    /// The report: the agent's, or the partial result judged from what
    /// finished (the share module's `partial` answers the page with it).
    pub fn report(&self) -> Result<Report, String> {
        let event = |text: &str| {
            mailport_shared::json::from_str::<CheckEvent>(text)
                .map_err(|e| format!("the agent's event could not be read again ({e})"))
        };
        match self {
            ShareSource::Done(text) => match event(text)? {
                CheckEvent::Done { report } => Ok(*report),
                _ => Err("the check's last event is not its result".into()),
            },
            ShareSource::Partial {
                events,
                options,
                tool_version,
                now_ms,
            } => {
                let mut grid = Grid::default();
                for text in events.iter() {
                    match event(text)? {
                        CheckEvent::Started { planned } => grid = Grid::planned(planned),
                        CheckEvent::Probe { result } => grid.record(result),
                        _ => {}
                    }
                }
                partial_report(
                    &grid,
                    (**options).clone(),
                    tool_version.to_string(),
                    *now_ms,
                )
                .map(|(report, _)| report)
                .ok_or_else(|| "nothing finished before the agent stopped".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parts_that_are_not_a_source_are_refused() {
        for bad in [
            &[][..],
            &["sample"],
            &["done"],
            &["done", "{}", "{}"],
            &["partial", "{}", "0.3.0"],
            &["partial", "{}", "0.3.0", "soon"],
        ] {
            assert!(ShareSource::from_parts(parts(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts_that_are_not_the_events_say_so() {
        let done = |t: &str| ShareSource::Done(t.into()).report();
        let e = done("not json").expect_err("not JSON");
        assert!(
            e.starts_with("the agent's event could not be read again"),
            "{e}"
        );
        let e = done(r#"{"event":"failed","code":"busy","message":"m"}"#).expect_err("not done");
        assert_eq!(e, "the check's last event is not its result");
        let partial =
            ShareSource::from_parts(parts(&["partial", "{}", "0.3.0", "5"])).expect("well formed");
        assert_eq!(
            partial.report(),
            Err("nothing finished before the agent stopped".into())
        );
        let e = ShareSource::from_parts(parts(&["partial", "[", "0.3.0", "5"]))
            .expect_err("bad options");
        assert!(
            e.starts_with("the check's options could not be read again"),
            "{e}"
        );
    }
}
