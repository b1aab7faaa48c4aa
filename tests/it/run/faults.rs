//! The runner under faults a live target produces: lost responses, 5xx, 429, hangs, bodies
//! that are not JSON or are cut off. Each test checks the outcome a user sees AND how many
//! HTTP attempts it took (`StepRun::attempts`), counted on both sides of the wire.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::build::{capturing, options, scenario, step, with_form};
use crate::support::raw_server::{Reply, Resp, TestServer};
use apiparity::report::{self, BuildContext, Status, TargetInfo};
use apiparity::run::{self, Body, Outcome, StepRun, SuiteRun, TargetKind, TransportError};
use apiparity::secret::Redactor;
use apiparity::verdict::{self, Policy};
use serde_json::{json, Value};

fn only_step(run: &SuiteRun) -> &StepRun {
    assert_eq!(run.scenarios.len(), 1);
    let s = &run.scenarios[0];
    assert!(s.error.is_none(), "scenario error: {:?}", s.error);
    &s.steps[0]
}

/// Scheduling slack on top of a bound: these tests prove the run never hangs, not how fast it
/// is, and CI machines are loaded (a 0.5 s slack failed under a parallel build).
const SLACK: Duration = Duration::from_secs(3);

/// Retrying a POST whose response was lost must not create a second object: the retry carries
/// the same Idempotency-Key and the server replays the stored response.
#[tokio::test]
async fn lost_post_response_is_retried_with_the_same_idempotency_key() {
    // Idempotency-Key → stored response, and the objects created.
    let stored: Arc<Mutex<HashMap<String, Resp>>> = Arc::default();
    let objects: Arc<Mutex<Vec<String>>> = Arc::default();
    let (stored2, objects2) = (Arc::clone(&stored), Arc::clone(&objects));
    let server = TestServer::start(move |req| {
        if req.method == "GET" {
            return Resp::json(200, &json!({"id": req.path().rsplit('/').next()})).reply();
        }
        let Some(key) = req.header("idempotency-key").map(str::to_string) else {
            return Resp::json(400, &json!({"error": {"message": "no key"}})).reply();
        };
        let mut stored = stored2.lock().unwrap();
        if let Some(resp) = stored.get(&key) {
            return resp.clone().header("Idempotent-Replayed", "true").reply();
        }
        let mut objects = objects2.lock().unwrap();
        let id = format!("cus_{}", objects.len() + 1);
        objects.push(id.clone());
        stored.insert(
            key,
            Resp::json(200, &json!({"id": id, "object": "customer"})),
        );
        // Processed, but the answer never reaches the client.
        Reply::Close
    })
    .await;

    let sc = scenario(
        "fault/lost-response",
        vec![
            capturing(
                with_form(step("create", "POST", "/v1/customers"), &[("name", "x")]),
                "customer_id",
                "/id",
            ),
            step("get", "GET", "/v1/customers/{{customer_id}}"),
        ],
    );
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;

    let steps = &run.scenarios[0].steps;
    let create = &steps[0];
    assert_eq!(create.attempts, 2, "{:?}", create.outcome);
    let resp = create.response().expect("a response after the retry");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("idempotent-replayed"), Some("true"));
    assert_eq!(resp.body_json()["id"], "cus_1");
    assert!(create.failures.is_empty(), "{:?}", create.failures);

    assert_eq!(*objects.lock().unwrap(), vec!["cus_1".to_string()]);
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    let keys: Vec<_> = posts.iter().map(|r| r.header("idempotency-key")).collect();
    assert!(
        keys[0].is_some_and(|k| k.starts_with("apiparity-aptest-")),
        "{keys:?}"
    );
    assert_eq!(keys[0], keys[1], "the retry must reuse the key");
    assert_eq!(posts[0].body, posts[1].body, "and the same parameters");

    // The run carries on with what the replay returned.
    let get = &steps[1];
    assert_eq!(get.request.path, "/v1/customers/cus_1");
    assert_eq!(get.attempts, 1);
}

