//! Reports built the way a run builds them (`report::build` over a `SuiteRun` and its snapshot
//! comparisons), without a target: shared by the baseline and HTML tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use apiparity::diff;
use apiparity::pipeline::Finished;
use apiparity::report::{self, BuildContext, Report, TargetInfo};
use apiparity::run::{
    Body, ExpectFailure, Expectation, Outcome, Response, ScenarioRun, SentRequest, StepRun,
    SuiteRun, TargetKind, TransportError,
};
use apiparity::scenario::Scenario;
use apiparity::secret::Redactor;
use apiparity::snapshot::{Meta, StepComparison, Verdict};
use apiparity::verdict::{self, Baseline, Policy};

pub fn scenario(key: &str) -> Arc<Scenario> {
    Arc::new(Scenario {
        file: PathBuf::from(format!("scenarios/{key}.yaml")),
        key: key.to_string(),
        name: key.to_string(),
        description: format!("the {key} flow"),
        tags: vec![],
        stripe_version: None,
        reference: None,
        vars: vec![],
        normalize: None,
        as_of: None,
        account: Default::default(),
        continue_on_failure: false,
        source: "".into(),
        steps: vec![],
        teardown: vec![],
    })
}

/// What happened at one step, and what its snapshot says.
pub enum Step {
    /// Responded; compared with `expected` (the snapshot's status and body).
    Compared {
        id: &'static str,
        status: u16,
        body: Value,
        expected_status: u16,
        expected: Value,
    },
    /// Responded; not compared (`snapshot: false`).
    Setup {
        id: &'static str,
        body: Value,
    },
    /// Responded with a failed expectation.
    Failed {
        id: &'static str,
        status: u16,
        message: &'static str,
    },
    /// No response.
    TransportError {
        id: &'static str,
    },
    Skipped {
        id: &'static str,
    },
}

pub struct Flow {
    pub key: &'static str,
    pub steps: Vec<Step>,
}

fn request(id: &str) -> SentRequest {
    SentRequest {
        method: "POST".into(),
        path: format!("/v1/invoices/in_1/{id}"),
        query: vec![],
        form: vec![],
        headers: vec![],
        auth: "bearer".into(),
    }
}

fn step_run(index: usize, id: &str, outcome: Outcome, failures: Vec<ExpectFailure>) -> StepRun {
    StepRun {
        id: id.to_string(),
        index,
        teardown: false,
        compare: true,
        request: request(id),
        outcome,
        attempts: 1,
        duration: Duration::from_millis(3),
        failures,
    }
}

fn response(status: u16, body: Value) -> Outcome {
    Outcome::Response(Response {
        status,
        headers: vec![],
        body: Body::Json(body),
        duplicate_keys: vec![],
    })
}

fn meta(key: &str, id: &str) -> Option<Meta> {
    Some(Meta {
        scenario: key.to_string(),
        step: id.to_string(),
        source: "recorded from Stripe test mode on 2025-04-01".into(),
        stripe_version: "2025-03-31.basil".into(),
        recorded_at: "2025-04-01T10:00:00Z".into(),
    })
}

/// Builds the report exactly as a run does (no baseline).
pub fn build(flows: &[Flow], additive_fails: bool) -> Report {
    judge(flows, additive_fails, None).report
}

