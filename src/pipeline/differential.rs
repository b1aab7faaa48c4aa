//! Differential mode: the same scenarios against two targets, compared with each other step by
//! step, with no snapshots involved (`apiparity diff --left URL --right URL`). Entry points:
//! [`diff_targets`] (runs both sides) and [`compare_runs`] (compares two finished runs).
//!
//! Each side runs with its own run id and its own state, and is normalized with its own
//! [`crate::normalize::Normalizer`] (per scenario), so ids and timestamps become comparable
//! placeholders on both sides. Differences read `expected` = left, `actual` = right.
//!
//! What is compared per step: the HTTP status of every step that got a response on both sides,
//! and the bodies of the steps that are compared with snapshots in a normal run
//! (`expect.snapshot`, true by default for steps, false for teardown). A step sent on one side
//! only (the other stopped at an earlier failure) is a difference; a step with no response on a
//! side (timeout, connection refused) is a target error.
//!
//! Exit code: 0 identical, 1 any difference, 2 any target error.

use std::fmt::Write;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::config::RunConfig;
use crate::diff::{self, DiffKind, DiffOptions, Difference};
use crate::normalize::{self, NormalizedStep, Rules};
use crate::pipeline::Planned;
use crate::report::{display_pointer, value_or_absent};
use crate::run::{
    self, ExpectFailure, Outcome, ScenarioRun, StepRun, SuiteRun, Target, TargetKind,
};
use crate::scenario::Scenario;
use crate::secret::Redactor;

/// `apiparity diff`: the same scenarios on two targets, compared step by step.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `apiparity <version>`.
    pub tool: String,
    /// The left target (read as `expected`).
    pub left: Side,
    /// The right target (read as `actual`).
    pub right: Side,
    /// The counts and the exit code.
    pub summary: Summary,
    /// One per planned scenario.
    pub scenarios: Vec<ScenarioPair>,
    /// Scrubs the targets' keys from everything rendered (failure messages quote raw bodies).
    #[serde(skip)]
    pub redactor: Redactor,
}

/// One target of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The side's base URL.
    pub base_url: String,
    /// Stripe, the embedded mock, or another URL.
    pub kind: TargetKind,
    /// The side's run id.
    pub run_id: String,
    /// How long the side's run took.
    pub duration_ms: u128,
}

/// The counts of a differential run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Scenarios compared.
    pub scenarios: usize,
    /// Scenarios identical on both sides.
    pub scenarios_identical: usize,
    /// Scenarios with differences.
    pub scenarios_differ: usize,
    /// Scenarios with target errors.
    pub scenarios_error: usize,
    /// Steps with a response on both sides.
    pub steps_compared: usize,
    /// Compared steps without a difference.
    pub steps_identical: usize,
    /// Differences across every step.
    pub differences: usize,
    /// Steps without a response on a side, and scenarios that could not run.
    pub target_errors: usize,
    /// 0 identical, 1 differences, 2 target errors.
    pub exit_code: i32,
}

/// A scenario's or step's outcome in a differential run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The same on both sides after normalization.
    Identical,
    /// Different on the two sides.
    Differ,
    /// No response on a side (or the scenario could not run there).
    Error,
    /// Sent on neither side.
    Skipped,
}

impl Status {
    /// The status as the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Identical => "identical",
            Status::Differ => "differ",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}

/// One scenario on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioPair {
    /// The scenario key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its outcome.
    pub status: Status,
    /// Scenario-level errors, prefixed with the side (`left: internal error …`).
    pub errors: Vec<String>,
    /// Its steps, on both sides.
    pub steps: Vec<StepPair>,
}