#[tokio::test]
async fn a_500_then_a_200_succeeds_on_the_second_attempt() {
    let server = TestServer::start(|req| match req.seq {
        0 => Resp::json(500, &json!({"error": {"type": "api_error"}})).reply(),
        _ => Resp::json(200, &json!({"id": "in_1"})).reply(),
    })
    .await;
    let sc = scenario("fault/500", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 2);
    assert_eq!(s.response().map(|r| r.status), Some(200));
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn persistent_5xx_stops_at_the_retry_budget_and_reports_the_last_response() {
    let server =
        TestServer::start(|_| Resp::json(503, &json!({"error": {"type": "api_error"}})).reply())
            .await;
    let sc = scenario("fault/503", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 3, "1 attempt + 2 retries");
    assert_eq!(s.response().map(|r| r.status), Some(503));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn a_429_with_retry_after_waits_that_long_then_succeeds() {
    let server = TestServer::start(|req| match req.seq {
        0 => Resp::json(429, &json!({"error": {"code": "rate_limit"}}))
            .header("Retry-After", "1")
            .reply(),
        _ => Resp::json(200, &json!({"id": "in_1"})).reply(),
    })
    .await;
    let sc = scenario("fault/429", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let started = Instant::now();
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let elapsed = started.elapsed();
    let s = only_step(&run);
    assert_eq!(s.attempts, 2);
    assert_eq!(s.response().map(|r| r.status), Some(200));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert!(elapsed >= Duration::from_secs(1));
    // Retry-After is honoured, not added to a long backoff.
    assert!(gap < Duration::from_secs(3), "retried after {gap:?}");
}

#[tokio::test]
async fn stripe_should_retry_false_on_a_500_is_not_retried() {
    let server = TestServer::start(|_| {
        Resp::json(500, &json!({"error": {"type": "api_error"}}))
            .header("Stripe-Should-Retry", "false")
            .reply()
    })
    .await;
    let sc = scenario(
        "fault/no-retry",
        vec![step("pay", "POST", "/v1/invoices/in_1/pay")],
    );
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 1);
    assert_eq!(s.response().map(|r| r.status), Some(500));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn stripe_should_retry_true_on_a_400_is_retried() {
    let server = TestServer::start(|req| match req.seq {
        0 => Resp::json(400, &json!({"error": {"code": "lock_timeout"}}))
            .header("Stripe-Should-Retry", "true")
            .reply(),
        _ => Resp::json(200, &json!({"id": "in_1"})).reply(),
    })
    .await;
    let sc = scenario(
        "fault/should-retry",
        vec![step("get", "GET", "/v1/invoices/in_1")],
    );
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 2);
    assert_eq!(s.response().map(|r| r.status), Some(200));
}

#[tokio::test]
async fn a_hang_times_out_within_the_configured_bound() {
    let server = TestServer::start(|_| Reply::Hang).await;
    let timeout = Duration::from_millis(300);
    let opts = options(&server.base_url(), timeout, 2);
    let sc = scenario("fault/hang", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let started = Instant::now();
    let run = run::run(&[sc], &opts).await;
    let elapsed = started.elapsed();
    let s = only_step(&run);
    assert_eq!(s.transport_error(), Some(&TransportError::Timeout(timeout)));
    assert_eq!(s.attempts, 3);
    assert_eq!(server.count(), 3);
    // (retries + 1) × timeout + each backoff at its cap, plus scheduling slack.
    let bound = timeout * 3 + opts.retry.cap * 2 + SLACK;
    assert!(elapsed >= timeout * 3, "{elapsed:?}");
    assert!(elapsed <= bound, "{elapsed:?} > {bound:?}");
}

/// The timeout covers the whole response: headers that arrive in time do not let a body that
/// stops arriving hang the run.
#[tokio::test]
async fn a_body_that_stalls_times_out_too() {
    let server = TestServer::start(|_| {
        Reply::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"id\":"
                .to_vec(),
        )
    })
    .await;
    let timeout = Duration::from_millis(300);
    let opts = options(&server.base_url(), timeout, 1);
    let sc = scenario("fault/stall", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let started = Instant::now();
    let run = run::run(&[sc], &opts).await;
    let elapsed = started.elapsed();
    let s = only_step(&run);
    assert_eq!(s.transport_error(), Some(&TransportError::Timeout(timeout)));
    assert_eq!(s.attempts, 2);
    assert!(
        elapsed <= timeout * 2 + opts.retry.cap + SLACK,
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_reported_unsupported_not_a_crash() {
    let server = TestServer::start(|_| {
        Resp::text(200, "application/json", "{\"id\": \"in_1\", \"total\": ").reply()
    })
    .await;
    let sc = scenario(
        "fault/bad-json",
        vec![step("get", "GET", "/v1/invoices/in_1")],
    );
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(
        s.attempts, 1,
        "a complete 200 is not retried, whatever its body"
    );
    let resp = s.response().expect("a response");
    assert!(
        matches!(&resp.body, Body::Text(t) if t.starts_with("{\"id\"")),
        "{:?}",
        resp.body
    );
    // The body still reaches the diff, as a string.
    assert!(matches!(resp.body_json(), Value::String(_)));

    let policy = Policy {
        additive_fails: true,
    };
    let verdicts = verdict::decide(&run, &[], &policy, None);
    let report = report::build(
        &run,
        &[],
        &verdicts,
        BuildContext {
            target: TargetInfo {
                kind: TargetKind::Custom,
                base_url: server.base_url(),
            },
            stripe_version: "2025-03-31.basil",
            snapshots: "snapshots",
            run_id: "aptest",
            started_at: String::new(),
            policy,
            redactor: Redactor::new(),
        },
    );
    assert_eq!(report.scenarios[0].steps[0].status, Status::Unsupported);
    assert_eq!(report.scorecard.steps_unsupported, 1);
    assert_eq!(report.summary.exit_code, 1);
}

#[tokio::test]
async fn an_html_error_page_is_kept_as_text() {
    let server = TestServer::start(|_| {
        Resp::text(502, "text/html", "<html><body>Bad gateway</body></html>")
            .header("Stripe-Should-Retry", "false")
            .reply()
    })
    .await;
    let sc = scenario("fault/html", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    let resp = s.response().expect("a response");
    assert_eq!(resp.status, 502);
    assert!(matches!(&resp.body, Body::Text(t) if t.contains("Bad gateway")));
}

/// The server promises more body than it sends, then closes.
fn truncated() -> Reply {
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(b"{\"id\": \"in_1\"");
    Reply::Raw(bytes)
}

#[tokio::test]
async fn a_reset_mid_body_is_a_transport_error_and_is_retried() {
    let server = TestServer::start(|req| match req.seq {
        0 => truncated(),
        _ => Resp::json(200, &json!({"id": "in_1"})).reply(),
    })
    .await;
    let sc = scenario("fault/reset", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 2);
    assert_eq!(
        s.response().map(|r| r.body_json()),
        Some(json!({"id": "in_1"}))
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_body_cut_off_every_time_ends_as_a_connection_error() {
    let server = TestServer::start(|_| truncated()).await;
    let sc = scenario(
        "fault/reset-always",
        vec![step("get", "GET", "/v1/invoices/in_1")],
    );
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 2),
    )
    .await;
    let s = only_step(&run);
    assert_eq!(s.attempts, 3);
    assert!(
        matches!(s.transport_error(), Some(TransportError::Connection(_))),
        "{:?}",
        s.outcome
    );
    // The scenario is marked failed and later steps would be skipped.
    assert!(run.scenarios[0].failed());
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // Bind and drop: nothing listens on the port afterwards.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sc = scenario(
        "fault/refused",
        vec![
            step("get", "GET", "/v1/invoices/in_1"),
            step("next", "GET", "/v1/invoices/in_2"),
        ],
    );
    let run = run::run(
        &[sc],
        &options(
            &format!("http://127.0.0.1:{port}"),
            Duration::from_secs(2),
            1,
        ),
    )
    .await;
    let steps = &run.scenarios[0].steps;
    assert_eq!(steps[0].attempts, 2);
    assert!(
        matches!(steps[0].transport_error(), Some(TransportError::Connect(_))),
        "{:?}",
        steps[0].outcome
    );
    assert!(matches!(steps[1].outcome, Outcome::Skipped(_)));
    assert_eq!(steps[1].attempts, 0);
}

/// Retries of one scenario never hold up another: with 2 jobs, a scenario stuck in backoff
/// and a healthy one finish independently, and every request is counted once.
#[tokio::test]
async fn faults_stay_inside_their_scenario() {
    let bad_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&bad_hits);
    let server = TestServer::start(move |req| {
        if req.path().ends_with("/bad") {
            hits.fetch_add(1, Ordering::SeqCst);
            Resp::json(500, &json!({})).reply()
        } else {
            Resp::json(200, &json!({"ok": true})).reply()
        }
    })
    .await;
    let bad = scenario("fault/bad", vec![step("bad", "GET", "/v1/x/bad")]);
    let good = scenario(
        "fault/good",
        vec![step("a", "GET", "/v1/x/a"), step("b", "GET", "/v1/x/b")],
    );
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 2);
    opts.jobs = 2;
    let run = run::run(&[bad, good], &opts).await;
    assert_eq!(run.scenarios[0].steps[0].attempts, 3);
    assert_eq!(bad_hits.load(Ordering::SeqCst), 3);
    assert!(run.scenarios[1]
        .steps
        .iter()
        .all(|s| s.attempts == 1 && s.response().is_some_and(|r| r.status == 200)));
    assert_eq!(server.count(), 5);
}

/// Only a connection-level failure cuts a run short: a target answering 500 every time, or
/// not answering within the timeout, leaves every scenario to run and report its own steps.
#[tokio::test]
async fn timeouts_and_5xx_never_cut_a_run_short() {
    let server = TestServer::start(|req| {
        if req.path().ends_with("/slow") {
            Reply::Hang
        } else {
            Resp::json(500, &json!({"error": {"type": "api_error"}}))
                .header("Stripe-Should-Retry", "false")
                .reply()
        }
    })
    .await;
    let scenarios: Vec<_> = (0..4)
        .map(|i| {
            let path = if i == 0 { "/v1/x/slow" } else { "/v1/x/err" };
            scenario(&format!("fault/n{i}"), vec![step("s", "GET", path)])
        })
        .collect();
    let run = run::run(
        &scenarios,
        &options(&server.base_url(), Duration::from_millis(300), 0),
    )
    .await;
    assert_eq!(run.cut_short, None);
    assert!(matches!(
        run.scenarios[0].steps[0].transport_error(),
        Some(TransportError::Timeout(_))
    ));
    for s in &run.scenarios[1..] {
        assert_eq!(s.steps[0].response().map(|r| r.status), Some(500));
    }
}

/// A refused connection does: no further scenario starts, each is handed over with its steps
/// skipped saying why, and nothing is retried once the run is cut short.
#[tokio::test]
async fn a_refused_connection_cuts_the_run_short_and_later_scenarios_do_not_start() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let scenarios: Vec<_> = (0..6)
        .map(|i| scenario(&format!("fault/r{i}"), vec![step("s", "GET", "/v1/x")]))
        .collect();
    let run = run::run(&scenarios, &options(&url, Duration::from_secs(2), 1)).await;
    let cut = run.cut_short.as_ref().expect("cut short");
    assert_eq!(cut.url, url);
    assert!(cut.cause.contains("refused"), "{cut:?}");
    assert_eq!(run.scenarios.len(), 6, "every scenario is handed over");
    let attempts: u32 = run
        .scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .map(|s| s.attempts)
        .sum();
    // jobs = 1: the first scenario's two attempts, then nothing.
    assert_eq!(attempts, 2);
    let not_run = run
        .scenarios
        .iter()
        .filter(|s| {
            s.steps
                .iter()
                .all(|st| matches!(&st.outcome, Outcome::Skipped(w) if w.contains("cut short")))
        })
        .count();
    assert_eq!(not_run, 5);
}

/// A connection reset before any answer (the target crashing with the request in hand) is
/// connection-level too; a connection closed unanswered is not (a lost response is retried).
#[tokio::test]
async fn a_reset_before_any_answer_cuts_the_run_short() {
    use tokio::io::AsyncReadExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            // Linger 0: closing sends RST, not FIN.
            let _ = s.set_zero_linger();
            drop(s);
        }
    });
    let scenarios: Vec<_> = (0..3)
        .map(|i| scenario(&format!("fault/rst{i}"), vec![step("s", "GET", "/v1/x")]))
        .collect();
    let run = run::run(&scenarios, &options(&url, Duration::from_secs(2), 1)).await;
    let first = &run
        .scenarios
        .iter()
        .find(|s| s.steps[0].attempts > 0)
        .unwrap()
        .steps[0];
    assert!(
        matches!(first.transport_error(), Some(TransportError::Reset(_))),
        "{:?}",
        first.outcome
    );
    assert!(run.cut_short.is_some());
}
