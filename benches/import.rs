//! `apiparity import` over the whole shared corpus (`../shared/recordings`: 62 cassettes, 606
//! exchanges), with the flags that wrote the committed recorded suite, into a fresh temporary
//! project root each run: reading, converting, normalizing and writing every scenario and
//! snapshot. Median of `APIPARITY_BENCH_RUNS` (default 11) runs after one warm-up; goal < 2 s.

#[path = "support/mod.rs"]
mod support;

use std::process::Stdio;

use support::{median, run_measured};

const GOAL_S: f64 = 2.0;

fn main() {
    let shared = support::repo().join("../shared/recordings");
    if !shared.is_dir() {
        println!("import bench skipped: ../shared/recordings not found (the shared sources beside the repository)");
        return;
    }
    let runs = support::env_num("APIPARITY_BENCH_RUNS", 11.0) as usize;
    let shared = shared.to_str().expect("a UTF-8 path").to_string();
    let once = || {
        let out = tempfile::tempdir().expect("temp dir");
        let mut cmd = support::apiparity(&[
            "import",
            &shared,
            "--out",
            out.path().to_str().unwrap(),
            "--scope",
            "invoice-api",
            "--stripe-version",
            "onetimesecret__onetimesecret=2025-11-17.clover",
            "--stripe-version",
            "thephpleague__omnipay-stripe=2015-10-16",
            "--stripe-version",
            "confact__stripe.cr=2019-12-03",
            "--stripe-version",
            "zulip__zulip=2023-10-16",
        ]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let f = run_measured(&mut cmd);
        // 1: the one live-mode cassette is refused; anything else is a failure.
        assert_eq!(f.code, 1, "import exited {}", f.code);
        let files = walk(out.path());
        (f, files)
    };
    let (_, files) = once();
    let (mut wall, mut cpu, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (f, _) = once();
        wall.push(f.wall.as_secs_f64());
        cpu.push(f.cpu.as_secs_f64());
        rss.push(f.max_rss_kib as f64 / 1024.0);
    }
    let row = vec![
        files.to_string(),
        format!("{:.3}", median(&wall)),
        format!("{:.3}", wall.iter().cloned().fold(f64::INFINITY, f64::min)),
        format!("{:.3}", median(&cpu)),
        format!("{:.0}", median(&rss)),
        format!("{:.2}", median(&wall) / GOAL_S),
        format!("< {GOAL_S:.0} s (ratio < 1.00)"),
    ];
    println!("import: {}", row.join("  "));
    support::write_section(
        "import",
        &format!(
            "`apiparity import ../shared/recordings --scope invoice-api` (the committed suite's command) into a fresh directory: median of {runs} runs after one warm-up; CPU is user + system time.\n\n{}",
            support::table(
                &["files written", "wall s (median)", "wall s (min)", "CPU s", "peak RSS MiB", "median / goal", "goal"],
                &[row],
            )
        ),
    );
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                1
            }
        })
        .sum()
}
