//! `apiparity report merge`: the report sets of a suite's partitions (`run --partition k/n`,
//! one per CI runner) combined into one, as if the suite had run at once. Every status was
//! decided by the partition that ran the scenario; merging adds the counts up and re-applies the
//! verdict stage's exit rule ([`crate::verdict::exit_code`]) to the sums. Two things need more
//! than a sum: a baseline entry for every scenario (`*`) is stale only if no partition used it,
//! and the scorecard's most frequent differences are recounted over every step.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::model::{frequencies, Report};
use crate::verdict::{self, Policy};

/// Why partition reports could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A report could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// A report is not a report.json apiparity wrote.
    #[error("{path}:{line}:{column}: not an apiparity report.json: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde_json said.
        message: String,
    },
    /// The reports do not belong to one suite run.
    #[error("{0}")]
    Mismatch(String),
}

/// `path` is a report directory (holding `report.json`) or a `report.json` itself.
pub fn read(path: &Path) -> Result<Report, MergeError> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|source| MergeError::Read {
        path: file.clone(),
        source,
    })?;
    let mut report: Report = serde_json::from_str(&text).map_err(|e| MergeError::Parse {
        path: file.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    report.policy = Policy {
        additive_fails: report.additive == "fail",
    };
    // The scenario text is not in report.json; failures render against their lines when the
    // file is where the run found it (CI merges in the same checkout).
    for s in &mut report.scenarios {
        if let Ok(source) = std::fs::read_to_string(&s.file) {
            s.source = source.into();
        }
    }
    Ok(report)
}

/// Combines partition reports (in any order) into one.
pub fn merge(parts: Vec<Report>) -> Result<Report, MergeError> {
    let mut parts = parts.into_iter();
    let Some(mut out) = parts.next() else {
        return Err(MergeError::Mismatch("no reports to merge".into()));
    };
    let rest: Vec<Report> = parts.collect();
    for r in &rest {
        for (what, a, b) in [
            ("Stripe-Version", &out.stripe_version, &r.stripe_version),
            ("snapshot tree", &out.snapshots, &r.snapshots),
            ("additive policy", &out.additive, &r.additive),
        ] {
            if a != b {
                return Err(MergeError::Mismatch(format!(
                    "the reports are not of one suite run: {what} `{a}` in one, `{b}` in another"
                )));
            }
        }
        if r.target.kind != out.target.kind {
            return Err(MergeError::Mismatch(format!(
                "the reports are not of one suite run: targets {:?} and {:?}",
                out.target.kind, r.target.kind
            )));
        }
        if r.baseline.as_ref().map(|b| &b.file) != out.baseline.as_ref().map(|b| &b.file) {
            return Err(MergeError::Mismatch(
                "the reports are not of one suite run: they were run with different baselines"
                    .into(),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for s in out
        .scenarios
        .iter()
        .chain(rest.iter().flat_map(|r| &r.scenarios))
    {
        if !seen.insert(s.key.as_str()) {
            return Err(MergeError::Mismatch(format!(
                "scenario `{}` is in more than one report: the partitions overlap (was one \
                 report given twice?)",
                s.key
            )));
        }
    }
    let mut urls: Vec<String> = vec![out.target.base_url.clone()];
    let mut run_ids = vec![out.run_id.clone()];
    for r in rest {
        if !urls.contains(&r.target.base_url) {
            urls.push(r.target.base_url.clone());
        }
        run_ids.push(r.run_id.clone());
        out.started_at = out.started_at.min(r.started_at.clone());
        // The partitions ran side by side: the suite took as long as the slowest.
        out.duration_ms = out.duration_ms.max(r.duration_ms);
        let (a, b) = (&mut out.summary, &r.summary);
        a.scenarios += b.scenarios;
        a.scenarios_passed += b.scenarios_passed;
        a.scenarios_failed += b.scenarios_failed;
        a.scenarios_not_run += b.scenarios_not_run;
        a.steps += b.steps;
        a.differences += b.differences;
        a.breaking += b.breaking;
        a.additive += b.additive;
        a.expectation_failures += b.expectation_failures;
        a.target_errors += b.target_errors;
        a.pending_snapshots += b.pending_snapshots;
        a.baselined += b.baselined;
        if a.cut_short.is_none() {
            a.cut_short.clone_from(&b.cut_short);
        }
        let (a, b) = (&mut out.scorecard, &r.scorecard);
        a.steps_compared += b.steps_compared;
        a.steps_matching += b.steps_matching;
        a.fields_compared += b.fields_compared;
        a.fields_matching += b.fields_matching;
        a.steps_unsupported += b.steps_unsupported;
        if let (Some(a), Some(b)) = (out.baseline.as_mut(), r.baseline.as_ref()) {
            a.accepted += b.accepted;
            a.todo_reasons = a.todo_reasons.max(b.todo_reasons);
            // An entry not run in the merged run was not run in any partition: at most the
            // fewest any partition had (exact when entries name scenarios, as they mostly do).
            a.not_run = a.not_run.min(b.not_run);
            // An entry for one scenario is judged where that scenario ran; an entry for every
            // scenario is stale only if it was stale everywhere.
            let everywhere: Vec<&str> = b
                .stale
                .iter()
                .filter(|e| e.scenario == "*")
                .map(|e| e.location.as_str())
                .collect();
            a.stale
                .retain(|e| e.scenario != "*" || everywhere.contains(&e.location.as_str()));
            a.stale
                .extend(b.stale.iter().filter(|e| e.scenario != "*").cloned());
        }
        out.scenarios.extend(r.scenarios);
    }
    // Plan order: the suite's file order.
    out.scenarios
        .sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.key.cmp(&b.key)));
    out.target.base_url = urls.join(", ");
    out.run_id = run_ids.join(",");
    out.summary.stale_baseline_entries = out.baseline.as_ref().map_or(0, |b| b.stale.len());
    let scenario_errors = out.scenarios.iter().any(|s| s.error.is_some());
    out.summary.exit_code = verdict::exit_code(&out.summary, scenario_errors);
    let every = out.scenarios.iter().flat_map(|s| &s.steps).flat_map(|st| {
        st.differences
            .iter()
            .chain(st.baselined.iter().filter_map(|b| b.difference.as_ref()))
    });
    let (top, fields) = frequencies(every);
    out.scorecard.top_differences = top;
    out.scorecard.field_changes = fields;
    Ok(out)
}
