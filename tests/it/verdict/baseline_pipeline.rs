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
