//! A live-mode key never reaches the network: the binary refuses it before sending anything.

mod support;

use serde_json::json;
use support::{apiparity, Resp, TestServer};

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
        &["run", "scenarios", "--base-url", &url, "--report-dir", "reports"],
        &env,
    )
    .await;

    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("live-mode key"), "{}", out.stderr);
    assert!(out.stderr.contains("sent no request"), "{}", out.stderr);
    assert_eq!(server.count(), 0, "a live key must never reach a target");
    // The refusal names the key only in its masked form.
    let secret_part = &key[8..];
    assert!(!out.stderr.contains(secret_part) && !out.stdout.contains(secret_part));
    assert!(!dir.path().join("reports").exists(), "nothing is written either");
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
        &["run", "scenarios", "--base-url", &url, "--report-dir", "reports"],
        &[("STRIPE_API_KEY", "sk_test_FAKEguard")],
    )
    .await;
    assert_ne!(out.code, Some(2), "{out:?}");
    assert_eq!(server.count(), 1);
    let auth = server.requests()[0].header("authorization").map(str::to_string);
    assert_eq!(auth.as_deref(), Some("Bearer sk_test_FAKEguard"));
}
