//! A token bucket per target, so a live run stays inside Stripe's test-mode limits
//! (25 requests/s overall, 20/s for search — reference §1.8).

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

/// Hands out permits at a fixed rate with a burst of a quarter second's worth (at least 1).
///
/// A token bucket lets `burst + rate × T` requests through in any window of T seconds. With a
/// full second's burst, a 20/s limit could put 40 requests into one second — over Stripe's 25/s
/// test-mode limit; a quarter second's burst keeps any one second under 1.25 × rate (25 at 20/s).
#[derive(Clone, Debug)]
pub(super) struct Bucket {
    inner: Arc<Mutex<State>>,
    rate: f64,
    burst: f64,
}

#[derive(Debug)]
struct State {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(super) fn new(rate: f64) -> Bucket {
        let rate = rate.max(0.001);
        let burst = (rate / 4.0).max(1.0);
        Bucket {
            inner: Arc::new(Mutex::new(State {
                tokens: burst,
                last: Instant::now(),
            })),
            rate,
            burst,
        }
    }

    /// Waits until a permit is available. Waiters queue on the mutex, so the order is fair.
    pub(super) async fn acquire(&self) {
        let mut st = self.inner.lock().await;
        loop {
            let now = Instant::now();
            let elapsed = now.duration_since(st.last).as_secs_f64();
            st.tokens = (st.tokens + elapsed * self.rate).min(self.burst);
            st.last = now;
            if st.tokens >= 1.0 {
                st.tokens -= 1.0;
                return;
            }
            let wait = (1.0 - st.tokens) / self.rate;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Under tokio's paused clock the test measures the limiter's arithmetic, not the machine.
    #[tokio::test(start_paused = true)]
    async fn keeps_a_200_request_run_under_the_rate() {
        let bucket = Bucket::new(25.0);
        let start = tokio::time::Instant::now();
        for _ in 0..200 {
            bucket.acquire().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        // 6.25 may go at once (the burst), the rest at 25/s.
        let rate = 200.0 / elapsed;
        assert!(elapsed >= (200.0 - 6.25) / 25.0 - 0.01, "elapsed {elapsed}");
        assert!(rate <= 25.0 * 1.2, "rate {rate}");
    }

    // Stripe counts requests per second: no one-second window may exceed 1.25 × rate.
    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_a_quarter_over_the_rate() {
        let bucket = Bucket::new(20.0);
        let start = tokio::time::Instant::now();
        let mut at = Vec::new();
        for _ in 0..100 {
            bucket.acquire().await;
            at.push(start.elapsed().as_secs_f64());
        }
        for (i, t) in at.iter().enumerate() {
            let in_window = at[i..].iter().take_while(|u| **u < t + 1.0).count();
            assert!(
                in_window <= 25,
                "{in_window} requests in the second after {t}"
            );
        }
    }
}
