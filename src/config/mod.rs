//! Settings, validated into one value ([`RunConfig`]) that builds what the stages need. Nothing
//! after this module looks at flags or the environment for settings.
//!
//! The way in is plain data: [`Settings`] (its [`Default`] is `apiparity run` with no flags, and
//! the CLI's defaults are read from it), then [`RunConfig::new`] validates it and resolves the
//! target ([`target`]) and the rules ([`rules_file`]). Per target, [`RunConfig::session`] builds
//! the run options, the redactor, the snapshot options and the target's description for the
//! report, so no later stage derives them again.

mod error;
pub mod project;
pub mod rules_file;
pub mod target;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::diff::DiffOptions;
use crate::normalize::Rules;
use crate::report::TargetInfo;
use crate::run::{Progress, RateLimit, RetryPolicy, RunOptions, Target, TargetKind};
use crate::secret::{Redactor, Secret};
use crate::snapshot::{self, Source};
use crate::verdict::Policy;
use crate::version::DEFAULT_STRIPE_VERSION;

pub use error::InputError;
pub use rules_file::{default_diff_options, default_rules};
pub use target::{
    api_key_from_env, in_ci, TargetChoice, TargetSpec, EMBEDDED, MOCK_API_KEY, STRIPE_BASE_URL,
};

/// Environment variables that stand for flags (the CLI reads them through clap; the `cargo
/// test` harness through [`Settings::from_env`]).
pub mod env {
    /// `--base-url`.
    pub const BASE_URL: &str = "APIPARITY_BASE_URL";
    /// `--stripe-version`.
    pub const STRIPE_VERSION: &str = "APIPARITY_STRIPE_VERSION";
    /// `--update`.
    pub const UPDATE: &str = "APIPARITY_UPDATE";
    /// `--max-body`.
    pub const MAX_BODY: &str = "APIPARITY_MAX_BODY";
}

/// How requests are sent: the same for every command that sends any.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSettings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Scenarios run at the same time; `None`: [`DEFAULT_JOBS`] at first, more when the
    /// target is slow (see [`crate::run::RunOptions::adaptive`]).
    pub jobs: Option<u16>,
    /// Transport retries per request (connection errors, timeouts, 409, 429, 5xx).
    pub max_retries: u32,
    /// Requests per second; `None`: the target's default (see [`target::rate_limit`]).
    pub rate: Option<f64>,
    /// Longest a `retry:` step polls; `None`: the target's default (see [`target::polling`]).
    pub poll_timeout: Option<Duration>,
    /// Longest pause between polls; `None`: the target's default.
    pub poll_interval: Option<Duration>,
    /// Longest response body accepted, in bytes (longer: the step fails with a clear error).
    pub max_body: usize,
}

/// Scenarios run at once when `--jobs` is not given (at first: more when the target is slow).
pub const DEFAULT_JOBS: u16 = 4;

impl Default for RequestSettings {
    fn default() -> Self {
        RequestSettings {
            timeout: Duration::from_secs(30),
            jobs: None,
            max_retries: 2,
            rate: None,
            poll_timeout: None,
            poll_interval: None,
            max_body: crate::run::DEFAULT_MAX_BODY,
        }
    }
}

/// Everything a run can be told, as plain data. `Settings::default()` is `apiparity run` with
/// no flags and no environment; the CLI's flag defaults come from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Scenario files or directories.
    pub paths: Vec<PathBuf>,
    /// Where the target comes from.
    pub target: TargetSpec,
    /// How requests are sent.
    pub requests: RequestSettings,
    /// Stripe-Version sent with every request (scenarios may pin their own).
    pub stripe_version: Option<String>,
    /// Compare against the snapshots recorded at this version (`snapshots/@VERSION/`).
    pub snapshot_version: Option<String>,
    /// The snapshot directory.
    pub snapshots: PathBuf,
    /// Write snapshots from this run instead of comparing.
    pub update: bool,
    /// Where the reports go.
    pub report_dir: PathBuf,
    /// The rules file; `None`: ./apiparity.yaml when present.
    pub config: Option<PathBuf>,
    /// Only scenarios with one of these tags.
    pub tags: Vec<String>,
    /// Only scenarios whose key or name contains one of these.
    pub filters: Vec<String>,
    /// Only this slice of the selected scenarios (`--partition k/n`).
    pub partition: Option<crate::pipeline::partition::Partition>,
    /// Whether additive differences (fields the snapshot lacks) fail the run.
    pub additive_fails: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            paths: vec![PathBuf::from("scenarios")],
            target: TargetSpec::default(),
            requests: RequestSettings::default(),
            stripe_version: None,
            snapshot_version: None,
            snapshots: PathBuf::from("snapshots"),
            update: false,
            report_dir: PathBuf::from("reports"),
            config: None,
            tags: Vec::new(),
            filters: Vec::new(),
            partition: None,
            additive_fails: true,
        }
    }
}

