//! Scheduling and progress: the order scenarios start in, concurrency that follows a slow
//! target, polling bounded by the target's budget, and the events a progress display reads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::build::{options, scenario, span, step};
use crate::support::raw_server::{Resp, TestServer};
use apiparity::run::{self, Event, Polling, Progress, Wait};
use apiparity::scenario::{AssertOp, Assertion, Retry};
use serde_json::json;

fn recorder() -> (Progress, Arc<Mutex<Vec<Event>>>) {
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = Arc::clone(&events);
    (Progress::new(move |e| sink.lock().unwrap().push(e)), events)
}

fn ok_server() -> impl Fn(&crate::support::raw_server::Request) -> crate::support::raw_server::Reply
{
    |_| Resp::json(200, &json!({"object": "list", "data": []})).reply()
}

#[tokio::test]
async fn longest_scenarios_start_first_and_results_keep_their_order() {
    let server = TestServer::start(ok_server()).await;
    let lengths = [1, 3, 2, 3, 1];
    let scenarios: Vec<_> = lengths
        .iter()
        .enumerate()
        .map(|(n, len)| {
            let steps = (0..*len)
                .map(|i| step(&format!("s{i}"), "GET", &format!("/v1/x?n={n}&i={i}")))
                .collect();
            scenario(&format!("order/{n}"), steps)
        })
        .collect();
    let (progress, events) = recorder();
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 0);
    opts.progress = Some(progress);
    let result = run::run(&scenarios, &opts).await;

    let started: Vec<usize> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::ScenarioStarted { scenario, .. } => Some(*scenario),
            _ => None,
        })
        .collect();
    // Three requests, then two, then one; file order among equals.
    assert_eq!(started, vec![1, 3, 2, 0, 4]);
    let keys: Vec<&str> = result
        .scenarios
        .iter()
        .map(|s| s.scenario.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["order/0", "order/1", "order/2", "order/3", "order/4"]
    );
}

/// The most scenarios in flight at once, from the events.
fn most_in_flight(events: &[Event]) -> usize {
    let (mut now, mut most) = (0i64, 0i64);
    for e in events {
        match e {
            Event::ScenarioStarted { .. } => now += 1,
            Event::ScenarioFinished { .. } => now -= 1,
            _ => {}
        }
        most = most.max(now);
    }
    most as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_rises_for_a_slow_target_only_when_adaptive() {
    let mock = apiparity::mock::spawn(apiparity::mock::MockOptions {
        latency: Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .expect("mock");
    let scenarios: Vec<_> = (0..12)
        .map(|n| {
            let steps = (0..3)
                .map(|i| step(&format!("s{i}"), "GET", "/v1/invoices?limit=1"))
                .collect();
            scenario(&format!("slow/{n}"), steps)
        })
        .collect();
    let mut in_flight = Vec::new();
    for adaptive in [false, true] {
        let (progress, events) = recorder();
        let mut opts = options(&mock.base_url(), Duration::from_secs(5), 0);
        opts.jobs = 4;
        opts.adaptive = adaptive;
        opts.progress = Some(progress);
        let result = run::run(&scenarios, &opts).await;
        assert!(result
            .scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .all(|s| s.response().is_some_and(|r| r.status == 200)));
        let events = events.lock().unwrap();
        assert!(matches!(
            events[0],
            Event::SuiteStarted {
                scenarios: 12,
                jobs: 4
            }
        ));
        in_flight.push(most_in_flight(&events));
    }
    assert_eq!(in_flight[0], 4, "--jobs 4 stays at 4");
    // 100 ms per answer is worth 40: every scenario runs once the first answers are in.
    assert_eq!(in_flight[1], 12, "adaptive: {in_flight:?}");
    mock.shutdown().await;
}

#[tokio::test]
async fn polling_stops_at_the_targets_budget() {
    let server = TestServer::start(ok_server()).await;
    let mut s = step("search", "GET", "/v1/invoices/search?query=x");
    s.expect.body.push(Assertion {
        pointer: "/data/0".into(),
        op: AssertOp::Exists(true),
        span: span(),
    });
    s.retry = Some(Retry {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(90),
    });
    let scenarios = vec![scenario("poll/never", vec![s])];
    let (progress, events) = recorder();
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 0);
    opts.polling = Polling {
        max_wait: Some(Duration::from_millis(300)),
        max_interval: Some(Duration::from_millis(50)),
    };
    opts.progress = Some(progress);
    let started = Instant::now();
    let result = run::run(&scenarios, &opts).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let step = &result.scenarios[0].steps[0];
    assert!(step.attempts >= 3, "polled {} times", step.attempts);
    assert_eq!(server.count() as u32, step.attempts);
    let last = step.failures.last().expect("the poll failed");
    assert!(
        last.message.contains("after polling for 300ms"),
        "{}",
        last.message
    );

    let events = events.lock().unwrap();
    let polls = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Waiting {
                    reason: Wait::Polling,
                    ..
                }
            )
        })
        .count();
    assert_eq!(polls as u32, step.attempts - 1);
    let sent: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::RequestSent { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(sent, (1..=step.attempts).collect::<Vec<_>>());
}

