//! The report model: everything a reader of any format needs, and the exit code.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{self, DiffKind, Difference};
use crate::run::{ExpectFailure, Outcome, SuiteRun, TargetKind};
use crate::secret::Redactor;
use crate::snapshot::{Meta, StepComparison, Verdict};

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tool: String,
    pub target: TargetInfo,
    /// The Stripe-Version requests carried (scenarios may pin their own).
    pub stripe_version: String,
    /// The snapshot tree compared against.
    pub snapshots: String,
    pub run_id: String,
    pub started_at: String,
    pub duration_ms: u128,
    /// `fail` or `warn`: whether additive differences (new fields) fail the run.
    pub additive: String,
    pub summary: Summary,
    pub scorecard: Scorecard,
    pub scenarios: Vec<ScenarioReport>,
    /// The known-deviation baseline applied to this run (`--baseline`), if any.
    pub baseline: Option<BaselineInfo>,
    #[serde(skip)]
    pub redactor: Redactor,
}

/// What a baseline (`mocks/<name>.yaml`) did to this run. See `crate::baseline`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaselineInfo {
    pub file: String,
    /// The baseline's free-text `target`.
    pub target: String,
    pub entries: usize,
    /// Differences and step failures the baseline accepted.
    pub accepted: usize,
    /// Entries that matched nothing although their scenario ran: they fail the run.
    pub stale: Vec<StaleEntry>,
    /// Entries whose scenario did not run (filtered out): neither used nor stale.
    pub not_run: usize,
    /// Entries whose reason is still `TODO` (as `--write-baseline` leaves them).
    pub todo_reasons: usize,
}

/// A baseline entry that no longer occurs.
#[derive(Clone, Debug, Serialize)]
pub struct StaleEntry {
    /// `file:line` of the entry.
    pub location: String,
    pub scenario: String,
    pub step: String,
    pub pointer: Option<String>,
    pub kind: Option<String>,
    pub reason: String,
}

/// A difference or a step failure a baseline accepts: reported, but it does not fail the run.
#[derive(Clone, Debug, Serialize)]
pub struct BaselinedItem {
    /// The accepted difference; `None` when the entry accepted the step's status itself.
    pub difference: Option<Difference>,
    /// The step status the entry accepted (`unsupported`, `fail`, `error`), for status entries.
    pub status: Option<Status>,
    pub reason: String,
    /// `file:line` of the entry that accepted it.
    pub location: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetInfo {
    pub kind: TargetKind,
    pub base_url: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub scenarios: usize,
    pub scenarios_passed: usize,
    pub scenarios_failed: usize,
    pub steps: usize,
    pub differences: usize,
    pub breaking: usize,
    pub additive: usize,
    pub expectation_failures: usize,
    pub target_errors: usize,
    pub pending_snapshots: usize,
    /// Differences and step failures a baseline accepted (not counted above).
    pub baselined: usize,
    /// Baseline entries that matched nothing (each fails the run).
    pub stale_baseline_entries: usize,
    /// 0 all match, 1 differences, failed expectations or stale baseline entries,
    /// 2 target errors.
    pub exit_code: i32,
}

/// Parity figures for the whole run (how close the target is to the references).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Scorecard {
    pub steps_compared: usize,
    pub steps_matching: usize,
    pub fields_compared: usize,
    pub fields_matching: usize,
    /// Steps the target refused or does not support (unknown route, 5xx, non-JSON).
    pub steps_unsupported: usize,
    /// The most frequent differences across the suite, most frequent first.
    pub top_differences: Vec<FrequentDifference>,
    /// Field-set drift across the suite: fields the target adds (`unexpected`, additive under
    /// Stripe's versioning policy) or lacks (`missing`, breaking), array indices folded to `*`.
    pub field_changes: Vec<FrequentDifference>,
}

