//! Idempotency keys: replay, reuse with other parameters, concurrent use.

use std::time::Duration;

use apiparity::mock::MockOptions;
use reqwest::Method;

use super::{id, Api};

#[tokio::test]
async fn idempotent_replay_and_key_reuse() {
    let api = Api::start().await;
    let key = [("Idempotency-Key", "key-one")];
    let first = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotency-key").unwrap(), "key-one");
    assert!(first.header("idempotent-replayed").is_none());
    let again = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.body, first.body);
    let list = api
        .get("/v1/customers", &[("email", "a@example.com")])
        .await
        .ok();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "no second object"
    );
    let other = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "b@example.com")],
            &key,
        )
        .await;
    let e = other.err(400);
    assert_eq!(e["type"], "idempotency_error");
    assert_eq!(
        e["message"],
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'key-one' if you meant to execute a different request."
    );
    let other_endpoint = api
        .raw(
            Method::POST,
            "/v1/invoices",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(other_endpoint.err(400)["type"], "idempotency_error");

    // Executed 4xx results are stored and replayed.
    let inv = api.open_invoice(100, &[]).await;
    let k2 = [("Idempotency-Key", "key-two")];
    let path = format!("/v1/invoices/{}/finalize", id(&inv));
    let r1 = api.raw(Method::POST, &path, &[], &k2).await;
    r1.err(400);
    let r2 = api.raw(Method::POST, &path, &[], &k2).await;
    assert_eq!(r2.status, 400);
    assert_eq!(r2.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(r2.body, r1.body);

    // A replayed pay does not pay twice (no second attempt).
    let inv = api.open_invoice(100, &[]).await;
    let k3 = [("Idempotency-Key", "key-three")];
    let path = format!("/v1/invoices/{}/pay", id(&inv));
    let p1 = api
        .raw(
            Method::POST,
            &path,
            &[("payment_method", "pm_card_visa")],
            &k3,
        )
        .await;
    let p2 = api
        .raw(
            Method::POST,
            &path,
            &[("payment_method", "pm_card_visa")],
            &k3,
        )
        .await;
    assert_eq!(p1.status, 200);
    assert_eq!(p2.status, 200);
    assert_eq!(p2.body["attempt_count"], 1);

    // Validation errors are not stored: the same key then runs a valid request.
    let k4 = [("Idempotency-Key", "key-four")];
    let bad = api
        .raw(Method::POST, "/v1/customers", &[("bogus", "1")], &k4)
        .await;
    bad.err(400);
    let good = api
        .raw(Method::POST, "/v1/customers", &[("name", "x")], &k4)
        .await;
    assert_eq!(good.status, 200);
    assert!(good.header("idempotent-replayed").is_none());
    // Field order does not matter.
    let k5 = [("Idempotency-Key", "key-five")];
    let a = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("name", "n"), ("email", "e@x.io")],
            &k5,
        )
        .await;
    let b = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "e@x.io"), ("name", "n")],
            &k5,
        )
        .await;
    assert_eq!(b.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(a.body, b.body);
}

/// Two requests with one key, sent at once: which reaches the mock first is up to the
/// scheduler (the second is sent 50 ms later, but on a loaded machine it can still win), so the
/// test names them by outcome, not by send order. What Stripe guarantees (§1.6) holds either
/// way: one executes and creates the one object; the other is refused with a 409 while the
/// first is in flight, or, if it arrives after the first completed, is its replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_use_of_one_key_is_409() {
    let api = Api::start_with(MockOptions {
        latency: Duration::from_millis(300),
        ..MockOptions::default()
    })
    .await;
    let key = [("Idempotency-Key", "same")];
    let (a, b) = tokio::join!(
        api.raw(Method::POST, "/v1/customers", &[("name", "x")], &key),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            api.raw(Method::POST, "/v1/customers", &[("name", "x")], &key)
                .await
        }
    );
    let executed = |r: &super::Resp| r.status == 200 && r.header("idempotent-replayed").is_none();
    assert!(
        executed(&a) != executed(&b),
        "exactly one of the two executes: {} {} / {} {}",
        a.status,
        a.body,
        b.status,
        b.body
    );
    let (first, second) = if executed(&a) { (a, b) } else { (b, a) };
    assert_eq!(first.body["object"], "customer");
    if second.status == 409 {
        let e = second.err(409);
        assert_eq!(e["code"], "idempotency_key_in_use");
        assert_eq!(e["type"], "invalid_request_error");
        assert!(e["message"]
            .as_str()
            .unwrap()
            .starts_with("There is currently another in-progress request"));
    } else {
        assert_eq!(second.status, 200, "body: {}", second.body);
        assert_eq!(second.header("idempotent-replayed").unwrap(), "true");
        assert_eq!(second.body, first.body);
    }
    // One object, whichever arrived first.
    let list = api.get("/v1/customers", &[]).await.ok();
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "one customer created: {list}");
    assert_eq!(data[0]["id"], first.body["id"]);
    // Once done, the key replays the executed answer.
    let c = api
        .raw(Method::POST, "/v1/customers", &[("name", "x")], &key)
        .await;
    assert_eq!(c.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(c.body, first.body);
}

/// Idempotent results are bounded: at most `idempotency_max_keys`, the oldest dropped first,
/// and none kept beyond `idempotency_ttl` on the mock's clock.
#[tokio::test]
async fn stored_results_are_capped_and_expire() {
    let api = Api::start_with(MockOptions {
        idempotency_max_keys: 2,
        ..MockOptions::default()
    })
    .await;
    let post = |k: &'static str| {
        let api = &api;
        async move {
            api.raw(
                Method::POST,
                "/v1/customers",
                &[("name", "x")],
                &[("Idempotency-Key", k)],
            )
            .await
        }
    };
    let first = post("k1").await;
    post("k2").await;
    assert_eq!(
        post("k1").await.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    post("k3").await;
    // k1 was the oldest of three: its result is gone and the POST runs again.
    let again = post("k1").await;
    assert!(again.header("idempotent-replayed").is_none());
    assert_ne!(again.body, first.body);
    assert_eq!(
        post("k3").await.header("idempotent-replayed").as_deref(),
        Some("true")
    );

    let api = Api::start_with(MockOptions {
        idempotency_ttl: Duration::ZERO,
        ..MockOptions::default()
    })
    .await;
    let key = [("Idempotency-Key", "k")];
    let a = api.raw(Method::POST, "/v1/customers", &[], &key).await;
    let b = api.raw(Method::POST, "/v1/customers", &[], &key).await;
    assert!(b.header("idempotent-replayed").is_none());
    assert_ne!(a.body, b.body);
}
