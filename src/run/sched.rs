//! Which scenario starts when, and how many run at once.
//!
//! Order: longest first (most requests, steps and teardown), file order among equals — the
//! classic longest-processing-time rule, so the suite's longest chain never starts last.
//!
//! Concurrency: `jobs` at first. When adaptive, every response's latency feeds a moving
//! average, and the limit rises to `jobs × latency / 10 ms`: a target answering in 150 ms keeps
//! sixty scenarios in flight, the embedded mock (about a millisecond) stays at `jobs`, where the
//! work is CPU-bound. A rate limit caps the rise at what it can use — the rate times the latency
//! (Little's law), with half again as much slack — and the limit never falls below `jobs`, nor
//! rises above the number of scenarios or [`MAX_JOBS`]. It only ever rises: a slow target stays
//! slow for the length of a run.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::scenario::Scenario;

use super::{CutShort, RunOptions};

/// The most scenarios in flight, whatever the latency.
pub const MAX_JOBS: usize = 64;
/// The latency at which `jobs` scenarios keep a target busy: above it, more overlap pays.
const LOCAL_LATENCY: f64 = 0.010;
/// Weight of the newest sample in the moving average.
const ALPHA: f64 = 0.2;

/// Scenario positions, longest first; stable, so equal lengths keep file order.
pub(super) fn longest_first(scenarios: &[Arc<Scenario>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scenarios.len()).collect();
    order.sort_by_key(|&i| {
        std::cmp::Reverse(scenarios[i].steps.len() + scenarios[i].teardown.len())
    });
    order
}

#[derive(Clone)]
pub(super) struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    sem: Arc<Semaphore>,
    jobs: usize,
    ceiling: usize,
    adaptive: bool,
    rate: Option<f64>,
    state: Mutex<State>,
    stop: StopSignal,
}

/// Set once, by the first step whose final outcome is a connection-level failure: from then
/// on no scenario starts, no main step is sent and nothing is retried.
#[derive(Clone, Default)]
pub(crate) struct StopSignal(Arc<OnceLock<CutShort>>);

impl StopSignal {
    pub(crate) fn stop(&self, cut: CutShort) {
        // The first cause wins: it is the one that explains the rest.
        let _ = self.0.set(cut);
    }
    pub(crate) fn get(&self) -> Option<&CutShort> {
        self.0.get()
    }
}

struct State {
    limit: usize,
    latency: Option<f64>,
}

/// Told the latency of every response (the HTTP client calls it).
#[derive(Clone)]
pub(crate) struct LatencyObserver(Option<Scheduler>);

impl LatencyObserver {
    pub(crate) fn none() -> LatencyObserver {
        LatencyObserver(None)
    }

    pub(crate) fn observe(&self, latency: Duration) {
        if let Some(s) = &self.0 {
            s.observe(latency);
        }
    }
}

impl Scheduler {
    pub(super) fn new(opts: &RunOptions, scenarios: usize) -> Scheduler {
        let jobs = opts.jobs.max(1);
        Scheduler {
            inner: Arc::new(Inner {
                sem: Arc::new(Semaphore::new(jobs)),
                jobs,
                ceiling: MAX_JOBS.min(scenarios).max(jobs),
                adaptive: opts.adaptive,
                rate: opts.rate_limit.map(|r| r.per_second),
                state: Mutex::new(State {
                    limit: jobs,
                    latency: None,
                }),
                stop: StopSignal::default(),
            }),
        }
    }

    /// Scenarios allowed at once now.
    pub(super) fn jobs(&self) -> usize {
        self.lock().limit
    }

    pub(super) fn observer(&self) -> LatencyObserver {
        LatencyObserver(self.inner.adaptive.then(|| self.clone()))
    }

    /// What the HTTP client sets when the target stops answering.
    pub(super) fn stop_signal(&self) -> StopSignal {
        self.inner.stop.clone()
    }

    /// Why no further scenario may start, once the run is cut short.
    pub(super) fn stopped(&self) -> Option<CutShort> {
        self.inner.stop.get().cloned()
    }

    /// Waits for a slot; the slot is held until the permit drops.
    pub(super) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        // The semaphore is never closed, so acquiring cannot fail.
        Arc::clone(&self.inner.sem).acquire_owned().await.ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn observe(&self, latency: Duration) {
        let sample = latency.as_secs_f64();
        let mut st = self.lock();
        let avg = match st.latency {
            None => sample,
            Some(a) => a + ALPHA * (sample - a),
        };
        st.latency = Some(avg);
        let want = desired(self.inner.jobs, self.inner.ceiling, self.inner.rate, avg);
        if want > st.limit {
            self.inner.sem.add_permits(want - st.limit);
            st.limit = want;
        }
    }
}

/// The concurrency a target answering in `latency` seconds is worth (see the module docs).
fn desired(jobs: usize, ceiling: usize, rate: Option<f64>, latency: f64) -> usize {
    let by_latency = (jobs as f64 * latency / LOCAL_LATENCY).ceil();
    let usable = match rate {
        Some(r) => by_latency.min((r * latency * 1.5).ceil()),
        None => by_latency,
    };
    (usable.max(jobs as f64) as usize).min(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_follows_latency_and_the_rate() {
        // The embedded mock: CPU-bound, stays at jobs.
        assert_eq!(desired(4, 45, None, 0.001), 4);
        // 150 ms: every scenario at once (45 of them).
        assert_eq!(desired(4, 45, None, 0.150), 45);
        assert_eq!(desired(4, 64, None, 0.050), 20);
        // Stripe: 20/s at 300 ms keeps 9 busy.
        assert_eq!(desired(4, 45, Some(20.0), 0.300), 9);
        // A rate limit never lowers it below jobs.
        assert_eq!(desired(4, 45, Some(2.0), 0.300), 4);
        assert_eq!(desired(1, 45, None, 0.0), 1);
    }
}
