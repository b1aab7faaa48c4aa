//! The embedded mock is deterministic after normalization: learn-noise over the whole suite
//! suggests nothing, and two instances of it compare identical in differential mode.

use apiparity::config::{RunConfig, Settings, TargetSpec};
use apiparity::pipeline;
use apiparity::pipeline::differential::diff_targets;
use apiparity::pipeline::noise::learn_noise;
use apiparity::run::TargetKind;

/// `apiparity run scenarios` with the embedded mock as target (no base URL, no key).
fn suite() -> (RunConfig, Vec<pipeline::Planned>) {
    // Whatever the environment says (STRIPE_API_KEY, APIPARITY_BASE_URL), this is about the
    // embedded mock.
    let cfg = RunConfig::new(Settings {
        target: TargetSpec::EmbeddedMock,
        ..Settings::default()
    })
    .unwrap_or_else(|e| panic!("config: {e}"));
    let planned = pipeline::plan(&cfg)
        .unwrap_or_else(|e| panic!("plan: {e}"))
        .selected;
    assert!(
        planned.len() >= 10,
        "the suite has {} scenarios",
        planned.len()
    );
    (cfg, planned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learn_noise_against_the_embedded_mock_suggests_nothing() {
    let (cfg, planned) = suite();
    // The recorded suite's known gaps (mocks/embedded.yaml) fail the same way every run, which
    // learn-noise counts as unstable steps; its determinism is the next test's.
    let planned: Vec<_> = planned
        .into_iter()
        .filter(|p| !p.scenario.key.starts_with("recorded/"))
        .collect();
    let (target, server) = pipeline::start_target(&cfg.target)
        .await
        .expect("mock starts");
    assert_eq!(target.kind, TargetKind::EmbeddedMock);
    let report = learn_noise(&planned, target, &cfg, 3).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    assert_eq!(report.scenarios, planned.len());
    assert!(report.steps_compared > 100, "{}", report.steps_compared);
    assert!(report.target_errors.is_empty(), "{}", report.terminal());
    assert!(report.unstable_steps.is_empty(), "{}", report.terminal());
    assert!(report.fields.is_empty(), "{}", report.terminal());
    assert_eq!(report.exit_code(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_embedded_mocks_are_identical() {
    let (cfg, planned) = suite();
    let (left, a) = pipeline::start_target(&cfg.target)
        .await
        .expect("mock starts");
    let (right, b) = pipeline::start_target(&cfg.target)
        .await
        .expect("mock starts");
    assert_ne!(left.base_url, right.base_url);
    let report = diff_targets(&planned, left, right, &cfg).await;
    for s in [a, b].into_iter().flatten() {
        s.shutdown().await;
    }
    assert_eq!(report.exit_code(), 0, "{}", report.terminal(false));
    assert_eq!(report.summary.scenarios_identical, planned.len());
    assert_eq!(
        report.summary.steps_identical,
        report.summary.steps_compared
    );
}