/// Decides the verdicts (with `baseline`, if any) and builds the report, exactly as a run does.
pub fn judge(flows: &[Flow], additive_fails: bool, baseline: Option<&Baseline>) -> Finished {
    let mut runs = Vec::new();
    let mut comparisons = Vec::new();
    for flow in flows {
        let mut steps = Vec::new();
        let mut cmps = Vec::new();
        for (pos, st) in flow.steps.iter().enumerate() {
            let index = pos + 1;
            let file = PathBuf::from(format!("snapshots/{}/{index:02}-x.json", flow.key));
            match st {
                Step::Compared {
                    id,
                    status,
                    body,
                    expected_status,
                    expected,
                } => {
                    steps.push(step_run(index, id, response(*status, body.clone()), vec![]));
                    let differences = diff::diff_response(
                        *expected_status,
                        expected,
                        *status,
                        body,
                        &apiparity::config::default_diff_options(),
                    );
                    let mut cmp = StepComparison {
                        position: pos,
                        verdict: if differences.is_empty() {
                            Verdict::Match
                        } else {
                            Verdict::Differs
                        },
                        file: file.with_file_name(format!("{index:02}-{id}.json")),
                        differences,
                        meta: meta(flow.key, id),
                        pending: None,
                        error: None,
                        fields: None,
                        patch: None,
                        unified: None,
                    };
                    cmp.settle(expected, body);
                    cmps.push(cmp);
                }
                Step::Setup { id, body } => {
                    steps.push(step_run(index, id, response(200, body.clone()), vec![]));
                    cmps.push(StepComparison {
                        position: pos,
                        verdict: Verdict::NotCompared,
                        file,
                        differences: vec![],
                        meta: None,
                        pending: None,
                        error: None,
                        fields: None,
                        patch: None,
                        unified: None,
                    });
                }
                Step::Failed {
                    id,
                    status,
                    message,
                } => {
                    let body = json!({"error": {"message": message}});
                    steps.push(step_run(
                        index,
                        id,
                        response(*status, body.clone()),
                        vec![ExpectFailure::new(Expectation::Status, None, *message)],
                    ));
                    cmps.push(StepComparison {
                        position: pos,
                        verdict: Verdict::NotCompared,
                        file,
                        differences: vec![],
                        meta: None,
                        pending: None,
                        error: None,
                        fields: None,
                        patch: None,
                        unified: None,
                    });
                }
                Step::TransportError { id } => steps.push(step_run(
                    index,
                    id,
                    Outcome::TransportError(TransportError::Connect("connection refused".into())),
                    vec![],
                )),
                Step::Skipped { id } => steps.push(step_run(
                    index,
                    id,
                    Outcome::Skipped("an earlier step failed".into()),
                    vec![],
                )),
            }
        }
        runs.push(ScenarioRun {
            scenario: scenario(flow.key),
            stripe_version: "2025-03-31.basil".into(),
            steps,
            duration: Duration::from_millis(10),
            masks: vec![],
            error: None,
        });
        comparisons.push(cmps);
    }
    let suite = SuiteRun {
        scenarios: runs,
        duration: Duration::from_millis(20),
        cut_short: None,
    };
    let policy = Policy { additive_fails };
    let verdicts = verdict::decide(&suite, &comparisons, &policy, baseline);
    let report = report::build(
        &suite,
        &comparisons,
        &verdicts,
        BuildContext {
            target: TargetInfo {
                kind: TargetKind::Custom,
                base_url: "http://127.0.0.1:8420".into(),
            },
            stripe_version: "2025-03-31.basil",
            snapshots: "snapshots",
            run_id: "ap20250401test",
            started_at: "2025-04-01T10:00:00Z".into(),
            policy,
            redactor: Redactor::new(),
        },
    );
    Finished {
        run: suite,
        verdicts,
        report,
    }
}

/// The reference invoice a snapshot holds.
pub fn invoice() -> Value {
    json!({
        "id": "in_1",
        "object": "invoice",
        "number": "<prefix_1>-0001",
        "status": "paid",
        "amount_due": 0,
        "lines": {"object": "list", "data": [{"id": "il_1", "amount": 0}]}
    })
}

/// A mock that lacks `number` and reports `open` where Stripe says `paid`.
pub fn mock_invoice() -> Value {
    let mut v = invoice();
    v.as_object_mut().map(|m| m.remove("number"));
    v["status"] = json!("open");
    v
}

/// The typical third-party-mock run: one flow with two known differences, one unsupported
/// route, one passing flow.
pub fn mock_flows() -> Vec<Flow> {
    vec![
        Flow {
            key: "finalize/zero-amount",
            steps: vec![
                Step::Setup {
                    id: "customer",
                    body: json!({"id": "cus_1"}),
                },
                Step::Compared {
                    id: "finalize",
                    status: 200,
                    body: mock_invoice(),
                    expected_status: 200,
                    expected: invoice(),
                },
            ],
        },
        Flow {
            key: "search/by-status",
            steps: vec![Step::Compared {
                id: "search",
                status: 404,
                body: json!({"error": {"message": "Unrecognized request URL"}}),
                expected_status: 200,
                expected: json!({"object": "search_result", "data": []}),
            }],
        },
        Flow {
            key: "void/open",
            steps: vec![Step::Compared {
                id: "void",
                status: 200,
                body: json!({"id": "in_1", "status": "void"}),
                expected_status: 200,
                expected: json!({"id": "in_1", "status": "void"}),
            }],
        },
    ]
}
