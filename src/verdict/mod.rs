//! The verdict stage: every decision about a run, made once, before the report is built. Entry
//! point: [`decide`] — the run, its snapshot comparisons, the [`Policy`] and an optional
//! [`Baseline`] in; each step's and scenario's [`Status`], what the baseline accepted, the
//! [`Summary`] and the exit code out. `report/` renders these and decides nothing.
//!
//! A step's status, in this order of precedence:
//! - `skipped`: not sent (and no template failure);
//! - `error`: no response (timeout, connection refused or reset);
//! - `unsupported`: the target refused or does not support the step (5xx, a non-JSON body, or a
//!   404 where the snapshot has another status);
//! - `fail`: an expectation failed;
//! - `differ`: no snapshot yet, or differences the policy does not let pass;
//! - `warn`: only additive differences and `--additive warn`, or a teardown that could not
//!   clean up (see [`teardown_warnings`]);
//! - `baselined`: everything wrong with it is a known deviation the baseline accepts;
//! - `pass`.
//!
//! A scenario takes its worst step's status; the exit code is 2 on target errors, 1 on any
//! failing scenario or stale baseline entry, else 0.

pub mod baseline;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{DiffKind, Difference};
use crate::run::{Body, Outcome, StepRun, SuiteRun};
use crate::snapshot::{StepComparison, Verdict};

pub use baseline::Baseline;

/// What the user asked to count as failure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Whether additive differences (fields the snapshot lacks) fail the run.
    pub additive_fails: bool,
}

/// A step's or a scenario's status (see the module docs for their precedence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Matches its snapshot and every expectation holds.
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
    /// The status as reports write it (`pass`, `differ`, …).
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
    /// Whether it fails the run.
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Status::Pass | Status::Warn | Status::Skipped | Status::Baselined
        )
    }
}

/// The counts and the exit code of a run.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Scenarios run.
    pub scenarios: usize,
    /// Scenarios that did not fail.
    pub scenarios_passed: usize,
    /// Scenarios that failed.
    pub scenarios_failed: usize,
    /// Scenarios none of whose steps ran (the run was cut short before them): neither passed
    /// nor failed.
    #[serde(default)]
    pub scenarios_not_run: usize,
    /// Steps run (main and teardown).
    pub steps: usize,
    /// Differences that count (not accepted by a baseline).
    pub differences: usize,
    /// Breaking differences among them (everything but new fields).
    pub breaking: usize,
    /// Additive differences among them (new fields).
    pub additive: usize,
    /// Failed expectations (not in steps a baseline accepted as a whole).
    pub expectation_failures: usize,
    /// Steps without a response.
    pub target_errors: usize,
    /// `.json.new` files written for review.
    pub pending_snapshots: usize,
    /// Teardown steps that could not clean up ([`teardown_warnings`]): warnings, not failures.
    pub teardown_warnings: usize,
    /// Differences and step failures a baseline accepted (not counted above).
    pub baselined: usize,
    /// Baseline entries that matched nothing (each fails the run).
    pub stale_baseline_entries: usize,
    /// Why the run stopped early ([`crate::run::CutShort`], as a sentence naming the URL and
    /// the cause), when the target went away mid-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
    /// 0 all match, 1 differences, failed expectations or stale baseline entries,
    /// 2 target errors or a run cut short.
    pub exit_code: i32,
}

/// The run's outcome in one line, the same words in every report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headline {
    /// Everything matches.
    AllMatch,
    /// Every difference is a known deviation the baseline accepts.
    NoNewDifferences,
    /// Nothing differs, but baseline entries matched nothing.
    StaleBaseline,
    /// Differences or failed expectations.
    Differences,
    /// Steps without a response, or scenarios that could not run.
    TargetErrors,
}

impl Headline {
    /// The sentence: "all scenarios match", "differences found", …
    pub fn text(self) -> &'static str {
        match self {
            Headline::AllMatch => "all scenarios match",
            Headline::NoNewDifferences => {
                "no new differences (known deviations accepted by the baseline)"
            }
            Headline::StaleBaseline => "stale baseline entries",
            Headline::Differences => "differences found",
            Headline::TargetErrors => "target errors",
        }
    }
}

