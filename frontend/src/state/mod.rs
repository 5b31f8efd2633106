//! The page's state and every transition of it, as a Yew reducer.
//!
//! Components only dispatch [`Action`]s; the logic lives here, on plain
//! types, so it is tested natively (`cargo test -p mailport-frontend`).
//!
//! One file per idea, each with its tests: [`location`] and [`fragment`]
//! (the page's address), [`agent`] and [`version`] (the agent it talks to),
//! [`form`], [`grid`] and [`tone`] (the live check), [`run`] and
//! [`shared_link`] (the answer, live or, for the viewer, opened from a link),
//! [`share_source`] (what the share module makes links from), [`time`]. The
//! state itself, its actions and the reducer are here; their tests, which
//! drive the reducer through whole checks, are in `tests.rs`.

pub mod agent;
pub mod form;
pub mod fragment;
pub mod grid;
pub mod location;
pub mod relay_test;
pub mod run;
pub mod share_source;
pub mod shared_link;
pub mod time;
pub mod tone;
pub mod version;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use agent::Agent;
use form::{Form, FormError};
use fragment::Fragment;
use grid::Grid;
use location::Location;
use mailport_shared::api::Health;
use mailport_shared::report::Conclusion;
use mailport_shared::share::RedactOptions;
use mailport_shared::{CheckEvent, Report};
use run::{conclusion_of, Partial, Run};
use share_source::ShareSource;
use std::rc::Rc;
use version::PAGE_VERSION;
use yew::Reducible;

/// The whole page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Where the page is.
    pub location: Location,
    /// The agent.
    pub agent: Agent,
    /// The bearer token, when paired.
    pub token: Option<String>,
    /// The form.
    pub form: Form,
    /// The check.
    pub run: Run,
    /// Live progress.
    pub grid: Grid,
    /// Verdicts and advice once in.
    pub conclusion: Option<Conclusion>,
    /// The full report once done.
    pub report: Option<Rc<Report>>,
    /// The texts `report` came from, for the share module to make links
    /// of it (see [`share_source`]).
    pub share: Option<ShareSource>,
    /// The live check's `started` and `probe` events as the agent sent
    /// them, for a partial result's [`ShareSource`].
    events: Vec<Rc<str>>,
    /// What to hide in share links.
    pub redact: RedactOptions,
    /// The last copy to the clipboard: what was copied, and did it work?
    pub copied: Option<(String, bool)>,
}

impl State {
    /// The initial state from the page's address.
    pub fn new(location: Location, fragment: &Fragment, token: Option<String>) -> State {
        let candidates = fragment.agent_candidates(&location);
        let agent = if location.is_loopback() {
            Agent::Detecting
        } else {
            Agent::NeedsClick { candidates }
        };
        State {
            location,
            agent,
            token: fragment.token.clone().or(token),
            form: Form::from_fragment(fragment),
            run: Run::Idle,
            grid: Grid::default(),
            conclusion: None,
            report: None,
            share: None,
            events: Vec::new(),
            redact: RedactOptions {
                ip: true,
                hosts: false,
            },
            copied: None,
        }
    }

    /// A check is in flight.
    pub fn busy(&self) -> bool {
        matches!(self.run, Run::Starting | Run::Running)
    }

    /// What the page's polite live region says, so that screen readers
    /// hear the check start and its answer without hunting for it.
    pub fn announcement(&self) -> String {
        match (&self.run, &self.conclusion) {
            (Run::Starting, _) => "The check started.".into(),
            (Run::Lost(_), _) => "The agent stopped before the check finished.".into(),
            (Run::Done, Some(c)) => format!("Result: {}", c.headline),
            _ => String::new(),
        }
    }
}

