//! How every format shows a pointer, a value in a line, and a failed expectation against its
//! scenario line (the truncation itself is `diff::shorten`, the one copy, which the baseline
//! writer uses too).

use std::path::Path;

use serde_json::Value;

use crate::input::diag::Diagnostic;
use crate::run::ExpectFailure;

use super::model::{ScenarioReport, StepReport};

/// How many of a step's failed expectations are shown against their lines; the rest get a
/// line each.
pub const SNIPPETS: usize = 5;

/// The snippets of a step's first [`SNIPPETS`] failures without color, rendered on first use
/// and shared: the terminal (when not colored) and summary.md show the same ones, and
/// rendering them was a tenth of a default run's report time.
pub fn plain_snippets<'a>(sc: &ScenarioReport, st: &'a StepReport) -> &'a [Option<String>] {
    st.plain_snippets.get_or_init(|| {
        st.failures
            .iter()
            .take(SNIPPETS)
            .map(|f| failure_snippet(&sc.file, &sc.source, f, false))
            .collect()
    })
}

/// A JSON pointer as shown: the root (`""`) reads `(root)`.
pub fn display_pointer(p: &str) -> &str {
    if p.is_empty() {
        "(root)"
    } else {
        p
    }
}

/// A value in one line, cut to `max` characters; a value that is not there reads `(absent)`.
pub fn value_or_absent(v: Option<&Value>, max: usize) -> String {
    v.map(|v| crate::diff::abbreviate(v, max))
        .unwrap_or_else(|| "(absent)".into())
}

/// A failed expectation rendered rustc-style against the scenario line that states it, the way
/// scenario-file errors are; `None` when the failure has no position (or the line is gone).
pub fn failure_snippet(
    file: &Path,
    source: &str,
    f: &ExpectFailure,
    color: bool,
) -> Option<String> {
    let span = f.span?;
    source.lines().nth(span.line.checked_sub(1)?)?;
    let d = Diagnostic::new(file, span, f.message.as_str()).label(f.what.as_str());
    Some(d.render(Some(source), color))
}

/// One line of the "failing steps" table every file format opens with: what failed, where,
/// expected against actual.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureRow {
    /// Position of the scenario in the report (for links).
    pub scenario_index: usize,
    /// The scenario key.
    pub scenario: String,
    /// The step's 1-based index.
    pub step_index: usize,
    /// The step id.
    pub step: String,
    /// The step's status (`differ`, `fail`, `error`, …, or `warn` for a teardown).
    pub status: &'static str,
    /// A JSON pointer, or what kind of failure it is (`status`, `body`, `target error`).
    pub pointer: String,
    /// What was expected (one line).
    pub expected: String,
    /// What came (one line).
    pub actual: String,
}

/// The failing steps of a run, one row per difference or failure, in report order; teardown
/// warnings after them. At most `max` rows; the second value says how many were left out.
pub fn failure_rows(r: &super::Report, max: usize) -> (Vec<FailureRow>, usize) {
    let mut rows = Vec::new();
    let mut warn_rows = Vec::new();
    for (si, sc) in r.scenarios.iter().enumerate() {
        if let Some(e) = &sc.error {
            rows.push(FailureRow {
                scenario_index: si,
                scenario: sc.key.clone(),
                step_index: 0,
                step: "(scenario)".into(),
                status: sc.status.as_str(),
                pointer: "scenario error".into(),
                expected: "—".into(),
                actual: e.clone(),
            });
        }
        for st in &sc.steps {
            let teardown_warning = st.teardown && st.status == super::Status::Warn;
            if !st.status.is_failure() && !teardown_warning {
                continue;
            }
            let row = |pointer: String, expected: String, actual: String| FailureRow {
                scenario_index: si,
                scenario: sc.key.clone(),
                step_index: st.index,
                step: st.id.clone(),
                status: st.status.as_str(),
                pointer,
                expected,
                actual,
            };
            let target = if teardown_warning {
                &mut warn_rows
            } else {
                &mut rows
            };
            let before = target.len();
            if let Some(e) = &st.transport_error {
                target.push(row("target error".into(), "a response".into(), e.clone()));
            }
            for f in &st.failures {
                target.push(row(
                    f.what.as_str().to_string(),
                    "—".into(),
                    f.message.clone(),
                ));
            }
            for d in &st.differences {
                target.push(row(
                    display_pointer(&d.pointer).to_string(),
                    value_or_absent(d.expected.as_ref(), 80),
                    value_or_absent(d.actual.as_ref(), 80),
                ));
            }
            if target.len() == before {
                // No detail of its own (no snapshot yet, a refused step, a teardown's 4xx).
                let actual = match (&st.target_said, st.http_status) {
                    (Some(said), Some(h)) => format!("HTTP {h}: {said}"),
                    (None, Some(h)) => format!("HTTP {h}"),
                    _ => st.status.as_str().to_string(),
                };
                let expected = if st.verdict == Some(crate::snapshot::Verdict::Missing) {
                    "a snapshot (none yet)".to_string()
                } else if teardown_warning {
                    "a 2xx teardown".to_string()
                } else {
                    "—".to_string()
                };
                target.push(row("(step)".into(), expected, actual));
            }
        }
    }
    rows.extend(warn_rows);
    let left_out = rows.len().saturating_sub(max);
    rows.truncate(max);
    (rows, left_out)
}

/// A failing scenario's details as plain text (junit.xml's failure body): per listed step, the
/// request, what the target said, each failure and difference, and the unified diff.
pub fn plain_details(sc: &super::ScenarioReport) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    if let Some(e) = &sc.error {
        let _ = writeln!(o, "scenario error: {e}");
    }
    for st in sc.steps.iter().filter(|s| s.is_listed()) {
        let _ = writeln!(
            o,
            "step {:02}-{}{}: {}",
            st.index,
            st.id,
            if st.teardown { " (teardown)" } else { "" },
            st.status.as_str()
        );
        let _ = writeln!(
            o,
            "  request: {} {}{}",
            st.method,
            st.url,
            st.http_status
                .map(|h| format!(" -> HTTP {h}"))
                .unwrap_or_default()
        );
        if let Some(said) = &st.target_said {
            let _ = writeln!(o, "  target said: {said}");
        }
        if let Some(e) = &st.transport_error {
            let _ = writeln!(o, "  target error: {e} (after {} attempts)", st.attempts);
        }
        for f in &st.failures {
            let _ = writeln!(
                o,
                "  expectation failed ({}): {}",
                f.what.as_str(),
                f.message
            );
        }
        for d in &st.differences {
            let _ = writeln!(
                o,
                "  {} {}: expected {}, actual {}",
                d.kind.as_str(),
                display_pointer(&d.pointer),
                value_or_absent(d.expected.as_ref(), 120),
                value_or_absent(d.actual.as_ref(), 120)
            );
        }
        if let (Some(f), Some(p)) = (&st.snapshot, &st.provenance) {
            let _ = writeln!(
                o,
                "  snapshot {}: {} (Stripe-Version {})",
                f.display(),
                p.source,
                p.stripe_version
            );
        }
        if let Some(u) = &st.unified {
            for line in u.lines() {
                let _ = writeln!(o, "    {line}");
            }
        }
    }
    o
}