impl Scorecard {
    pub fn step_parity(&self) -> f64 {
        ratio(self.steps_matching, self.steps_compared)
    }
    pub fn field_parity(&self) -> f64 {
        ratio(self.fields_matching, self.fields_compared)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FrequentDifference {
    pub pointer: String,
    pub kind: DiffKind,
    pub count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// Only additive differences, and the policy says warn.
    Warn,
    /// Differs from its snapshot.
    Differ,
    /// An expectation (status, assertion, capture) failed.
    Fail,
    /// The target refused or does not support the step (unknown route, 5xx, non-JSON).
    Unsupported,
    /// No response: timeout, connection refused or reset.
    Error,
    /// Not run (an earlier step failed).
    Skipped,
    /// Deviates only in ways the baseline accepts (known deviations of a third-party mock).
    Baselined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Differ => "differ",
            Status::Fail => "fail",
            Status::Unsupported => "unsupported",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Baselined => "baselined",
        }
    }
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Status::Pass | Status::Warn | Status::Skipped | Status::Baselined
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub key: String,
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub stripe_version: String,
    pub status: Status,
    pub duration_ms: u128,
    pub error: Option<String>,
    pub steps: Vec<StepReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub index: usize,
    pub id: String,
    pub teardown: bool,
    pub status: Status,
    pub method: String,
    pub path: String,
    pub http_status: Option<u16>,
    pub attempts: u32,
    pub duration_ms: u128,
    pub failures: Vec<ExpectFailure>,
    pub differences: Vec<Difference>,
    /// The same differences as RFC 6902 operations turning the snapshot into the response.
    pub patch: Value,
    /// Unified diff of the pretty JSON (plain text).
    pub unified: Option<String>,
    pub snapshot: Option<PathBuf>,
    pub verdict: Option<Verdict>,
    pub provenance: Option<Meta>,
    pub pending: Option<PathBuf>,
    pub transport_error: Option<String>,
    pub skipped: Option<String>,
    pub fields_compared: usize,
    pub fields_matching: usize,
    /// Differences and failures a baseline accepted (moved out of `differences`).
    pub baselined: Vec<BaselinedItem>,
    /// The status a baseline accepted when it accepted the whole step (`status` is then
    /// `baselined`).
    pub baselined_status: Option<Status>,
}

/// What the report needs besides the run itself.
pub struct BuildContext<'a> {
    pub target: TargetInfo,
    pub stripe_version: &'a str,
    pub snapshots: &'a str,
    pub run_id: &'a str,
    pub started_at: String,
    pub additive_fails: bool,
    pub redactor: Redactor,
}

