//! A failed assertion carries its scenario position and renders against the scenario line, in
//! the terminal and in summary.md, the way scenario-file errors do.

use apiparity::config::{RunConfig, Settings, TargetSpec};
use apiparity::pipeline;
use apiparity::report::{self, Style};
use apiparity::run::Expectation;
use apiparity::snapshot::Mode;

const SCENARIO: &str = "\
description: a list whose expectations are wrong on purpose
steps:
  - id: list
    request: {method: GET, path: /v1/invoices, auth: none}
    expect:
      status: 200
      body:
        /error/type: card_error
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_assertions_point_at_their_scenario_lines() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("wrong.yaml"), SCENARIO).unwrap();
    let mut cfg = RunConfig::new(Settings {
        paths: vec![scenarios.clone()],
        target: TargetSpec::EmbeddedMock,
        snapshots: dir.path().join("snapshots"),
        ..Settings::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    cfg.snapshot_mode = Mode::CompareReadOnly;
    let plan = pipeline::plan(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let finished = pipeline::execute(&cfg, &plan.selected, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &finished.report;
    let failures = &r.scenarios[0].steps[0].failures;
    let what: Vec<Expectation> = failures.iter().map(|f| f.what).collect();
    assert_eq!(what, [Expectation::Status, Expectation::Body]);
    let spans: Vec<String> = failures
        .iter()
        .map(|f| f.span.expect("a position").to_string())
        .collect();
    // `status:`'s value, and the assertion's pointer.
    assert_eq!(spans, ["6:15", "8:9"]);

    let term = report::to_terminal(r, &Style::default());
    let file = scenarios.join("wrong.yaml").display().to_string();
    assert!(
        term.contains(&format!("expected status 200, got 401 ({file}:6:15)")),
        "{term}"
    );
    assert!(term.contains("6 |       status: 200"), "{term}");
    assert!(
        term.contains("8 |         /error/type: card_error"),
        "{term}"
    );
    assert!(term.contains("^^^^^^^^^^^ body"), "{term}");

    let out = dir.path().join("reports");
    report::write_all(r, &out).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("  6 |       status: 200"), "{md}");
    assert!(md.contains("  ```text"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let f = &json["scenarios"][0]["steps"][0]["failures"][0];
    assert_eq!(
        (f["what"].as_str(), f["span"]["line"].as_u64()),
        (Some("status"), Some(6))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_five_failures_a_step_lists_the_rest_in_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    let mut src = String::from(
        "steps:\n  - id: list\n    request: {method: GET, path: /v1/invoices, auth: none}\n    expect:\n      body:\n",
    );
    for i in 0..7 {
        src.push_str(&format!("        /nope{i}: 1\n"));
    }
    std::fs::write(scenarios.join("many.yaml"), src).unwrap();
    let mut cfg = RunConfig::new(Settings {
        paths: vec![scenarios.clone()],
        target: TargetSpec::EmbeddedMock,
        snapshots: dir.path().join("snapshots"),
        ..Settings::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    cfg.snapshot_mode = Mode::CompareReadOnly;
    let plan = pipeline::plan(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let finished = pipeline::execute(&cfg, &plan.selected, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &finished.report;
    let term = report::to_terminal(r, &Style::default());
    assert_eq!(term.matches(" --> ").count(), 5, "{term}");
    assert!(
        term.contains("              /nope6: expected 1, but it is not present\n"),
        "{term}"
    );
    // summary.md shows the same five snippets, line for line, as the plain terminal (they are
    // rendered once for both); a colored terminal renders its own, five as well.
    let out = dir.path().join("reports");
    report::write_all(r, &out).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(md.matches(" --> ").count(), 5, "{md}");
    let snippet_lines = |text: &str, indent: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(indent))
            .filter(|l| l.contains(" | ") || l.contains(" --> "))
            .map(|l| l.trim_end().to_string())
            .collect()
    };
    assert_eq!(
        snippet_lines(&md, "  "),
        snippet_lines(&term, "              "),
        "{md}\n{term}"
    );
    let colored = report::to_terminal(r, &Style { color: true });
    assert_eq!(colored.matches("-->").count(), 5, "{colored}");
    assert!(colored.contains('\u{1b}'), "{colored}");
}
