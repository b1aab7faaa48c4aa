//! Normalize + diff against a `serde_json` parse of the same bytes, for invoice bodies of about
//! 139, 937 and 4,297 lines (pretty JSON, as the mock renders them).
//!
//! The bodies come from `apiparity mock`: an invoice with one line item, and lists of a
//! customer's invoices (2 × 9 and 8 × 10 line items). Two objects of the same shape
//! are fetched; the second, normalized, is the "snapshot" the first is diffed against, as in a
//! run where the target matches its references. Per size, interleaved rounds
//! (`APIPARITY_BENCH_ROUNDS`, default 15) each time a batch of parses and a batch of
//! normalize + diff; the figure is the median of the per-round ratios.
//!
//! This is the one benchmark that calls library internals (`normalize`, `diff`).

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apiparity::config::{default_diff_options, default_rules};
use apiparity::diff::{self, DiffOptions};
use apiparity::normalize::{Normalizer, Rules};
use serde_json::Value;
use support::{id_of, median, Api, MockProc};

struct Body {
    label: &'static str,
    target_lines: usize,
    bytes: Vec<u8>,
    /// The same shape from other objects: normalized, it is the reference.
    reference: Vec<u8>,
}

/// A customer with an invoice holding `items` line items; returns the invoice id.
async fn invoice_with_items(api: &Api, items: usize) -> (String, String) {
    let cus = id_of(
        &api.post(
            "/v1/customers",
            "name=Jenny+Rosen&email=jenny%40example.com&metadata[apiparity_run]=bench",
        )
        .await,
    );
    for i in 0..items {
        api.post(
            "/v1/invoiceitems",
            &format!(
                "customer={cus}&amount={}&currency=usd&description=Line+{i}&metadata[apiparity_run]=bench",
                100 + i
            ),
        )
        .await;
    }
    let inv = id_of(
        &api.post(
            "/v1/invoices",
            &format!(
                "customer={cus}&pending_invoice_items_behavior=include&auto_advance=false&metadata[apiparity_run]=bench"
            ),
        )
        .await,
    );
    (cus, inv)
}

async fn fetch(api: &Api, path: &str) -> Vec<u8> {
    let (status, body) = api.get(path).await;
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body.to_vec()
}

async fn bodies(api: &Api) -> Vec<Body> {
    let mut out = Vec::new();
    // ~139 lines: one invoice with one line item.
    let mut pair = Vec::new();
    for _ in 0..2 {
        let (_, inv) = invoice_with_items(api, 1).await;
        pair.push(fetch(api, &format!("/v1/invoices/{inv}")).await);
    }
    out.push(Body {
        label: "invoice, 1 line item",
        target_lines: 139,
        reference: pair.pop().unwrap(),
        bytes: pair.pop().unwrap(),
    });
    // ~937 lines: a customer's two invoices, nine line items each.
    let (bytes, reference) = (list_body(api, 2, 9).await, list_body(api, 2, 9).await);
    out.push(Body {
        label: "invoice list: 2 invoices × 9 line items",
        target_lines: 937,
        bytes,
        reference,
    });
    // ~4,297 lines: a customer's eight invoices, ten line items each (all embedded).
    let (bytes, reference) = (list_body(api, 8, 10).await, list_body(api, 8, 10).await);
    out.push(Body {
        label: "invoice list: 8 invoices × 10 line items",
        target_lines: 4297,
        bytes,
        reference,
    });
    out
}

/// `GET /v1/invoices?customer=…` for a new customer with `invoices` invoices of `items` items.
async fn list_body(api: &Api, invoices: usize, items: usize) -> Vec<u8> {
    let cus = id_of(
        &api.post(
            "/v1/customers",
            "name=Jenny+Rosen&email=jenny%40example.com",
        )
        .await,
    );
    for _ in 0..invoices {
        for i in 0..items {
            api.post(
                "/v1/invoiceitems",
                &format!(
                    "customer={cus}&amount={}&currency=usd&description=Line+{i}",
                    100 + i
                ),
            )
            .await;
        }
        api.post(
            "/v1/invoices",
            &format!("customer={cus}&pending_invoice_items_behavior=include&auto_advance=false"),
        )
        .await;
    }
    fetch(
        api,
        &format!("/v1/invoices?customer={cus}&limit={invoices}"),
    )
    .await
}