impl Summary {
    /// The run's outcome in one line.
    pub fn headline(&self) -> Headline {
        match self.exit_code {
            0 if self.baselined > 0 => Headline::NoNewDifferences,
            0 => Headline::AllMatch,
            1 if self.scenarios_failed == 0 => Headline::StaleBaseline,
            1 => Headline::Differences,
            _ => Headline::TargetErrors,
        }
    }
}

/// What a baseline (`mocks/<name>.yaml`) did to this run. See [`baseline`].
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct BaselineInfo {
    /// The baseline file.
    pub file: String,
    /// The baseline's free-text `target`.
    pub target: String,
    /// How many entries it has.
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

impl BaselineInfo {
    /// "`file` (target T): N entries, N accepted difference(s)/failure(s), N stale, N for
    /// scenarios not run[, N reason(s) still TODO]" — without the trailing period. `file` and
    /// `text` format the file name and the baseline's free text for the report at hand.
    pub fn sentence(&self, file: impl Fn(&str) -> String, text: impl Fn(&str) -> String) -> String {
        format!(
            "{} (target {}): {} entries, {} accepted difference(s)/failure(s), {} stale, {} for scenarios not run{}",
            file(&self.file),
            text(&self.target),
            self.entries,
            self.accepted,
            self.stale.len(),
            self.not_run,
            if self.todo_reasons > 0 {
                format!(", {} reason(s) still TODO", self.todo_reasons)
            } else {
                String::new()
            }
        )
    }
}

/// A baseline entry that no longer occurs.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct StaleEntry {
    /// `file:line` of the entry.
    pub location: String,
    /// The entry's scenario key (or `*`).
    pub scenario: String,
    /// The entry's step id (or `*`).
    pub step: String,
    /// The entry's pointer, if it has one.
    pub pointer: Option<String>,
    /// The entry's kind, if it has one.
    pub kind: Option<String>,
    /// Why the deviation was accepted.
    pub reason: String,
}

/// A difference or a step failure a baseline accepts: reported, but it does not fail the run.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct BaselinedItem {
    /// The accepted difference; `None` when the entry accepted the step's status itself.
    pub difference: Option<Difference>,
    /// The step status the entry accepted (`unsupported`, `fail`, `error`), for status entries.
    pub status: Option<Status>,
    /// Why the baseline accepts it.
    pub reason: String,
    /// `file:line` of the entry that accepted it.
    pub location: String,
}

/// Every decision about a run.
#[derive(Clone, Debug)]
pub struct Verdicts {
    /// One per scenario run, in order.
    pub scenarios: Vec<ScenarioVerdict>,
    /// The counts and the exit code.
    pub summary: Summary,
    /// What the baseline did, when one was given.
    pub baseline: Option<BaselineInfo>,
}

/// What was decided about one scenario.
#[derive(Clone, Debug)]
pub struct ScenarioVerdict {
    /// The worst of its steps' statuses (or `error` when it could not run).
    pub status: Status,
    /// One per step run, in order.
    pub steps: Vec<StepVerdict>,
}

/// What was decided about one step.
#[derive(Clone, Debug)]
pub struct StepVerdict {
    /// Its final status.
    pub status: Status,
    /// The status before a baseline accepted anything: what the target did (the scorecard
    /// measures this).
    pub measured: Status,
    /// The differences that still count (a baseline moves accepted ones to `baselined`).
    pub differences: Vec<Difference>,
    /// Differences and failures a baseline accepted.
    pub baselined: Vec<BaselinedItem>,
    /// The status a baseline accepted when it accepted the whole step (`status` is then
    /// `baselined`).
    pub baselined_status: Option<Status>,
}