impl Settings {
    /// The defaults plus the environment variables that stand for flags ([`mod@env`]), as
    /// `apiparity run` with no flags reads them (used by the `cargo test` harness).
    pub fn from_env() -> Result<Settings, InputError> {
        let var = |name: &str| std::env::var(name).ok();
        let update = match var(env::UPDATE) {
            None => false,
            Some(v) => boolish(&v).ok_or_else(|| {
                InputError::Usage(format!(
                    "{}: expected true or false, got `{v}`",
                    env::UPDATE
                ))
            })?,
        };
        let mut requests = RequestSettings::default();
        if let Some(v) = var(env::MAX_BODY) {
            requests.max_body =
                parse_size(&v).map_err(|e| InputError::Usage(format!("{}: {e}", env::MAX_BODY)))?;
        }
        Ok(Settings {
            target: TargetSpec::Auto(var(env::BASE_URL)),
            stripe_version: var(env::STRIPE_VERSION),
            update,
            requests,
            ..Settings::default()
        })
    }
}

/// A size in bytes: `1048576`, `512KiB`, `16MiB`, `1GB` (KB/MB/GB are powers of 1000).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let bad = || format!("invalid size `{s}` (examples: 1048576, 512KiB, 16MiB, 1GB)");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1024,
        "mb" => 1000 * 1000,
        "mib" | "m" => 1024 * 1024,
        "gb" => 1000 * 1000 * 1000,
        "gib" | "g" => 1024 * 1024 * 1024,
        _ => return Err(bad()),
    };
    n.checked_mul(mult)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(bad)
}

/// The words clap's boolish parser accepts for `--update`/APIPARITY_UPDATE.
fn boolish(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// How requests are sent, validated.
#[derive(Clone, Debug)]
pub struct Requests {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Scenarios run at the same time (at first, when `adaptive`).
    pub jobs: usize,
    /// `--jobs` was not given: concurrency may rise with the target's latency.
    pub adaptive: bool,
    /// Transport retries (connection errors, timeouts, 409, 429, 5xx).
    pub retry: RetryPolicy,
    /// A checked `--rate`; `None`: the target's default.
    pub rate: Option<f64>,
    /// `--poll-timeout`; `None`: the target's default.
    pub poll_timeout: Option<Duration>,
    /// `--poll-interval`; `None`: the target's default.
    pub poll_interval: Option<Duration>,
    /// `--max-body`, in bytes.
    pub max_body: usize,
}

impl Requests {
    /// Validates the settings (`--rate` once, for every command).
    pub fn new(s: &RequestSettings) -> Result<Requests, InputError> {
        // A zero timeout makes every request race the clock: results would differ per run.
        if s.timeout.is_zero() {
            return Err(InputError::Usage(
                "--timeout must be longer than 0s (e.g. 30s, 1500ms)".to_string(),
            ));
        }
        if s.max_body == 0 {
            return Err(InputError::Usage(
                "--max-body must be at least 1 byte (default 16MiB)".to_string(),
            ));
        }
        Ok(Requests {
            max_body: s.max_body,
            timeout: s.timeout,
            jobs: usize::from(s.jobs.unwrap_or(DEFAULT_JOBS).max(1)),
            adaptive: s.jobs.is_none(),
            retry: RetryPolicy {
                max_retries: s.max_retries,
                ..RetryPolicy::default()
            },
            rate: target::check_rate(s.rate)?,
            poll_timeout: s.poll_timeout,
            poll_interval: s.poll_interval,
        })
    }

    /// The rate limit against `target`: `--rate`, else the target's default.
    pub fn rate_limit(&self, target: &Target) -> Option<RateLimit> {
        target::rate_limit(self.rate, target)
    }

    /// The runner's options against `target`, with its rate limit.
    pub fn run_options(&self, target: Target, stripe_version: &str, run_id: &str) -> RunOptions {
        RunOptions {
            rate_limit: self.rate_limit(&target),
            polling: target::polling(&target, self.poll_timeout, self.poll_interval),
            target,
            jobs: self.jobs,
            adaptive: self.adaptive,
            progress: None,
            timeout: self.timeout,
            stripe_version: stripe_version.to_string(),
            run_id: run_id.to_string(),
            retry: self.retry.clone(),
            redactor: Redactor::new(),
            max_body: self.max_body,
        }
    }
}

/// Everything a run reads, validated.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Scenario files or directories.
    pub paths: Vec<PathBuf>,
    /// Scenario keys are relative to this directory.
    pub scenarios_root: PathBuf,
    /// What to run against.
    pub target: TargetChoice,
    /// STRIPE_API_KEY (a test-mode key: live keys are refused here).
    pub api_key: Option<Secret>,
    /// How requests are sent.
    pub requests: Requests,
    /// The Stripe-Version requests carry (scenarios may pin their own).
    pub stripe_version: String,
    /// The snapshot tree compared against (`snapshots/`, or `snapshots/@<version>/`).
    pub snapshot_dir: PathBuf,
    /// Compare, compare without writing (CI), or update.
    pub snapshot_mode: snapshot::Mode,
    /// Where the reports go.
    pub report_dir: PathBuf,
    /// apiparity.yaml's normalization rules over the built-in ones.
    pub rules: Arc<Rules>,
    /// apiparity.yaml's diff settings over the built-in ones.
    pub diff: DiffOptions,
    /// Only scenarios with one of these tags.
    pub tags: Vec<String>,
    /// Only scenarios whose key or name contains one of these.
    pub filters: Vec<String>,
    /// Only this slice of the selected scenarios.
    pub partition: Option<crate::pipeline::partition::Partition>,
    /// What counts as failure.
    pub policy: Policy,
    /// Where the runner's progress events go (`None`: nowhere). Not a setting: a caller that
    /// shows progress sets it before running.
    pub progress: Option<Progress>,
}

