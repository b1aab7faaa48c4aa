//! The report model: everything a reader of any format needs, built from a run, its snapshot
//! comparisons and the verdicts (`crate::verdict`). Nothing here decides a status.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::{DiffKind, Difference};
use crate::run::{ExpectFailure, Outcome, SuiteRun, TargetKind};
use crate::secret::Redactor;
use crate::snapshot::{Meta, StepComparison, Verdict};
use crate::verdict::{
    self, BaselineInfo, BaselinedItem, Policy, Status, StepVerdict, Summary, Verdicts,
};

/// Everything a reader of any format needs about one run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// `apiparity <version>`.
    pub tool: String,
    /// What was run against.
    pub target: TargetInfo,
    /// The Stripe-Version requests carried (scenarios may pin their own).
    pub stripe_version: String,
    /// The snapshot tree compared against.
    pub snapshots: String,
    /// The run id every object created was tagged with.
    pub run_id: String,
    /// When the run started (RFC 3339, seconds).
    pub started_at: String,
    /// How long the run took.
    pub duration_ms: u128,
    /// `fail` or `warn`: whether additive differences (new fields) fail the run.
    pub additive: String,
    /// The counts and the exit code (decided by the verdict stage).
    pub summary: Summary,
    /// How close the target is to the references.
    pub scorecard: Scorecard,
    /// One per scenario run, in order.
    pub scenarios: Vec<ScenarioReport>,
    /// The known-deviation baseline applied to this run (`--baseline`), if any.
    pub baseline: Option<BaselineInfo>,
    /// The policy the verdicts were decided under (`additive` above is its JSON form; a report
    /// read back takes it from there).
    #[serde(skip, default)]
    pub policy: Policy,
    /// Scrubs the keys in play from everything rendered.
    #[serde(skip, default)]
    pub redactor: Redactor,
}

/// The target as the report names it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetInfo {
    /// Stripe, the embedded mock, or another URL.
    pub kind: TargetKind,
    /// The base URL requests went to.
    pub base_url: String,
}

/// Parity figures for the whole run (how close the target is to the references).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Scorecard {
    /// Steps compared with a snapshot (or refused by the target).
    pub steps_compared: usize,
    /// Compared steps without any difference.
    pub steps_matching: usize,
    /// Leaf fields compared (the union of both sides).
    pub fields_compared: usize,
    /// Compared leaf fields without a difference.
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
    /// Steps matching over steps compared (1.0 when nothing was compared).
    pub fn step_parity(&self) -> f64 {
        ratio(self.steps_matching, self.steps_compared)
    }
    /// Fields matching over fields compared (1.0 when nothing was compared).
    pub fn field_parity(&self) -> f64 {
        ratio(self.fields_matching, self.fields_compared)
    }
    /// The parity line every format shows: `steps 3/4 (75.0%), fields 90/91 (98.9%)`, or
    /// `nothing compared` when no step was.
    pub fn parity_text(&self) -> String {
        if self.steps_compared == 0 {
            return "nothing compared".to_string();
        }
        format!(
            "steps {}/{} ({}%), fields {}/{} ({}%)",
            self.steps_matching,
            self.steps_compared,
            percent(self.steps_matching, self.steps_compared),
            self.fields_matching,
            self.fields_compared,
            percent(self.fields_matching, self.fields_compared)
        )
    }
}

/// `a` of `b` as a percentage with one decimal, rounded DOWN, so one failure in 11921 reads
/// 99.9%, never 100.0% (`-` when `b` is 0: nothing to measure).
pub fn percent(a: usize, b: usize) -> String {
    if b == 0 {
        return "-".to_string();
    }
    let tenths = (a as u128 * 1000) / b as u128;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// A difference and how often it occurred across the suite.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FrequentDifference {
    /// Where (array indices folded to `*` in field changes).
    pub pointer: String,
    /// What kind of difference.
    pub kind: DiffKind,
    /// In how many responses.
    pub count: usize,
}

/// One scenario of the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// The scenario key (`finalize/zero-amount`).
    pub key: String,
    /// Its name (the key unless the file names it).
    pub name: String,
    /// The scenario file.
    pub file: PathBuf,
    /// Its description.
    pub description: String,
    /// The Stripe-Version its requests carried.
    pub stripe_version: String,
    /// Its status: the worst of its steps'.
    pub status: Status,
    /// How long it took.
    pub duration_ms: u128,
    /// Set when the scenario could not run at all.
    pub error: Option<String>,
    /// Main steps then teardown steps, in execution order.
    pub steps: Vec<StepReport>,
    /// The scenario file's text, for showing failed expectations against their lines.
    #[serde(skip, default)]
    pub source: std::sync::Arc<str>,
}

