//! The checks the agent knows about: at most one running, a log of every
//! event of each (so a late subscriber replays from the start), the finished
//! report, and the rate limit.

use super::errors::ApiFailure;
use futures::future::BoxFuture;
use mailport_shared::api::ApiError;
use mailport_shared::hex;
use mailport_shared::{CheckEvent, CheckOptions, Report};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

/// Why a check did not produce a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// Stable code: `invalid_options` or `check_failed`.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// What runs a check. The agent uses the probe engine ([`crate::runner`]);
/// tests of the API alone may plug in something scripted.
pub trait Checker: Send + Sync + 'static {
    /// Runs one check, sending its events as they happen (the engine sends
    /// `Started`, `Probe`..., `Concluded`, `Done`). Dropping the future must
    /// cancel the check.
    fn check(
        &self,
        options: CheckOptions,
        events: mpsc::Sender<CheckEvent>,
    ) -> BoxFuture<'static, Result<Report, CheckFailure>>;
}

/// Limits of the API.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Checks started per rolling minute.
    pub checks_per_minute: usize,
    /// Finished checks kept for `GET /v1/checks/{id}`.
    pub kept_checks: usize,
    /// How long a new check waits for its first follower (an open event
    /// stream). Closing the last stream cancels a check, but a check nobody
    /// ever opened would otherwise hold the single check slot until it ends
    /// (up to about 90 s) and answer every new start with `busy`.
    pub follow_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            checks_per_minute: 10,
            kept_checks: 16,
            // The page opens the stream right after the start answers; this
            // leaves room for a slow machine, not for a forgotten check.
            follow_grace: Duration::from_secs(10),
        }
    }
}

/// One event, serialised once for every subscriber.
#[derive(Debug)]
pub struct LoggedEvent {
    /// SSE event name.
    pub name: &'static str,
    /// JSON data.
    pub json: String,
}

/// Where a check stands.
#[derive(Clone, Debug)]
pub enum Status {
    /// Probing.
    Running,
    /// Finished with a report.
    Done(Arc<Report>),
    /// Could not run (or was refused by the engine).
    Failed(ApiError),
    /// Stopped before the end: nobody was left to see the result.
    Cancelled(Cancel),
}

/// Why a check was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// Every follower closed its event stream (the page went away or the
    /// user pressed Stop).
    Abandoned,
    /// Nobody opened its event stream within [`Limits::follow_grace`].
    Unfollowed,
}

