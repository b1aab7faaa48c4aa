//! A live-mode key never reaches the network: the binary refuses it before sending anything.

use crate::support::bin::apiparity;
use crate::support::build;
use crate::support::raw_server::{Resp, TestServer};
use serde_json::json;

/// A scenario the binary would happily run if the guard let it through.
fn write_suite(dir: &std::path::Path) {
    let scenarios = dir.join("scenarios/guard");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(
        scenarios.join("list.yaml"),
        "steps:\n  - id: list\n    request: {method: GET, path: /v1/invoices}\n",
    )
    .unwrap();
}

async fn refused(key: &str, via_dotenv: bool) {
    let server = TestServer::start(|_| Resp::json(200, &json!({"object": "list"})).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path());
    let url = server.base_url();
    let mut env = vec![];
    if via_dotenv {
        std::fs::write(dir.path().join(".env"), format!("STRIPE_API_KEY={key}\n")).unwrap();
    } else {
        env.push(("STRIPE_API_KEY", key));
    }
    let out = apiparity(
        dir.path(),
        &[
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "reports",
        ],
        &env,
    )
    .await;

    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("live-mode key"), "{}", out.stderr);
    assert!(out.stderr.contains("sent no request"), "{}", out.stderr);
    assert_eq!(
        server.steps().len(),
        0,
        "a live key must never reach a target"
    );
    // The refusal names the key only in its masked form.
    let secret_part = &key[8..];
    assert!(!out.stderr.contains(secret_part) && !out.stdout.contains(secret_part));
    assert!(
        !dir.path().join("reports").exists(),
        "nothing is written either"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sk_live_key_is_refused_before_any_request() {
    refused("sk_live_FAKEnotarealkey", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rk_live_key_is_refused_before_any_request() {
    refused("rk_live_FAKEnotarealkey", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_key_from_dotenv_is_refused_too() {
    refused("sk_live_FAKEfromdotenv", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_key_with_surrounding_whitespace_is_refused() {
    refused(" sk_live_FAKEpadded ", false).await;
}

/// The control: the same setup with a test key does reach the server, so the tests above
/// would notice a guard that blocked everything (or a server that counted nothing).
#[tokio::test(flavor = "multi_thread")]
async fn test_key_reaches_the_target() {
    let server = TestServer::start(|_| Resp::json(200, &json!({"object": "list"})).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path());
    let url = server.base_url();
    let out = apiparity(
        dir.path(),
        &[
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "reports",
        ],
        &[("STRIPE_API_KEY", "sk_test_FAKEguard")],
    )
    .await;
    assert_ne!(out.code, Some(2), "{out:?}");
    assert_eq!(server.steps().len(), 1);
    let auth = server.steps()[0]
        .header("authorization")
        .map(str::to_string);
    assert_eq!(auth.as_deref(), Some("Bearer sk_test_FAKEguard"));
}

/// A live key can also arrive through a scenario (`auth: {bearer: "{{env.X}}"}`) or a library
/// caller's target: the runner itself refuses to send it.
#[tokio::test(flavor = "multi_thread")]
async fn live_key_from_a_scenario_template_is_never_sent() {
    let server = TestServer::start(|_| Resp::json(200, &json!({"object": "list"})).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios/guard");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(
        scenarios.join("other-key.yaml"),
        "steps:\n  - id: list\n    request:\n      method: GET\n      path: /v1/invoices\n      auth: {bearer: \"{{env.OTHER_KEY}}\"}\n",
    )
    .unwrap();
    let url = server.base_url();
    let out = apiparity(
        dir.path(),
        &[
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "reports",
        ],
        &[("OTHER_KEY", "sk_live_FAKEviatemplate")],
    )
    .await;
    assert_eq!(server.steps().len(), 0, "{out:?}");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("live-mode key"), "{}", out.stdout);
    let report = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(!report.contains("FAKEviatemplate"));
}

#[tokio::test]
async fn runner_refuses_a_live_key_in_its_target() {
    use apiparity::run;
    use apiparity::secret::Secret;
    let server = TestServer::start(|_| Resp::json(200, &json!({})).reply()).await;
    let mut opts = build::options(&server.base_url(), std::time::Duration::from_secs(2), 2);
    opts.target.api_key = Some(Secret::new("rk_live_FAKEtarget"));
    let sc = build::scenario(
        "guard/target",
        vec![build::step("get", "GET", "/v1/invoices")],
    );
    let result = run::run(&[sc], &opts).await;
    let s = &result.scenarios[0].steps[0];
    assert_eq!(server.steps().len(), 0);
    assert_eq!(s.attempts, 0);
    assert!(matches!(s.outcome, run::Outcome::Skipped(_)));
    assert_eq!(s.failures[0].what.as_str(), "auth");
    assert!(!s.failures[0].message.contains("FAKEtarget"));
}
