//! When and how long to wait before re-sending a request that failed in transit.
//! Every POST carries an Idempotency-Key that stays the same across these retries, so a
//! retried create never creates twice.

use std::time::Duration;

use rand::RngExt;

/// When and how often a request is retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Re-sends after the first attempt; 0 turns retries off.
    pub max_retries: u32,
    /// First backoff; doubles per retry (Stripe's SDKs: 0.5 s).
    pub base: Duration,
    /// Longest single backoff (Stripe's SDKs: 5 s).
    pub cap: Duration,
    /// Longest `Retry-After` honoured; a larger one is clamped, not waited out.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// What came back from one attempt, as far as retrying is concerned.
pub(super) enum Attempt<'a> {
    /// Connection refused/reset, timeout, a body cut off.
    Transport,
    Response {
        status: u16,
        should_retry: Option<&'a str>,
        retry_after: Option<&'a str>,
    },
}

impl RetryPolicy {
    /// `Some(wait)` when attempt number `retry` (1-based) should be made after this outcome.
    pub(super) fn delay(&self, retry: u32, attempt: Attempt<'_>) -> Option<Duration> {
        if retry > self.max_retries {
            return None;
        }
        let backoff = self.backoff(retry);
        match attempt {
            Attempt::Transport => Some(backoff),
            Attempt::Response {
                status,
                should_retry,
                retry_after,
            } => {
                // Stripe-Should-Retry decides when present (reference §1.9).
                let retry = match should_retry.map(str::trim) {
                    Some("false") => false,
                    Some("true") => true,
                    _ => status == 409 || status == 429 || status >= 500,
                };
                if !retry {
                    return None;
                }
                let after = retry_after
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(self.max_retry_after));
                Some(after.map_or(backoff, |a| a.max(backoff)))
            }
        }
    }

    /// base × 2^(n−1), capped, times a jitter factor in [0.5, 1.0], never under the base
    /// (stripe-python's rule, reference §1.9: the first retry always waits the base).
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.cap);
        let jitter: f64 = rand::rng().random_range(0.5..=1.0);
        exp.mul_f64(jitter).max(self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16) -> Attempt<'static> {
        Attempt::Response {
            status,
            should_retry: None,
            retry_after: None,
        }
    }

    #[test]
    fn retries_what_stripe_sdks_retry() {
        let p = RetryPolicy::default();
        assert!(p.delay(1, Attempt::Transport).is_some());
        assert!(p.delay(1, resp(500)).is_some());
        assert!(p.delay(1, resp(503)).is_some());
        assert!(p.delay(1, resp(429)).is_some());
        assert!(p.delay(1, resp(409)).is_some());
        assert!(p.delay(1, resp(400)).is_none());
        assert!(p.delay(1, resp(402)).is_none());
        assert!(p.delay(3, resp(500)).is_none(), "budget is 2 retries");
    }

    #[test]
    fn stripe_should_retry_header_wins() {
        let p = RetryPolicy::default();
        let no = Attempt::Response {
            status: 500,
            should_retry: Some("false"),
            retry_after: None,
        };
        assert!(p.delay(1, no).is_none());
        let yes = Attempt::Response {
            status: 400,
            should_retry: Some("true"),
            retry_after: None,
        };
        assert!(p.delay(1, yes).is_some());
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        let p = RetryPolicy::default();
        let a = Attempt::Response {
            status: 429,
            should_retry: None,
            retry_after: Some("3"),
        };
        assert_eq!(p.delay(1, a), Some(Duration::from_secs(3)));
        let huge = Attempt::Response {
            status: 429,
            should_retry: None,
            retry_after: Some("86400"),
        };
        assert_eq!(p.delay(1, huge), Some(p.max_retry_after));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for n in 1..=10 {
            let d = p.backoff(n);
            assert!(d >= p.base && d <= p.cap, "{n}: {d:?}");
        }
        assert!(p.backoff(4) >= Duration::from_secs(2));
        assert_eq!(p.backoff(1), p.base);
    }
}
