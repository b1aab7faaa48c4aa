//! The rate limiter in real time, measured where it matters: at the server. A run of
//! concurrent scenarios must never put more requests than the rate into any one-second window,
//! overall and for search separately (a burst is at most the rate).
//! Bounded: each test takes about 2 s.

use std::time::{Duration, Instant};

use crate::support::build::{self, options, scenario, step};
use crate::support::raw_server::{Resp, TestServer};
use apiparity::run::{self, RateLimit};
use serde_json::json;

/// Checks every one-second window that starts at an arrival.
fn assert_windows(at: &[Instant], rate: f64, what: &str) {
    for i in 0..at.len() {
        let count = at[i..]
            .iter()
            .take_while(|t| t.duration_since(at[i]) < Duration::from_secs(1))
            .count();
        assert!(
            count as f64 <= rate,
            "{what}: {count} requests within one second at {rate}/s"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_request_run_stays_under_100_per_second() {
    let server = TestServer::start(|_| Resp::json(200, &json!({"object": "list"})).reply()).await;
    // 20 scenarios of 10 steps, 8 at a time: concurrency must not add up past the limit.
    let scenarios: Vec<_> = (0..20)
        .map(|n| {
            let steps = (0..10)
                .map(|i| {
                    step(
                        &format!("s{i}"),
                        "GET",
                        &format!("/v1/invoices?s={n}&i={i}"),
                    )
                })
                .collect();
            scenario(&format!("rate/{n}"), steps)
        })
        .collect();
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 0);
    opts.jobs = 8;
    opts.rate_limit = build::rate(100.0);

    let started = Instant::now();
    let result = run::run(&scenarios, &opts).await;
    let elapsed = started.elapsed();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 200);
    assert!(result
        .scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .all(|s| s.attempts == 1 && s.response().is_some_and(|r| r.status == 200)));
    let at: Vec<Instant> = reqs.iter().map(|r| r.at).collect();
    assert_windows(&at, 100.0, "all requests");
    // The limiter really paced the run (200 unthrottled local requests take a few ms: here
    // the second hundred waits a full second)...
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    // ...and did not stall it.
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_has_its_own_lower_limit() {
    let server = TestServer::start(|_| Resp::json(200, &json!({"object": "list"})).reply()).await;
    let scenarios: Vec<_> = (0..4)
        .map(|n| {
            let steps = (0..20)
                .map(|i| {
                    // Alternate searches and plain reads.
                    let path = if i % 2 == 0 {
                        format!("/v1/invoices/search?query=x&n={n}&i={i}")
                    } else {
                        format!("/v1/invoices?n={n}&i={i}")
                    };
                    step(&format!("s{i}"), "GET", &path)
                })
                .collect();
            scenario(&format!("rate/search-{n}"), steps)
        })
        .collect();
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 0);
    opts.jobs = 4;
    opts.rate_limit = Some(RateLimit {
        per_second: 200.0,
        search_per_second: 25.0,
    });
    let started = Instant::now();
    run::run(&scenarios, &opts).await;
    let elapsed = started.elapsed();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 80);
    let search: Vec<Instant> = reqs
        .iter()
        .filter(|r| r.path().ends_with("/search"))
        .map(|r| r.at)
        .collect();
    assert_eq!(search.len(), 40);
    assert_windows(&search, 25.0, "search requests");
    let all: Vec<Instant> = reqs.iter().map(|r| r.at).collect();
    assert_windows(&all, 200.0, "all requests");
    // 40 searches at 25/s: the last 15 wait a second.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}