/// One step on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct StepPair {
    /// 1-based position across steps and teardown.
    pub index: usize,
    /// The step id.
    pub id: String,
    /// Whether it is a teardown step.
    pub teardown: bool,
    /// The HTTP method.
    pub method: String,
    /// The path as sent on the left.
    pub path: String,
    /// Whether the bodies were compared (the step's `expect.snapshot`).
    pub bodies_compared: bool,
    /// Its outcome.
    pub status: Status,
    /// What happened on the left.
    pub left: SideStep,
    /// What happened on the right.
    pub right: SideStep,
    /// Left = expected, right = actual.
    pub differences: Vec<Difference>,
    /// Unified diff of the normalized bodies (`--- left`/`+++ right` in spirit; the text says
    /// expected/actual).
    pub unified: Option<String>,
    /// Why the step differs or errs when that is not a body difference.
    pub note: Option<String>,
}

/// What happened to a step on one side.
#[derive(Clone, Debug, Serialize)]
pub struct SideStep {
    /// `response`, `transport_error`, `skipped`, or `absent` (the scenario did not run).
    pub outcome: String,
    /// The response status, when a response arrived.
    pub http_status: Option<u16>,
    /// The transport error or the reason it was skipped.
    pub detail: Option<String>,
    /// Expectations that failed on this side (informative: the comparison is the verdict).
    pub failures: Vec<ExpectFailure>,
}

impl SideStep {
    fn of(step: Option<&StepRun>) -> SideStep {
        let Some(step) = step else {
            return SideStep {
                outcome: "absent".into(),
                http_status: None,
                detail: None,
                failures: vec![],
            };
        };
        let (outcome, http_status, detail) = match &step.outcome {
            Outcome::Response(r) => ("response", Some(r.status), None),
            Outcome::TransportError(e) => ("transport_error", None, Some(e.to_string())),
            Outcome::Skipped(why) => ("skipped", None, Some(why.clone())),
        };
        SideStep {
            outcome: outcome.into(),
            http_status,
            detail,
            failures: step.failures.clone(),
        }
    }
    fn describe(&self) -> String {
        match (self.outcome.as_str(), self.http_status, &self.detail) {
            ("response", Some(s), _) => format!("HTTP {s}"),
            (_, _, Some(d)) => format!("{}: {d}", self.outcome.replace('_', " ")),
            (o, _, None) => o.replace('_', " "),
        }
    }
}

/// Runs every scenario against both targets (concurrently: each side has its own run id, so
/// its own objects) and compares the two runs.
pub async fn diff_targets(
    planned: &[Planned],
    left: Target,
    right: Target,
    cfg: &RunConfig,
) -> Report {
    let scenarios = crate::pipeline::scenarios(planned);
    let (left_id, right_id) = (run::new_run_id(), run::new_run_id());
    let (ls, rs) = (cfg.session(&left, &left_id), cfg.session(&right, &right_id));
    let (left_run, right_run) =
        tokio::join!(run::run(&scenarios, &ls.run), run::run(&scenarios, &rs.run));
    let mut redactor = ls.redactor;
    redactor.merge(&rs.redactor);
    let side = |t: &Target, id: &str, run: &SuiteRun| Side {
        base_url: t.base_url.clone(),
        kind: t.kind,
        run_id: id.to_string(),
        duration_ms: run.duration.as_millis(),
    };
    compare_runs(
        planned,
        (side(&left, &left_id, &left_run), &left_run),
        (side(&right, &right_id, &right_run), &right_run),
        &cfg.diff,
        &redactor,
    )
}

/// Compares two runs of the planned scenarios (in plan order), normalizing each side on its
/// own with the scenario's rules.
pub fn compare_runs(
    planned: &[Planned],
    left: (Side, &SuiteRun),
    right: (Side, &SuiteRun),
    opts: &DiffOptions,
    redactor: &Redactor,
) -> Report {
    let (left_side, left_run) = left;
    let (right_side, right_run) = right;
    let mut scenarios = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let (l, r) = (left_run.scenarios.get(i), right_run.scenarios.get(i));
        scenarios.push(compare_scenario(
            &p.scenario,
            l,
            r,
            &p.rules,
            opts,
            redactor,
        ));
    }
    let mut summary = Summary::default();
    for sc in &scenarios {
        summary.scenarios += 1;
        match sc.status {
            Status::Identical | Status::Skipped => summary.scenarios_identical += 1,
            Status::Differ => summary.scenarios_differ += 1,
            Status::Error => summary.scenarios_error += 1,
        }
        summary.target_errors += sc.errors.len();
        for st in &sc.steps {
            summary.differences += st.differences.len();
            summary.target_errors += usize::from(st.status == Status::Error);
            if st.left.outcome == "response" && st.right.outcome == "response" {
                summary.steps_compared += 1;
                summary.steps_identical += usize::from(st.status == Status::Identical);
            }
        }
    }
    summary.exit_code = if summary.target_errors > 0 {
        2
    } else if summary.scenarios_differ > 0 {
        1
    } else {
        0
    };
    Report {
        tool: format!("apiparity {}", env!("CARGO_PKG_VERSION")),
        left: left_side,
        right: right_side,
        summary,
        scenarios,
        redactor: redactor.clone(),
    }
}

