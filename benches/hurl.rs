//! apiparity against Hurl on the same flows and the same target: wall time and peak RSS.
//!
//! The benchmark writes 510 flows (`APIPARITY_BENCH_FLOWS`) of 4 requests each — create a
//! customer, create an invoice, finalize it, retrieve it — twice over into a temporary directory:
//! as Hurl files and as apiparity scenarios (one set with `snapshot: false`, one compared with
//! snapshots it records first). Both tools send the same headers (key, Stripe-Version, an
//! Idempotency-Key on every POST) and check the same things (status 200, the invoice's status),
//! against one `apiparity mock` process on loopback.
//!
//! For each variant (run only; run + compare with snapshots) and `--jobs` 1, 2 and 4 it runs
//! interleaved pairs (`APIPARITY_BENCH_PAIRS`, default 5; the order alternates within pairs) and
//! reports the median of the per-pair ratios apiparity/Hurl, plus each tool's median peak RSS
//! (wait4's ru_maxrss) and CPU time, with the mock's CPU while each run lasted. Without `hurl`
//! on PATH only apiparity's side is measured.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{median, mib, run_measured, Finished, MockProc};

const JOBS: [usize; 3] = [1, 2, 4];

fn hurl_flow(n: usize) -> String {
    let head = "Authorization: Bearer sk_test_apiparity\nStripe-Version: 2025-03-31.basil\n";
    format!(
        "POST {{{{base}}}}/v1/customers\n{head}Idempotency-Key: flow-{n}-customer-{{{{newUuid}}}}\n\
[Form]\nname: Flow {n}\nmetadata[apiparity_run]: bench\n\
HTTP 200\n[Captures]\ncustomer_id: jsonpath \"$.id\"\n\n\
POST {{{{base}}}}/v1/invoices\n{head}Idempotency-Key: flow-{n}-invoice-{{{{newUuid}}}}\n\
[Form]\ncustomer: {{{{customer_id}}}}\nauto_advance: false\nmetadata[apiparity_run]: bench\n\
HTTP 200\n[Captures]\ninvoice_id: jsonpath \"$.id\"\n[Asserts]\njsonpath \"$.status\" == \"draft\"\n\n\
POST {{{{base}}}}/v1/invoices/{{{{invoice_id}}}}/finalize\n{head}Idempotency-Key: flow-{n}-finalize-{{{{newUuid}}}}\n\
HTTP 200\n[Asserts]\njsonpath \"$.status\" == \"paid\"\n\n\
GET {{{{base}}}}/v1/invoices/{{{{invoice_id}}}}\n{head}\
HTTP 200\n[Asserts]\njsonpath \"$.status\" == \"paid\"\n"
    )
}

fn scenario_flow(n: usize, snapshot: bool) -> String {
    format!(
        r#"name: flow-{n:03}
steps:
  - id: customer
    request:
      method: POST
      path: /v1/customers
      form: {{name: "Flow {n}", metadata: {{apiparity_run: "{{{{run_id}}}}"}}}}
    expect: {{status: 200, snapshot: {snapshot}}}
    capture: {{customer_id: /id}}
  - id: invoice
    request:
      method: POST
      path: /v1/invoices
      form: {{customer: "{{{{customer_id}}}}", auto_advance: false, metadata: {{apiparity_run: "{{{{run_id}}}}"}}}}
    expect:
      status: 200
      snapshot: {snapshot}
      body:
        /status: draft
    capture: {{invoice_id: /id}}
  - id: finalize
    request: {{method: POST, path: "/v1/invoices/{{{{invoice_id}}}}/finalize"}}
    expect:
      status: 200
      snapshot: {snapshot}
      body:
        /status: paid
  - id: retrieve
    request: {{method: GET, path: "/v1/invoices/{{{{invoice_id}}}}"}}
    expect:
      status: 200
      snapshot: {snapshot}
      body:
        /status: paid
"#
    )
}

struct Flows {
    root: PathBuf,
    hurl_files: Vec<PathBuf>,
}

