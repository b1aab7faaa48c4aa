//! Baselines end to end: snapshots recorded from a reference target, then the real pipeline
//! (`pipeline::execute`) against a deviating local mock, with `--write-baseline` and
//! `--baseline` done the way the CLI does them (`baseline_text`, `load`, then the baseline
//! passed to the run).

use crate::support::fake_stripe::{config, serve, write_scenarios, Variant};
use apiparity::pipeline::{self, Finished};
use apiparity::report;
use apiparity::snapshot::Mode;
use apiparity::verdict::baseline;
use apiparity::verdict::Baseline;

async fn run(
    scenarios: &std::path::Path,
    snaps: &str,
    url: &str,
    mode: Mode,
    baseline: Option<&Baseline>,
) -> Finished {
    let (mut cfg, planned) = config(scenarios, url, |s| s.snapshots = snaps.into());
    cfg.snapshot_mode = mode;
    pipeline::execute(&cfg, &planned, baseline)
        .await
        .unwrap_or_else(|e| panic!("pipeline: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_deviate_write_baseline_apply() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let snaps = dir.path().join("snapshots").display().to_string();
    let reference = serve(Variant::default()).await;
    let recorded = run(&scenarios, &snaps, &reference, Mode::Update, None)
        .await
        .report;
    assert_eq!(
        recorded.summary.exit_code,
        0,
        "{}",
        report::terminal(&recorded, false)
    );

    // The mock never numbers invoices and leaves them in draft.
    let mock = serve(Variant {
        finalized_status: Some("draft"),
        no_number: true,
        ..Variant::default()
    })
    .await;
    let finished = run(&scenarios, &snaps, &mock, Mode::CompareReadOnly, None).await;
    let r = &finished.report;
    assert_eq!(r.summary.exit_code, 1);
    assert_eq!(r.summary.differences, 2, "{}", report::terminal(r, false));

    // --write-baseline FILE, then --baseline FILE: exit 0.
    let file = dir.path().join("mocks/test-mock.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, finished.baseline_text("test mock")).unwrap();
    let b = baseline::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.deviations.len(), 2);
    assert!(b.check_scenarios(&["invoices/finalize"]).is_empty());
    let again = run(&scenarios, &snaps, &mock, Mode::CompareReadOnly, Some(&b))
        .await
        .report;
    assert_eq!(
        again.summary.exit_code,
        0,
        "{}",
        report::terminal(&again, false)
    );
    assert_eq!(again.summary.baselined, 2);
    let out = dir.path().join("reports");
    report::write_all(&again, &out).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("known deviations accepted by the baseline"),
        "{md}"
    );
    let term = report::terminal(&again, false);
    assert!(term.contains("BASELINED invoices/finalize"), "{term}");
    assert!(
        term.contains("known: value_changed /status: TODO"),
        "{term}"
    );

    // A new deviation on top: exit 1, and only the new one is reported as a difference.
    let worse = serve(Variant {
        finalized_status: Some("draft"),
        no_number: true,
        random_nonce: true,
        ..Variant::default()
    })
    .await;
    let r = run(&scenarios, &snaps, &worse, Mode::CompareReadOnly, Some(&b))
        .await
        .report;
    assert_eq!(r.summary.exit_code, 1);
    let pointers: Vec<&str> = r
        .scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.differences)
        .map(|d| d.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        ["/nonce", "/nonce"],
        "{}",
        report::terminal(&r, false)
    );

    // The mock got fixed: both entries are stale, exit 1 until the baseline is trimmed.
    let fixed = run(
        &scenarios,
        &snaps,
        &reference,
        Mode::CompareReadOnly,
        Some(&b),
    )
    .await
    .report;
    assert_eq!(fixed.summary.scenarios_failed, 0);
    assert_eq!(fixed.summary.stale_baseline_entries, 2);
    assert_eq!(fixed.summary.exit_code, 1);
}

/// Every `.json.new` under `dir`.
fn pending_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(".json.new") {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baselined_deviation_proposes_no_new_reference() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let snaps_dir = dir.path().join("snapshots");
    let snaps = snaps_dir.display().to_string();
    let reference = serve(Variant::default()).await;
    run(&scenarios, &snaps, &reference, Mode::Update, None).await;
    let mock = serve(Variant {
        finalized_status: Some("draft"),
        no_number: true,
        ..Variant::default()
    })
    .await;

    // Without a baseline the differing step proposes its response for review.
    let first = run(&scenarios, &snaps, &mock, Mode::Compare, None).await;
    let proposed = pending_files(&snaps_dir);
    assert_eq!(proposed.len(), 1, "{proposed:?}");
    assert_eq!(first.report.summary.pending_snapshots, 1);
    let file = dir.path().join("mocks/test-mock.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, first.baseline_text("test mock")).unwrap();
    let b = baseline::load(&file).unwrap_or_else(|e| panic!("{e}"));

    // With every difference known: none, and the earlier proposal is withdrawn.
    let known = run(&scenarios, &snaps, &mock, Mode::Compare, Some(&b)).await;
    assert_eq!(known.report.summary.exit_code, 0);
    assert_eq!(known.report.summary.pending_snapshots, 0);
    assert_eq!(pending_files(&snaps_dir), Vec::<String>::new());

    // A difference the baseline does not know: that step proposes again, and only it.
    let worse = serve(Variant {
        finalized_status: Some("draft"),
        no_number: true,
        random_nonce: true,
        ..Variant::default()
    })
    .await;
    let r = run(&scenarios, &snaps, &worse, Mode::Compare, Some(&b)).await;
    assert_eq!(r.report.summary.exit_code, 1);
    let steps_with_differences = r
        .report
        .scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| !s.differences.is_empty())
        .count();
    assert_eq!(pending_files(&snaps_dir).len(), steps_with_differences);
    assert_eq!(r.report.summary.pending_snapshots, steps_with_differences);
}