/// The comparison of step `pos`, if it was compared.
pub fn comparison(cmps: &[StepComparison], pos: usize) -> Option<&StepComparison> {
    cmps.iter().find(|c| c.position == pos)
}

/// Decides every step and scenario status, applies the baseline, and sums up.
pub fn decide(
    run: &SuiteRun,
    comparisons: &[Vec<StepComparison>],
    policy: &Policy,
    baseline: Option<&Baseline>,
) -> Verdicts {
    let none = Vec::new();
    let cmps_of = |i: usize| comparisons.get(i).unwrap_or(&none);
    let mut scenarios: Vec<ScenarioVerdict> = run
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, srun)| {
            let cmps = cmps_of(i);
            let steps = srun
                .steps
                .iter()
                .enumerate()
                .map(|(pos, step)| {
                    let cmp = comparison(cmps, pos);
                    // `--update` wrote (or kept) the snapshot: what changed is recorded, not
                    // a failure (the help's promise: nothing is compared as a failure).
                    let differences = cmp
                        .filter(|c| !matches!(c.verdict, Verdict::Updated | Verdict::Unchanged))
                        .map(|c| c.differences.clone())
                        .unwrap_or_default();
                    let status = step_status(step, cmp, &differences, false, policy);
                    StepVerdict {
                        status,
                        measured: status,
                        differences,
                        baselined: vec![],
                        baselined_status: None,
                    }
                })
                .collect();
            let mut steps: Vec<StepVerdict> = steps;
            for (v, warn) in steps.iter_mut().zip(teardown_warnings(srun)) {
                if warn && v.status == Status::Pass {
                    v.status = Status::Warn;
                    v.measured = Status::Warn;
                }
            }
            ScenarioVerdict {
                status: Status::Pass,
                steps,
            }
        })
        .collect();
    let info = baseline.map(|b| baseline::apply(b, run, comparisons, &mut scenarios, policy));
    for (sv, srun) in scenarios.iter_mut().zip(&run.scenarios) {
        sv.status = scenario_status(&sv.steps, srun.error.is_some());
    }
    let summary = summarize(run, comparisons, &scenarios, info.as_ref());
    Verdicts {
        scenarios,
        summary,
        baseline: info,
    }
}

/// Which steps are teardown steps that could not clean up: the target refused them and no
/// other teardown step on the same object (`/v1/invoices/in_…`, whatever follows) succeeded.
/// Not refusals: 404 (already gone), and a 400 naming no `param` — a state refusal ("You can
/// only delete draft invoices"): the object is paid or void, which needs no cleanup and allows
/// none. Teardowns try alternatives (delete a draft, else void it), so the alternative that
/// lost is not a warning; an object nothing removed is — never a silent pass, and never a
/// failure (the scenario's own steps decide that).
pub fn teardown_warnings(srun: &crate::run::ScenarioRun) -> Vec<bool> {
    fn object(path: &str) -> String {
        path.split('/').take(4).collect::<Vec<_>>().join("/")
    }
    let status = |s: &StepRun| s.response().map(|r| r.status);
    srun.steps
        .iter()
        .map(|s| {
            let refused = s.response().is_some_and(|r| {
                let state_refusal = r.status == 400
                    && matches!(&r.body, Body::Json(v) if v["error"].is_object()
                        && v["error"].get("param").is_none_or(Value::is_null));
                r.status >= 400 && r.status != 404 && !state_refusal
            });
            s.teardown
                && refused
                && !srun.steps.iter().any(|o| {
                    o.teardown
                        && object(&o.request.path) == object(&s.request.path)
                        && matches!(status(o), Some(c) if (200..300).contains(&c))
                })
        })
        .collect()
}