fn write_flows(root: &Path, flows: usize) -> Flows {
    let mut hurl_files = Vec::new();
    for dir in ["hurl", "run-only", "compare"] {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    for n in 0..flows {
        let h = root.join("hurl").join(format!("flow-{n:03}.hurl"));
        std::fs::write(&h, hurl_flow(n)).expect("write hurl");
        hurl_files.push(h);
        std::fs::write(
            root.join("run-only").join(format!("flow-{n:03}.yaml")),
            scenario_flow(n, false),
        )
        .expect("write scenario");
        std::fs::write(
            root.join("compare").join(format!("flow-{n:03}.yaml")),
            scenario_flow(n, true),
        )
        .expect("write scenario");
    }
    Flows {
        root: root.to_path_buf(),
        hurl_files,
    }
}

fn apiparity_cmd(flows: &Flows, variant: &str, base: &str, jobs: usize, update: bool) -> Command {
    let jobs = jobs.to_string();
    let dir = flows.root.join(variant);
    let snaps = flows.root.join("snapshots");
    let reports = flows.root.join("reports");
    let mut args = vec![
        "run",
        dir.to_str().unwrap(),
        "--base-url",
        base,
        "--jobs",
        &jobs,
        "--snapshots",
        snaps.to_str().unwrap(),
        "--report-dir",
        reports.to_str().unwrap(),
    ];
    if update {
        args.push("--update");
    }
    let mut c = support::apiparity(&args);
    c.current_dir(&flows.root)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn hurl_cmd(hurl: &Path, flows: &Flows, base: &str, jobs: usize) -> Command {
    let mut c = Command::new(hurl);
    c.args(["--test", "--no-color", "--jobs", &jobs.to_string()])
        .args(["--variable", &format!("base={base}")])
        .args(&flows.hurl_files)
        .current_dir(&flows.root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn checked(what: &str, f: Finished) -> Finished {
    assert_eq!(f.code, 0, "{what} exited with {}", f.code);
    f
}

fn main() {
    let flows_n = support::env_num("APIPARITY_BENCH_FLOWS", 510.0) as usize;
    let pairs = support::env_num("APIPARITY_BENCH_PAIRS", 5.0) as usize;
    let hurl = support::which("hurl");
    if hurl.is_none() {
        println!("hurl not on PATH: skipping Hurl's side (apiparity's times only)");
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let flows = write_flows(tmp.path(), flows_n);
    let mock = MockProc::start(&[]);
    let base = mock.base_url();

    // Reference snapshots for the compare variant, then one check that a compare run passes.
    checked(
        "apiparity run --update",
        run_measured(&mut apiparity_cmd(&flows, "compare", &base, 4, true)),
    );
    checked(
        "apiparity run (compare)",
        run_measured(&mut apiparity_cmd(&flows, "compare", &base, 4, false)),
    );
    if let Some(h) = &hurl {
        checked("hurl", run_measured(&mut hurl_cmd(h, &flows, &base, 4)));
    }

    println!(
        "apiparity vs Hurl: {flows_n} flows × 4 requests, {pairs} interleaved pairs per cell, one mock"
    );
    let mut rows = Vec::new();
    for variant in ["run-only", "compare"] {
        for jobs in JOBS {
            let mut ratios = Vec::new();
            let (mut a_wall, mut h_wall, mut a_rss, mut h_rss) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            // CPU seconds of each run, the tool's own and the mock's while it ran: steadier
            // than wall time on a shared machine, and they say what the wall ratio is made of.
            let (mut a_cpu, mut h_cpu, mut mock_cpu, mut cpu_ratios) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let with_mock_cpu = |f: &dyn Fn() -> Finished| {
                let before = mock.cpu();
                let done = f();
                (done, (mock.cpu() - before).as_secs_f64())
            };
            for p in 0..pairs {
                let run_a = || {
                    with_mock_cpu(&|| {
                        checked(
                            "apiparity run",
                            run_measured(&mut apiparity_cmd(&flows, variant, &base, jobs, false)),
                        )
                    })
                };
                let (a, h) = match &hurl {
                    None => (run_a(), None),
                    Some(hp) => {
                        let run_h = || {
                            with_mock_cpu(&|| {
                                checked(
                                    "hurl",
                                    run_measured(&mut hurl_cmd(hp, &flows, &base, jobs)),
                                )
                            })
                        };
                        if p % 2 == 0 {
                            let a = run_a();
                            (a, Some(run_h()))
                        } else {
                            let h = run_h();
                            (run_a(), Some(h))
                        }
                    }
                };
                let ((a, a_mock), h) = (a, h);
                a_wall.push(a.wall.as_secs_f64());
                a_rss.push(a.max_rss_kib as f64);
                a_cpu.push(a.cpu.as_secs_f64());
                mock_cpu.push(a_mock);
                if let Some((h, h_mock)) = h {
                    h_wall.push(h.wall.as_secs_f64());
                    h_rss.push(h.max_rss_kib as f64);
                    h_cpu.push(h.cpu.as_secs_f64());
                    mock_cpu.push(h_mock);
                    ratios.push(a.wall.as_secs_f64() / h.wall.as_secs_f64());
                    cpu_ratios
                        .push((a.cpu.as_secs_f64() + a_mock) / (h.cpu.as_secs_f64() + h_mock));
                }
            }
            let label = if variant == "run-only" {
                "run only"
            } else {
                "run + compare with snapshots"
            };
            let fmt_ratio = |v: &[f64]| {
                if v.is_empty() {
                    "—".to_string()
                } else {
                    format!("{:.2}", median(v))
                }
            };
            let rss_ratio = if h_rss.is_empty() {
                "—".to_string()
            } else {
                format!("{:.2}", median(&a_rss) / median(&h_rss))
            };
            let row = vec![
                label.to_string(),
                jobs.to_string(),
                format!("{:.3}", median(&a_wall)),
                if h_wall.is_empty() {
                    "—".into()
                } else {
                    format!("{:.3}", median(&h_wall))
                },
                fmt_ratio(&ratios),
                "≤ 0.50".into(),
                format!("{:.0}", mib(median(&a_rss) as u64)),
                if h_rss.is_empty() {
                    "—".into()
                } else {
                    format!("{:.0}", mib(median(&h_rss) as u64))
                },
                rss_ratio,
                "≤ 1.00".into(),
                format!("{:.2}", median(&a_cpu)),
                if h_cpu.is_empty() {
                    "—".into()
                } else {
                    format!("{:.2}", median(&h_cpu))
                },
                format!("{:.2}", median(&mock_cpu)),
                fmt_ratio(&cpu_ratios),
            ];
            println!("{}", row.join("  "));
            rows.push(row);
        }
    }
    let hurl_version = hurl
        .as_ref()
        .and_then(|h| Command::new(h).arg("--version").output().ok())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "not installed: Hurl columns empty".into());
    let text = format!(
        "{flows_n} flows × 4 requests (customer, invoice, finalize, retrieve), both tools against one \
`apiparity mock` on loopback; {hurl_version}. Wall time and peak RSS (ru_maxrss) of the whole \
process; medians of {pairs} interleaved pairs per row (ratio = median of per-pair ratios). CPU \
is user + system seconds per run: each tool's own, and the mock's while the run lasted (from \
`/proc`); the last column is (tool + mock) CPU, apiparity's over Hurl's — what the wall ratio \
tends to once both tools keep the two cores busy, and steadier than it on a shared machine.\n\n{}",
        support::table(
            &[
                "variant",
                "jobs",
                "apiparity s",
                "Hurl s",
                "wall apiparity/Hurl",
                "goal",
                "apiparity MiB",
                "Hurl MiB",
                "RSS apiparity/Hurl",
                "goal",
                "apiparity CPU s",
                "Hurl CPU s",
                "mock CPU s",
                "CPU (tool + mock) apiparity/Hurl",
            ],
            &rows,
        )
    );
    support::write_section("hurl", &text);
    drop(mock);
}
