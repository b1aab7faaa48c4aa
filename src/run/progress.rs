//! The runner's progress, as typed events delivered while the run happens: for a progress
//! display, a log, a test. The runner only reports; it never waits on an observer.
//!
//! ```
//! use apiparity::run::{Event, Progress};
//!
//! let (progress, mut events) = Progress::channel();
//! progress.emit(Event::SuiteStarted { scenarios: 1, jobs: 4 });
//! assert!(matches!(events.try_recv(), Ok(Event::SuiteStarted { scenarios: 1, .. })));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Something the runner did or is about to do. `scenario` is the position of the scenario in
/// the list given to [`crate::run::run`]; steps are named by their id.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The run begins: how many scenarios, and how many may run at once at first.
    SuiteStarted {
        /// Scenarios in the run.
        scenarios: usize,
        /// Scenarios allowed to run at the same time when the run starts (it may adapt).
        jobs: usize,
    },
    /// A scenario started.
    ScenarioStarted {
        /// Its position in the run.
        scenario: usize,
        /// Its key (`finalize/zero-amount`).
        key: String,
    },
    /// A request went out (the first attempt, or a retry or poll of the same step).
    RequestSent {
        /// The scenario's position.
        scenario: usize,
        /// The step id.
        step: String,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// The runner waits before sending the step's next request.
    Waiting {
        /// The scenario's position.
        scenario: usize,
        /// The step id.
        step: String,
        /// Why it waits.
        reason: Wait,
        /// For how long (an estimate for the rate limit).
        wait: Duration,
    },
    /// A scenario finished (teardown included).
    ScenarioFinished {
        /// Its position in the run.
        scenario: usize,
        /// Its key.
        key: String,
        /// Whether a step failed an expectation or got no response.
        failed: bool,
        /// How long it took.
        duration: Duration,
    },
}

/// Why the runner waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The rate limit has no permit free yet.
    RateLimit,
    /// A `retry:` step polls until its expectations hold.
    Polling,
    /// A transport retry backs off (connection error, timeout, 409, 429, 5xx).
    Backoff,
}

/// Where events go: a callback, cheap to clone, called on the runner's tasks (keep it short).
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(Event) + Send + Sync>);

impl Progress {
    /// Events go to `f`.
    pub fn new(f: impl Fn(Event) + Send + Sync + 'static) -> Progress {
        Progress(Arc::new(f))
    }

    /// Events go to the returned receiver (unbounded: the runner never waits on it).
    pub fn channel() -> (Progress, tokio::sync::mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (
            Progress::new(move |e| {
                // A receiver that went away just stops listening.
                let _ = tx.send(e);
            }),
            rx,
        )
    }

    /// Delivers one event.
    pub fn emit(&self, e: Event) {
        (self.0)(e)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Emits to an optional observer, building the event only when someone listens.
pub(super) fn emit(p: Option<&Progress>, e: impl FnOnce() -> Event) {
    if let Some(p) = p {
        p.emit(e());
    }
}
