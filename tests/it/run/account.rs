//! `account:` reaches the embedded mock as `Apiparity-Account-*` headers (and the mock answers
//! as that account); any other target never sees them.

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
async fn account_headers_go_to_the_embedded_mock_only() {
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

    // Another target (Stripe, localstripe, any mock): none of them.
    let r = pipeline::execute(&cfg, &planned, None).await.unwrap();
    assert_eq!(r.report.summary.exit_code, 0);
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
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
    assert_eq!(seen.len(), 4, "{seen:?}");
    let got: Vec<Option<&str>> = ACCOUNT_HEADERS.iter().map(|h| seen[2].header(h)).collect();
    assert_eq!(got, [Some("CA"), Some("cad"), Some("true")]);
    assert_eq!(seen[2].header("apiparity-account-id"), None);
    // A step's own `account:` over the scenario's: its keys win, the others stay.
    let got: Vec<Option<&str>> = ACCOUNT_HEADERS.iter().map(|h| seen[3].header(h)).collect();
    assert_eq!(got, [Some("CA"), Some("cad"), Some("false")]);
    assert_eq!(
        seen[3].header("apiparity-account-id"),
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
