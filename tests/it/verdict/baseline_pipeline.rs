//! Baselines end to end: snapshots recorded from a reference target, then the real pipeline
//! (`pipeline::execute`) against a deviating local mock, with `--write-baseline` and
//! `--baseline` done the way the CLI does them (`from_report`, `load`, `apply`).

use crate::support::fake_stripe::{config, serve, write_scenarios, Variant};
use apiparity::baseline;
use apiparity::pipeline;
use apiparity::report::{self, Report};
use apiparity::snapshot::Mode;

async fn run(scenarios: &std::path::Path, snaps: &str, url: &str, mode: Mode) -> Report {
    let (mut cfg, planned) = config(scenarios, url, |s| s.snapshots = snaps.into());
    cfg.snapshot_mode = mode;
    pipeline::execute(&cfg, &planned)
        .await
        .unwrap_or_else(|e| panic!("pipeline: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_deviate_write_baseline_apply() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let snaps = dir.path().join("snapshots").display().to_string();
    let reference = serve(Variant::default()).await;
    let recorded = run(&scenarios, &snaps, &reference, Mode::Update).await;
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
    let r = run(&scenarios, &snaps, &mock, Mode::CompareReadOnly).await;
    assert_eq!(r.summary.exit_code, 1);
    assert_eq!(r.summary.differences, 2, "{}", report::terminal(&r, false));

    // --write-baseline FILE, then --baseline FILE: exit 0.
    let file = dir.path().join("mocks/test-mock.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, baseline::from_report(&r, "test mock")).unwrap();
    let b = baseline::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.deviations.len(), 2);
    assert!(b.check_scenarios(&["invoices/finalize"]).is_empty());
    let mut again = run(&scenarios, &snaps, &mock, Mode::CompareReadOnly).await;
    baseline::apply(&mut again, &b);
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
    let mut r = run(&scenarios, &snaps, &worse, Mode::CompareReadOnly).await;
    baseline::apply(&mut r, &b);
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
    let mut fixed = run(&scenarios, &snaps, &reference, Mode::CompareReadOnly).await;
    baseline::apply(&mut fixed, &b);
    assert_eq!(fixed.summary.scenarios_failed, 0);
    assert_eq!(fixed.summary.stale_baseline_entries, 2);
    assert_eq!(fixed.summary.exit_code, 1);
}