/// One step of a scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepReport {
    /// 1-based position across steps and teardown.
    pub index: usize,
    /// The step id.
    pub id: String,
    /// Whether it is a teardown step.
    pub teardown: bool,
    /// Its status (decided by the verdict stage).
    pub status: Status,
    /// The HTTP method.
    pub method: String,
    /// The path as sent (normalized ids are not applied here).
    pub path: String,
    /// The URL requested: the target's base URL, the path and the query, as sent.
    pub url: String,
    /// For a failed or refused step: the target's error object (`error`), else the head of the
    /// body it sent, in one line.
    pub target_said: Option<String>,
    /// The response status, when a response arrived.
    pub http_status: Option<u16>,
    /// HTTP attempts made.
    pub attempts: u32,
    /// How long it took.
    pub duration_ms: u128,
    /// Failed expectations, captures and template errors.
    pub failures: Vec<ExpectFailure>,
    /// Differences from the snapshot that still count (accepted ones are in `baselined`).
    pub differences: Vec<Difference>,
    /// The same differences as RFC 6902 operations turning the snapshot into the response.
    pub patch: Value,
    /// Unified diff of the pretty JSON (plain text).
    pub unified: Option<String>,
    /// The snapshot compared against.
    pub snapshot: Option<PathBuf>,
    /// The comparison's outcome.
    pub verdict: Option<Verdict>,
    /// The snapshot's provenance.
    pub provenance: Option<Meta>,
    /// The `.json.new` written for review, if any.
    pub pending: Option<PathBuf>,
    /// Why no response arrived, if none did.
    pub transport_error: Option<String>,
    /// Why the step was not sent, if it was not.
    pub skipped: Option<String>,
    /// Leaf fields compared.
    pub fields_compared: usize,
    /// Compared leaf fields without a difference.
    pub fields_matching: usize,
    /// Differences and failures a baseline accepted (moved out of `differences`).
    pub baselined: Vec<BaselinedItem>,
    /// The status a baseline accepted when it accepted the whole step (`status` is then
    /// `baselined`).
    pub baselined_status: Option<Status>,
    /// The failures' snippets without color, rendered once for every format that shows them
    /// (`report::text::plain_snippets`).
    #[serde(skip, default)]
    pub plain_snippets: std::sync::OnceLock<Vec<Option<String>>>,
}

impl StepReport {
    /// Whether the step is listed with its details (every format lists the same steps): anything
    /// but a pass or a skip.
    pub fn is_listed(&self) -> bool {
        !matches!(self.status, Status::Pass | Status::Skipped)
    }
}

/// What the report needs besides the run itself.
pub struct BuildContext<'a> {
    /// The target as the report names it.
    pub target: TargetInfo,
    /// The Stripe-Version requests carried.
    pub stripe_version: &'a str,
    /// The snapshot tree compared against.
    pub snapshots: &'a str,
    /// The run id.
    pub run_id: &'a str,
    /// When the run started.
    pub started_at: String,
    /// The policy the verdicts were decided under (shown, not applied, here).
    pub policy: Policy,
    /// Scrubs the keys in play from everything rendered.
    pub redactor: Redactor,
}

/// Builds the report from a run, per scenario its snapshot comparisons, and the verdicts.
pub fn build(
    run: &SuiteRun,
    comparisons: &[Vec<StepComparison>],
    verdicts: &Verdicts,
    ctx: BuildContext<'_>,
) -> Report {
    let mut card = Scorecard::default();
    let mut every: Vec<&Difference> = Vec::new();
    let mut scenarios = Vec::new();
    let none = Vec::new();
    for ((srun, cmps), sv) in run
        .scenarios
        .iter()
        .zip(comparisons.iter().chain(std::iter::repeat(&none)))
        .zip(&verdicts.scenarios)
    {
        let steps: Vec<StepReport> = srun
            .steps
            .iter()
            .zip(&sv.steps)
            .enumerate()
            .map(|(pos, (step, v))| {
                step_report(
                    step,
                    verdict::comparison(cmps, pos),
                    v,
                    &ctx.target.base_url,
                )
            })
            .collect();
        // The scorecard measures the target: every difference, accepted by a baseline or not.
        for (pos, (s, v)) in steps.iter().zip(&sv.steps).enumerate() {
            let all = verdict::comparison(cmps, pos)
                .map(|c| c.differences.as_slice())
                .unwrap_or_default();
            let unsupported = v.measured == Status::Unsupported;
            if matches!(s.verdict, Some(Verdict::Match | Verdict::Differs)) || unsupported {
                card.steps_compared += 1;
                card.steps_matching += usize::from(all.is_empty() && !unsupported);
                card.fields_compared += s.fields_compared;
                card.fields_matching += s.fields_matching;
            }
            card.steps_unsupported += usize::from(unsupported);
            every.extend(all);
        }
        let status = sv.status;
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
            source: std::sync::Arc::clone(&srun.scenario.source),
        });
    }
    (card.top_differences, card.field_changes) = frequencies(every);
    Report {
        tool: format!("apiparity {}", env!("CARGO_PKG_VERSION")),
        target: ctx.target,
        stripe_version: ctx.stripe_version.to_string(),
        snapshots: ctx.snapshots.to_string(),
        run_id: ctx.run_id.to_string(),
        started_at: ctx.started_at,
        duration_ms: run.duration.as_millis(),
        additive: if ctx.policy.additive_fails {
            "fail"
        } else {
            "warn"
        }
        .to_string(),
        summary: verdicts.summary.clone(),
        scorecard: card,
        scenarios,
        baseline: verdicts.baseline.clone(),
        policy: ctx.policy,
        redactor: ctx.redactor,
    }
}

