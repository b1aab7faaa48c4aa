//! Reference snapshots: `snapshots/<scenario>/<NN>-<step>.json`, each with its provenance.
//! Entry point: [`compare`]. Updating is explicit (`--update`); without it a missing or changed
//! snapshot fails and the new version lands beside it as `.json.new` for review — except in CI,
//! where nothing is written.

mod file;
mod review;

pub use file::{read, Meta, SnapResponse, Snapshot};
pub use review::{accept, corrupt_pending, pending, reject, Pending};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{self, DiffOptions, Difference};
use crate::normalize::{NormalizedScenario, NormalizedStep};
use crate::run::ScenarioRun;

/// What a run does with snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Compare; write `.json.new` beside a missing or changed snapshot.
    Compare,
    /// Compare; write nothing (CI).
    CompareReadOnly,
    /// Write every compared step's snapshot (only when its content changed).
    Update,
}

/// How a run compares with snapshots.
#[derive(Clone, Debug)]
pub struct Options {
    /// The snapshot tree to read and write (`snapshots/`, or `snapshots/@<version>/`).
    pub dir: PathBuf,
    /// Compare, compare read-only, or update.
    pub mode: Mode,
    /// Where the truth of newly written snapshots comes from (`meta.source`).
    pub source: Source,
    /// How responses are compared.
    pub diff: DiffOptions,
    /// The known deviations (a baseline): a step whose differences are all known proposes no
    /// new reference.
    pub known: Option<Known>,
}

/// Whether every difference of a step (scenario key, step id) is a known deviation, so the
/// step's response is not a candidate reference (no `.json.new`). Built from a baseline by the
/// pipeline; the snapshot layer only asks.
#[derive(Clone)]
pub struct Known(pub Arc<KnownFn>);

/// The question [`Known`] answers: scenario key, step id, the step's differences.
pub type KnownFn = dyn Fn(&str, &str, &[Difference]) -> bool + Send + Sync;

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Known(..)")
    }
}

/// Provenance of snapshots written by this run.
#[derive(Clone, Debug)]
pub enum Source {
    /// Recorded from Stripe test mode: the truth is Stripe's.
    StripeTestMode,
    /// Rendered by the embedded mock: the truth is the shared reference (or a seed).
    EmbeddedMock,
    /// Recorded from some other target.
    Other(String),
}

/// The outcome of comparing one step with its snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Matches its snapshot.
    Match,
    /// Differs from its snapshot.
    Differs,
    /// No snapshot exists yet.
    Missing,
    /// Written (or rewritten) by `--update`.
    Updated,
    /// `--update` found it unchanged.
    Unchanged,
    /// Not compared: `snapshot: false`, skipped, or no response.
    NotCompared,
    /// The snapshot file is not a snapshot (or cannot be read): this step fails, the run goes
    /// on; `--update` rewrites it, and in compare mode the response lands as `.json.new`.
    Unreadable,
}

/// One step compared with its snapshot.
#[derive(Clone, Debug, Serialize)]
pub struct StepComparison {
    /// Index into `ScenarioRun::steps`.
    pub position: usize,
    /// The outcome.
    pub verdict: Verdict,
    /// The snapshot file.
    pub file: PathBuf,
    /// The differences (expected: the snapshot, actual: the response).
    pub differences: Vec<Difference>,
    /// Provenance of the snapshot compared against (or just written).
    pub meta: Option<Meta>,
    /// The pending `.json.new` written for review, if any.
    pub pending: Option<PathBuf>,
    /// Why the snapshot could not be read ([`Verdict::Unreadable`]), naming the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Leaf fields compared and those without a difference ([`diff::field_counts`]), when a
    /// snapshot existed.
    #[serde(skip)]
    pub fields: Option<(usize, usize)>,
    /// With differences: the RFC 6902 patch turning the snapshot's body into the response's.
    #[serde(skip)]
    pub patch: Option<Value>,
    /// With differences: the unified diff of the two bodies, pretty-printed (plain text).
    #[serde(skip)]
    pub unified: Option<String>,
}

