//! `account:` reaches apiparity's mock as `Apiparity-Account-*` headers (and the mock answers
//! as that account): the embedded one, or an `apiparity mock` process at a URL, which says what
//! it is in its answers; any other target never sees them.

use serde_json::json;

use crate::support::fake_stripe::config;
use crate::support::raw_server::{Resp, TestServer};
use apiparity::config::target;
use apiparity::pipeline;

const SCENARIO: &str = "\
account:
  country: CA
  currency: cad
  webhook_endpoints: true
steps:
  - id: list
    request: {method: GET, path: /v1/invoices}
    expect:
      snapshot: false
  - id: later
    account:
      id: acct_1SkAmiH7zmouMIBX
      webhook_endpoints: false
    request: {method: GET, path: /v1/invoices}
    expect:
      snapshot: false
";

const ACCOUNT_HEADERS: [&str; 3] = [
    "apiparity-account-country",
    "apiparity-account-currency",
    "apiparity-webhook-endpoints",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_headers_go_to_apiparitys_mock_only() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("acct.yaml"), SCENARIO).unwrap();
    let server = TestServer::start(|_| {
        Resp::json(
            200,
            &json!({"object": "list", "data": [], "has_more": false}),
        )
        .reply()
    })
    .await;
    let url = server.base_url();
    let snaps = dir.path().join("snapshots").display().to_string();
    let (cfg, planned) = config(&scenarios, &url, |s| s.snapshots = snaps.into());
    assert_eq!(
        planned[0].scenario.account,
        apiparity::scenario::Account {
            id: None,
            country: Some("CA".into()),
            currency: Some("cad".into()),
            webhook_endpoints: Some(true),
        }
    );

    // Another target (Stripe, localstripe, any mock): none of them, not even to the keyless
    // `HEAD /` that asked what it is.
    let r = pipeline::execute(&cfg, &planned, None).await.unwrap();
    assert_eq!(r.report.summary.exit_code, 0);
    assert_eq!(r.report.target.kind, apiparity::run::TargetKind::Custom);
    let seen = server.requests();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].method, "HEAD", "{seen:?}");
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "the probe is keyless"
    );
    for h in ACCOUNT_HEADERS.iter().chain(&["apiparity-account-id"]) {
        for s in &seen {
            assert_eq!(s.header(h), None, "{h} leaked to a real target");
        }
    }

    // The same server taken for the embedded mock: all three, as written.
    let mock = target::embedded_mock(url.clone());
    pipeline::run_against(&cfg, &planned, &mock, "ap_acct", None)
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 5, "{seen:?}");
    sent_as_written(&seen[3], &seen[4]);

    // A URL target whose answers carry `Apiparity-Mock` (as `apiparity mock`'s do) is taken
    // for apiparity's mock: the probe tells, and the steps carry the headers.
    let mock_process = TestServer::start(|_| {
        Resp::json(
            200,
            &json!({"object": "list", "data": [], "has_more": false}),
        )
        .header("Apiparity-Mock", "0.1.0")
        .reply()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &mock_process.base_url(), |s| {
        s.snapshots = dir.path().join("snapshots").display().to_string().into()
    });
    let r = pipeline::execute(&cfg, &planned, None).await.unwrap();
    assert_eq!(r.report.summary.exit_code, 0);
    assert_eq!(
        r.report.target.kind,
        apiparity::run::TargetKind::ApiparityMock
    );
    let seen = mock_process.requests();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].method, "HEAD", "{seen:?}");
    sent_as_written(&seen[1], &seen[2]);
}

/// The scenario's two steps as apiparity's mock must receive them.
fn sent_as_written(
    list: &crate::support::raw_server::Request,
    later: &crate::support::raw_server::Request,
) {
    let got: Vec<Option<&str>> = ACCOUNT_HEADERS.iter().map(|h| list.header(h)).collect();
    assert_eq!(got, [Some("CA"), Some("cad"), Some("true")]);
    assert_eq!(list.header("apiparity-account-id"), None);
    // A step's own `account:` over the scenario's: its keys win, the others stay.
    let got: Vec<Option<&str>> = ACCOUNT_HEADERS.iter().map(|h| later.header(h)).collect();
    assert_eq!(got, [Some("CA"), Some("cad"), Some("false")]);
    assert_eq!(
        later.header("apiparity-account-id"),
        Some("acct_1SkAmiH7zmouMIBX")
    );
}

#[test]
fn a_bad_account_is_refused_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SCENARIO
        .replace("country: CA", "country: Canada")
        .replace("currency: cad", "currency: CAD")
        .replace("webhook_endpoints: true", "webhooks: true")
        .replace("id: acct_1SkAmiH7zmouMIBX", "id: acct_short");
    std::fs::write(dir.path().join("acct.yaml"), bad).unwrap();
    let diags = apiparity::scenario::load(&[dir.path()], dir.path()).expect_err("must not load");
    let text = diags.render(false);
    assert!(text.contains("invalid account country `Canada`"), "{text}");
    assert!(text.contains("acct.yaml:2:12"), "{text}");
    assert!(text.contains("invalid account currency `CAD`"), "{text}");
    assert!(text.contains("acct.yaml:3:13"), "{text}");
    assert!(text.contains("webhooks"), "{text}");
    assert!(text.contains("webhook_endpoints"), "{text}");
    // A step's `account:` is checked like the scenario's.
    assert!(text.contains("invalid account id `acct_short`"), "{text}");
    assert!(text.contains("acct.yaml:12:11"), "{text}");
}