/// What one run against one target needs, built once by the config.
#[derive(Clone, Debug)]
pub struct Session {
    /// The runner's options, with the target and its rate limit.
    pub run: RunOptions,
    /// Scrubs the keys in play from everything written or printed.
    pub redactor: Redactor,
    /// Where snapshots are, and what newly recorded ones say about their source.
    pub snapshots: snapshot::Options,
    /// The target as the report names it.
    pub target: TargetInfo,
}

impl RunConfig {
    /// How many async workers the run's runtime gets; `None`: one per core (tokio's default).
    /// One scenario at a time against a target of its own (`--jobs 1`) needs one: every
    /// request waits for the one before it, and a second worker only moves the run's task
    /// from core to core, each move a thread woken (measured: 0.70-0.85x the wall time with
    /// one). So does any run against a target of its own on this machine (loopback): the
    /// target needs the other cores, and responses handed between workers cost more than
    /// parsing them on two (the Hurl benchmark's flows on 2 cores, one worker against two:
    /// 0.90x the wall time and 0.76x the CPU at --jobs 4, 0.93x and 0.78x at --jobs 2). The
    /// embedded mock answers on the run's own workers, so it keeps them all (one: 1.26x the
    /// wall time); a remote target keeps one per core for parsing beside the wire.
    pub fn async_workers(&self) -> Option<usize> {
        let one_at_a_time = !self.requests.adaptive && self.requests.jobs == 1;
        let target = self.target.target()?;
        (one_at_a_time || target.is_loopback()).then_some(1)
    }

    /// Validates the settings, resolves the target and reads the rules file.
    pub fn new(s: Settings) -> Result<RunConfig, InputError> {
        let api_key = api_key_from_env()?;
        let target = TargetChoice::resolve(&s.target, api_key.clone())?;
        let defaults = Settings::default();
        let project = project::find(&s.paths, &defaults.paths)?;
        let (rules, diff) =
            rules_file::load(project_config(&project, s.config.as_deref()).as_deref())?;
        // The default snapshot tree is the project's; a --snapshots given is taken as is.
        let snapshots = if s.snapshots == defaults.snapshots {
            project::under(&project.root, &s.snapshots)
        } else {
            s.snapshots.clone()
        };
        for v in [&s.stripe_version, &s.snapshot_version]
            .into_iter()
            .flatten()
        {
            if crate::version::version_date(v).is_none() {
                return Err(InputError::Usage(format!(
                    "invalid Stripe API version `{v}`: expected YYYY-MM-DD or YYYY-MM-DD.name (e.g. {DEFAULT_STRIPE_VERSION})"
                )));
            }
        }
        let snapshot_version = s
            .snapshot_version
            .clone()
            .unwrap_or_else(|| DEFAULT_STRIPE_VERSION.to_string());
        let stripe_version = s
            .stripe_version
            .clone()
            .or_else(|| s.snapshot_version.clone())
            .unwrap_or_else(|| DEFAULT_STRIPE_VERSION.to_string());
        let requests = Requests::new(&s.requests)?;
        let snapshot_mode = if s.update {
            snapshot::Mode::Update
        } else if in_ci() {
            snapshot::Mode::CompareReadOnly
        } else {
            snapshot::Mode::Compare
        };
        Ok(RunConfig {
            scenarios_root: scenarios_root(&project.paths),
            paths: project.paths,
            target,
            api_key,
            requests,
            stripe_version,
            snapshot_dir: snapshot_tree(&snapshots, &snapshot_version),
            snapshot_mode,
            report_dir: s.report_dir,
            rules: Arc::new(rules),
            diff,
            tags: s.tags,
            filters: s.filters,
            partition: s.partition,
            policy: Policy {
                additive_fails: s.additive_fails,
            },
            progress: None,
        })
    }