/// Every change to the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Detection started.
    Detecting,
    /// The agent answered.
    AgentFound {
        /// Its base URL.
        base: String,
        /// Its health.
        health: Health,
        /// Served by it.
        same_origin: bool,
    },
    /// Something answered, unreadably (an older agent, most likely).
    AgentUnreadable {
        /// Where.
        base: String,
        /// What was wrong.
        detail: String,
    },
    /// Nothing answered.
    AgentMissing {
        /// Where the page looked.
        tried: Vec<String>,
        /// The browser blocked a request.
        blocked: bool,
    },
    /// Paired.
    Token(String),
    /// Form edits.
    Domain(String),
    /// Tick or untick a port.
    TogglePort(u16),
    /// IPv4 on/off.
    Ipv4(bool),
    /// IPv6 on/off.
    Ipv6(bool),
    /// The targets box.
    Targets(String),
    /// The reflector's host box.
    ReflectorHost(String),
    /// The reflector's key box.
    ReflectorKey(String),
    /// The inbound box.
    Inbound(bool),
    /// The form did not validate.
    FormError(FormError),
    /// The check was posted.
    Starting,
    /// An event from the stream, and its text as the agent sent it.
    Event(Box<CheckEvent>, Rc<str>),
    /// The check could not run or the stream broke.
    Failed(String),
    /// What to hide in share links.
    Redact(RedactOptions),
    /// The user stopped the check.
    Stopped,
    /// The agent stopped answering during the check: keep what finished
    /// as a partial result, dated `now_ms` (Unix milliseconds).
    AgentLost {
        /// The time, for the partial report.
        now_ms: u64,
    },
    /// The share module judged what finished of a check whose agent
    /// stopped: the partial report, or why it could not.
    PartialJudged {
        /// What it judged: an answer for a partial result since replaced
        /// (a later check also lost) is not this one's.
        source: ShareSource,
        /// The partial report, or why not in words.
        judged: Result<Box<Report>, String>,
    },
    /// Ask the share module again to judge a partial result it could not
    /// (its module did not load from a page on the web: the network).
    JudgeAgain,
    /// Text was copied (or the browser refused).
    Copied {
        /// What the button copied.
        text: String,
        /// Whether the browser allowed it.
        ok: bool,
    },
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        s.apply(action);
        Rc::new(s)
    }
}

impl State {
    /// Applies one action in place.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Detecting => self.agent = Agent::Detecting,
            Action::AgentFound {
                base,
                health,
                same_origin,
            } => {
                self.agent = Agent::Found {
                    base,
                    health,
                    same_origin,
                }
            }
            Action::AgentUnreadable { base, detail } => {
                self.agent = Agent::Unreadable { base, detail }
            }
            Action::AgentMissing { tried, blocked } => {
                self.agent = Agent::Missing { tried, blocked }
            }
            Action::Token(t) => self.token = Some(t),
            Action::Domain(d) => {
                self.form.domain = d;
                self.form.error = None;
            }
            Action::TogglePort(p) => {
                if let Some(i) = self.form.ports.iter().position(|x| *x == p) {
                    self.form.ports.remove(i);
                } else {
                    self.form.ports.push(p);
                }
                self.form.error = None;
            }
            Action::Ipv4(on) => {
                self.form.ipv4 = on;
                self.form.error = None;
            }
            Action::Ipv6(on) => {
                self.form.ipv6 = on;
                self.form.error = None;
            }
            Action::Targets(t) => {
                self.form.targets = t;
                self.form.error = None;
            }
            Action::ReflectorHost(h) => {
                self.form.reflector_host = h;
                self.form.error = None;
            }
            Action::ReflectorKey(k) => {
                self.form.reflector_key = k;
                self.form.error = None;
            }
            Action::Inbound(on) => {
                self.form.inbound = on;
                self.form.error = None;
            }
            Action::FormError(e) => self.form.error = Some(e),
            Action::Starting => {
                self.form.error = None;
                self.run = Run::Starting;
                self.grid = Grid::default();
                self.conclusion = None;
                self.report = None;
                self.share = None;
                self.events.clear();
                self.copied = None;
            }
            Action::Event(ev, text) => self.event(*ev, text),
            Action::Failed(msg) => {
                // A stream that breaks because the user stopped it is not
                // a failure to report.
                if self.run != Run::Stopped {
                    self.run = Run::Failed(msg)
                }
            }
            Action::Stopped => {
                if self.busy() {
                    self.run = Run::Stopped
                }
            }
            Action::Redact(r) => {
                self.redact = r;
                self.copied = None;
            }
            Action::Copied { text, ok } => self.copied = Some((text, ok)),
            Action::AgentLost { now_ms } => self.lost(now_ms),
            Action::PartialJudged { source, judged } => self.judged(&source, judged),
            Action::JudgeAgain => {
                if matches!(self.run, Run::Lost(Partial::Unjudged(_))) && self.share.is_some() {
                    self.run = Run::Lost(Partial::Judging);
                }
            }
        }
    }

    fn event(&mut self, ev: CheckEvent, text: Rc<str>) {
        if self.run == Run::Stopped {
            return;
        }
        match ev {
            CheckEvent::Started { planned } => {
                self.grid = Grid::planned(planned);
                self.events = vec![text];
                self.run = Run::Running;
            }
            CheckEvent::Probe { result } => {
                self.grid.record(result);
                self.events.push(text);
                self.run = Run::Running;
            }
            CheckEvent::Concluded { conclusion } => self.conclusion = Some(conclusion),
            CheckEvent::Done { report } => {
                // The report is the truth: rebuild the grid from it, keeping
                // the planned order for cells that are already there.
                for p in &report.probes {
                    if !self
                        .grid
                        .cell(&p.spec.host, p.spec.port, p.spec.family)
                        .is_some_and(|c| c.results.contains(p))
                    {
                        self.grid.record(p.clone());
                    }
                }
                self.grid.order_as_planned(&report.options);
                self.conclusion = Some(conclusion_of(&report));
                self.report = Some(Rc::from(report));
                self.share = Some(ShareSource::Done(text));
                self.events.clear();
                self.run = Run::Done;
            }
            CheckEvent::Failed { message, .. } => self.run = Run::Failed(message),
        }
    }
}

