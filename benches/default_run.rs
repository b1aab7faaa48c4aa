//! The default run: `apiparity run` in the repository (embedded mock, every scenario), wall time
//! after the build. One warm-up run, then `APIPARITY_BENCH_RUNS` (default 21) timed runs; the
//! figure is the median, set against the 60 ms goal. Reports go to a temporary directory so the
//! repository's `reports/` is left alone; nothing else differs from a plain `apiparity run`.

#[path = "support/mod.rs"]
mod support;

use std::process::Stdio;

use support::{median, run_measured};

const GOAL_MS: f64 = 60.0;

fn main() {
    let runs = support::env_num("APIPARITY_BENCH_RUNS", 21.0) as usize;
    let tmp = tempfile::tempdir().expect("temp dir");
    let reports = tmp.path().join("reports");
    let run = || {
        let mut cmd = support::apiparity(&["run", "--report-dir", reports.to_str().unwrap()]);
        cmd.current_dir(support::repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let f = run_measured(&mut cmd);
        assert_eq!(f.code, 0, "the default run must pass (exit {})", f.code);
        f
    };
    run();
    let (mut wall, mut cpu, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let f = run();
        wall.push(f.wall.as_secs_f64() * 1000.0);
        cpu.push(f.cpu.as_secs_f64() * 1000.0);
        rss.push(f.max_rss_kib as f64 / 1024.0);
    }
    let min = wall.iter().cloned().fold(f64::INFINITY, f64::min);
    let row = vec![
        format!("{:.1}", median(&wall)),
        format!("{min:.1}"),
        format!("{:.1}", median(&cpu)),
        format!("{:.0}", median(&rss)),
        format!("{:.2}", median(&wall) / GOAL_MS),
        format!("≤ {GOAL_MS:.0} ms (ratio ≤ 1.00)"),
    ];
    println!("default run: {}", row.join("  "));
    let text = format!(
        "`apiparity run` (embedded mock, every scenario) in the repository, after the build: \
median of {runs} runs after one warm-up; CPU is user + system time.\n\n{}",
        support::table(
            &[
                "wall ms (median)",
                "wall ms (min)",
                "CPU ms",
                "peak RSS MiB",
                "median / goal",
                "goal"
            ],
            &[row]
        )
    );
    support::write_section("default_run", &text);
}