    /// For `check`: the scenarios and the rules file only; no target, no key, nothing that
    /// could send a request.
    pub fn for_check(paths: Vec<PathBuf>, config: Option<&Path>) -> Result<RunConfig, InputError> {
        let defaults = Settings::default();
        let project = project::find(&paths, &defaults.paths)?;
        let (rules, diff) = rules_file::load(project_config(&project, config).as_deref())?;
        Ok(RunConfig {
            scenarios_root: scenarios_root(&project.paths),
            paths: project.paths,
            target: TargetChoice::EmbeddedMock,
            api_key: None,
            requests: Requests::new(&RequestSettings {
                jobs: Some(1),
                ..RequestSettings::default()
            })?,
            stripe_version: DEFAULT_STRIPE_VERSION.to_string(),
            snapshot_dir: defaults.snapshots,
            snapshot_mode: snapshot::Mode::CompareReadOnly,
            report_dir: defaults.report_dir,
            rules: Arc::new(rules),
            diff,
            tags: vec![],
            filters: vec![],
            partition: None,
            policy: Policy {
                additive_fails: defaults.additive_fails,
            },
            progress: None,
        })
    }

    /// The same run at another Stripe-Version, against that version's snapshot tree (the
    /// `cargo test` harness's extra trials).
    pub fn at_version(&self, version: &str) -> RunConfig {
        RunConfig {
            stripe_version: version.to_string(),
            snapshot_dir: snapshot_tree(&self.snapshot_dir, version),
            ..self.clone()
        }
    }

    /// Everything a run against `target` needs: run options (with the target's rate limit),
    /// the redactor for the keys in play, snapshot options (with the provenance of what this
    /// target records) and the target's description for the report.
    pub fn session(&self, target: &Target, run_id: &str) -> Session {
        let redactor = Redactor::new();
        redactor.add_url_userinfo(&target.base_url);
        for key in [self.api_key.as_ref(), target.api_key.as_ref()]
            .into_iter()
            .flatten()
        {
            if key.expose() != MOCK_API_KEY {
                redactor.add(key.expose());
            }
        }
        let source = match target.kind {
            TargetKind::Stripe => Source::StripeTestMode,
            TargetKind::EmbeddedMock => Source::EmbeddedMock,
            TargetKind::Custom | TargetKind::ApiparityMock => {
                Source::Other(crate::secret::display_url(&target.base_url))
            }
        };
        Session {
            run: RunOptions {
                progress: self.progress.clone(),
                redactor: redactor.clone(),
                ..self
                    .requests
                    .run_options(target.clone(), &self.stripe_version, run_id)
            },
            redactor,
            snapshots: snapshot::Options {
                dir: self.snapshot_dir.clone(),
                mode: self.snapshot_mode.clone(),
                source,
                diff: self.diff.clone(),
                known: None,
            },
            target: TargetInfo {
                kind: target.kind,
                base_url: crate::secret::display_url(&target.base_url),
            },
        }
    }
}

/// The embedded mock's own baseline, `mocks/embedded.yaml` under the project root: a run
/// against the embedded mock without `--baseline` applies it when it exists (the recorded
/// suite's known gaps live there).
pub const EMBEDDED_BASELINE: &str = "mocks/embedded.yaml";

/// The baseline a run applies when none is given: the project's embedded-mock baseline, for a
/// run against the embedded mock.
pub fn default_baseline(cfg: &RunConfig) -> Option<PathBuf> {
    if !matches!(cfg.target, TargetChoice::EmbeddedMock) {
        return None;
    }
    let project = project::find(&cfg.paths, &Settings::default().paths).ok()?;
    Some(project::under(&project.root, Path::new(EMBEDDED_BASELINE))).filter(|p| p.is_file())
}

/// The rules file: the one given, else the project's `apiparity.yaml` when there is one.
fn project_config(project: &project::Project, explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(|| {
        Some(project::under(&project.root, Path::new("apiparity.yaml"))).filter(|p| p.is_file())
    })
}

/// `snapshots/` for the pinned default version, `snapshots/@<version>/` for another.
pub fn snapshot_tree(dir: &Path, version: &str) -> PathBuf {
    if version == DEFAULT_STRIPE_VERSION {
        dir.to_path_buf()
    } else {
        dir.join(format!("@{version}"))
    }
}

/// The directory scenario keys are relative to: the single directory given, else `scenarios/`
/// when every path lies under it, else the current directory.
fn scenarios_root(paths: &[PathBuf]) -> PathBuf {
    let default = PathBuf::from("scenarios");
    match paths {
        [p] if p.is_dir() && !p.starts_with(&default) => p.clone(),
        _ if paths.iter().all(|p| p.starts_with(&default)) => default,
        _ => PathBuf::from("."),
    }
}