#[tokio::test]
async fn events_tell_the_story_of_a_run_in_order() {
    let server = TestServer::start(ok_server()).await;
    let scenarios = vec![scenario(
        "story/one",
        vec![
            step("a", "GET", "/v1/a"),
            step("b", "GET", "/v1/b"),
            step("c", "GET", "/v1/c"),
        ],
    )];
    let (progress, events) = recorder();
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 0);
    opts.rate_limit = crate::support::build::rate(2.0);
    opts.progress = Some(progress);
    run::run(&scenarios, &opts).await;
    let events = events.lock().unwrap();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::SuiteStarted { .. } => "suite".into(),
            Event::ScenarioStarted { key, .. } => format!("start {key}"),
            Event::RequestSent { step, attempt, .. } => format!("sent {step}#{attempt}"),
            Event::Waiting { step, reason, .. } => format!("wait {step} {reason:?}"),
            Event::ScenarioFinished { key, failed, .. } => format!("done {key} {failed}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "suite",
            "start story/one",
            "sent a#1",
            "sent b#1",
            "wait c RateLimit",
            "sent c#1",
            "done story/one false"
        ]
    );
    let Event::Waiting { wait, .. } = &events[4] else {
        unreachable!()
    };
    assert!(*wait > Duration::from_millis(500), "{wait:?}");
}

/// `--jobs 1` against a target of its own runs on one async worker (a second one only moved
/// the run between cores), and so does every run against a target of its own on loopback
/// (the target needs the other cores); the embedded mock, and a remote target at adaptive
/// concurrency or `--jobs N`, keep the default of one per core.
#[test]
fn one_scenario_at_a_time_or_a_local_target_of_its_own_gets_one_async_worker() {
    use apiparity::config::{RunConfig, Settings, TargetSpec};
    let cfg = |target: TargetSpec, jobs: Option<u16>| {
        let mut s = Settings {
            paths: vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")],
            target,
            ..Settings::default()
        };
        s.requests.jobs = jobs;
        RunConfig::new(s).unwrap_or_else(|e| panic!("{e}"))
    };
    let url = || TargetSpec::Url {
        flag: "--base-url",
        url: "http://127.0.0.1:9".into(),
    };
    let remote = || TargetSpec::Url {
        flag: "--base-url",
        url: "http://mock.example:9".into(),
    };
    assert_eq!(cfg(url(), Some(1)).async_workers(), Some(1));
    assert_eq!(cfg(url(), Some(2)).async_workers(), Some(1));
    assert_eq!(cfg(url(), None).async_workers(), Some(1));
    assert_eq!(cfg(remote(), Some(1)).async_workers(), Some(1));
    assert_eq!(cfg(remote(), Some(4)).async_workers(), None);
    assert_eq!(cfg(remote(), None).async_workers(), None);
    assert_eq!(cfg(TargetSpec::EmbeddedMock, Some(1)).async_workers(), None);
    assert_eq!(cfg(TargetSpec::EmbeddedMock, None).async_workers(), None);
}
