//! `apiparity learn-noise` against live local targets, through the real loader, runner and
//! normalizer: a field that changes on every call is suggested, a deterministic target gets
//! nothing, and the suggested snippet, merged into the rules, silences exactly that noise.

use std::path::Path;
use std::sync::Arc;

use crate::support::fake_stripe::{config, serve, write_scenarios, Variant};
use apiparity::pipeline::noise::{learn_noise, Suggestion};
use apiparity::pipeline::Planned;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_field_is_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let url = serve(Variant {
        random_nonce: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &url, |_| {});
    let report = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 2).await;
    assert!(report.target_errors.is_empty(), "{}", report.terminal());
    assert!(report.unstable_steps.is_empty(), "{}", report.terminal());
    assert_eq!(report.runs, 2);
    assert_eq!(report.steps_compared, 2);
    let selectors: Vec<&str> = report.fields.iter().map(|f| f.selector.as_str()).collect();
    assert_eq!(selectors, ["/nonce"], "{}", report.terminal());
    let f = &report.fields[0];
    assert_eq!(f.suggestion, Suggestion::Placeholder("<nonce>".into()));
    assert_eq!(
        f.steps,
        ["invoices/finalize#create", "invoices/finalize#finalize"]
    );
    assert_eq!(report.exit_code(), 1);
    let yaml = report.yaml();
    assert!(
        yaml.contains("normalize:\n  placeholders:\n    \"/nonce\": \"<nonce>\""),
        "{yaml}"
    );

    // The snippet is valid apiparity.yaml, and with it merged the noise is gone.
    let root = apiparity::input::yaml::parse(&yaml).unwrap().unwrap();
    let rules = cfg
        .rules
        .merged(root.get("normalize").unwrap(), Path::new("snippet.yaml"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let rules = Arc::new(rules);
    let planned: Vec<Planned> = planned
        .into_iter()
        .map(|p| Planned {
            scenario: p.scenario,
            rules: Arc::clone(&rules),
        })
        .collect();
    let again = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 3).await;
    assert!(again.fields.is_empty(), "{}", again.terminal());
    assert_eq!(again.exit_code(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deterministic_target_gets_no_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    // Ids and `created` still change on every call: the built-in rules handle those.
    let url = serve(Variant::default()).await;
    let (cfg, planned) = config(&scenarios, &url, |_| {});
    let report = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 3).await;
    assert_eq!(report.runs, 3);
    assert_eq!(report.steps_compared, 2);
    assert!(report.fields.is_empty(), "{}", report.terminal());
    assert_eq!(report.exit_code(), 0);
    assert!(report.yaml().contains("Nothing to suggest"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_noise_gets_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let url = serve(Variant {
        moving_timestamp: true,
        random_number: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &url, |_| {});
    let report = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 2).await;
    let got: Vec<(&str, &Suggestion)> = report
        .fields
        .iter()
        .map(|f| (f.selector.as_str(), &f.suggestion))
        .collect();
    assert_eq!(
        got,
        [
            ("/issued_at", &Suggestion::Timestamp),
            ("/sequence", &Suggestion::Ignore)
        ],
        "{}",
        report.terminal()
    );
    // Merged, the snippet silences both.
    let yaml = report.yaml();
    let root = apiparity::input::yaml::parse(&yaml).unwrap().unwrap();
    let rules = apiparity::config::default_rules()
        .merged(root.get("normalize").unwrap(), Path::new("s.yaml"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let mut cfg = cfg;
    cfg.diff = cfg
        .diff
        .merged(root.get("diff").unwrap(), Path::new("s.yaml"))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let rules = Arc::new(rules);
    let planned: Vec<Planned> = planned
        .into_iter()
        .map(|p| Planned {
            scenario: p.scenario,
            rules: Arc::clone(&rules),
        })
        .collect();
    let again = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 2).await;
    assert!(again.fields.is_empty(), "{}\n{yaml}", again.terminal());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_status_changes_is_unstable_not_learned() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = write_scenarios(dir.path());
    let url = serve(Variant {
        flaky_finalize: true,
        random_nonce: true,
        ..Variant::default()
    })
    .await;
    let (cfg, planned) = config(&scenarios, &url, |_| {});
    let report = learn_noise(&planned, cfg.target.target().cloned().unwrap(), &cfg, 2).await;
    assert_eq!(report.unstable_steps.len(), 1, "{}", report.terminal());
    let u = &report.unstable_steps[0];
    assert_eq!(u.step, "finalize");
    assert!(u.why.starts_with("run 2: expectation failed"), "{}", u.why);
    // Learned from the honest step only.
    assert_eq!(report.steps_compared, 1);
    assert_eq!(report.fields[0].steps, ["invoices/finalize#create"]);
    assert_eq!(report.exit_code(), 1);
}