impl State {
    /// The agent went away mid-check: say so (no green "Connected"), and
    /// keep what finished for the share module to judge as a partial
    /// result that can be shared, clearly marked in its headline
    /// ([`Action::PartialJudged`] brings the judgement).
    fn lost(&mut self, now_ms: u64) {
        if !self.busy() {
            return;
        }
        let version = match &self.agent {
            Agent::Found { health, .. } => health.agent_version.clone(),
            _ => String::new(),
        };
        if let Agent::Found { base, .. } = &self.agent {
            self.agent = Agent::Stopped { base: base.clone() };
        }
        let options = self.form.options().unwrap_or_default();
        if !self.grid.cells.iter().any(|c| !c.results.is_empty()) {
            self.run = Run::Lost(Partial::Nothing);
            return;
        }
        self.run = Run::Lost(Partial::Judging);
        self.share = Some(ShareSource::Partial {
            events: self.events.clone().into(),
            options: options.into(),
            tool_version: if version.is_empty() {
                PAGE_VERSION.into()
            } else {
                version.into()
            },
            now_ms,
        });
    }

    /// The share module's judgement of `source`, a partial result (see
    /// [`State::lost`]); ignored unless it is the one awaited.
    fn judged(&mut self, source: &ShareSource, judged: Result<Box<Report>, String>) {
        if self.run != Run::Lost(Partial::Judging) || self.share.as_ref() != Some(source) {
            return;
        }
        match judged {
            Ok(report) => {
                self.conclusion = Some(conclusion_of(&report));
                self.report = Some(Rc::from(report));
                self.run = Run::Lost(Partial::Judged);
            }
            // The source stays, for a try again; the page offers no links
            // of it meanwhile (the same module makes them).
            Err(why) => self.run = Run::Lost(Partial::Unjudged(why)),
        }
    }
}

/// What a copy button says after a click: only the button whose text was
/// the last one copied (`copied`, from [`State::copied`]) says anything.
pub fn copy_note(copied: Option<&(String, bool)>, text: &str) -> &'static str {
    match copied.filter(|(t, _)| t == text).map(|(_, ok)| *ok) {
        Some(true) => "Copied to the clipboard.",
        Some(false) => "The browser did not allow copying: select the text and copy it by hand.",
        None => "",
    }
}