fn lines(b: &[u8]) -> usize {
    b.iter().filter(|c| **c == b'\n').count()
}

fn normalize_and_diff(
    rules: &Arc<Rules>,
    opts: &DiffOptions,
    reference: &Value,
    v: &Value,
) -> usize {
    let mut n = Normalizer::new(Arc::clone(rules));
    n.mask("bench", "<run_id>");
    let actual = n.value(v);
    diff::diff(reference, &actual, opts).len()
}

fn time_batch(iters: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

fn main() {
    let rounds = support::env_num("APIPARITY_BENCH_ROUNDS", 15.0) as usize;
    let mock = MockProc::start(&[]);
    let rt = support::runtime();
    let api = Api::new(&mock.base_url());
    let bodies = rt.block_on(bodies(&api));
    drop(mock);

    let rules = Arc::new(default_rules());
    let opts = default_diff_options();
    let mut rows = Vec::new();
    for b in &bodies {
        let value: Value = serde_json::from_slice(&b.bytes).expect("JSON");
        let reference = {
            let v: Value = serde_json::from_slice(&b.reference).expect("JSON");
            let mut n = Normalizer::new(Arc::clone(&rules));
            n.mask("bench", "<run_id>");
            n.value(&v)
        };
        let diffs = normalize_and_diff(&rules, &opts, &reference, &value);
        // About 20 ms of parsing per batch.
        let one = time_batch(20, || {
            black_box(serde_json::from_slice::<Value>(black_box(&b.bytes)).unwrap());
        }) / 20;
        let iters = (Duration::from_millis(20).as_secs_f64() / one.as_secs_f64().max(1e-9))
            .ceil()
            .max(5.0) as usize;
        let (mut ratios, mut parse_us, mut nd_us) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..rounds {
            let parse = || {
                time_batch(iters, || {
                    black_box(serde_json::from_slice::<Value>(black_box(&b.bytes)).unwrap());
                })
            };
            let nd = || {
                time_batch(iters, || {
                    black_box(normalize_and_diff(
                        &rules,
                        &opts,
                        &reference,
                        black_box(&value),
                    ));
                })
            };
            let (p, n) = if r % 2 == 0 {
                let p = parse();
                (p, nd())
            } else {
                let n = nd();
                (parse(), n)
            };
            ratios.push(n.as_secs_f64() / p.as_secs_f64());
            parse_us.push(p.as_secs_f64() * 1e6 / iters as f64);
            nd_us.push(n.as_secs_f64() * 1e6 / iters as f64);
        }
        let row = vec![
            format!("{} (target {} lines)", b.label, b.target_lines),
            lines(&b.bytes).to_string(),
            format!("{:.1}", b.bytes.len() as f64 / 1024.0),
            diffs.to_string(),
            format!("{:.1}", median(&parse_us)),
            format!("{:.1}", median(&nd_us)),
            format!("{:.2}", median(&ratios)),
            "≤ 2.00".into(),
        ];
        println!("{}", row.join("  "));
        rows.push(row);
    }
    let text = format!(
        "Per body: one `serde_json::from_slice::<Value>` against one normalize (`Normalizer::value`, \
built-in rules, one mask) plus `diff::diff` against the normalized reference; medians of {rounds} \
interleaved rounds of ~20 ms batches.\n\n{}",
        support::table(
            &[
                "body",
                "lines",
                "KiB",
                "differences",
                "parse µs",
                "normalize + diff µs",
                "ratio",
                "goal"
            ],
            &rows
        )
    );
    support::write_section("normalize", &text);
}
