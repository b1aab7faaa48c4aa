//! The official Python SDK's invoice flow through the proxy, upstream the embedded mock. Without
//! python3 or the `stripe` package the test says so in one line and passes, unless
//! `APIPARITY_REQUIRE_PYTHON_SDK=1` makes a missing SDK a failure (`.ci/run` sets it).

use std::process::Command;

use apiparity::record::{self, RecordOptions};

use super::cassette;
use crate::support::tools::{self, Tool};

/// The one skip policy (support/tools.rs): one visible line when the SDK is missing, a failure
/// when `APIPARITY_REQUIRE_PYTHON_SDK=1`.
fn sdk_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import stripe"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        tools::missing(
            Tool::PythonSdk,
            "record::python_sdk",
            "`python3 -c 'import stripe'` fails",
        );
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_flow_recorded_replays_green_against_a_fresh_mock() {
    if !sdk_available() {
        return;
    }
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut opts = RecordOptions::new(&mock.base_url(), out.path().to_path_buf());
    opts.listen = "127.0.0.1:0".parse().unwrap();
    opts.session = "sdk-invoice-flow".into();
    let rec = record::start(opts).await.unwrap();
    let script = format!(
        "{}/tests/fixtures/record/sdk_flow.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let url = rec.base_url();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(url)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "sdk_flow failed:\n{stdout}\n{stderr}");
    let done = rec.finish().await.unwrap();
    mock.shutdown().await;
    assert_eq!(done.recorded, 10);
    let names: Vec<&str> = done.written.iter().map(|w| w.scenario.as_str()).collect();
    assert_eq!(names, ["sdk-customer-lookup", "sdk-invoice-flow"]);
    let lookup = cassette(out.path(), "sdk-customer-lookup");
    let calls: Vec<(&str, bool)> = lookup
        .iter()
        .map(|e| (e.method.as_str(), e.path.starts_with("/v1/customers")))
        .collect();
    assert_eq!(calls, [("POST", true), ("GET", true)]);
    let flow = cassette(out.path(), "sdk-invoice-flow");
    let calls: Vec<(&str, String, u16)> = flow
        .iter()
        .map(|e| {
            let path = e
                .path
                .split('/')
                .map(|s| {
                    if s.contains('_') && s != "in_nope" {
                        "{id}"
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            (e.method.as_str(), path, e.status)
        })
        .collect();
    let want: Vec<(&str, String, u16)> = [
        ("POST", "/v1/customers", 200),
        ("POST", "/v1/invoiceitems", 200),
        ("POST", "/v1/invoices", 200),
        ("GET", "/v1/invoices/{id}", 200),
        ("POST", "/v1/invoices/{id}/finalize", 200),
        ("POST", "/v1/invoices/{id}/pay", 200),
        ("GET", "/v1/invoices/in_nope", 404),
        ("GET", "/v1/invoices", 200),
    ]
    .into_iter()
    .map(|(m, p, s)| (m, p.to_string(), s))
    .collect();
    assert_eq!(calls, want);
    // What the SDK sent is what the replay will send: its version and its idempotency keys.
    let pinned = flow[0].request_headers.get("Stripe-Version").cloned();
    assert!(pinned.is_some(), "the SDK pins a version: {:?}", flow[0]);
    assert_eq!(
        flow[0].response_headers.get("Stripe-Version"),
        pinned.as_ref()
    );
    assert!(flow[0].request_headers.contains_key("Idempotency-Key"));
    assert!(flow[5]
        .form
        .contains(&("paid_out_of_band".into(), "true".into())));
    for (path, bytes) in super::files(out.path()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("sk_test_123"), "{}", path.display());
    }

    // The importer wrote the scenarios and one snapshot per step, with provenance.
    assert_eq!(done.written[0].snapshots.len(), 2);
    let w = &done.written[1];
    let scenario = w.scenario_file.as_ref().expect("imported");
    assert_eq!(
        scenario,
        &out.path()
            .join("scenarios/recorded/record/sdk-invoice-flow.yaml")
    );
    assert_eq!(w.snapshots.len(), 8, "{w:?}");
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&w.snapshots[0]).unwrap()).unwrap();
    let source = snap["meta"]["source"].as_str().unwrap();
    assert!(
        source.contains("apiparity record")
            && source.contains("cassettes/record/sdk-invoice-flow.json"),
        "{source}"
    );
    // The upstream was the embedded mock: provenance must not claim Stripe test mode.
    assert!(
        source.starts_with("recorded from http://127.0.0.1:")
            && !source.contains("Stripe test mode"),
        "{source}"
    );
    assert_eq!(snap["meta"]["stripe_version"], pinned.unwrap().as_str());

    // Replayed like a hand-written scenario, against a fresh embedded mock (other ids, other
    // timestamps): every step matches its recorded snapshot.
    let replay = crate::support::bin::apiparity(
        out.path(),
        &[
            "run",
            "scenarios",
            "--snapshots",
            "snapshots",
            "--report-dir",
            "reports",
        ],
        &[],
    )
    .await;
    assert_eq!(
        replay.code,
        Some(0),
        "replay failed:\n{}\n{}",
        replay.stdout,
        replay.stderr
    );
    assert!(
        replay.stdout.contains("2 scenarios: 2 passed, 0 failed"),
        "{}",
        replay.stdout
    );
    let pending: Vec<_> = super::files(&out.path().join("snapshots"))
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(".new"))
        .collect();
    assert!(pending.is_empty(), "nothing pending: {pending:?}");
}
