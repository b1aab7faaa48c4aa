//! Latency-bound and rate-limited suites.
//!
//! 1. The default suite (`scenarios/`, default settings) against `apiparity mock --latency 150`:
//!    wall time over the critical-path bound, the longest scenario's requests × 150 ms (the
//!    requests each scenario sent are read from report.json). A `--jobs 45` run is measured
//!    interleaved with it for reference. `APIPARITY_BENCH_RUNS` runs each (default 3), medians.
//! 2. The default suite with `--rate 25` (`APIPARITY_BENCH_RATE`) through a proxy that records
//!    when each request arrives: the most requests in any one-second window, over the rate.
//!
//! Runs use `CI=1` so nothing is written beside the repository's snapshots.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use serde_json::Value;
use support::{median, run_measured, MockProc, Proxy};

const LATENCY_MS: u64 = 150;

/// Runs the suite; returns (wall seconds, exit code, requests of the longest scenario).
fn suite(base: &str, extra: &[&str], reports: &Path) -> (f64, i32, u64) {
    // With the main job's baseline, exit 0 means the embedded mock's verdict.
    let f = run_measured(&mut support::suite(base, reports, extra));
    let text = std::fs::read_to_string(reports.join("report.json")).expect("report.json");
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    let longest = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            s["steps"]
                .as_array()
                .map(|steps| {
                    steps
                        .iter()
                        .filter(|st| !st["http_status"].is_null())
                        .map(|st| st["attempts"].as_u64().unwrap_or(1))
                        .sum::<u64>()
                })
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    (f.wall.as_secs_f64(), f.code, longest)
}

fn main() {
    let runs = support::env_num("APIPARITY_BENCH_RUNS", 3.0) as usize;
    let rate = support::env_num("APIPARITY_BENCH_RATE", 25.0);
    let tmp = tempfile::tempdir().expect("temp dir");
    let reports = tmp.path().join("reports");

    // 1. Latency bound.
    let slow = MockProc::start(&["--latency", &LATENCY_MS.to_string()]);
    let (mut default_ratio, mut wide_ratio) = (Vec::new(), Vec::new());
    let (mut default_wall, mut wide_wall) = (Vec::new(), Vec::new());
    let mut longest_seen = 0;
    let mut codes = Vec::new();
    for i in 0..runs {
        let order: [&[&str]; 2] = if i % 2 == 0 {
            [&[], &["--jobs", "45"]]
        } else {
            [&["--jobs", "45"], &[]]
        };
        for extra in order {
            let (wall, code, longest) = suite(&slow.base_url(), extra, &reports);
            let bound = longest as f64 * LATENCY_MS as f64 / 1000.0;
            longest_seen = longest_seen.max(longest);
            codes.push(code);
            if extra.is_empty() {
                default_wall.push(wall);
                default_ratio.push(wall / bound);
            } else {
                wide_wall.push(wall);
                wide_ratio.push(wall / bound);
            }
            println!(
                "latency {LATENCY_MS} ms {:>10}: {wall:.2} s, bound {bound:.2} s ({longest} requests), exit {code}",
                if extra.is_empty() { "default" } else { "--jobs 45" }
            );
        }
    }
    drop(slow);

    // 2. Rate limit, counted where the requests arrive.
    let rt = support::runtime();
    let fast = MockProc::start(&[]);
    let proxy = Proxy::start(&rt, &fast.base_url(), None);
    let rate_s = format!("{rate}");
    let (rate_wall, rate_code, _) = suite(&proxy.base_url(), &["--rate", &rate_s], &reports);
    let arrivals = proxy.take_arrivals();
    let max_1s = support::max_per_second(&arrivals);
    let first_1s = arrivals
        .first()
        .map(|t0| {
            arrivals
                .iter()
                .filter(|t| t.duration_since(*t0).as_secs_f64() < 1.0)
                .count()
        })
        .unwrap_or(0);
    println!(
        "--rate {rate}: {} requests in {rate_wall:.1} s; most in any one second {max_1s}, in the first {first_1s}; exit {rate_code}",
        arrivals.len()
    );
    drop(proxy);
    drop(fast);

    let rows = vec![
        vec![
            format!("default settings, `--latency {LATENCY_MS}`"),
            format!("{:.2} s", median(&default_wall)),
            format!(
                "{:.2} s ({longest_seen} requests × {LATENCY_MS} ms)",
                longest_seen as f64 * LATENCY_MS as f64 / 1000.0
            ),
            format!("{:.2}", median(&default_ratio)),
            "≤ 1.15".into(),
        ],
        vec![
            format!("`--jobs 45`, `--latency {LATENCY_MS}` (reference)"),
            format!("{:.2} s", median(&wide_wall)),
            "same".into(),
            format!("{:.2}", median(&wide_ratio)),
            "—".into(),
        ],
    ];
    let text = format!(
        "The default suite (`scenarios/`) against `apiparity mock --latency {LATENCY_MS}`; \
medians of {runs} interleaved runs each; exit codes {codes:?}.\n\n{}\n\
Rate limit: the default suite with `--rate {rate}` through a counting proxy: {} requests in \
{rate_wall:.1} s.\n\n{}",
        support::table(
            &["run", "wall", "critical-path bound", "wall / bound", "goal"],
            &rows
        ),
        arrivals.len(),
        support::table(
            &[
                "configured rate",
                "most in any one-second window",
                "in the first second",
                "max / rate",
                "goal"
            ],
            &[vec![
                format!("{rate}/s"),
                max_1s.to_string(),
                first_1s.to_string(),
                format!("{:.2}", max_1s as f64 / rate),
                "≤ 1.00".into(),
            ]],
        )
    );
    support::write_section("latency", &text);
}
