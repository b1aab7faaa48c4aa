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
    /// Waiters queue here (held while one sleeps), so the order is fair.
    queue: Arc<Mutex<()>>,
    /// When the permits in the window went out; locked only for a look, never across a wait,
    /// so [`Window::redate`] never queues behind a sleeper.
    sent: Arc<std::sync::Mutex<VecDeque<Instant>>>,
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
            queue: Arc::new(Mutex::new(())),
            sent: Arc::new(std::sync::Mutex::new(VecDeque::with_capacity(cap))),
            cap,
            window: window + MARGIN,
        }
    }

    /// Waits until a permit is free in `all` and, for a search, in `search` too; the request
    /// may go out right after. The search permit is taken first and re-dated when the overall
    /// one is granted: a permit dated before the request really leaves would let the window
    /// slide past it, and the overall window would see requests it dated a second ago arrive
    /// together with new ones (29 in one second at `--rate 25`).
    pub(crate) async fn acquire_for(
        all: Option<&Window>,
        search: Option<&Window>,
        mut waiting: impl FnMut(Duration),
    ) {
        let early = match search {
            Some(w) => Some(w.acquire(&mut waiting).await),
            None => None,
        };
        let sent = match all {
            Some(w) => w.acquire(&mut waiting).await,
            None => return,
        };
        if let (Some(w), Some(early)) = (search, early) {
            w.redate(early, sent);
        }
    }

    /// Moves the permit dated `from` to `to` (later): it then leaves the window later, never
    /// earlier, and the times stay in order. A permit that already left the window (the wait
    /// for the overall one was longer than the window) is put back at `to`: the request goes
    /// out then, so it counts then, even if the window is briefly over its cap.
    fn redate(&self, from: Instant, to: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = sent.iter().position(|t| *t == from) {
            sent.remove(i);
        }
        let at = sent.partition_point(|t| *t <= to);
        sent.insert(at, to);
    }

    /// Counts a request that already went out at `at` (the reachability probe, sent before the
    /// run's window existed), so it is inside the rate too.
    pub(crate) fn count_sent(&self, at: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let i = sent.partition_point(|t| *t <= at);
        sent.insert(i, at);
        while sent.len() > self.cap {
            sent.pop_front();
        }
    }

    /// Waits until a permit is free; returns the time it is dated. Waiters queue on the mutex,
    /// so the order is fair. `waiting` is told how long the wait is expected to last, once,
    /// before it starts.
    pub(crate) async fn acquire(&self, waiting: impl FnOnce(Duration)) -> Instant {
        let _turn = self.queue.lock().await;
        let mut waiting = Some(waiting);
        loop {
            let now = Instant::now();
            let until = {
                let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
                while sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    sent.pop_front();
                }
                if sent.len() < self.cap {
                    sent.push_back(now);
                    return now;
                }
                // The oldest permit in the window is still in it: wait until it leaves.
                sent[0] + self.window
            };
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

    /// A request sent before the window existed (the reachability probe) takes its place in
    /// it: with it, no second holds more than the rate either.
    #[tokio::test(start_paused = true)]
    async fn a_request_already_sent_counts() {
        let start = tokio::time::Instant::now();
        let w = Window::new(25.0);
        w.count_sent(start);
        let mut at = vec![0.0];
        for _ in 0..60 {
            w.acquire(|_| {}).await;
            at.push(start.elapsed().as_secs_f64());
        }
        assert_eq!(most_in_one_second(&at), 25);
        // The probe and 24 steps at the start (uncounted, the probe would have made it 26).
        assert_eq!(at.iter().filter(|t| **t == 0.0).count(), 25);
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

    /// Searches wait for their own window as well; the overall rate must still hold for the
    /// mix, counted when requests are let through.
    #[tokio::test(start_paused = true)]
    async fn a_mix_of_searches_and_others_keeps_the_overall_rate() {
        // Searches are a quarter of the demand but allowed a fifth of the rate: they wait for
        // their window while the others keep the overall one full.
        let all = Window::new(25.0);
        let search = Window::new(5.0);
        let start = Instant::now();
        let at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for t in 0..24 {
            let (all, search, at) = (all.clone(), search.clone(), Arc::clone(&at));
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let is_search = (t + i) % 4 == 0;
                    Window::acquire_for(Some(&all), is_search.then_some(&search), |_| {}).await;
                    let when = start.elapsed().as_secs_f64();
                    at.lock().unwrap().push((when, is_search));
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut at = at.lock().unwrap().clone();
        at.sort_by(|a, b| a.0.total_cmp(&b.0));
        let every: Vec<f64> = at.iter().map(|a| a.0).collect();
        let searches: Vec<f64> = at.iter().filter(|a| a.1).map(|a| a.0).collect();
        assert!(
            most_in_one_second(&every) <= 25,
            "{}",
            most_in_one_second(&every)
        );
        assert!(
            most_in_one_second(&searches) <= 5,
            "{}",
            most_in_one_second(&searches)
        );
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
