//! Peak memory for huge response bodies (issue 12 item 1): a loopback target answers every
//! request with one 15 MB JSON array of zeros (7.5 million values); `apiparity run` runs a
//! scenario of 1 and of 3 such steps — compare with no snapshot (writes `.json.new`), `--update`,
//! then compare against the snapshots. Peak RSS of the child (wait4's ru_maxrss) against the
//! goal: under 4× the body plus 50 MB. Also the size of the largest file written.
//!
//! Knobs: `APIPARITY_BENCH_BODY_MB` (default 15).

#[path = "support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use support::{apiparity, mib, run_measured, table, write_section};

/// Answers every request on a loopback port with `body`, one thread per connection.
fn serve(body: Arc<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = Arc::clone(&body);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut sink = vec![0u8; len];
                    if reader.read_exact(&mut sink).is_err() {
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-Id: req_big\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if stream.write_all(head.as_bytes()).is_err()
                        || stream.write_all(&body).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn scenario(steps: usize) -> String {
    let mut s = String::from("steps:\n");
    for i in 0..steps {
        s.push_str(&format!(
            "  - id: big{i}\n    request: {{method: GET, path: /v1/invoices/big{i}}}\n"
        ));
    }
    s
}

fn largest_file(dir: &Path) -> u64 {
    let mut max = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                max = max.max(e.metadata().map(|m| m.len()).unwrap_or(0));
            }
        }
    }
    max
}

fn main() {
    let body_mb = support::env_num("APIPARITY_BENCH_BODY_MB", 15.0);
    let zeros = (body_mb * 1_000_000.0 / 2.0) as usize;
    let mut body = Vec::with_capacity(zeros * 2 + 1);
    body.push(b'[');
    for i in 0..zeros {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'0');
    }
    body.push(b']');
    let body_bytes = body.len();
    let url = serve(Arc::new(body));
    let goal_mib = 4.0 * body_bytes as f64 / (1024.0 * 1024.0) + 50.0;
    println!(
        "body: {:.1} MB ({zeros} zeros); goal: peak RSS < 4 × body + 50 MB = {goal_mib:.0} MiB",
        body_bytes as f64 / 1e6
    );

    let mut rows = Vec::new();
    for steps in [1usize, 3] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("scenarios/huge")).unwrap();
        std::fs::write(dir.join("scenarios/huge/zeros.yaml"), scenario(steps)).unwrap();
        for (mode, extra) in [
            ("compare, no snapshot (.json.new)", &[][..]),
            ("--update", &["--update"][..]),
            ("compare with snapshot", &[][..]),
        ] {
            let scen = dir.join("scenarios");
            let reports = dir.join("reports");
            let snaps = dir.join("snapshots");
            let mut args = vec![
                "run",
                scen.to_str().unwrap(),
                "--base-url",
                &url,
                "--report-dir",
                reports.to_str().unwrap(),
                "--snapshots",
                snaps.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            let mut cmd = apiparity(&args);
            cmd.env("STRIPE_API_KEY", "sk_test_apiparity")
                .current_dir(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let f = run_measured(&mut cmd);
            let rss = mib(f.max_rss_kib);
            let verdict = if rss < goal_mib { "met" } else { "MISSED" };
            println!(
                "{steps} step(s), {mode}: exit {}, peak RSS {rss:.1} MiB ({verdict}), {:.2}s, largest file {:.2} MB",
                f.code,
                f.wall.as_secs_f64(),
                largest_file(dir) as f64 / 1e6
            );
            rows.push(vec![
                steps.to_string(),
                mode.to_string(),
                f.code.to_string(),
                format!("{rss:.1} MiB"),
                format!("{verdict} (< {goal_mib:.0} MiB)"),
                format!("{:.2} MB", largest_file(dir) as f64 / 1e6),
                format!("{:.2} s", f.wall.as_secs_f64()),
            ]);
        }
    }
    let body_text = format!(
        "A {:.1} MB JSON array of {zeros} zeros per step, from a loopback target. Goal (issue 12): peak RSS of `apiparity run` under 4 × body + 50 MB = {goal_mib:.0} MiB. Bodies are parsed bounded (the first 100 000 values kept, the rest folded into one counted, digested string), so the files written stay small too.\n\n{}",
        body_bytes as f64 / 1e6,
        table(
            &["steps", "run", "exit", "peak RSS", "goal", "largest file written", "wall"],
            &rows
        )
    );
    write_section("huge_body", &body_text);
}
