//! Known-deviation baselines over reports built as a run builds them: accepted differences
//! stop failing, new ones and stale entries fail, and a written baseline round-trips.

use std::path::Path;

use serde_json::json;

use crate::support::reports::{build, invoice, judge, mock_flows, Flow, Step};
use apiparity::report::{self, Status};
use apiparity::verdict::baseline::{self, Baseline};

fn parse(text: &str) -> Baseline {
    baseline::parse(text, Path::new("mocks/test.yaml"))
        .unwrap_or_else(|e| panic!("baseline should parse:\n{e}"))
}

const ALL_KNOWN: &str = r#"
target: localstripe
deviations:
  - scenario: finalize/zero-amount
    step: finalize
    pointer: /number
    kind: missing
    reason: localstripe numbers invoices only when asked
  - scenario: finalize/zero-amount
    step: finalize
    pointer: /status
    reason: localstripe leaves zero-amount invoices open
  - scenario: search/by-status
    step: search
    kind: unsupported
    reason: localstripe has no search
"#;

#[test]
fn a_run_whose_differences_are_all_baselined_exits_0() {
    let r = build(&mock_flows(), true);
    assert_eq!(r.summary.exit_code, 1, "without the baseline the run fails");
    // finalize: missing /number, /status changed; search: status, 2 missing, 1 unexpected.
    assert_eq!(r.summary.differences, 6, "{:#?}", r.summary);
    let r = judge(&mock_flows(), true, Some(&parse(ALL_KNOWN))).report;
    assert_eq!(r.summary.exit_code, 0, "{:#?}", r.summary);
    assert_eq!(r.summary.scenarios_failed, 0);
    assert_eq!(r.summary.differences, 0);
    assert_eq!(r.summary.stale_baseline_entries, 0);
    // 2 differences + the unsupported step and its 4 differences.
    assert_eq!(r.summary.baselined, 7, "{:#?}", r.scenarios);
    let b = r.baseline.as_ref().expect("baseline info");
    assert_eq!((b.entries, b.accepted, b.stale.len()), (3, 7, 0));
    let fin = &r.scenarios[0];
    assert_eq!(fin.status, Status::Baselined);
    let step = &fin.steps[1];
    assert_eq!(step.status, Status::Baselined);
    assert!(step.differences.is_empty());
    let reasons: Vec<&str> = step.baselined.iter().map(|b| b.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "localstripe numbers invoices only when asked",
            "localstripe leaves zero-amount invoices open"
        ]
    );
    assert_eq!(step.baselined[0].location, "mocks/test.yaml:4");
    let search = &r.scenarios[1].steps[0];
    assert_eq!(search.status, Status::Baselined);
    assert_eq!(search.baselined_status, Some(Status::Unsupported));
    // The scorecard still measures the target: baselining does not make it closer to Stripe.
    assert_eq!(r.scorecard.steps_unsupported, 1);
    assert_eq!(r.scorecard.steps_matching, 1);
    assert_eq!(r.scenarios[2].status, Status::Pass);
}

#[test]
fn a_new_difference_fails_the_run() {
    let mut flows = mock_flows();
    // The mock now also gets the amount wrong.
    if let Step::Compared { body, .. } = &mut flows[0].steps[1] {
        body["amount_due"] = json!(100);
    }
    let r = judge(&flows, true, Some(&parse(ALL_KNOWN))).report;
    assert_eq!(r.summary.exit_code, 1);
    assert_eq!(r.summary.differences, 1);
    let step = &r.scenarios[0].steps[1];
    assert_eq!(step.status, Status::Differ);
    assert_eq!(step.differences[0].pointer, "/amount_due");
    assert_eq!(step.baselined.len(), 2);
    assert_eq!(r.scenarios[0].status, Status::Differ);
    assert_eq!(r.summary.scenarios_failed, 1);
}