impl StepComparison {
    /// Keeps what the report shows of the two bodies (field counts, and with differences the
    /// patch and the unified diff), so neither body has to be held until the report is built.
    pub fn settle(&mut self, expected: &Value, actual: &Value) {
        self.fields = Some(diff::field_counts(expected, actual, &self.differences));
        if !self.differences.is_empty() {
            self.patch =
                Some(serde_json::to_value(diff::patch(expected, actual)).unwrap_or(Value::Null));
            self.unified = Some(diff::unified(expected, actual, false));
        }
    }
}

/// A snapshot that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file is not a snapshot.
    #[error("{path}:{line}:{column}: not a valid snapshot: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// `snapshots/<scenario key>/<NN>-<step>.json`.
pub fn path_for(dir: &Path, scenario_key: &str, index: usize, step: &str) -> PathBuf {
    let mut p = dir.to_path_buf();
    for part in scenario_key.split('/') {
        p.push(part);
    }
    p.push(format!("{index:02}-{step}.json"));
    p
}

/// The tree of `version` beside `dir` (`snapshots/` for the pinned default version,
/// `snapshots/@<version>/` for another), whichever of the two `dir` is.
pub fn version_tree(dir: &Path, version: &str) -> PathBuf {
    let base = match dir.file_name().and_then(|n| n.to_str()) {
        Some(n) if n.starts_with('@') => dir.parent().unwrap_or(Path::new(".")),
        _ => dir,
    };
    if version == crate::version::DEFAULT_STRIPE_VERSION {
        base.to_path_buf()
    } else {
        base.join(format!("@{version}"))
    }
}

/// Whether two provenance texts name the same source, ignoring the day it was recorded on
/// (`recorded from Stripe test mode on 2026-12-01`): re-recording the same answer the next day
/// is not a change worth a rewrite.
fn same_source(old: &str, new: &str) -> bool {
    fn undated(s: &str) -> &str {
        match s.rsplit_once(" on ") {
            Some((head, day)) if crate::version::version_date(day).is_some() => head,
            _ => s,
        }
    }
    undated(old) == undated(new)
}

/// Whether pointer `outer` is `inner` or one of its ancestors.
fn covers(outer: &str, inner: &str) -> bool {
    inner == outer || (inner.starts_with(outer) && inner.as_bytes().get(outer.len()) == Some(&b'/'))
}

/// Compares every step of a run with its snapshot (or writes snapshots, in update mode).
pub fn compare(
    run: &ScenarioRun,
    normalized: &NormalizedScenario,
    opts: &Options,
) -> Result<Vec<StepComparison>, SnapshotError> {
    normalized
        .steps
        .iter()
        .map(|ns| compare_step(run, ns.clone(), opts))
        .collect()
}