/// The URL a request went to, as the target saw it (`base` + path + query, unescaped).
pub fn request_url(base: &str, req: &crate::run::SentRequest) -> String {
    let mut url = format!("{}{}", base.trim_end_matches('/'), req.path);
    for (i, (k, v)) in req.query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        url.push('=');
        url.push_str(v);
    }
    url
}

/// What the target said about a failure: its `error` object, else the head of its body.
fn target_said(resp: &crate::run::Response) -> Option<String> {
    use crate::run::Body;
    const MAX: usize = 300;
    match &resp.body {
        Body::Json(v) => Some(crate::diff::abbreviate(v.get("error").unwrap_or(v), MAX)),
        Body::Text(t) => Some(crate::diff::shorten(
            &t.split_whitespace().collect::<Vec<_>>().join(" "),
            MAX,
        )),
        Body::Empty => Some("(empty body)".to_string()),
        Body::Released => None,
    }
}

fn step_report(
    step: &crate::run::StepRun,
    cmp: Option<&StepComparison>,
    v: &StepVerdict,
    base_url: &str,
) -> StepReport {
    let resp = step.response();
    let verdict = cmp.map(|c| c.verdict.clone());
    // Field counts and the patch describe the comparison itself, accepted or not (the
    // snapshot stage kept them; the bodies are gone).
    let (fields_compared, fields_matching) = cmp.and_then(|c| c.fields).unwrap_or((0, 0));
    let patch = cmp
        .and_then(|c| c.patch.clone())
        .unwrap_or(Value::Array(vec![]));
    let unified = cmp.and_then(|c| c.unified.clone());
    StepReport {
        index: step.index,
        id: step.id.clone(),
        teardown: step.teardown,
        status: v.status,
        method: step.request.method.clone(),
        path: step.request.path.clone(),
        url: request_url(base_url, &step.request),
        target_said: resp
            .filter(|r| r.status >= 400 || !step.failures.is_empty() || v.status.is_failure())
            .and_then(target_said),
        http_status: resp.map(|r| r.status),
        attempts: step.attempts,
        duration_ms: step.duration.as_millis(),
        failures: step.failures.clone(),
        differences: v.differences.clone(),
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
        baselined: v.baselined.clone(),
        baselined_status: v.baselined_status,
        plain_snippets: Default::default(),
    }
}

/// `/data/3/lines/data/0/price` → `/data/*/lines/data/*/price`.
/// The scorecard's two tallies over every difference of a run (accepted by a baseline or not):
/// the 20 most frequent, most frequent first, and the field-set drift (`missing` and
/// `unexpected` fields, array indices folded to `*`).
pub(super) fn frequencies<'a>(
    every: impl IntoIterator<Item = &'a Difference>,
) -> (Vec<FrequentDifference>, Vec<FrequentDifference>) {
    let mut freq: BTreeMap<(String, String), (DiffKind, usize)> = BTreeMap::new();
    let mut fields: BTreeMap<(String, String), (DiffKind, usize)> = BTreeMap::new();
    for d in every {
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
    let list = |m: BTreeMap<(String, String), (DiffKind, usize)>| -> Vec<FrequentDifference> {
        m.into_iter()
            .map(|((pointer, _), (kind, count))| FrequentDifference {
                pointer,
                kind,
                count,
            })
            .collect()
    };
    let mut top = list(freq);
    top.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.pointer.cmp(&b.pointer))
    });
    top.truncate(20);
    (top, list(fields))
}

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