fn compare_scenario(
    scenario: &Scenario,
    l: Option<&ScenarioRun>,
    r: Option<&ScenarioRun>,
    rules: &Arc<Rules>,
    opts: &DiffOptions,
    redactor: &Redactor,
) -> ScenarioPair {
    let mut errors = Vec::new();
    for (name, side) in [("left", l), ("right", r)] {
        match side {
            None => errors.push(format!("{name}: the scenario did not run")),
            Some(s) => {
                if let Some(e) = &s.error {
                    errors.push(format!("{name}: {e}"));
                }
            }
        }
    }
    let norm = |s: Option<&ScenarioRun>| {
        s.map(|s| normalize::normalize_run(s, Arc::clone(rules), redactor).steps)
            .unwrap_or_default()
    };
    let (ln, rn) = (norm(l), norm(r));
    let lsteps = l.map(|s| s.steps.as_slice()).unwrap_or_default();
    let rsteps = r.map(|s| s.steps.as_slice()).unwrap_or_default();
    let mut steps = Vec::new();
    for p in 0..lsteps.len().max(rsteps.len()) {
        let (ls, rs) = (lsteps.get(p), rsteps.get(p));
        let Some(step) = ls.or(rs) else { continue };
        let find = |n: &[NormalizedStep]| n.iter().find(|x| x.position == p).cloned();
        steps.push(compare_step(step, ls, rs, find(&ln), find(&rn), opts));
    }
    let status = if !errors.is_empty() || steps.iter().any(|s| s.status == Status::Error) {
        Status::Error
    } else if steps.iter().any(|s| s.status == Status::Differ) {
        Status::Differ
    } else {
        Status::Identical
    };
    ScenarioPair {
        key: scenario.key.clone(),
        name: scenario.name.clone(),
        status,
        errors,
        steps,
    }
}

fn compare_step(
    step: &StepRun,
    l: Option<&StepRun>,
    r: Option<&StepRun>,
    ln: Option<NormalizedStep>,
    rn: Option<NormalizedStep>,
    opts: &DiffOptions,
) -> StepPair {
    let bodies_compared = l.or(r).is_some_and(|s| s.compare);
    let (left, right) = (SideStep::of(l), SideStep::of(r));
    let mut out = StepPair {
        index: step.index,
        id: step.id.clone(),
        teardown: step.teardown,
        method: step.request.method.clone(),
        path: step.request.path.clone(),
        bodies_compared,
        status: Status::Identical,
        left,
        right,
        differences: vec![],
        unified: None,
        note: None,
    };
    let errs = |s: &SideStep| matches!(s.outcome.as_str(), "transport_error" | "absent");
    if errs(&out.left) || errs(&out.right) {
        out.status = Status::Error;
        out.note = Some(format!(
            "left {}; right {}",
            out.left.describe(),
            out.right.describe()
        ));
        return out;
    }
    match (
        ln.as_ref().and_then(|n| n.status.map(|s| (s, &n.body))),
        rn.as_ref().and_then(|n| n.status.map(|s| (s, &n.body))),
    ) {
        (Some((ls, lb)), Some((rs, rb))) => {
            out.differences = if bodies_compared {
                diff::diff_response(ls, lb, rs, rb, opts)
            } else if ls != rs {
                vec![Difference {
                    pointer: String::new(),
                    kind: DiffKind::StatusChanged,
                    expected: Some(Value::from(ls)),
                    actual: Some(Value::from(rs)),
                }]
            } else {
                vec![]
            };
            if out
                .differences
                .iter()
                .any(|d| d.kind != DiffKind::StatusChanged)
            {
                let u = diff::unified(lb, rb, false);
                out.unified = (!u.is_empty()).then_some(u);
            }
            if !out.differences.is_empty() {
                out.status = Status::Differ;
            }
        }
        (None, None) => out.status = Status::Skipped,
        // Sent on one side only: the other stopped at an earlier failure.
        _ => {
            out.status = Status::Differ;
            // The step line already shows both sides; the note says only what it means.
            out.note = Some("sent on one side only (the other side stopped earlier)".to_string());
        }
    }
    out
}

