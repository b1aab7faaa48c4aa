//! Every secret a run touches, not just STRIPE_API_KEY: values passed through `{{env.*}}` into
//! headers, query, form and path, and a key in the base URL's userinfo. An echoing target sends
//! them all back in every encoding listed in issue 12 (verbatim, URL-encoded, base64 with and
//! without the trailing `:` and padding, URL-safe base64, hex); none may reach a file written or
//! stdout/stderr. Live keys from `{{env.*}}` or literals outside `auth:` are refused.

use std::path::Path;
use std::sync::Arc;

use crate::support::bin::{apiparity, BinOutput};
use crate::support::raw_server::{Request, Resp, TestServer};
use base64::Engine;
use serde_json::json;

fn key() -> String {
    format!("sk_test_{}", "ENVhygieneKEY0123456789")
}
fn other() -> String {
    format!("rk_test_{}", "OTHERsecretVALUE98765")
}
/// Not key-shaped: spaces and characters that URL-encoding, JSON and HTML all change.
fn password() -> String {
    "hunter2 \"pa&ss\" <w>rd+=secret".to_string()
}

/// Every spelling of `s` the echoing target sends back, so every one that must not survive.
fn spellings(s: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![
        s.to_string(),
        form.clone(),
        form.replace('+', "%20"),
        STANDARD.encode(s),
        STANDARD.encode(format!("{s}:")),
        STANDARD_NO_PAD.encode(s),
        URL_SAFE_NO_PAD.encode(s),
        STANDARD.encode(format!("user:{s}")),
        hex.to_ascii_uppercase(),
        hex,
    ];
    for prefix in ["sk_test_", "rk_test_"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            out.push(rest.to_string());
        }
    }
    out
}

fn secrets() -> Vec<String> {
    vec![key(), other(), password()]
}

/// Echoes the request, and every spelling of every secret, in a JSON body, response headers and
/// a long text body whose 64 KiB cut falls inside the key.
fn echo(req: &Request) -> Resp {
    let echoes: Vec<String> = secrets().iter().flat_map(|s| spellings(s)).collect();
    if req.path().starts_with("/text") {
        let mut text = "x".repeat(64 * 1024 - 10);
        text.push_str(&key());
        text.push('\n');
        text.push_str(&echoes.join("\n"));
        return Resp::text(200, "text/plain", &text);
    }
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut r = Resp::json(
        200,
        &json!({
            "id": "cus_envecho",
            "object": "customer",
            "target": req.target,
            "form": String::from_utf8_lossy(&req.body),
            "headers": headers,
            "echoes": echoes,
        }),
    );
    for (i, e) in echoes.iter().enumerate() {
        if e.is_ascii() {
            r = r.header(&format!("X-Echo-{i}"), e);
        }
    }
    r
}

const SCENARIO: &str = r#"
steps:
  - id: create
    request:
      method: POST
      path: "/v1/customers/{{env.APT_OTHER}}"
      headers: {X-Other: "{{env.APT_OTHER}}", X-Pass: "{{env.APT_PASS}}"}
      query: {other: "{{env.APT_OTHER}}", pass: "{{env.APT_PASS}}", key: "{{env.STRIPE_API_KEY}}"}
      form: {name: "{{env.APT_PASS}}", other: "{{env.APT_OTHER}}", key: "{{env.STRIPE_API_KEY}}"}
  - id: text
    request: {method: GET, path: "/text/{{env.APT_OTHER}}"}
"#;

fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "leak.yaml") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn assert_clean(dir: &Path, out: &BinOutput, what: &str) -> usize {
    let files = files(dir);
    let forbidden: Vec<String> = secrets().iter().flat_map(|s| spellings(s)).collect();
    for f in &forbidden {
        for (path, bytes) in &files {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(f.as_str()),
                "{what}: {} holds `{f}`:\n{text}",
                path.display()
            );
        }
        assert!(
            !out.stdout.contains(f.as_str()),
            "{what}: stdout holds `{f}`:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(f.as_str()),
            "{what}: stderr holds `{f}`:\n{}",
            out.stderr
        );
    }
    files.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_from_env_and_the_base_url_reach_no_file_and_no_terminal() {
    let server = Arc::new(TestServer::start(|req| echo(req).reply()).await);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios/echo")).unwrap();
    std::fs::write(root.join("scenarios/echo/leak.yaml"), SCENARIO).unwrap();
    // The key rides in the base URL's userinfo too.
    let url = server
        .base_url()
        .replace("http://", &format!("http://apiuser:{}@", key()));
    let (k, o, p) = (key(), other(), password());
    let env = [
        ("STRIPE_API_KEY", k.as_str()),
        ("APT_OTHER", o.as_str()),
        ("APT_PASS", p.as_str()),
    ];
    let base = [
        "run",
        "scenarios",
        "--base-url",
        &url,
        "--report-dir",
        "out/reports",
        "--snapshots",
        "out/snapshots",
    ];
    let first = apiparity(root, &base, &env).await;
    assert_eq!(first.code, Some(1), "{first:?}");
    assert!(
        first.stdout.contains("target: http://127.0.0.1"),
        "{}",
        first.stdout
    );
    assert_clean(root, &first, "compare run writing pending snapshots");

    let mut update = base.to_vec();
    update.push("--update");
    let up = apiparity(root, &update, &env).await;
    assert!(up.code.is_some_and(|c| c != 2), "{up:?}");
    let n = assert_clean(root, &up, "update run");
    assert!(n >= 6, "reports and snapshots were written ({n})");

    // The secrets really went out: in the path, query, form and headers.
    let reqs = server.steps();
    let create = reqs.iter().find(|r| r.method == "POST").expect("the POST");
    let form = String::from_utf8_lossy(&create.body).into_owned();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    assert!(create.path().contains(&other()), "{}", create.target);
    assert!(
        create.target.contains(&enc(&password())),
        "{}",
        create.target
    );
    assert!(
        form.contains(&enc(&key())) && form.contains(&enc(&other())),
        "{form}"
    );
    assert_eq!(create.header("x-pass"), Some(password().as_str()));
    // ...and the snapshot names the target without its userinfo.
    let snap =
        std::fs::read_to_string(root.join("out/snapshots/echo/leak/01-create.json")).unwrap();
    assert!(snap.contains("recorded from http://127.0.0.1"), "{snap}");
}

/// A live key in `{{env.*}}` outside `auth:` is refused before the request is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_live_key_from_env_in_headers_or_query_is_never_sent() {
    let server = TestServer::start(|_| Resp::json(200, &json!({"id": "cus_1"})).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios/live")).unwrap();
    std::fs::write(
        root.join("scenarios/live/h.yaml"),
        "steps:\n  - id: h\n    request:\n      method: GET\n      path: /v1/customers\n      headers: {X-Key: \"{{env.APT_LIVE}}\"}\n  - id: q\n    request:\n      method: GET\n      path: /v1/customers\n      query: {k: \"{{env.APT_LIVE}}\"}\n",
    )
    .unwrap();
    let live = format!("sk_live_{}", "FAKElivekeyfromenv0001");
    let url = server.base_url();
    let out = apiparity(
        root,
        &[
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "r",
            "--snapshots",
            "s",
        ],
        &[("STRIPE_API_KEY", "sk_test_apiparity"), ("APT_LIVE", &live)],
    )
    .await;
    assert_eq!(server.steps().len(), 0, "{out:?}");
    assert!(out.stdout.contains("live-mode key"), "{}", out.stdout);
    assert!(!out.stdout.contains(&live[8..]) && !out.stderr.contains(&live[8..]));
}

/// `check` refuses a literal live key wherever it sits, not only under `auth:`.
#[tokio::test(flavor = "multi_thread")]
async fn check_refuses_literal_live_keys_in_headers_query_form_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    let live = format!("sk_{}_short", "live");
    for (name, at) in [
        ("headers", format!("headers: {{X-Key: \"{live}\"}}")),
        ("query", format!("query: {{k: \"{live}\"}}")),
        ("form", format!("form: {{k: \"{live}\"}}")),
    ] {
        std::fs::write(
            root.join(format!("scenarios/{name}.yaml")),
            format!("steps:\n  - id: s\n    request:\n      method: POST\n      path: /v1/customers\n      {at}\n"),
        )
        .unwrap();
    }
    std::fs::write(
        root.join("scenarios/path.yaml"),
        format!("steps:\n  - id: s\n    request:\n      method: GET\n      path: /v1/customers/{live}\n"),
    )
    .unwrap();
    let out = apiparity(root, &["check", "scenarios"], &[]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    for name in ["headers", "query", "form", "path"] {
        assert!(
            out.stderr.contains(&format!("{name}.yaml:")),
            "{name} not flagged:\n{}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("live-mode key"), "{}", out.stderr);
}