impl Cancel {
    /// For people: the `message` of the final `failed` event and of the report's 409.
    pub fn message(self) -> &'static str {
        match self {
            Cancel::Abandoned => "the check was cancelled: its page went away",
            Cancel::Unfollowed => {
                "the check was cancelled: nobody followed its events after it started"
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    events: Vec<Arc<LoggedEvent>>,
    status: Status,
    subscribers: usize,
    abort: Option<AbortHandle>,
}

/// One check.
#[derive(Debug)]
pub struct Check {
    id: String,
    inner: Mutex<Inner>,
    /// Bumped on every new event, so subscribers wake up.
    changed: watch::Sender<usize>,
}

/// The SSE `failed` code of a cancelled check.
pub const CANCELLED: &str = "cancelled";

impl Check {
    fn new(id: String) -> Self {
        Check {
            id,
            inner: Mutex::new(Inner {
                events: Vec::new(),
                status: Status::Running,
                subscribers: 0,
                abort: None,
            }),
            changed: watch::Sender::new(0),
        }
    }

    /// The check's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere; the data is still a log.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the check stands.
    pub fn status(&self) -> Status {
        self.lock().status.clone()
    }

    fn push(inner: &mut Inner, event: &CheckEvent) {
        let json = serde_json::to_string(event).unwrap_or_else(|e| {
            // Our own types always serialise; say so rather than panic.
            format!(r#"{{"event":"failed","code":"internal","message":"{e}"}}"#)
        });
        inner.events.push(Arc::new(LoggedEvent {
            name: event.name(),
            json,
        }));
    }

    /// Records an event from the engine (ignored once the check has ended).
    /// A final event ends the check at once, so a subscriber that saw it and
    /// leaves cannot be mistaken for one abandoning a running check.
    fn record(&self, event: &CheckEvent) {
        let mut inner = self.lock();
        if !matches!(inner.status, Status::Running) {
            return;
        }
        Self::push(&mut inner, event);
        match event {
            CheckEvent::Done { report } => {
                inner.status = Status::Done(Arc::new((**report).clone()));
                inner.abort = None;
            }
            CheckEvent::Failed { code, message } => {
                inner.status = Status::Failed(ApiError {
                    code: code.clone(),
                    message: message.clone(),
                });
                inner.abort = None;
            }
            _ => {}
        }
        let n = inner.events.len();
        drop(inner);
        self.changed.send_replace(n);
    }

    /// Ends a check the engine did not end itself (first caller wins):
    /// records the final status and its final event.
    fn finish(&self, status: Status) {
        let mut inner = self.lock();
        if !matches!(inner.status, Status::Running) {
            return;
        }
        let last = match &status {
            Status::Running => return,
            Status::Done(report) => CheckEvent::Done {
                report: Box::new((**report).clone()),
            },
            Status::Failed(f) => CheckEvent::Failed {
                code: f.code.clone(),
                message: f.message.clone(),
            },
            Status::Cancelled(why) => CheckEvent::Failed {
                code: CANCELLED.to_string(),
                message: why.message().to_string(),
            },
        };
        Self::push(&mut inner, &last);
        inner.status = status;
        inner.abort = None;
        let n = inner.events.len();
        drop(inner);
        self.changed.send_replace(n);
    }

    /// Cancels the check if it is running and nobody follows it: aborts the
    /// engine's task (dropping every probe) and records the end.
    fn cancel_if_unfollowed(&self, why: Cancel) {
        let abort = {
            let mut inner = self.lock();
            if inner.subscribers == 0 && matches!(inner.status, Status::Running) {
                inner.abort.take()
            } else {
                None
            }
        };
        if let Some(abort) = abort {
            abort.abort();
            self.finish(Status::Cancelled(why));
        }
    }

    /// Follows the check's events from the first one.
    pub fn subscribe(self: &Arc<Self>) -> Subscription {
        self.lock().subscribers += 1;
        Subscription {
            check: Arc::clone(self),
            next: 0,
            changes: self.changed.subscribe(),
            ended: false,
        }
    }
}

/// A reader of one check's events. Dropping the last subscription of a
/// running check cancels it: nobody is left to see the result.
pub struct Subscription {
    check: Arc<Check>,
    next: usize,
    changes: watch::Receiver<usize>,
    ended: bool,
}

impl Subscription {
    /// The next event, waiting for it if needed; `None` after the last one.
    pub async fn next_event(&mut self) -> Option<Arc<LoggedEvent>> {
        loop {
            if self.ended {
                return None;
            }
            self.changes.borrow_and_update();
            {
                let inner = self.check.lock();
                if let Some(e) = inner.events.get(self.next) {
                    self.next += 1;
                    if matches!(e.name, "done" | "failed") {
                        self.ended = true;
                    }
                    return Some(Arc::clone(e));
                }
            }
            if self.changes.changed().await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        {
            let mut inner = self.check.lock();
            inner.subscribers = inner.subscribers.saturating_sub(1);
        }
        if !self.ended {
            self.check.cancel_if_unfollowed(Cancel::Abandoned);
        }
    }
}

/// The API's shared state.
pub struct ApiState {
    checker: Arc<dyn Checker>,
    limits: Limits,
    checks: Mutex<Registry>,
    relay: Option<super::relay::RelayTests>,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, Arc<Check>>,
    order: VecDeque<String>,
    running: Option<Arc<Check>>,
    started: VecDeque<Instant>,
}

impl ApiState {
    /// State running checks with `checker`.
    pub fn new(checker: Arc<dyn Checker>, limits: Limits) -> Self {
        ApiState {
            checker,
            limits,
            checks: Mutex::new(Registry::default()),
            relay: None,
        }
    }

    /// Also answers `POST /v1/relay` (without it, that path is 404).
    pub fn with_relay(mut self, relay: super::relay::RelayTests) -> Self {
        self.relay = Some(relay);
        self
    }

    /// The relay tests, when enabled.
    pub fn relay(&self) -> Option<&super::relay::RelayTests> {
        self.relay.as_ref()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.checks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A known check.
    pub fn get(&self, id: &str) -> Option<Arc<Check>> {
        self.registry().by_id.get(id).cloned()
    }

    /// Starts a check with validated options, unless one is running (409) or
    /// too many started in the last minute (429).
    pub fn start(self: &Arc<Self>, options: CheckOptions) -> Result<Arc<Check>, ApiFailure> {
        let mut reg = self.registry();
        if let Some(running) = &reg.running {
            if matches!(running.status(), Status::Running) {
                return Err(ApiFailure::busy());
            }
        }
        let now = Instant::now();
        while reg
            .started
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            reg.started.pop_front();
        }
        if reg.started.len() >= self.limits.checks_per_minute {
            return Err(ApiFailure::rate_limited(self.limits.checks_per_minute));
        }
        reg.started.push_back(now);

        let check = Arc::new(Check::new(new_id()));
        reg.by_id.insert(check.id.clone(), Arc::clone(&check));
        reg.order.push_back(check.id.clone());
        while reg.order.len() > self.limits.kept_checks {
            if let Some(old) = reg.order.pop_front() {
                reg.by_id.remove(&old);
            }
        }
        reg.running = Some(Arc::clone(&check));

        let (tx, mut rx) = mpsc::channel::<CheckEvent>(64);
        let run = self.checker.check(options, tx);
        let task_check = Arc::clone(&check);
        // Hold the registry lock until the abort handle is stored, so a
        // subscriber cannot see a running check it could not cancel.
        let mut inner = check.lock();
        let task = tokio::spawn(async move {
            let forward = async {
                while let Some(event) = rx.recv().await {
                    task_check.record(&event);
                }
            };
            let (result, ()) = tokio::join!(run, forward);
            let status = match result {
                Ok(report) => Status::Done(Arc::new(report)),
                Err(failure) => Status::Failed(ApiError {
                    code: failure.code.to_string(),
                    message: failure.message,
                }),
            };
            task_check.finish(status);
        });
        inner.abort = Some(task.abort_handle());
        drop(inner);
        drop(reg);
        let grace = self.limits.follow_grace;
        let unfollowed = Arc::clone(&check);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            unfollowed.cancel_if_unfollowed(Cancel::Unfollowed);
        });
        Ok(check)
    }
}

/// 128 random bits for a check id; the id is not a secret (actions need the
/// token) but must not collide. Falls back to time if the OS source fails.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = nanos.to_le_bytes();
    }
    hex::encode(&bytes)
}
