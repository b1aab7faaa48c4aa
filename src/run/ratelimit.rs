//! The request rate per target, so a live run stays inside Stripe's test-mode limits
//! (25 requests/s overall, 20/s for search — reference §1.8).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, so tests can run the limiter under a paused clock.
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Sustained request rates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Sustained search requests per second (counted in addition to `per_second`).
    pub search_per_second: f64,
}

impl RateLimit {
    /// Stripe test mode, with a margin.
    pub fn stripe_test_mode() -> RateLimit {
        RateLimit {
            per_second: 20.0,
            search_per_second: 15.0,
        }
    }
}

/// Slack added to the window, so requests that leave one window apart still arrive more than
/// a second apart when the network delays the earlier one less than the later one.
const MARGIN: Duration = Duration::from_millis(50);

/// A sliding-window limiter: at most `cap` permits in any window of `window`.
///
/// Stripe counts requests per second, so what must hold is "never more than the rate in any one
/// second" — a token bucket cannot promise that (it lets `burst + rate × T` through in T
/// seconds: 1.25 × rate with a quarter second's burst). The window remembers when each of the
/// last `cap` permits went out and hands out the next one only when the oldest is a full window
/// (plus [`MARGIN`]) old. A burst is therefore at most the rate itself.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    inner: Arc<Mutex<VecDeque<Instant>>>,
    cap: usize,
    window: Duration,
}

impl Window {
    /// `rate` per second; below 1/s the window stretches (0.5/s: one permit per 2 s).
    pub(crate) fn new(rate: f64) -> Window {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            0.001
        };
        let (cap, window) = if rate >= 1.0 {
            (rate.floor() as usize, Duration::from_secs(1))
        } else {
            (1, Duration::from_secs_f64(1.0 / rate))
        };
        Window {
            inner: Arc::new(Mutex::new(VecDeque::with_capacity(cap))),
            cap,
            window: window + MARGIN,
        }
    }

    /// Waits until a permit is free. Waiters queue on the mutex, so the order is fair.
    /// `waiting` is told how long the wait is expected to last, once, before it starts.
    pub(crate) async fn acquire(&self, waiting: impl FnOnce(Duration)) {
        let mut sent = self.inner.lock().await;
        let mut waiting = Some(waiting);
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                sent.pop_front();
            }
            if sent.len() < self.cap {
                sent.push_back(now);
                return;
            }
            // The oldest permit in the window is still in it: wait until it leaves.
            let until = sent[0] + self.window;
            if let Some(f) = waiting.take() {
                f(until.duration_since(now));
            }
            tokio::time::sleep_until(until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn times(rate: f64, n: usize) -> Vec<f64> {
        let w = Window::new(rate);
        let start = tokio::time::Instant::now();
        let mut at = Vec::new();
        for _ in 0..n {
            w.acquire(|_| {}).await;
            at.push(start.elapsed().as_secs_f64());
        }
        at
    }

    fn most_in_one_second(at: &[f64]) -> usize {
        (0..at.len())
            .map(|i| at[i..].iter().take_while(|u| **u < at[i] + 1.0).count())
            .max()
            .unwrap_or(0)
    }

    // Under tokio's paused clock the test measures the limiter's arithmetic, not the machine.
    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_rate() {
        for rate in [20.0, 25.0, 25.5, 3.0] {
            let at = times(rate, 200).await;
            assert!(
                most_in_one_second(&at) <= rate.floor() as usize,
                "rate {rate}: {} in one second",
                most_in_one_second(&at)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sustains_close_to_the_rate() {
        let at = times(25.0, 200).await;
        let rate = 200.0 / at[199];
        assert!(rate > 25.0 / 1.1, "only {rate}/s");
    }

    #[tokio::test(start_paused = true)]
    async fn below_one_per_second_the_window_stretches() {
        let at = times(0.5, 4).await;
        for pair in at.windows(2) {
            assert!(pair[1] - pair[0] >= 2.0, "{at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn says_how_long_it_will_wait() {
        let w = Window::new(2.0);
        w.acquire(|_| panic!("the first permit is free")).await;
        w.acquire(|_| panic!("so is the second")).await;
        let mut told = None;
        w.acquire(|d| told = Some(d)).await;
        let d = told.expect("the third waits");
        assert!(
            d > Duration::from_millis(900) && d <= Duration::from_millis(1050),
            "{d:?}"
        );
    }
}