impl Report {
    /// 0 identical, 1 differences, 2 target errors.
    pub fn exit_code(&self) -> i32 {
        self.summary.exit_code
    }

    /// Every result and difference, for machines.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {}}}", Value::String(e.to_string())));
        s.push('\n');
        self.redactor.scrub(s)
    }

    /// A line per scenario, the steps that differ with their differences (left vs right), and
    /// a summary. `color` adds ANSI styles (the caller decides, honouring NO_COLOR).
    pub fn terminal(&self, color: bool) -> String {
        use anstyle::{AnsiColor, Style};
        let paint = |style: Style, text: &str| {
            if color {
                format!("{style}{text}{style:#}")
            } else {
                text.to_string()
            }
        };
        let green = AnsiColor::Green.on_default();
        let red = AnsiColor::Red.on_default().bold();
        let yellow = AnsiColor::Yellow.on_default();
        let dim = Style::new().dimmed();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "left:  {} ({})\nright: {} ({})\n",
            self.left.base_url,
            kind_name(self.left.kind),
            self.right.base_url,
            kind_name(self.right.kind)
        );
        for sc in &self.scenarios {
            let (style, label) = match sc.status {
                Status::Identical | Status::Skipped => (green, "IDENTICAL"),
                Status::Differ => (red, "DIFFER"),
                Status::Error => (red, "ERROR"),
            };
            // Padded before painting: escape codes must not count as width.
            let _ = writeln!(o, "{} {}", paint(style, &format!("{label:>9}")), sc.key);
            for e in &sc.errors {
                let _ = writeln!(o, "          {e}");
            }
            for st in sc
                .steps
                .iter()
                .filter(|s| matches!(s.status, Status::Differ | Status::Error))
            {
                let _ = writeln!(
                    o,
                    "          step {:02}-{} {} {}: left {}, right {}",
                    st.index,
                    st.id,
                    st.method,
                    st.path,
                    st.left.describe(),
                    st.right.describe()
                );
                if let Some(n) = &st.note {
                    let _ = writeln!(o, "            {}", paint(dim, n));
                }
                for d in st.differences.iter().take(25) {
                    let fmt = |v: &Option<Value>| value_or_absent(v.as_ref(), 120);
                    let _ = writeln!(
                        o,
                        "            {} {}: left {}, right {}",
                        paint(yellow, d.kind.as_str()),
                        display_pointer(&d.pointer),
                        fmt(&d.expected),
                        fmt(&d.actual)
                    );
                }
                if st.differences.len() > 25 {
                    let _ = writeln!(
                        o,
                        "            … {} more (--json for all)",
                        st.differences.len() - 25
                    );
                }
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            o,
            "\n{} scenarios: {} identical, {} differ, {} with target errors; steps identical {}/{}; {} differences",
            s.scenarios,
            s.scenarios_identical,
            s.scenarios_differ,
            s.scenarios_error,
            s.steps_identical,
            s.steps_compared,
            s.differences
        );
        self.redactor.scrub(o)
    }
}

fn kind_name(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Stripe => "stripe",
        TargetKind::EmbeddedMock => "embedded mock",
        TargetKind::ApiparityMock => "apiparity mock",
        TargetKind::Custom => "custom",
    }
}
