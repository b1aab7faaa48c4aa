//! A verdict on a broken mock in seconds: the default suite through a proxy in front of
//! `apiparity mock` that breaks search answers so no polling step is ever satisfied. Kinds
//! (`APIPARITY_BENCH_BREAK`, comma-separated, default `truncate`):
//!
//! - `truncate`: every search result's `data` is emptied;
//! - `status`: every `status` in search results is misspelled (`paid` → `piad`);
//! - `rename`: search results carry `results` instead of `data`.
//!
//! Reports wall time against the 10 s goal, and the verdict — exit code and every scenario's
//! status from report.json. The verdict of each kind is kept in
//! `benches/fixtures/broken-mock-<kind>.verdict`: written when absent (or with
//! `APIPARITY_BENCH_RECORD=1`), compared otherwise, so a faster run must give the same verdict.
//! A recording run polls with Stripe's budget (`--poll-timeout 60s --poll-interval 2s`, the
//! one-minute lag the search scenarios allow Stripe), so the verdict recorded is the one a
//! patient run reaches, not the fast default's; it takes about two minutes.
//! Runs use `CI=1` so nothing is written beside the repository's snapshots.

#[path = "support/mod.rs"]
mod support;

use serde_json::Value;
use support::{run_measured, MockProc, Proxy};

const GOAL_S: f64 = 10.0;

fn search_results(path: &str, body: &[u8]) -> Option<Value> {
    if !path.starts_with("/v1/invoices/search") {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("data")?.as_array()?;
    Some(v)
}

fn truncate(path: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut v = search_results(path, body)?;
    v["data"] = Value::Array(vec![]);
    serde_json::to_vec_pretty(&v).ok()
}

fn misspell(path: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut v = search_results(path, body)?;
    for item in v["data"].as_array_mut()? {
        if let Some(s) = item.get("status").and_then(Value::as_str) {
            let wrong = match s {
                "paid" => "piad".to_string(),
                other => format!("{other}_"),
            };
            item["status"] = Value::String(wrong);
        }
    }
    serde_json::to_vec_pretty(&v).ok()
}

fn rename(path: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut v = search_results(path, body)?;
    let map = v.as_object_mut()?;
    let data = map.shift_remove("data")?;
    map.insert("results".into(), data);
    serde_json::to_vec_pretty(&v).ok()
}

fn verdict(report: &Value) -> String {
    let mut s = format!("exit {}\n", report["summary"]["exit_code"]);
    for sc in report["scenarios"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "{} {}\n",
            sc["key"].as_str().unwrap_or("?"),
            sc["status"].as_str().unwrap_or("?")
        ));
    }
    s
}

/// The default suite through a proxy in front of `mock` (rewriting with `rewrite`): how the run
/// ended, the requests that reached the proxy, and report.json.
fn run_suite(
    rt: &tokio::runtime::Runtime,
    mock: &MockProc,
    rewrite: Option<support::Rewrite>,
    patient: bool,
    reports: &std::path::Path,
) -> (support::Finished, usize, Value) {
    let proxy = Proxy::start(rt, &mock.base_url(), rewrite);
    let base = proxy.base_url();
    let extra: &[&str] = if patient {
        &["--poll-timeout", "60s", "--poll-interval", "2s"]
    } else {
        &[]
    };
    let f = run_measured(&mut support::suite(&base, reports, extra));
    let requests = proxy.take_arrivals().len();
    drop(proxy);
    let text = std::fs::read_to_string(reports.join("report.json")).expect("report.json");
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    (f, requests, report)
}

