//! A tiny invoice API on 127.0.0.1 for the differential and noise tests, with knobs for the
//! ways a third-party mock deviates, plus a scenario that drives it through the real loader
//! and runner.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::routing::post;
use axum::{Form, Router};
use rand::RngExt;
use serde_json::{json, Value};

use apiparity::config::{RequestSettings, RunConfig, Settings, TargetSpec};
use apiparity::pipeline::{self, Planned};

#[derive(Clone, Debug, Default)]
pub struct Variant {
    /// A fresh random string in `nonce` on every response.
    pub random_nonce: bool,
    /// `issued_at`: a plausible Unix time that moves on every call.
    pub moving_timestamp: bool,
    /// `sequence`: a random integer on every call.
    pub random_number: bool,
    /// Finalize leaves the invoice in this status (Stripe: `open`).
    pub finalized_status: Option<&'static str>,
    /// Finalize does not number the invoice.
    pub no_number: bool,
    /// Create answers 500 (so the scenario stops after it).
    pub create_fails: bool,
    /// Finalize answers 500 on every second call.
    pub flaky_finalize: bool,
    /// Finalize echoes the Authorization header as the invoice id (a careless mock).
    pub echo_auth: bool,
}

struct Shared {
    v: Variant,
    calls: AtomicU64,
    finalize_calls: AtomicU64,
}

fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    // A leading digit makes it look like a Stripe id to the id rule.
    let tail: String = (0..13)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("1{tail}")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_700_000_000)
}

/// JSON out (axum's `json` feature is not enabled in this crate).
type Json = ([(header::HeaderName, &'static str); 1], String);

fn json_response(v: Value) -> Json {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string())
}

fn decorate(s: &Shared, mut v: Value) -> Json {
    let n = s.calls.fetch_add(1, Ordering::SeqCst);
    if s.v.random_nonce {
        v["nonce"] = json!(format!("{:016x}", rand::rng().random_range(0..u64::MAX)));
    }
    if s.v.moving_timestamp {
        v["issued_at"] = json!(1_700_000_000 + n as i64 * 17);
    }
    if s.v.random_number {
        v["sequence"] = json!(rand::rng().random_range(0..1_000_000_000u64));
    }
    json_response(v)
}

fn server_error() -> (axum::http::StatusCode, Json) {
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        json_response(json!({"error": {"type": "api_error", "message": "boom"}})),
    )
}

async fn create(
    State(s): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json) {
    if s.v.create_fails {
        return server_error();
    }
    let body = json!({
        "id": format!("in_{}", random_suffix()),
        "object": "invoice",
        "created": now(),
        "customer": form.get("customer").cloned(),
        "status": "draft",
        "number": null,
        "livemode": false
    });
    (axum::http::StatusCode::OK, decorate(&s, body))
}

async fn finalize(
    State(s): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    headers: axum::http::HeaderMap,
) -> (axum::http::StatusCode, Json) {
    let id = match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(auth) if s.v.echo_auth => auth.to_string(),
        _ => id,
    };
    if s.v.flaky_finalize && s.finalize_calls.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
        return server_error();
    }
    let mut body = json!({
        "id": id,
        "object": "invoice",
        "created": now(),
        "status": s.v.finalized_status.unwrap_or("open"),
        "number": "9545A614-0001",
        "livemode": false
    });
    if s.v.no_number {
        body["number"] = Value::Null;
    }
    (axum::http::StatusCode::OK, decorate(&s, body))
}

/// Serves the variant on an ephemeral loopback port; returns its base URL. The server lives as
/// long as the test's runtime.
pub async fn serve(v: Variant) -> String {
    let shared = Arc::new(Shared {
        v,
        calls: AtomicU64::new(0),
        finalize_calls: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/v1/invoices", post(create))
        .route("/v1/invoices/{id}/finalize", post(finalize))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A loopback URL where nothing listens.
pub fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

pub const SCENARIO: &str = r#"description: Create a draft invoice and finalize it.
steps:
  - id: create
    request:
      method: POST
      path: /v1/invoices
      form: {customer: cus_test, metadata: {apiparity_run: "{{run_id}}"}}
    expect: {status: 200}
    capture: {invoice_id: /id}
  - id: finalize
    request: {method: POST, path: "/v1/invoices/{{invoice_id}}/finalize"}
    expect:
      status: 200
      body:
        /id: "{{invoice_id}}"
"#;

/// Writes the scenario under `dir/scenarios/invoices/finalize.yaml`; returns the scenarios dir.
pub fn write_scenarios(dir: &Path) -> PathBuf {
    let root = dir.join("scenarios");
    std::fs::create_dir_all(root.join("invoices")).expect("mkdir");
    std::fs::write(root.join("invoices/finalize.yaml"), SCENARIO).expect("write scenario");
    root
}

/// The config `apiparity run <scenarios> --base-url <url> --max-retries 0 --timeout 5s` would
/// build (`adjust` changes more settings), and the planned scenarios.
pub fn config(
    scenarios: &Path,
    base_url: &str,
    adjust: impl FnOnce(&mut Settings),
) -> (RunConfig, Vec<Planned>) {
    let mut s = Settings {
        paths: vec![scenarios.to_path_buf()],
        target: TargetSpec::Auto(Some(base_url.to_string())),
        requests: RequestSettings {
            max_retries: 0,
            timeout: std::time::Duration::from_secs(5),
            ..RequestSettings::default()
        },
        ..Settings::default()
    };
    adjust(&mut s);
    let cfg = RunConfig::new(s).unwrap_or_else(|e| panic!("config: {e}"));
    let planned = pipeline::plan(&cfg)
        .unwrap_or_else(|e| panic!("plan: {e}"))
        .selected;
    (cfg, planned)
}
