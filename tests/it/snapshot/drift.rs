//! The worked drift example: the seed-000 scenarios run at the pre-basil version against the
//! default (basil) snapshots must report exactly the field changes the seeds show — the 12
//! fields basil removed and the 3 it added on the invoice (derived here from the seed files
//! themselves), and the line-item changes reference §3.5 lists for the same release — and
//! nothing else: no value, type or status change.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use apiparity::config::RunConfig;
use apiparity::diff::DiffKind;
use apiparity::pipeline;
use apiparity::snapshot;
use apiparity::version::PRE_BASIL_STRIPE_VERSION;

fn seed_keys(name: &str, pointer: &str) -> BTreeSet<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/normalize_seeds")
        .join(name);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).expect("seed")).expect("json");
    v.pointer(pointer)
        .and_then(Value::as_object)
        .expect("object")
        .keys()
        .cloned()
        .collect()
}

/// `/data/3/lines/data/0/price` → `lines.price`; `/paid` → `paid`.
fn field(pointer: &str) -> String {
    let parts: Vec<&str> = pointer
        .split('/')
        .filter(|p| !p.is_empty() && p.parse::<usize>().is_err())
        .collect();
    let parts: Vec<&str> = match parts.as_slice() {
        ["data", rest @ ..] => rest.to_vec(),
        other => other.to_vec(),
    };
    parts
        .iter()
        .filter(|p| **p != "data")
        .copied()
        .collect::<Vec<_>>()
        .join(".")
}

#[test]
fn old_version_against_basil_snapshots_reports_the_seed_field_changes_and_nothing_else() {
    let mut cfg = RunConfig::new(apiparity::config::Settings::from_env().expect("environment"))
        .expect("config");
    cfg.target = apiparity::config::TargetChoice::EmbeddedMock;
    cfg.stripe_version = PRE_BASIL_STRIPE_VERSION.to_string();
    cfg.snapshot_mode = snapshot::Mode::CompareReadOnly;
    cfg.tags = vec!["seed-000".into()];
    let planned = pipeline::plan(&cfg).expect("scenarios").selected;
    assert!(planned.len() >= 4, "the seed-000 scenarios");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let rep = rt.block_on(async {
        let (target, server) = pipeline::start_target(&cfg.target).await.expect("mock");
        let rep = pipeline::run_against(&cfg, &planned, &target, "drift", None)
            .await
            .expect("run")
            .report;
        if let Some(s) = server {
            s.shutdown().await;
        }
        rep
    });
    assert_eq!(rep.summary.exit_code, 1, "drift fails the run");
    assert_eq!(
        rep.summary.expectation_failures, 0,
        "the scenarios hold at both versions"
    );

    let mut removed_in_basil = BTreeSet::new(); // present at the old version: `unexpected`
    let mut added_in_basil = BTreeSet::new(); // only in the basil snapshots: `missing`
    let mut other = Vec::new();
    for s in &rep.scenarios {
        for st in &s.steps {
            for d in &st.differences {
                match d.kind {
                    DiffKind::Unexpected => {
                        removed_in_basil.insert(field(&d.pointer));
                    }
                    DiffKind::Missing => {
                        added_in_basil.insert(field(&d.pointer));
                    }
                    _ => other.push(format!(
                        "{} {}#{} {}",
                        d.kind.as_str(),
                        s.key,
                        st.id,
                        d.pointer
                    )),
                }
            }
        }
    }
    assert!(other.is_empty(), "only field-set changes, got: {other:#?}");

    let old = seed_keys("000-finalize.json", "");
    let new = seed_keys("001-finalize.json", "");
    let invoice_removed: BTreeSet<String> = old.difference(&new).cloned().collect();
    let invoice_added: BTreeSet<String> = new.difference(&old).cloned().collect();
    assert_eq!(invoice_removed.len(), 12);
    assert_eq!(invoice_added.len(), 3);

    // Line items (reference §3.5, "Line-item shape also changed in basil [V]").
    let old_line = seed_keys("000-mark_uncollectible.json", "/lines/data/0");
    let line_removed_by_basil = [
        "amount_excluding_tax",
        "unit_amount_excluding_tax",
        "invoice_item",
        "price",
        "plan",
        "proration",
        "proration_details",
        "subscription_item",
        "tax_amounts",
        "tax_rates",
        "type",
    ];
    let line_added_by_basil = [
        "parent",
        "pricing",
        "taxes",
        "pretax_credit_amounts",
        "subtotal",
        "invoice",
    ];
    let expected_removed: BTreeSet<String> = invoice_removed
        .iter()
        .cloned()
        .chain(
            line_removed_by_basil
                .iter()
                .filter(|f| old_line.contains(**f))
                .map(|f| format!("lines.{f}")),
        )
        .collect();
    let expected_added: BTreeSet<String> = invoice_added
        .iter()
        .cloned()
        .chain(line_added_by_basil.iter().map(|f| format!("lines.{f}")))
        .collect();
    assert_eq!(removed_in_basil, expected_removed);
    assert_eq!(added_in_basil, expected_added);
}
