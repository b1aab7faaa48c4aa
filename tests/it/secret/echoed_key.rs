//! Secret hygiene: a target that echoes the API key back (in JSON bodies, keys, headers, error
//! messages and plain text) must not get it into any file apiparity writes — reports,
//! snapshots, pending snapshots — nor onto stdout/stderr. The key appears only masked.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::support::bin::{apiparity, BinOutput};
use crate::support::raw_server::{Request, Resp, TestServer};
use base64::Engine;
use serde_json::json;

/// Obviously fake, but test-shaped, so apiparity treats it as the real thing.
const KEY: &str = "sk_test_FAKEhygiene123";
const MASKED: &str = "sk_test_…****";

/// Every form of the key that must never be written.
fn forbidden() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        KEY.to_string(),
        // The part after the mode prefix alone (a partial leak is still a leak).
        KEY["sk_test_".len()..].to_string(),
        b64.encode(format!("{KEY}:")),
        b64.encode(KEY),
    ]
}

/// The key the request authenticated with, from either auth scheme.
fn key_of(req: &Request) -> String {
    let auth = req.header("authorization").unwrap_or("");
    if let Some(k) = auth.strip_prefix("Bearer ") {
        return k.to_string();
    }
    if let Some(b) = auth.strip_prefix("Basic ") {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b) {
            return String::from_utf8_lossy(&bytes)
                .trim_end_matches(':')
                .to_string();
        }
    }
    String::new()
}

/// Echoes the key everywhere a careless target could. `changed` makes every body differ from
/// the first run's, so a compare run writes pending snapshots and diffs quoting both sides.
fn echo(req: &Request, changed: bool) -> Resp {
    let key = key_of(req);
    let auth = req.header("authorization").unwrap_or("").to_string();
    if req.path() == "/text" {
        return Resp::text(
            200,
            "text/plain",
            &format!("your key is {key}\nauth: {auth}"),
        )
        .header("X-Echo-Key", &key);
    }
    if req.path() == "/v1/refused" {
        return Resp::json(
            401,
            &json!({"error": {"type": "invalid_request_error",
                "message": format!("Invalid API Key provided: {key}")}}),
        );
    }
    let mut body = json!({
        "id": "cus_echo1",
        "object": "customer",
        "authorization": auth,
        "key": key,
        "nested": {"list": [key, {"deeper": format!("prefix-{key}-suffix")}]},
        "form": String::from_utf8_lossy(&req.body),
        "query": req.target,
        key.clone(): "the key as an object key",
    });
    if changed {
        body["new_field"] = json!(format!("changed {key}"));
        body["key"] = json!(format!("{key}!"));
    }
    Resp::json(200, &body)
        .header("X-Echo-Key", &key)
        .header("Request-Id", "req_echo")
}

const SCENARIO: &str = r#"
description: A target that echoes the API key back everywhere.
steps:
  - id: create
    request:
      method: POST
      path: /v1/customers
      form:
        name: "{{env.STRIPE_API_KEY}}"
        metadata: {apiparity_run: "{{run_id}}", note: "key={{env.STRIPE_API_KEY}}"}
    capture: {customer_id: /id, echoed: "header:X-Echo-Key"}
  - id: get
    request:
      method: GET
      path: "/v1/customers/{{customer_id}}"
      query: {email: "{{env.STRIPE_API_KEY}}", again: "{{echoed}}"}
  - id: basic
    request:
      method: GET
      path: /v1/invoices
      auth: {basic: "{{env.STRIPE_API_KEY}}"}
  - id: text
    request: {method: GET, path: /text}
  - id: refused
    request: {method: GET, path: /v1/refused}
    expect: {status: 401}
  # Last: a failed expectation quotes the actual (echoed) values, and skips later steps.
  - id: failing-expectation
    request: {method: GET, path: "/v1/customers/{{customer_id}}"}
    expect:
      body:
        /key: not the key
        /authorization: {contains: nothing-like-this}
teardown:
  - id: delete-customer
    request: {method: DELETE, path: "/v1/customers/{{echoed}}"}
    expect: {snapshot: true}
"#;

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Asserts no written file and neither output stream holds any form of the key; returns how
/// many files were checked.
fn assert_clean(dir: &Path, out: &BinOutput, what: &str) -> usize {
    let files = files(dir);
    for (path, bytes) in &files {
        for f in forbidden() {
            assert!(
                !contains(bytes, &f),
                "{what}: {} contains `{f}`:\n{}",
                path.display(),
                String::from_utf8_lossy(bytes)
            );
        }
    }
    for f in forbidden() {
        assert!(
            !out.stdout.contains(&f),
            "{what}: stdout has `{f}`:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(&f),
            "{what}: stderr has `{f}`:\n{}",
            out.stderr
        );
    }
    files.len()
}

fn written(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    files(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_echoed_key_reaches_no_file_and_no_terminal() {
    let changed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&changed);
    let server = TestServer::start(move |req| echo(req, flag.load(Ordering::SeqCst)).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios/echo")).unwrap();
    std::fs::write(root.join("scenarios/echo/leak.yaml"), SCENARIO).unwrap();
    let url = server.base_url();
    let env = [("STRIPE_API_KEY", KEY)];
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "out/reports",
            "--snapshots",
            "out/snapshots",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &'static [&'static str]| {
        let a = args(extra);
        async move {
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            apiparity(root, &refs, &env).await
        }
    };

    // 1. No snapshots yet, compare mode: pending `.json.new` files are written.
    let first = run(&[]).await;
    assert_eq!(first.code, Some(1), "{first:?}");
    assert!(!written(root, ".json.new").is_empty(), "{first:?}");
    assert_clean(root, &first, "first compare run");

    // 2. --update: snapshots written from the echoing target.
    let update = run(&["--update"]).await;
    assert!(update.code.is_some_and(|c| c != 2), "{update:?}");
    assert!(!written(root.join("out/snapshots").as_path(), ".json").is_empty());
    assert_clean(root, &update, "update run");

    // 3. The target changes: a compare run writes diffs and pending files quoting both sides.
    changed.store(true, Ordering::SeqCst);
    let drift = run(&[]).await;
    assert_eq!(drift.code, Some(1), "{drift:?}");
    assert!(!written(root, ".json.new").is_empty());
    let n = assert_clean(root, &drift, "compare run after a change");
    assert!(
        n >= 10,
        "expected reports, snapshots and pending files, found {n}"
    );

    // 4. `review` prints the pending diffs.
    let review = apiparity(root, &["review", "--snapshots", "out/snapshots"], &env).await;
    assert_eq!(review.code, Some(0), "{review:?}");
    assert!(review.stdout.contains("pending"), "{review:?}");
    assert_clean(root, &review, "review");

    // The echoes were really there (every request authenticated with the key)...
    let reqs = server.steps();
    assert_eq!(
        reqs.len(),
        3 * 7,
        "every step and the teardown ran in each of 3 runs"
    );
    assert!(reqs.iter().all(|r| key_of(r) == KEY));
    // ...and the reports show them masked, not dropped.
    let report = std::fs::read_to_string(root.join("out/reports/report.json")).unwrap();
    assert!(report.contains(MASKED), "{report}");
    let snapshots = written(root.join("out/snapshots").as_path(), ".json");
    assert!(snapshots
        .iter()
        .any(|p| std::fs::read_to_string(p).unwrap().contains(MASKED)));
}
