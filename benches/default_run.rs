//! The default run: `apiparity run` in the repository (embedded mock, every scenario), wall time
//! after the build. One warm-up run, then `APIPARITY_BENCH_RUNS` (default 21) timed runs; the
//! figure is the median, set against the 60 ms goal. Reports go to a temporary directory so the
//! repository's `reports/` is left alone; nothing else differs from a plain `apiparity run`.
//!
//! `APIPARITY_BENCH_BEFORE=PATH` (an older build) runs that build interleaved with this one (the
//! order alternates per pair) and adds its median and the median per-pair ratios this/before
//! (wall and CPU), figures that stay comparable on a loaded machine where absolute times do not.

#[path = "support/mod.rs"]
mod support;

use std::process::Stdio;

use support::{median, run_measured};

const GOAL_MS: f64 = 60.0;

fn main() {
    let runs = support::env_num("APIPARITY_BENCH_RUNS", 21.0) as usize;
    let tmp = tempfile::tempdir().expect("temp dir");
    let reports = tmp.path().join("reports");
    let run_with = |program: Option<&std::ffi::OsStr>| {
        let mut cmd = support::apiparity(&["run", "--report-dir", reports.to_str().unwrap()]);
        if let Some(p) = program {
            // Same arguments and environment, another build.
            let mut other = std::process::Command::new(p);
            other.args(cmd.get_args());
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => other.env(k, v),
                    None => other.env_remove(k),
                };
            }
            cmd = other;
        }
        cmd.current_dir(support::repo())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let f = run_measured(&mut cmd);
        assert_eq!(f.code, 0, "the default run must pass (exit {})", f.code);
        f
    };
    let before = std::env::var_os("APIPARITY_BENCH_BEFORE");
    let run = || run_with(None);
    run();
    if let Some(b) = &before {
        run_with(Some(b));
    }
    let (mut wall, mut cpu, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    let (mut before_wall, mut ratios) = (Vec::new(), Vec::new());
    let (mut before_cpu, mut cpu_ratios) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let pair = |first_this: bool| {
            if first_this {
                let this = run();
                (this, before.as_ref().map(|b| run_with(Some(b))))
            } else {
                let other = before.as_ref().map(|b| run_with(Some(b)));
                (run(), other)
            }
        };
        let (f, other) = pair(i % 2 == 0);
        if let Some(o) = other {
            before_wall.push(o.wall.as_secs_f64() * 1000.0);
            ratios.push(f.wall.as_secs_f64() / o.wall.as_secs_f64());
            before_cpu.push(o.cpu.as_secs_f64() * 1000.0);
            cpu_ratios.push(f.cpu.as_secs_f64() / o.cpu.as_secs_f64());
        }
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
    let text = if ratios.is_empty() {
        text
    } else {
        let line = format!(
            "Side by side with an older build (`APIPARITY_BENCH_BEFORE`), interleaved: its median \
{:.1} ms ({:.1} ms CPU); median per-pair ratio this/before: wall {:.2}, CPU {:.2} (steadier \
than wall time where other jobs share the cores).",
            median(&before_wall),
            median(&before_cpu),
            median(&ratios),
            median(&cpu_ratios)
        );
        println!("{line}");
        format!("{text}\n\n{line}")
    };
    support::write_section("default_run", &text);
}