/// Scenario key → status.
fn statuses(report: &Value) -> std::collections::HashMap<String, String> {
    report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["key"].as_str().unwrap_or("?").to_string(),
                s["status"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

fn main() {
    let kinds = std::env::var("APIPARITY_BENCH_BREAK").unwrap_or_else(|_| "truncate".into());
    let record = std::env::var("APIPARITY_BENCH_RECORD").is_ok_and(|v| v == "1");
    let rt = support::runtime();
    let mock = MockProc::start(&[]);
    let tmp = tempfile::tempdir().expect("temp dir");
    let reports = tmp.path().join("reports");
    // The same suite through an unbroken proxy: what fails without any break (none, with the
    // embedded mock's baseline), so the table can say which scenarios the break itself changes.
    // A mock of its own, so the broken runs start from a fresh store as the recording did.
    let (_, _, unbroken) = run_suite(&rt, &MockProc::start(&[]), None, false, &reports);
    let unbroken = statuses(&unbroken);
    let unbroken_failing = unbroken
        .values()
        .filter(|s| !matches!(s.as_str(), "pass" | "baselined" | "warn" | "skipped"))
        .count();
    let mut rows = Vec::new();
    for kind in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let rewrite: support::Rewrite = match kind {
            "truncate" => truncate,
            "status" => misspell,
            "rename" => rename,
            other => {
                panic!("APIPARITY_BENCH_BREAK: unknown kind `{other}` (truncate, status, rename)")
            }
        };
        let (f, requests, report) = run_suite(&rt, &mock, Some(rewrite), record, &reports);
        let got = verdict(&report);
        let failing = report["scenarios"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| {
                !matches!(
                    s["status"].as_str(),
                    Some("pass" | "baselined" | "warn" | "skipped")
                )
            })
            .count();
        let fixture = support::repo()
            .join("benches/fixtures")
            .join(format!("broken-mock-{kind}.verdict"));
        let same = match std::fs::read_to_string(&fixture) {
            Ok(want) if !record => {
                if want == got {
                    "same as recorded".to_string()
                } else {
                    eprintln!("verdict differs from {}:\n{got}", fixture.display());
                    "DIFFERENT from recorded".to_string()
                }
            }
            _ => {
                // Atomically: an interrupted recording never leaves half a fixture.
                apiparity::atomic::write(&fixture, &got).expect("write the verdict fixture");
                if record {
                    "recorded now (60 s polling budget)".to_string()
                } else {
                    "recorded now".to_string()
                }
            }
        };
        let wall = f.wall.as_secs_f64();
        let row = vec![
            kind.to_string(),
            format!("{wall:.1} s"),
            requests.to_string(),
            format!("exit {}, {failing} scenarios failing", f.code),
            changed_by_break(&unbroken, &report),
            same,
            format!("{:.2}", wall / GOAL_S),
            format!("≤ {GOAL_S:.0} s (ratio ≤ 1.00), same verdict"),
        ];
        println!("{}", row.join("  "));
        rows.push(row);
    }
    drop(mock);
    let text = format!(
        "The default suite (default settings) through a proxy that breaks `GET /v1/invoices/search` \
answers of `apiparity mock`; the verdict is compared with `benches/fixtures/broken-mock-<kind>.verdict` \
(recorded with `APIPARITY_BENCH_RECORD=1`, which polls with Stripe's one-minute budget). Every run applies \
the main job's baseline (`mocks/embedded.yaml`): the mock at a URL answers `Apiparity-Mock`, so it gets \
each scenario's account and day as the embedded mock does. Through an unbroken proxy the same run \
fails {unbroken_failing} scenarios; the break's own effect is the column \"scenarios the break changes\".\n\n{}",
        support::table(
            &[
                "break",
                "wall",
                "requests",
                "verdict",
                "scenarios the break changes",
                "vs recorded",
                "wall / goal",
                "goal"
            ],
            &rows
        )
    );
    support::write_section("broken_mock", &text);
}

/// How many scenarios end otherwise than through the unbroken proxy, and which (up to 8).
fn changed_by_break(
    unbroken: &std::collections::HashMap<String, String>,
    broken: &Value,
) -> String {
    let mut changed: Vec<String> = statuses(broken)
        .into_iter()
        .filter(|(k, s)| unbroken.get(k) != Some(s))
        .map(|(k, _)| k)
        .collect();
    changed.sort();
    let shown: Vec<String> = changed.iter().take(8).map(|k| format!("`{k}`")).collect();
    let more = if changed.len() > 8 { ", …" } else { "" };
    format!("{}: {}{more}", changed.len(), shown.join(", "))
}