/// One step's status (see the module docs). `remaining` are the differences that still count;
/// `accepted` says a baseline took some of them, so a step left with none is `baselined`.
fn step_status(
    step: &StepRun,
    cmp: Option<&StepComparison>,
    remaining: &[Difference],
    accepted: bool,
    policy: &Policy,
) -> Status {
    let all = cmp.map(|c| c.differences.as_slice()).unwrap_or_default();
    let unsupported = step.response().is_some_and(|r| {
        // A 404 where the reference has another status: the route is not there.
        let refused_route =
            r.status == 404 && all.iter().any(|d| d.kind == DiffKind::StatusChanged);
        r.status >= 500 || matches!(r.body, Body::Text(_)) || refused_route
    });
    match &step.outcome {
        Outcome::Skipped(_) if step.failures.is_empty() => Status::Skipped,
        Outcome::TransportError(_) => Status::Error,
        _ if unsupported => Status::Unsupported,
        _ if !step.failures.is_empty() => Status::Fail,
        _ if cmp.is_some_and(|c| c.verdict == Verdict::Unreadable) => Status::Fail,
        _ if cmp.is_some_and(|c| c.verdict == Verdict::Missing) => Status::Differ,
        _ if remaining.is_empty() && accepted => Status::Baselined,
        _ if remaining.is_empty() => Status::Pass,
        _ if !policy.additive_fails && remaining.iter().all(Difference::is_additive) => {
            Status::Warn
        }
        _ => Status::Differ,
    }
}

/// A scenario's status: an internal error, else the worst step decides, in this order.
fn scenario_status(steps: &[StepVerdict], internal_error: bool) -> Status {
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
    .unwrap_or(
        // No step ran at all (a run cut short before it): it did not pass.
        if !steps.is_empty() && steps.iter().all(|s| s.status == Status::Skipped) {
            Status::Skipped
        } else {
            Status::Pass
        },
    )
}

/// The counts and the exit code. Accepted (baselined) items are counted apart and never fail
/// the run.
fn summarize(
    run: &SuiteRun,
    comparisons: &[Vec<StepComparison>],
    scenarios: &[ScenarioVerdict],
    baseline: Option<&BaselineInfo>,
) -> Summary {
    let mut summary = Summary::default();
    for (i, (sv, srun)) in scenarios.iter().zip(&run.scenarios).enumerate() {
        let cmps = comparisons.get(i).map(Vec::as_slice).unwrap_or_default();
        for (pos, (s, step)) in sv.steps.iter().zip(&srun.steps).enumerate() {
            summary.steps += 1;
            summary.differences += s.differences.len();
            summary.additive += s.differences.iter().filter(|d| d.is_additive()).count();
            summary.breaking += s.differences.iter().filter(|d| !d.is_additive()).count();
            summary.baselined += s.baselined.len();
            // A step the baseline accepted as a whole no longer counts its failures.
            if s.baselined_status.is_none() {
                summary.expectation_failures += step.failures.len();
            }
            summary.target_errors += usize::from(s.status == Status::Error);
            summary.teardown_warnings += usize::from(step.teardown && s.status == Status::Warn);
            summary.pending_snapshots +=
                usize::from(comparison(cmps, pos).is_some_and(|c| c.pending.is_some()));
        }
        summary.scenarios += 1;
        if sv.status.is_failure() {
            summary.scenarios_failed += 1;
        } else if sv.status == Status::Skipped {
            summary.scenarios_not_run += 1;
        } else {
            summary.scenarios_passed += 1;
        }
    }
    summary.stale_baseline_entries = baseline.map_or(0, |b| b.stale.len());
    summary.cut_short = run.cut_short.as_ref().map(ToString::to_string);
    summary.exit_code = exit_code(&summary, run.scenarios.iter().any(|s| s.error.is_some()));
    summary
}

/// The exit code the counts call for: 2 target errors (or a scenario that could not run, or a
/// run cut short because the target went away), 1 failed scenarios or stale baseline entries,
/// else 0. Also decides merged partition reports.
pub fn exit_code(summary: &Summary, scenario_errors: bool) -> i32 {
    if summary.target_errors > 0 || scenario_errors || summary.cut_short.is_some() {
        2
    } else if summary.scenarios_failed > 0 || summary.stale_baseline_entries > 0 {
        1
    } else {
        0
    }
}