/// Compares one normalized step of a run with its snapshot (or writes it, in update mode). The
/// step is consumed: what the report needs of it is kept in the comparison.
pub fn compare_step(
    run: &ScenarioRun,
    ns: NormalizedStep,
    opts: &Options,
) -> Result<StepComparison, SnapshotError> {
    let step = &run.steps[ns.position];
    // Answers recorded at another Stripe-Version than the tree compared against belong to that
    // version's tree (`snapshots/@<version>/`): a drift check's pending files and `--update`'s
    // writes never land among another version's references.
    let home = version_tree(&opts.dir, &run.stripe_version);
    let compared = path_for(&opts.dir, &run.scenario.key, step.index, &step.id);
    let own = path_for(&home, &run.scenario.key, step.index, &step.id);
    let file = if opts.mode == Mode::Update {
        own.clone()
    } else {
        compared
    };
    let mut cmp = StepComparison {
        position: ns.position,
        verdict: Verdict::NotCompared,
        file,
        differences: vec![],
        meta: None,
        pending: None,
        error: None,
        fields: None,
        patch: None,
        unified: None,
    };
    let status = match (step.compare, ns.status) {
        (true, Some(s)) => s,
        _ => return Ok(cmp),
    };
    let file = cmp.file.clone();
    // One bad file fails its step, not the run: the others still compare and reports are
    // written.
    // The recorded body is parsed only when the response is not its text byte for byte: the
    // same value then, which no diff option can make differ (`old_body` stays `None`).
    let read = file::read_stored(&file).and_then(|stored| match stored {
        Some(old) if old.status == status && old.body_is(&ns.body) => Ok(Some((old, None))),
        Some(old) => old.body().map(|body| Some((old, Some(body)))),
        None => Ok(None),
    });
    let (existing, unreadable) = match read {
        Ok(s) => (s, None),
        Err(e) => (None, Some(e)),
    };
    let scenario_step = run
        .scenario
        .steps
        .iter()
        .chain(&run.scenario.teardown)
        .find(|s| s.id == step.id);
    // Built only when a file is written or rewritten (most steps only compare).
    let meta = || Meta {
        scenario: run.scenario.key.clone(),
        step: step.id.clone(),
        source: file::source_text(&opts.source, run, scenario_step),
        stripe_version: run.stripe_version.clone(),
        recorded_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    };
    // Built only when something is written.
    let fresh = |meta: Meta, ns: NormalizedStep| Snapshot {
        meta,
        request: ns.request,
        response: SnapResponse {
            status,
            body: ns.body,
        },
    };
    let pending_path = file::pending_path(&own);
    cmp.meta = existing.as_ref().map(|(s, _)| s.meta.clone());
    if let Some((old, old_body)) = &existing {
        // The same text is the same value, and a value never differs from itself (whatever
        // the diff options: `diff::tests::a_value_never_differs_from_itself`).
        cmp.differences = match old_body {
            Some(b) => diff::diff_response(old.status, b, status, &ns.body, &opts.diff),
            None => Vec::new(),
        };
        let old_body = old_body.as_ref().unwrap_or(&ns.body);
        // `expect.ignore`: values the recording's author redacted carry no truth to compare.
        if let Some(s) = scenario_step.filter(|s| !s.expect.ignore.is_empty()) {
            cmp.differences
                .retain(|d| !s.expect.ignore.iter().any(|(p, _)| covers(p, &d.pointer)));
        }
        cmp.settle(old_body, &ns.body);
    }
    match (&opts.mode, existing) {
        (Mode::Update, Some((old, old_body))) => {
            let meta = meta();
            let same_content = old.status == status
                && old_body.as_ref().is_none_or(|b| *b == ns.body)
                && old.request().is_ok_and(|r| r == ns.request)
                && same_source(&old.meta.source, &meta.source)
                && old.meta.stripe_version == meta.stripe_version;
            if same_content {
                cmp.verdict = Verdict::Unchanged;
            } else {
                cmp.meta = Some(meta.clone());
                file::write_atomic(&file, &fresh(meta, ns))?;
                cmp.verdict = Verdict::Updated;
            }
            file::remove_if_exists(&pending_path)?;
        }
        (Mode::Update, None) => {
            let meta = meta();
            cmp.meta = Some(meta.clone());
            file::write_atomic(&file, &fresh(meta, ns))?;
            cmp.verdict = Verdict::Updated;
            file::remove_if_exists(&pending_path)?;
        }
        (mode, Some(_)) => {
            if cmp.differences.is_empty() {
                cmp.verdict = Verdict::Match;
                if *mode == Mode::Compare {
                    file::remove_if_exists(&pending_path)?;
                }
            } else {
                cmp.verdict = Verdict::Differs;
                // A known deviation is not a new reference: propose one only for a step with
                // a difference the baseline does not accept (and drop an older proposal).
                let known = opts
                    .known
                    .as_ref()
                    .is_some_and(|k| (k.0)(&run.scenario.key, &step.id, &cmp.differences));
                if *mode == Mode::Compare && known {
                    file::remove_if_exists(&pending_path)?;
                } else if *mode == Mode::Compare {
                    file::write_atomic(&pending_path, &fresh(meta(), ns))?;
                    cmp.pending = Some(pending_path);
                }
            }
        }
        (mode, None) if unreadable.is_some() => {
            cmp.verdict = Verdict::Unreadable;
            let why = unreadable.map(|e| e.to_string()).unwrap_or_default();
            cmp.error = Some(if *mode == Mode::Compare {
                file::write_atomic(&pending_path, &fresh(meta(), ns))?;
                cmp.pending = Some(pending_path);
                format!("{why} (the response is in the .json.new beside it: `apiparity accept` or `--update` replaces the file)")
            } else {
                format!("{why} (`--update` rewrites it)")
            });
        }
        (mode, None) => {
            cmp.verdict = Verdict::Missing;
            if *mode == Mode::Compare {
                file::write_atomic(&pending_path, &fresh(meta(), ns))?;
                cmp.pending = Some(pending_path);
            }
        }
    }
    Ok(cmp)
}