/// Builds the report from a run and, per scenario, its snapshot comparisons.
pub fn build(run: &SuiteRun, comparisons: &[Vec<StepComparison>], ctx: BuildContext<'_>) -> Report {
    let mut card = Scorecard::default();
    let mut freq: BTreeMap<(String, String), (DiffKind, usize)> = BTreeMap::new();
    let mut fields: BTreeMap<(String, String), (DiffKind, usize)> = BTreeMap::new();
    let mut scenarios = Vec::new();
    for (srun, cmps) in run
        .scenarios
        .iter()
        .zip(comparisons.iter().chain(std::iter::repeat(&Vec::new())))
    {
        let steps: Vec<StepReport> = srun
            .steps
            .iter()
            .enumerate()
            .map(|(pos, step)| {
                step_report(
                    step,
                    cmps.iter().find(|c| c.position == pos),
                    ctx.additive_fails,
                )
            })
            .collect();
        for s in &steps {
            if matches!(s.verdict, Some(Verdict::Match | Verdict::Differs))
                || s.status == Status::Unsupported
            {
                card.steps_compared += 1;
                card.steps_matching +=
                    usize::from(s.differences.is_empty() && s.status != Status::Unsupported);
                card.fields_compared += s.fields_compared;
                card.fields_matching += s.fields_matching;
            }
            card.steps_unsupported += usize::from(s.status == Status::Unsupported);
            for d in &s.differences {
                let e = freq
                    .entry((d.pointer.clone(), d.kind.as_str().to_string()))
                    .or_insert((d.kind.clone(), 0));
                e.1 += 1;
                if matches!(d.kind, DiffKind::Missing | DiffKind::Unexpected) {
                    let e = fields
                        .entry((fold_indices(&d.pointer), d.kind.as_str().to_string()))
                        .or_insert((d.kind.clone(), 0));
                    e.1 += 1;
                }
            }
        }
        let status = scenario_status(&steps, srun.error.is_some());
        scenarios.push(ScenarioReport {
            key: srun.scenario.key.clone(),
            name: srun.scenario.name.clone(),
            file: srun.scenario.file.clone(),
            description: srun.scenario.description.clone(),
            stripe_version: srun.stripe_version.clone(),
            status,
            duration_ms: srun.duration.as_millis(),
            error: srun.error.clone(),
            steps,
        });
    }
    let mut top: Vec<FrequentDifference> = freq
        .into_iter()
        .map(|((pointer, _), (kind, count))| FrequentDifference {
            pointer,
            kind,
            count,
        })
        .collect();
    top.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.pointer.cmp(&b.pointer))
    });
    top.truncate(20);
    card.top_differences = top;
    card.field_changes = fields
        .into_iter()
        .map(|((pointer, _), (kind, count))| FrequentDifference {
            pointer,
            kind,
            count,
        })
        .collect();
    let summary = summarize(&scenarios, None);
    Report {
        tool: format!("apiparity {}", env!("CARGO_PKG_VERSION")),
        target: ctx.target,
        stripe_version: ctx.stripe_version.to_string(),
        snapshots: ctx.snapshots.to_string(),
        run_id: ctx.run_id.to_string(),
        started_at: ctx.started_at,
        duration_ms: run.duration.as_millis(),
        additive: if ctx.additive_fails { "fail" } else { "warn" }.to_string(),
        summary,
        scorecard: card,
        scenarios,
        baseline: None,
        redactor: ctx.redactor,
    }
}

/// A scenario's status: an internal error, else the worst step decides, in this order.
pub fn scenario_status(steps: &[StepReport], internal_error: bool) -> Status {
    if internal_error {
        return Status::Error;
    }
    [
        Status::Error,
        Status::Unsupported,
        Status::Fail,
        Status::Differ,
        Status::Warn,
        Status::Baselined,
    ]
    .into_iter()
    .find(|st| steps.iter().any(|s| s.status == *st))
    .unwrap_or(Status::Pass)
}

/// The counts and the exit code, from the scenario reports (and the baseline's stale entries).
/// Accepted (baselined) items are counted apart and never fail the run.
pub fn summarize(scenarios: &[ScenarioReport], baseline: Option<&BaselineInfo>) -> Summary {
    let mut summary = Summary::default();
    for sc in scenarios {
        for s in &sc.steps {
            summary.steps += 1;
            summary.differences += s.differences.len();
            summary.additive += s.differences.iter().filter(|d| d.is_additive()).count();
            summary.breaking += s.differences.iter().filter(|d| !d.is_additive()).count();
            summary.baselined += s.baselined.len();
            // A step the baseline accepted as a whole no longer counts its failures.
            if s.baselined_status.is_none() {
                summary.expectation_failures += s.failures.len();
            }
            summary.target_errors += usize::from(s.status == Status::Error);
            summary.pending_snapshots += usize::from(s.pending.is_some());
        }
        summary.scenarios += 1;
        if sc.status.is_failure() {
            summary.scenarios_failed += 1;
        } else {
            summary.scenarios_passed += 1;
        }
    }
    summary.stale_baseline_entries = baseline.map_or(0, |b| b.stale.len());
    summary.exit_code = if summary.target_errors > 0 || scenarios.iter().any(|s| s.error.is_some())
    {
        2
    } else if summary.scenarios_failed > 0 || summary.stale_baseline_entries > 0 {
        1
    } else {
        0
    };
    summary
}

