//! `apiparity diff`: the same scenarios against two live local targets, through the real
//! loader, runner and normalizer.

use crate::support::fake_stripe::{closed_port, config, serve, write_scenarios, Variant};
use apiparity::pipeline::differential::{diff_targets, Status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_targets_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let left = serve(Variant::default()).await;
    let right = serve(Variant::default()).await;
    let (cfg, planned) = config(&scenarios, &left, |_| {});
    let report = diff_targets(
        &planned,
        cfg.target.target().cloned().unwrap(),
        target(&scenarios, &right),
        &cfg,
    )
    .await;
    assert_eq!(report.exit_code(), 0, "{}", report.terminal(false));
    assert_eq!(report.summary.steps_compared, 2);
    assert_eq!(report.summary.steps_identical, 2);
    assert_eq!(report.scenarios[0].status, Status::Identical);
    // Each side ran with its own run id.
    assert_ne!(report.left.run_id, report.right.run_id);
}

/// The target `--base-url URL` resolves to.
fn target(scenarios: &std::path::Path, url: &str) -> apiparity::run::Target {
    config(scenarios, url, |_| {})
        .0
        .target
        .target()
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deviating_target_exits_1_with_each_difference() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let left = serve(Variant::default()).await;
    let right = serve(Variant {
        finalized_status: Some("draft"),
        no_number: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &left, |_| {});
    let report = diff_targets(
        &planned,
        cfg.target.target().cloned().unwrap(),
        target(&scenarios, &right),
        &cfg,
    )
    .await;
    assert_eq!(report.exit_code(), 1, "{}", report.terminal(false));
    let sc = &report.scenarios[0];
    assert_eq!(sc.key, "invoices/finalize");
    assert_eq!(sc.status, Status::Differ);
    assert_eq!(sc.steps[0].status, Status::Identical, "create is the same");
    let fin = &sc.steps[1];
    assert_eq!(fin.status, Status::Differ);
    let found: Vec<(String, String)> = fin
        .differences
        .iter()
        .map(|d| (d.pointer.clone(), d.kind.to_string()))
        .collect();
    assert_eq!(
        found,
        [
            ("/status".to_string(), "value_changed".to_string()),
            ("/number".to_string(), "type_changed".to_string())
        ]
    );
    assert_eq!(fin.differences[0].expected, Some(serde_json::json!("open")));
    assert_eq!(fin.differences[0].actual, Some(serde_json::json!("draft")));
    // Both renderings carry it.
    let text = report.terminal(false);
    assert!(
        text.contains("value_changed /status: left \"open\", right \"draft\""),
        "{text}"
    );
    assert!(text.contains("1 differ"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["summary"]["exit_code"], 1);
    assert_eq!(
        json["scenarios"][0]["steps"][1]["differences"][0]["pointer"],
        "/status"
    );
    // Ids and timestamps are normalized per side: they never show up as differences.
    assert!(!text.contains("/id"), "{text}");
    assert!(!text.contains("/created"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let left = serve(Variant::default()).await;
    let right = closed_port();
    let (cfg, planned) = config(&scenarios, &left, |_| {});
    let report = diff_targets(
        &planned,
        cfg.target.target().cloned().unwrap(),
        target(&scenarios, &right),
        &cfg,
    )
    .await;
    assert_eq!(report.exit_code(), 2, "{}", report.terminal(false));
    assert_eq!(report.scenarios[0].status, Status::Error);
    let text = report.terminal(false);
    assert!(
        text.contains("right transport error: could not connect"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_sent_on_one_side_only_is_a_difference() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let left = serve(Variant::default()).await;
    let right = serve(Variant {
        create_fails: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &left, |_| {});
    let report = diff_targets(
        &planned,
        cfg.target.target().cloned().unwrap(),
        target(&scenarios, &right),
        &cfg,
    )
    .await;
    // A 500 is an answer, not a target error: the targets differ.
    assert_eq!(report.exit_code(), 1, "{}", report.terminal(false));
    let steps = &report.scenarios[0].steps;
    assert_eq!(steps[0].status, Status::Differ);
    assert_eq!(steps[0].differences[0].kind.as_str(), "status_changed");
    // The right side's expectations failed (status, and the capture of /id).
    let what: Vec<&str> = steps[0]
        .right
        .failures
        .iter()
        .map(|f| f.what.as_str())
        .collect();
    assert_eq!(what, ["status", "capture"]);
    assert_eq!(steps[1].status, Status::Differ);
    assert_eq!(steps[1].right.outcome, "skipped");
    let note = steps[1].note.as_deref().unwrap_or_default();
    assert_eq!(
        note,
        "sent on one side only (the other side stopped earlier)"
    );
    // Each step is printed once: the note does not repeat the step line's two sides.
    let term = report.terminal(false);
    let step_line = format!("step 02-{}", steps[1].id);
    let shown: Vec<&str> = term
        .lines()
        .filter(|l| l.contains("right skipped"))
        .collect();
    assert_eq!(
        shown.iter().filter(|l| l.contains(&step_line)).count(),
        1,
        "{term}"
    );
    assert!(shown.iter().all(|l| l.contains(" step ")), "{term}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_the_target_echoes_never_reaches_the_output() {
    const KEY: &str = "sk_test_diffFAKE0123";
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let left = serve(Variant::default()).await;
    let right = serve(Variant {
        echo_auth: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &left, |_| {});
    let mut r = target(&scenarios, &right);
    r.api_key = Some(apiparity::secret::Secret::new(KEY));
    let report = diff_targets(&planned, cfg.target.target().cloned().unwrap(), r, &cfg).await;
    assert_eq!(report.exit_code(), 1);
    let (json, text) = (report.to_json(), report.terminal(false));
    // The echo shows up (as a difference and a failed expectation), masked.
    assert!(json.contains("sk_test_…****"), "{json}");
    assert!(!json.contains("differentialFAKE"), "{json}");
    assert!(!text.contains("differentialFAKE"), "{text}");
}
