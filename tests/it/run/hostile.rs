//! Targets that answer in ways Stripe never does: redirects, duplicate JSON keys, bodies past
//! the size limit, and bodies of millions of values. Each is reported, none is followed,
//! collapsed or held whole.

use std::time::Duration;

use crate::support::build::{options, scenario, step, with_form};
use crate::support::raw_server::{Resp, TestServer};
use apiparity::run::{self, Body, Outcome, TransportError};
use serde_json::json;

/// A 302 and a 307 are the step's answer: nothing is sent to the Location, and the step says
/// why it failed. Before the fix the POST became a GET on the redirect's target (302) or was
/// resent there with its body and Idempotency-Key (307).
#[tokio::test]
async fn redirects_are_reported_never_followed() {
    let elsewhere = TestServer::start(|_| Resp::json(200, &json!({"id": "in_x"})).reply()).await;
    let to = format!("{}/v1/invoices/in_x", elsewhere.base_url());
    for status in [301u16, 302, 307, 308] {
        let loc = to.clone();
        let server = TestServer::start(move |_| {
            Resp::json(status, &json!({}))
                .header("Location", &loc)
                .reply()
        })
        .await;
        let sc = scenario(
            "hostile/redirect",
            vec![with_form(
                step("create", "POST", "/v1/invoices"),
                &[("customer", "cus_1")],
            )],
        );
        let run = run::run(
            &[sc],
            &options(&server.base_url(), Duration::from_secs(5), 0),
        )
        .await;
        let s = &run.scenarios[0].steps[0];
        let Outcome::Response(r) = &s.outcome else {
            panic!("{status}: {:?}", s.outcome)
        };
        assert_eq!(r.status, status);
        assert_eq!(server.count(), 1, "{status}: sent once");
        assert!(
            s.failures.iter().any(|f| f.message.contains("redirected")
                && f.message.contains(&format!("HTTP {status}"))),
            "{status}: {:?}",
            s.failures
        );
    }
    assert_eq!(elsewhere.count(), 0, "nothing followed a redirect");
}

/// `{"id":"a","id":"b"}` is not collapsed silently: the step fails naming the pointer.
#[tokio::test]
async fn duplicate_keys_in_a_response_are_reported_by_pointer() {
    let server = TestServer::start(|_| {
        Resp::text(
            200,
            "application/json",
            r#"{"id":"in_1","lines":{"data":[{"amount":100,"amount":200}]},"id":"in_2"}"#,
        )
        .reply()
    })
    .await;
    let sc = scenario("hostile/dup", vec![step("get", "GET", "/v1/invoices/in_1")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(5), 0),
    )
    .await;
    let s = &run.scenarios[0].steps[0];
    let at: Vec<_> = s.failures.iter().filter_map(|f| f.at.clone()).collect();
    assert_eq!(at, vec!["/lines/data/0/amount", "/id"], "{:?}", s.failures);
    assert!(s.failures[0].message.contains("more than once"));
    assert!(run.scenarios[0].failed());
}

/// A body over `max_body` is a clear transport error naming the limit and the flag, and is not
/// retried; before, it was cut silently and reported as a non-JSON body.
#[tokio::test]
async fn a_body_over_the_limit_is_a_clear_error() {
    let big = format!("[{}0]", "0,".repeat(5000));
    let server =
        TestServer::start(move |_| Resp::text(200, "application/json", &big).reply()).await;
    let sc = scenario("hostile/big", vec![step("get", "GET", "/v1/invoices")]);
    let mut opts = options(&server.base_url(), Duration::from_secs(5), 2);
    opts.max_body = 4096;
    let run = run::run(&[sc], &opts).await;
    let s = &run.scenarios[0].steps[0];
    assert_eq!(
        s.transport_error(),
        Some(&TransportError::BodyTooLarge(4096))
    );
    let msg = s.transport_error().unwrap().to_string();
    assert!(msg.contains("4096") && msg.contains("--max-body"), "{msg}");
    assert_eq!(server.count(), 1, "a too-large body is not retried");
}

/// An array of a million zeros is held folded: a bounded prefix and one string counting and
/// digesting the rest, so memory does not follow the number of values.
#[tokio::test]
async fn a_body_of_a_million_values_is_held_bounded() {
    let zeros = format!("{{\"data\":[{}0]}}", "0,".repeat(1_000_000));
    let server =
        TestServer::start(move |_| Resp::text(200, "application/json", &zeros).reply()).await;
    let sc = scenario("hostile/zeros", vec![step("get", "GET", "/v1/invoices")]);
    let run = run::run(
        &[sc],
        &options(&server.base_url(), Duration::from_secs(30), 0),
    )
    .await;
    let s = &run.scenarios[0].steps[0];
    let Outcome::Response(r) = &s.outcome else {
        panic!("{:?}", s.outcome)
    };
    let Body::Json(v) = &r.body else {
        panic!("json body")
    };
    let data = v["data"].as_array().unwrap();
    assert!(data.len() <= 100_000, "{}", data.len());
    let tail = data.last().unwrap().as_str().unwrap();
    assert!(tail.contains("more elements not kept"), "{tail}");
}
