//! The proxy through the library API: what it forwards, what it records, what it refuses.

use std::path::Path;

use apiparity::record::{self, RecordOptions};
use base64::Engine;
use serde_json::{json, Value};

use super::{cassette, files, json, FormExt};
use crate::support::raw_server::{Reply, Resp, TestServer};

fn options(upstream: &str, out: &Path) -> RecordOptions {
    let mut o = RecordOptions::new(upstream, out.to_path_buf());
    o.listen = "127.0.0.1:0".parse().unwrap();
    o.session = "whole-session".into();
    o
}

/// A key-shaped test key, built at run time (no key-shaped literal in the repository).
fn test_key() -> String {
    format!("sk_{}_{}", "test", "Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2")
}

fn live_key(kind: &str) -> String {
    format!("{kind}_{}_{}", "live", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cassette_per_scenario_header_in_arrival_order() {
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let rec = record::start(options(&mock.base_url(), out.path()))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let send = |scenario: Option<&str>, path: &str, form: &[(&str, &str)]| {
        let mut rb = http
            .post(format!("{}{path}", rec.base_url()))
            .bearer_auth(crate::support::TEST_KEY)
            .form_pairs(form);
        if let Some(s) = scenario {
            rb = rb.header("Apiparity-Scenario", s);
        }
        rb.send()
    };
    let c1: Value = json(
        send(Some("flow-a"), "/v1/customers", &[("name", "one")])
            .await
            .unwrap(),
    )
    .await;
    let c2: Value = json(
        send(None, "/v1/customers", &[("name", "two")])
            .await
            .unwrap(),
    )
    .await;
    let item = send(
        Some("flow-a"),
        "/v1/invoiceitems",
        &[
            ("customer", c1["id"].as_str().unwrap()),
            ("amount", "700"),
            ("currency", "usd"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(item.status(), 200);
    let got = http
        .get(format!("{}/v1/invoiceitems?limit=2", rec.base_url()))
        .bearer_auth(crate::support::TEST_KEY)
        .header("Apiparity-Scenario", "flow-a")
        .header("Stripe-Version", "2025-03-31.basil")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    // Journaled before answered: the files are there while the session still runs.
    let journaled = files(rec.journal_dir())
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(journaled, 4 + 1, "four exchanges and the session's meta");

    let done = rec.finish().await.unwrap();
    assert_eq!(done.recorded, 4);
    let names: Vec<&str> = done.written.iter().map(|w| w.scenario.as_str()).collect();
    assert_eq!(names, ["flow-a", "whole-session"]);
    let a = cassette(out.path(), "flow-a");
    let paths: Vec<(&str, &str)> = a
        .iter()
        .map(|e| (e.method.as_str(), e.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/v1/customers"),
            ("POST", "/v1/invoiceitems"),
            ("GET", "/v1/invoiceitems")
        ]
    );
    assert_eq!(a[0].form, [("name".to_string(), "one".to_string())]);
    assert_eq!(a[0].body["id"], c1["id"], "the body as answered");
    assert_eq!(a[2].query, [("limit".to_string(), "2".to_string())]);
    assert_eq!(a[2].request_headers["Stripe-Version"], "2025-03-31.basil");
    assert_eq!(a[2].response_headers["Stripe-Version"], "2025-03-31.basil");
    let s = cassette(out.path(), "whole-session");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].body["id"], c2["id"]);
    // The journal is gone once the cassettes are written.
    assert!(!out.path().join(record::journal::DIR).exists());
    // Each was imported as a scenario…
    for w in &done.written {
        assert!(w.refused.is_none(), "{w:?}");
        let file = w.scenario_file.as_ref().unwrap();
        assert!(
            file.starts_with(out.path().join("scenarios/recorded/record")),
            "{file:?}"
        );
        assert_eq!(w.snapshots.len(), w.exchanges);
    }
    // …and the cassettes are what `apiparity import` reads, too.
    let again = tempfile::tempdir().unwrap();
    let cassettes = out.path().join("cassettes");
    let import = crate::support::bin::apiparity(
        again.path(),
        &["import", cassettes.to_str().unwrap(), "--out", "."],
        &[],
    )
    .await;
    assert_eq!(import.code, Some(0), "{}\n{}", import.stdout, import.stderr);
    assert!(again
        .path()
        .join("scenarios/recorded/record/flow-a.yaml")
        .is_file());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_authorization_and_cookies_never_reach_disk() {
    let key = test_key();
    let echo_key = key.clone();
    // An upstream that echoes the key back in a body, a header and a cookie.
    let upstream = TestServer::start(move |req| {
        let auth = req.header("authorization").unwrap_or("").to_string();
        Resp::json(
            401,
            &json!({"error": {"message": format!("Invalid API Key provided: {echo_key}"), "auth": auth}}),
        )
        .header("Set-Cookie", &format!("session={echo_key}"))
        .header("Request-Id", "req_123")
        .header("X-Echo", &echo_key)
        .reply()
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let rec = record::start(options(&upstream.base_url(), out.path()))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    let urlenc: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let resp = http
        .post(format!("{}/v1/customers?expand[]={key}", rec.base_url()))
        .header("Authorization", format!("Basic {basic}"))
        .header("Cookie", format!("__stripe_mid={key}"))
        .header("Stripe-Account", format!("acct_{key}"))
        .form_pairs(&[("description", key.as_str()), ("metadata[k]", &urlenc)])
        .send()
        .await
        .unwrap();
    // The answer goes back to the client untouched: the proxy is transparent.
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains(&key));
    // The upstream got the client's own credentials.
    let seen = upstream.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let journal = files(rec.journal_dir());
    let done = rec.finish().await.unwrap();
    assert_eq!(done.recorded, 1);
    let forms = [
        key.clone(),
        basic.clone(),
        urlenc.clone(),
        key["sk_test_".len()..].to_string(),
    ];
    for (path, bytes) in journal.iter().chain(files(out.path()).iter()) {
        let text = String::from_utf8_lossy(bytes);
        for f in &forms {
            assert!(
                !text.contains(f.as_str()),
                "{} holds a form of the key:\n{text}",
                path.display()
            );
        }
        for h in [
            "Authorization",
            "authorization",
            "Cookie",
            "cookie",
            "X-Echo",
        ] {
            assert!(
                !text.contains(h),
                "{} holds header {h}:\n{text}",
                path.display()
            );
        }
    }
    let e = &cassette(out.path(), "whole-session")[0];
    assert_eq!(e.status, 401);
    assert_eq!(e.response_headers["Request-Id"], "req_123");
    assert_eq!(
        e.body["error"]["message"],
        "Invalid API Key provided: sk_test_REDACTED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_key_anywhere_is_refused_and_nothing_is_forwarded() {
    let upstream =
        TestServer::start(|_| Resp::json(200, &json!({"object": "list", "data": []})).reply())
            .await;
    let out = tempfile::tempdir().unwrap();
    let rec = record::start(options(&upstream.base_url(), out.path()))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = rec.base_url();
    let sk = live_key("sk");
    let rk = live_key("rk");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{rk}:"));
    let attempts = vec![
        http.get(format!("{base}/v1/invoices")).bearer_auth(&sk),
        http.get(format!("{base}/v1/invoices"))
            .header("Authorization", format!("Basic {basic}")),
        http.post(format!("{base}/v1/customers"))
            .bearer_auth(crate::support::TEST_KEY)
            .form_pairs(&[("metadata[k]", sk.as_str())]),
        http.get(format!("{base}/v1/invoices?starting_after={rk}"))
            .bearer_auth(crate::support::TEST_KEY),
        http.get(format!("{base}/v1/invoices"))
            .bearer_auth(crate::support::TEST_KEY)
            .header("Stripe-Account", &sk),
    ];
    for rb in attempts {
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 403);
        let body: Value = json(resp).await;
        assert_eq!(body["error"]["code"], "apiparity_live_key_refused");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("live-mode keys"), "{msg}");
        assert!(
            !msg.contains("Ab1Cd2"),
            "the refusal never echoes the key: {msg}"
        );
    }
    assert_eq!(upstream.count(), 0, "nothing was forwarded");
    // A test key still goes through.
    let ok = http
        .get(format!("{base}/v1/invoices"))
        .bearer_auth(crate::support::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(upstream.count(), 1);
    let done = rec.finish().await.unwrap();
    assert_eq!((done.refused, done.recorded), (5, 1));
    for (path, bytes) in files(out.path()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("_live_"), "{}: {text}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_and_bad_scenario_names_are_reported_not_recorded() {
    let upstream = TestServer::start(|req| {
        if req.path() == "/v1/drop" {
            Reply::Close
        } else {
            Resp::json(200, &json!({"ok": true})).reply()
        }
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let rec = record::start(options(&upstream.base_url(), out.path()))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let dropped = http
        .get(format!("{}/v1/drop", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 502);
    let body: Value = json(dropped).await;
    assert_eq!(body["error"]["code"], "apiparity_upstream_failed");
    let bad = http
        .get(format!("{}/v1/ok", rec.base_url()))
        .header("Apiparity-Scenario", "../../etc/passwd")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = json(bad).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Apiparity-Scenario"),
        "{body}"
    );
    let done = rec.finish().await.unwrap();
    assert_eq!((done.recorded, done.failed), (0, 1));
    assert!(done.written.is_empty());
    assert!(!out.path().join("cassettes").exists());
}

#[tokio::test]
async fn listen_and_upstream_are_validated() {
    let out = tempfile::tempdir().unwrap();
    let mut o = options("http://127.0.0.1:12111", out.path());
    o.listen = "0.0.0.0:0".parse().unwrap();
    let e = record::start(o.clone()).await.err().unwrap().to_string();
    assert!(e.contains("--allow-remote-listen"), "{e}");
    o.allow_remote_listen = true;
    o.listen = "127.0.0.1:0".parse().unwrap();
    for (url, says) in [
        ("ftp://x", "http:// or https://"),
        ("not a url", "not a URL"),
        ("http://127.0.0.1:1/?a=b", "without a query"),
    ] {
        o.upstream = url.into();
        let e = record::start(o.clone()).await.err().unwrap().to_string();
        assert!(e.contains(says), "{url}: {e}");
    }
    let key = test_key();
    o.upstream = format!("https://{key}:@api.stripe.com");
    let e = record::start(o.clone()).await.err().unwrap().to_string();
    assert!(e.contains("credentials") && !e.contains(&key), "{e}");
    o.upstream = "http://127.0.0.1:12111".into();
    for (session, stripe_version, says) in [
        ("a/b", None, "--session a/b: it must be a scenario name"),
        (
            "ok",
            Some("yesterday"),
            "--stripe-version yesterday: not a Stripe-Version",
        ),
    ] {
        let mut bad = o.clone();
        bad.session = session.into();
        bad.stripe_version = stripe_version.map(str::to_string);
        let e = record::start(bad).await.err().unwrap().to_string();
        assert!(e.starts_with(says), "{e}");
    }
    let mut bad = o.clone();
    bad.rate = Some(0.0);
    let e = record::start(bad).await.err().unwrap().to_string();
    assert!(e.starts_with("--rate 0: must be"), "{e}");
    let mut bad = o.clone();
    bad.timeout = std::time::Duration::ZERO;
    let e = record::start(bad).await.err().unwrap().to_string();
    assert!(e.starts_with("--timeout 0s: must be"), "{e}");
    o.upstream = "http://127.0.0.1:12112".into();
    o.listen = "127.0.0.1:12112".parse().unwrap();
    let e = record::start(o).await.err().unwrap().to_string();
    assert!(e.contains("own --listen"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_s_rate_limiter_paces_what_is_forwarded() {
    let upstream =
        TestServer::start(|_| Resp::json(200, &json!({"object": "list", "data": []})).reply())
            .await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&upstream.base_url(), out.path());
    o.rate = Some(4.0);
    let rec = record::start(o).await.unwrap();
    let http = reqwest::Client::new();
    // Ten at once: the limiter, not the client, decides when each one leaves.
    let sends = (0..10).map(|i| {
        http.get(format!("{}/v1/invoices?i={i}", rec.base_url()))
            .bearer_auth(crate::support::TEST_KEY)
            .send()
    });
    for r in futures::future::join_all(sends).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let at: Vec<std::time::Instant> = upstream.requests().iter().map(|r| r.at).collect();
    assert_eq!(at.len(), 10);
    // Counted where they arrive, so scheduling jitter on a loaded machine can bunch two sends
    // spaced a full window apart: 100 ms of the second is left for it.
    for i in 0..at.len() {
        let in_one_second = at[i..]
            .iter()
            .take_while(|t| t.duration_since(at[i]) < std::time::Duration::from_millis(900))
            .count();
        assert!(
            in_one_second <= 4,
            "{in_one_second} requests within one second at 4/s"
        );
    }
    assert_eq!(rec.finish().await.unwrap().recorded, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_recorded_version_the_cassette_is_kept_and_a_supplied_one_is_said() {
    // An upstream that never says which Stripe-Version answered.
    let upstream = TestServer::start(|_| {
        Resp::json(
            200,
            &json!({"object": "list", "data": [], "url": "/v1/invoices"}),
        )
        .reply()
    })
    .await;
    let http = reqwest::Client::new();
    for supplied in [None, Some("2025-03-31.basil")] {
        let out = tempfile::tempdir().unwrap();
        let mut o = options(&upstream.base_url(), out.path());
        o.stripe_version = supplied.map(str::to_string);
        let rec = record::start(o).await.unwrap();
        let r = http
            .get(format!("{}/v1/invoices", rec.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let done = rec.finish().await.unwrap();
        let w = &done.written[0];
        assert_eq!(
            cassette(out.path(), "whole-session").len(),
            1,
            "kept either way"
        );
        match supplied {
            None => {
                let why = w.refused.as_deref().expect("refused without a version");
                assert!(why.contains("no Stripe-Version recorded"), "{why}");
                assert!(w.scenario_file.is_none() && w.snapshots.is_empty());
                assert!(!out.path().join("scenarios").exists());
            }
            Some(v) => {
                assert!(w.refused.is_none(), "{w:?}");
                let snap: Value =
                    serde_json::from_slice(&std::fs::read(&w.snapshots[0]).unwrap()).unwrap();
                assert_eq!(snap["meta"]["stripe_version"], v);
                let source = snap["meta"]["source"].as_str().unwrap();
                assert!(source.contains("supplied"), "{source}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_pass_back_unfollowed_and_live_mode_answers_are_not_recorded() {
    let upstream = TestServer::start(|req| match req.path() {
        "/v1/moved" => Resp::json(302, &json!({}))
            .header("Location", "http://127.0.0.1:9/elsewhere")
            .reply(),
        "/v1/live" => Resp::json(
            200,
            &json!({"id": "in_1", "object": "invoice", "livemode": true}),
        )
        .header("Stripe-Version", "2025-03-31.basil")
        .reply(),
        _ => Resp::json(
            200,
            &json!({"object": "list", "data": [], "livemode": false}),
        )
        .header("Stripe-Version", "2025-03-31.basil")
        .reply(),
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let rec = record::start(options(&upstream.base_url(), out.path()))
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let moved = http
        .get(format!("{}/v1/moved", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 302);
    assert_eq!(
        moved.headers()["location"].to_str().unwrap(),
        "http://127.0.0.1:9/elsewhere"
    );
    let live = http
        .get(format!("{}/v1/live", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "answered as the upstream answered");
    let ok = http
        .get(format!("{}/v1/invoices", rec.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(upstream.count(), 3, "the redirect was not followed");
    let done = rec.finish().await.unwrap();
    assert_eq!(done.recorded, 2);
    let recorded = cassette(out.path(), "whole-session");
    let got: Vec<(&str, u16)> = recorded
        .iter()
        .map(|e| (e.path.as_str(), e.status))
        .collect();
    assert_eq!(got, [("/v1/moved", 302), ("/v1/invoices", 200)]);
}