fn step_report(
    step: &crate::run::StepRun,
    cmp: Option<&StepComparison>,
    additive_fails: bool,
) -> StepReport {
    let resp = step.response();
    let differences = cmp.map(|c| c.differences.clone()).unwrap_or_default();
    let verdict = cmp.map(|c| c.verdict.clone());
    let unsupported = resp.is_some_and(|r| {
        // A 404 where the reference has another status: the route is not there.
        let refused_route = r.status == 404
            && differences
                .iter()
                .any(|d| d.kind == DiffKind::StatusChanged);
        r.status >= 500 || matches!(r.body, crate::run::Body::Text(_)) || refused_route
    });
    let status = match &step.outcome {
        Outcome::Skipped(_) if step.failures.is_empty() => Status::Skipped,
        Outcome::TransportError(_) => Status::Error,
        _ if unsupported => Status::Unsupported,
        _ if !step.failures.is_empty() => Status::Fail,
        _ if matches!(verdict, Some(Verdict::Missing)) => Status::Differ,
        _ if differences.is_empty() => Status::Pass,
        _ if !additive_fails && differences.iter().all(Difference::is_additive) => Status::Warn,
        _ => Status::Differ,
    };
    let (fields_compared, fields_matching) = match cmp.and_then(|c| c.expected.as_ref()) {
        Some(expected) => field_counts(
            expected,
            cmp.map(|c| &c.actual).unwrap_or(&Value::Null),
            &differences,
        ),
        None => (0, 0),
    };
    let (patch, unified) = match cmp {
        Some(c) if !c.differences.is_empty() => {
            let exp = c.expected.clone().unwrap_or(Value::Null);
            (
                serde_json::to_value(diff::patch(&exp, &c.actual)).unwrap_or(Value::Null),
                Some(diff::unified(&exp, &c.actual, false)),
            )
        }
        _ => (Value::Array(vec![]), None),
    };
    StepReport {
        index: step.index,
        id: step.id.clone(),
        teardown: step.teardown,
        status,
        method: step.request.method.clone(),
        path: step.request.path.clone(),
        http_status: resp.map(|r| r.status),
        attempts: step.attempts,
        duration_ms: step.duration.as_millis(),
        failures: step.failures.clone(),
        differences,
        patch,
        unified,
        snapshot: cmp
            .filter(|c| c.verdict != Verdict::NotCompared)
            .map(|c| c.file.clone()),
        verdict,
        provenance: cmp.and_then(|c| c.meta.clone()),
        pending: cmp.and_then(|c| c.pending.clone()),
        transport_error: step.transport_error().map(|e| e.to_string()),
        skipped: match &step.outcome {
            Outcome::Skipped(why) => Some(why.clone()),
            _ => None,
        },
        fields_compared,
        fields_matching,
        baselined: vec![],
        baselined_status: None,
    }
}

/// `/data/3/lines/data/0/price` → `/data/*/lines/data/*/price`.
fn fold_indices(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|t| {
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                t
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Leaf fields compared (the union of both sides' leaves) and those without a difference.
fn field_counts(expected: &Value, actual: &Value, diffs: &[Difference]) -> (usize, usize) {
    let mut leaves = std::collections::BTreeSet::new();
    collect_leaves(expected, String::new(), &mut leaves);
    collect_leaves(actual, String::new(), &mut leaves);
    let differing = leaves
        .iter()
        .filter(|p| {
            diffs.iter().any(|d| {
                d.pointer == **p
                    || p.starts_with(&format!("{}/", d.pointer))
                    || d.pointer.is_empty() && d.kind != DiffKind::StatusChanged
            })
        })
        .count();
    (leaves.len(), leaves.len() - differing)
}

fn collect_leaves(v: &Value, at: String, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                collect_leaves(v, crate::pointer::push(&at, k), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                collect_leaves(v, format!("{at}/{i}"), out);
            }
        }
        _ => {
            out.insert(at);
        }
    }
}