#[test]
fn a_baseline_entry_that_no_longer_occurs_fails_the_run() {
    let mut flows = mock_flows();
    // The mock learned to number invoices: the `/number` entry is stale.
    if let Step::Compared { body, .. } = &mut flows[0].steps[1] {
        body["number"] = invoice()["number"].clone();
    }
    let r = judge(&flows, true, Some(&parse(ALL_KNOWN))).report;
    assert_eq!(r.summary.exit_code, 1);
    assert_eq!(r.summary.scenarios_failed, 0, "every scenario is accepted");
    assert_eq!(r.summary.stale_baseline_entries, 1);
    let stale = &r.baseline.as_ref().unwrap().stale[0];
    assert_eq!(stale.location, "mocks/test.yaml:4");
    assert_eq!(stale.pointer.as_deref(), Some("/number"));
    assert_eq!(stale.kind.as_deref(), Some("missing"));
    // Every format says so.
    let term = report::terminal(&r, false);
    assert!(term.contains("STALE mocks/test.yaml:4"), "{term}");
    let dir = tempfile::tempdir().unwrap();
    report::write_all(&r, dir.path()).unwrap();
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert!(read("summary.md").contains("Stale entries"));
    assert!(read("summary.md").starts_with("# apiparity: ❌ stale baseline entries"));
    assert!(read("junit.xml").contains("stale_baseline_entry"));
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(
        json["baseline"]["stale"][0]["location"],
        "mocks/test.yaml:4"
    );
    assert_eq!(json["summary"]["exit_code"], 1);
    assert!(read("report.html").contains("mocks/test.yaml:4"));
    assert!(read("report.html").contains(">stale baseline entries</span>"));
}

#[test]
fn entries_for_scenarios_that_did_not_run_are_not_stale() {
    let flows: Vec<Flow> = mock_flows().into_iter().skip(2).collect();
    let r = judge(&flows, true, Some(&parse(ALL_KNOWN))).report;
    assert_eq!(r.summary.exit_code, 0);
    let b = r.baseline.as_ref().unwrap();
    assert_eq!((b.not_run, b.stale.len(), b.accepted), (3, 0, 0));
}

#[test]
fn written_baseline_then_applied_exits_0() {
    let text = judge(&mock_flows(), true, None).baseline_text("localstripe 1.15");
    assert!(text.contains("reason: TODO"), "{text}");
    assert!(text.contains("target: \"localstripe 1.15\""), "{text}");
    let b = parse(&text);
    // Two differences in finalize, one status entry for the unsupported search.
    assert_eq!(b.deviations.len(), 3, "{text}");
    let judged = judge(&mock_flows(), true, Some(&b));
    let again = &judged.report;
    assert_eq!(again.summary.exit_code, 0, "{:#?}\n{text}", again.baseline);
    assert_eq!(again.baseline.as_ref().unwrap().todo_reasons, 3);
    // Writing again from the baselined run gives the same entries.
    let text2 = judged.baseline_text("localstripe 1.15");
    assert_eq!(
        text.lines().skip(4).collect::<Vec<_>>(),
        text2.lines().skip(4).collect::<Vec<_>>()
    );
}

#[test]
fn written_baseline_quotes_what_yaml_would_misread() {
    let flows = vec![Flow {
        key: "odd/keys",
        steps: vec![Step::Compared {
            id: "get",
            status: 200,
            body: json!({"a~b": 2, "": {"#x": 1}, "yes": "y: z"}),
            expected_status: 201,
            expected: json!({"a~b": 1, "": {"#x": 2}, "yes": "y"}),
        }],
    }];
    let text = judge(&flows, true, None).baseline_text("it's: \"odd\"\nmock");
    let b = parse(&text);
    let pointers: Vec<Option<&str>> = b.deviations.iter().map(|d| d.pointer.as_deref()).collect();
    assert_eq!(
        pointers,
        [Some(""), Some("/a~0b"), Some("//#x"), Some("/yes")],
        "{text}"
    );
    assert_eq!(b.target, "it's: \"odd\"\nmock");
    let again = judge(&flows, true, Some(&b)).report;
    assert_eq!(again.summary.exit_code, 0, "{text}");
}

