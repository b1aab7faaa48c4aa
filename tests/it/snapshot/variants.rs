//! A target that returns the same data with other ids, other timestamps, reordered JSON keys and
//! compact JSON passes against the references; one that changes an id prefix, a type,
//! null-ness, a reference or list order fails. The "target" is a rewriting proxy in front of
//! the embedded mock, so the whole pipeline (run → normalize → snapshot diff → report) is tested.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{Request, Response, StatusCode};
use serde_json::Value;

use apiparity::config::RunConfig;
use apiparity::diff::DiffKind;
use apiparity::pipeline;
use apiparity::report::{self, Report};
use apiparity::run::{Target, TargetKind};
use apiparity::secret::Secret;
use apiparity::snapshot;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    /// Other ids (every id's characters rotated), timestamps shifted, keys reversed, compact JSON.
    Honest,
    IdPrefix,
    TypeChange,
    NullToValue,
    WrongReference,
    ListOrder,
}

const TIMESTAMPS: &[&str] = &[
    "created",
    "due_date",
    "period_start",
    "period_end",
    "webhooks_delivered_at",
    "effective_at",
    "finalized_at",
    "paid_at",
    "voided_at",
    "marked_uncollectible_at",
    "next_payment_attempt",
    "automatically_finalizes_at",
    "date",
    "start",
    "end",
];
const ID_PREFIXES: &[&str] = &[
    "in", "ii", "il", "cus", "price", "prod", "acct", "pi", "ch", "pm", "req",
];

/// ROT13 on letters and ROT5 on digits: a bijection that is its own inverse, so the proxy maps
/// ids the same way in both directions.
fn rot(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            '0'..='9' => (((c as u8 - b'0') + 5) % 10 + b'0') as char,
            other => other,
        })
        .collect()
}

fn remap_ids(text: &str) -> String {
    let re = regex::Regex::new(&format!(
        r"\b({})_([A-Za-z0-9]{{14,}})",
        ID_PREFIXES.join("|")
    ))
    .expect("regex");
    re.replace_all(text, |c: &regex::Captures| {
        format!("{}_{}", &c[1], rot(&c[2]))
    })
    .into_owned()
}

fn honest(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.into_iter().rev() {
                let v = match (&v, TIMESTAMPS.contains(&k.as_str())) {
                    (Value::Number(n), true) => {
                        n.as_i64().map(|t| Value::from(t + 98_765)).unwrap_or(v)
                    }
                    _ => honest(v),
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(honest).collect()),
        Value::String(s) => Value::String(remap_ids(&s)),
        other => other,
    }
}

fn mutate(v: &mut Value, variant: Variant) {
    match v {
        Value::Object(m) => {
            if m.get("object").and_then(Value::as_str) == Some("invoice") {
                match variant {
                    Variant::IdPrefix => {
                        if let Some(Value::String(c)) = m.get_mut("customer") {
                            *c = c.replacen("cus_", "cust_", 1);
                        }
                    }
                    Variant::TypeChange => {
                        if let Some(n) = m.get("amount_due").cloned() {
                            m.insert("amount_due".into(), Value::String(n.to_string()));
                        }
                    }
                    Variant::NullToValue if m.get("footer") == Some(&Value::Null) => {
                        m.insert("footer".into(), Value::String(String::new()));
                    }
                    Variant::WrongReference => {
                        m.insert(
                            "customer".into(),
                            Value::String("cus_SomebodyElse0001".into()),
                        );
                    }
                    _ => {}
                }
            }
            if variant == Variant::ListOrder
                && m.get("object").and_then(Value::as_str) == Some("list")
            {
                if let Some(Value::Array(items)) = m.get_mut("data") {
                    if items.len() >= 2 {
                        items.reverse();
                    }
                }
            }
            for (_, child) in m.iter_mut() {
                mutate(child, variant);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| mutate(c, variant)),
        _ => {}
    }
}

struct Proxy {
    upstream: String,
    client: reqwest::Client,
    variant: Variant,
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, 1 << 24).await.unwrap_or_default();
    // The client sends the ids it saw (remapped): map them back for the mock.
    let path = remap_ids(&percent_decode(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    ));
    let path = reencode_query(&path);
    let body = remap_ids(&percent_decode(&String::from_utf8_lossy(&body)));
    let body = reencode_form(&body);
    let mut r = p
        .client
        .request(parts.method.clone(), format!("{}{}", p.upstream, path));
    for (k, v) in parts.headers.iter() {
        if k != "host" && k != "content-length" {
            r = r.header(k, v);
        }
    }
    let resp = match r.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(e.to_string()))
                .unwrap_or_default()
        }
    };
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap_or_default();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut out = honest(json);
    if p.variant != Variant::Honest {
        mutate(&mut out, p.variant);
    }
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_string(&out).unwrap_or_default()))
        .unwrap_or_default()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
                {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Re-encodes `a=b&c=d` after decoding (ids are plain alphanumerics, so only values with
/// reserved characters need it).
fn reencode_form(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            s.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, ""))),
        )
        .finish()
}

fn reencode_query(pq: &str) -> String {
    match pq.split_once('?') {
        Some((path, q)) => format!("{path}?{}", reencode_form(q)),
        None => pq.to_string(),
    }
}

async fn run_through(variant: Variant, scenario: &str) -> Report {
    let mut cfg = RunConfig::new(apiparity::config::Settings::from_env().expect("environment"))
        .expect("config");
    cfg.paths = vec![PathBuf::from("scenarios")];
    cfg.scenarios_root = PathBuf::from("scenarios");
    cfg.filters = vec![scenario.to_string()];
    cfg.snapshot_mode = snapshot::Mode::CompareReadOnly;
    cfg.target = apiparity::config::TargetChoice::EmbeddedMock;
    let planned = pipeline::plan(&cfg).expect("scenarios").selected;
    assert_eq!(planned.len(), 1, "{scenario}");
    let mock = apiparity::mock::spawn(Default::default())
        .await
        .expect("mock");
    let proxy = Arc::new(Proxy {
        upstream: mock.base_url(),
        client: reqwest::Client::new(),
        variant,
    });
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let target = Target {
        base_url: format!("http://{addr}"),
        api_key: Some(Secret::new("sk_test_apiparity")),
        kind: TargetKind::Custom,
        probed_at: None,
    };
    let report = pipeline::run_against(&cfg, &planned, &target, "variants", None)
        .await
        .expect("run")
        .report;
    server.abort();
    mock.shutdown().await;
    report
}

fn differences(r: &Report) -> Vec<(String, String, DiffKind)> {
    r.scenarios
        .iter()
        .flat_map(|s| {
            s.steps.iter().flat_map(move |st| {
                st.differences
                    .iter()
                    .map(move |d| (st.id.clone(), d.pointer.clone(), d.kind.clone()))
            })
        })
        .collect()
}

#[tokio::test]
async fn other_ids_timestamps_key_order_and_compact_json_pass() {
    for scenario in [
        "finalize/with-amount",
        "list/by-customer-and-paging",
        "errors/unknown-id",
        "create/retrieve-expand-customer",
    ] {
        let r = run_through(Variant::Honest, scenario).await;
        assert_eq!(
            r.summary.exit_code,
            0,
            "{scenario}: {}",
            report::terminal(&r, false)
        );
    }
}

#[tokio::test]
async fn real_differences_fail() {
    let cases = [
        (
            Variant::IdPrefix,
            "finalize/with-amount",
            "/customer",
            DiffKind::ValueChanged,
        ),
        (
            Variant::TypeChange,
            "finalize/with-amount",
            "/amount_due",
            DiffKind::TypeChanged,
        ),
        (
            Variant::NullToValue,
            "finalize/with-amount",
            "/footer",
            DiffKind::TypeChanged,
        ),
        (
            Variant::WrongReference,
            "finalize/with-amount",
            "/customer",
            DiffKind::ValueChanged,
        ),
    ];
    for (variant, scenario, pointer, kind) in cases {
        let r = run_through(variant, scenario).await;
        assert_eq!(r.summary.exit_code, 1, "{variant:?} must fail");
        let diffs = differences(&r);
        assert!(
            diffs
                .iter()
                .any(|(step, p, k)| step == "finalize" && p == pointer && *k == kind),
            "{variant:?}: expected {kind:?} at finalize {pointer}, got {diffs:#?}"
        );
    }
    // List order: the same invoices, newest last instead of first.
    let r = run_through(Variant::ListOrder, "list/by-customer-and-paging").await;
    assert_eq!(r.summary.exit_code, 1);
    let diffs = differences(&r);
    assert!(
        diffs
            .iter()
            .any(|(step, p, _)| step == "list" && p.starts_with("/data")),
        "list order change must show under /data: {diffs:#?}"
    );
}

/// The honest variant really changes what the runner sees (so the passing test is not vacuous).
#[test]
fn the_honest_variant_changes_ids_timestamps_and_key_order() {
    let raw = serde_json::json!({"id": "in_1MtGmCLkdIwHu7ix6PgS6g8S", "object": "invoice", "created": 1680641304,
        "lines": {"url": "/v1/invoices/in_1MtGmCLkdIwHu7ix6PgS6g8S/lines"}});
    let out = honest(raw.clone());
    assert_ne!(out["id"], raw["id"]);
    assert!(out["id"].as_str().is_some_and(|s| s.starts_with("in_")));
    assert_eq!(out["created"], 1680641304 + 98_765);
    assert_eq!(
        out["lines"]["url"],
        format!(
            "/v1/invoices/{}/lines",
            out["id"].as_str().unwrap_or_default()
        )
    );
    assert_eq!(
        out.as_object()
            .and_then(|m| m.keys().next())
            .map(String::as_str),
        Some("lines")
    );
    assert_eq!(
        remap_ids(&remap_ids("cus_NeZw0zvTyquTfF")),
        "cus_NeZw0zvTyquTfF"
    );
}