#[test]
fn status_entries_accept_fail_and_error_steps() {
    let flows = vec![
        Flow {
            key: "pay/card",
            steps: vec![
                Step::Failed {
                    id: "pay",
                    status: 400,
                    message: "expected status 200, got 400",
                },
                Step::Skipped { id: "retrieve" },
            ],
        },
        Flow {
            key: "void/paid",
            steps: vec![Step::TransportError { id: "void" }],
        },
    ];
    let r = build(&flows, true);
    assert_eq!(r.summary.exit_code, 2);
    let b = parse(
        "deviations:\n  - {scenario: pay/card, step: pay, kind: fail, reason: no card payments}\n  - {scenario: void/paid, step: '*', kind: error, reason: crashes on void}\n",
    );
    let r = judge(&flows, true, Some(&b)).report;
    assert_eq!(r.summary.exit_code, 0, "{:#?}", r.summary);
    assert_eq!(r.summary.expectation_failures, 0);
    assert_eq!(r.summary.target_errors, 0);
    assert_eq!(
        r.scenarios[1].steps[0].baselined_status,
        Some(Status::Error)
    );
    // A status entry does not accept a different status.
    let wrong =
        parse("deviations:\n  - {scenario: pay/card, step: pay, kind: unsupported, reason: x}\n");
    let r = judge(&flows, true, Some(&wrong)).report;
    assert_eq!(r.summary.exit_code, 2);
    assert_eq!(r.summary.stale_baseline_entries, 1);
}

#[test]
fn wildcards_in_pointers_scenarios_and_steps() {
    let flows = vec![Flow {
        key: "list/filters",
        steps: vec![Step::Compared {
            id: "list",
            status: 200,
            body: json!({"data": [{"id": "in_1", "x": 1}, {"id": "in_2", "x": 1}]}),
            expected_status: 200,
            expected: json!({"data": [{"id": "in_1"}, {"id": "in_2"}]}),
        }],
    }];
    let r = build(&flows, true);
    assert_eq!(r.summary.differences, 2);
    let r = judge(&flows, true, Some(&parse("deviations:\n  - {scenario: '*', step: '*', pointer: /data/*/x, kind: unexpected, reason: extra field}\n"))).report;
    assert_eq!(r.summary.exit_code, 0);
    assert_eq!(r.summary.baselined, 2);
    // `/data` alone is not a prefix match: the entry is stale and the differences stay.
    let r = judge(
        &flows,
        true,
        Some(&parse(
            "deviations:\n  - {scenario: list/filters, step: list, pointer: /data, reason: x}\n",
        )),
    )
    .report;
    assert_eq!(r.summary.differences, 2);
    assert_eq!(r.summary.stale_baseline_entries, 1);
}

#[test]
fn additive_warn_policy_is_kept_after_baselining() {
    let flows = vec![Flow {
        key: "create/draft",
        steps: vec![Step::Compared {
            id: "create",
            status: 200,
            body: json!({"id": "in_1", "status": "open", "extra": true}),
            expected_status: 200,
            expected: json!({"id": "in_1", "status": "draft"}),
        }],
    }];
    let r = build(&flows, false);
    assert_eq!(r.scenarios[0].steps[0].status, Status::Differ);
    let r = judge(&flows, false, Some(&parse("deviations:\n  - {scenario: create/draft, step: create, pointer: /status, kind: value_changed, reason: x}\n"))).report;
    // Only the additive `extra` remains, and the policy is warn.
    assert_eq!(r.scenarios[0].steps[0].status, Status::Warn);
    assert_eq!(r.summary.exit_code, 0);
}

#[test]
fn writing_from_a_baselined_run_keeps_reasons_and_drops_stale_entries() {
    let mut flows = mock_flows();
    // The mock learned to number invoices (the /number entry goes stale) but now also gets
    // the amount wrong (new).
    if let Step::Compared { body, .. } = &mut flows[0].steps[1] {
        body["number"] = invoice()["number"].clone();
        body["amount_due"] = json!(100);
    }
    let text = judge(&flows, true, Some(&parse(ALL_KNOWN))).baseline_text("localstripe");
    let b = parse(&text);
    let got: Vec<(Option<&str>, &str)> = b
        .deviations
        .iter()
        .map(|d| (d.pointer.as_deref(), d.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Some("/amount_due"), "TODO"),
            (
                Some("/status"),
                "localstripe leaves zero-amount invoices open"
            ),
            (None, "localstripe has no search"),
        ],
        "{text}"
    );
    let again = judge(&flows, true, Some(&b)).report;
    assert_eq!(again.summary.exit_code, 0, "{text}");
}
