//! Command-line flags and apiparity.yaml, validated into one value ([`RunConfig`]) that the
//! rest of the program reads. Nothing after this module looks at flags or the environment
//! for settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diff::DiffOptions;
use crate::input::diag::Diagnostics;
use crate::input::reader::Reader;
use crate::normalize::Rules;
use crate::run::{RateLimit, RetryPolicy, Target, TargetKind};
use crate::secret::Secret;
use crate::snapshot;
use crate::version::DEFAULT_STRIPE_VERSION;

/// The key apiparity sends to mocks when no STRIPE_API_KEY is set: test-shaped, obviously fake.
pub const MOCK_API_KEY: &str = "sk_test_apiparity";
pub const STRIPE_BASE_URL: &str = "https://api.stripe.com";

#[derive(Debug, Parser)]
#[command(
    name = "apiparity",
    version,
    about = "Tells, field by field, where an HTTP API (Stripe's invoice API) and its mocks disagree."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against a target, compare with the snapshots, write reports.
    Run(Box<RunArgs>),
    /// Validate scenarios (and apiparity.yaml) without sending a request.
    Check(CheckArgs),
    /// Serve the embedded reference mock of Stripe's invoice API.
    Mock(MockArgs),
    /// Show pending snapshot changes (`*.json.new`) against the current snapshots.
    Review(ReviewArgs),
    /// Accept pending snapshots: replace each snapshot with its `.json.new`.
    Accept(ReviewArgs),
    /// Reject pending snapshots: delete the `.json.new` files.
    Reject(ReviewArgs),
    /// Run scenarios against two targets and diff their normalized responses (no snapshots).
    Diff(Box<DiffArgs>),
    /// Run the suite several times against one target and suggest normalization rules for
    /// fields that differ between honest runs.
    LearnNoise(Box<LearnNoiseArgs>),
    /// Remove what earlier (interrupted) runs left in the target: customers tagged
    /// `metadata[apiparity_run]`, their draft invoices (deleted) and open invoices (voided).
    Sweep(SweepArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only objects created at least this long ago (so a running suite is left alone).
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub older_than: Duration,
    /// List what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Which scenarios, at which version, with which rules: shared by `diff` and `learn-noise`.
#[derive(Debug, Clone, Args)]
pub struct SuiteArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Scenarios run at the same time.
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Stripe-Version sent with every request (scenarios may pin their own).
    #[arg(long, env = "APIPARITY_STRIPE_VERSION", value_name = "VERSION")]
    pub stripe_version: Option<String>,
    /// Rules file. Default: ./apiparity.yaml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
}

impl SuiteArgs {
    /// The equivalent `run` arguments (no snapshots are read or written by these commands).
    pub fn as_run_args(&self, base_url: Option<String>) -> RunArgs {
        RunArgs {
            paths: self.paths.clone(),
            target: TargetArgs {
                base_url,
                timeout: self.timeout,
                jobs: self.jobs,
                max_retries: 2,
                rate: None,
            },
            stripe_version: self.stripe_version.clone(),
            snapshot_version: None,
            snapshots: PathBuf::from("snapshots"),
            update: false,
            report_dir: PathBuf::from("reports"),
            config: self.config.clone(),
            tags: self.tags.clone(),
            filters: self.filters.clone(),
            additive: AdditivePolicy::Fail,
            baseline: None,
            write_baseline: None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The first target's base URL (`embedded` for the embedded mock).
    #[arg(long, value_name = "URL")]
    pub left: String,
    /// The second target's base URL (`embedded` for the embedded mock).
    #[arg(long, value_name = "URL")]
    pub right: String,
    /// Print the differences as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LearnNoiseArgs {
    /// The target (default: the embedded mock).
    #[arg(long, env = "APIPARITY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// How many honest runs to compare (at least 2).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(2..=20))]
    pub runs: u16,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Target base URL (a mock, a proxy). Default: Stripe when STRIPE_API_KEY is set, else the
    /// embedded mock.
    #[arg(long, env = "APIPARITY_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Per-request timeout.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Scenarios run at the same time.
    #[arg(long, short = 'j', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Transport retries per request (connection errors, timeouts, 409, 429, 5xx).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub max_retries: u32,
    /// Requests per second (default: 20 against Stripe, unlimited on loopback).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdditivePolicy {
    /// New fields fail the run.
    Fail,
    /// New fields are reported but do not fail the run.
    Warn,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Stripe-Version sent with every request (scenarios may pin their own).
    #[arg(long, env = "APIPARITY_STRIPE_VERSION", value_name = "VERSION")]
    pub stripe_version: Option<String>,
    /// Compare against the snapshots recorded at this version (`snapshots/@VERSION/`).
    /// Default: the suite's pinned version, so `--stripe-version OLD` alone is a drift check.
    #[arg(long, value_name = "VERSION")]
    pub snapshot_version: Option<String>,
    /// The snapshot directory.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,
    /// Write snapshots from this run (atomically); nothing is compared as a failure.
    #[arg(long, env = "APIPARITY_UPDATE", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub update: bool,
    /// Where report.json, junit.xml, summary.md and report.html go.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub report_dir: PathBuf,
    /// Rules file (normalizer and diff settings). Default: ./apiparity.yaml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only scenarios with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only scenarios whose key or name contains this text (repeatable: any of them).
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
    /// Whether additive differences (a field the snapshot does not have) fail the run.
    #[arg(long, value_enum, default_value = "fail")]
    pub additive: AdditivePolicy,
    /// Known deviations of this target (`mocks/<name>.yaml`): listed differences do not fail
    /// the run; a listed difference that no longer occurs does.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's differences as a starting baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// 12111 is stripe-mock's port, so the mock drops in where stripe-mock was.
    #[arg(long, default_value_t = 12111)]
    pub port: u16,
    /// Fixed delay per response, in milliseconds (imitates Stripe's round trip).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Only pending files whose path contains this text.
    #[arg(default_value = "")]
    pub filter: String,
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30s, 1500ms, 2m)"))
}

/// Errors that stop the program before anything is sent: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Usage(String),
    #[error("{}", .0)]
    Files(Diagnostics),
}

/// Everything a run reads, validated.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub paths: Vec<PathBuf>,
    /// Scenario keys are relative to this directory.
    pub scenarios_root: PathBuf,
    /// `None`: start the embedded mock and target it.
    pub target: Option<Target>,
    pub api_key: Option<Secret>,
    pub timeout: Duration,
    pub jobs: usize,
    pub retry: RetryPolicy,
    pub rate: Option<RateLimit>,
    pub stripe_version: String,
    pub snapshot_dir: PathBuf,
    pub snapshot_mode: snapshot::Mode,
    pub report_dir: PathBuf,
    pub rules: Arc<Rules>,
    pub diff: DiffOptions,
    pub tags: Vec<String>,
    pub filters: Vec<String>,
    pub additive_fails: bool,
}

/// True when running under CI (the `CI` variable is set to anything but empty/false/0).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The API key from the environment, refusing live-mode keys.
pub fn api_key_from_env() -> Result<Option<Secret>, ConfigError> {
    match std::env::var("STRIPE_API_KEY") {
        Ok(k) if k.trim().is_empty() => Ok(None),
        Ok(k) => {
            let key = Secret::new(k.trim());
            if key.is_live() {
                return Err(ConfigError::Usage(format!(
                    "STRIPE_API_KEY is a live-mode key ({}): apiparity refuses live keys and sent no request. Use a test-mode key (sk_test_… or rk_test_…).",
                    key.masked()
                )));
            }
            Ok(Some(key))
        }
        Err(_) => Ok(None),
    }
}

/// Reads the rules file: the given one, or ./apiparity.yaml when present, over the built-in
/// defaults.
pub fn load_rules(explicit: Option<&Path>) -> Result<(Rules, DiffOptions), ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("apiparity.yaml")).filter(|p| p.exists()),
    };
    let (rules, diff) = (Rules::defaults(), DiffOptions::defaults());
    let Some(path) = path else {
        return Ok((rules, diff));
    };
    let mut r = Reader::new(&path);
    let Some(text) = r.read("rules file") else {
        return Err(ConfigError::Files(r.finish(()).unwrap_err()));
    };
    let Some(root) = r.parse(&text) else {
        return r.finish((rules, diff)).map_err(ConfigError::Files);
    };
    if let Some(entries) = r.map(&root, "rules file") {
        r.check_keys(entries, &["normalize", "diff"], "rules file");
    }
    let mut diags = r.into_diagnostics();
    let rules = match root.get("normalize") {
        Some(n) => rules.merged(n, &path).unwrap_or_else(|d| {
            diags.extend(d.0);
            Rules::defaults()
        }),
        None => rules,
    };
    let diff = match root.get("diff") {
        Some(n) => diff.merged(n, &path).unwrap_or_else(|d| {
            diags.extend(d.0);
            DiffOptions::defaults()
        }),
        None => diff,
    };
    if diags.is_empty() {
        Ok((rules, diff))
    } else {
        diags.sort_by_key(|d| d.span);
        Err(ConfigError::Files(Diagnostics(diags)))
    }
}

impl RunConfig {
    pub fn from_args(a: &RunArgs) -> Result<RunConfig, ConfigError> {
        let api_key = api_key_from_env()?;
        let target = resolve_target(a.target.base_url.as_deref(), api_key.clone())?;
        let (rules, diff) = load_rules(a.config.as_deref())?;
        for v in [&a.stripe_version, &a.snapshot_version]
            .into_iter()
            .flatten()
        {
            if crate::version::version_date(v).is_none() {
                return Err(ConfigError::Usage(format!(
                    "invalid Stripe API version `{v}`: expected YYYY-MM-DD or YYYY-MM-DD.name (e.g. {DEFAULT_STRIPE_VERSION})"
                )));
            }
        }
        let snapshot_version = a
            .snapshot_version
            .clone()
            .unwrap_or_else(|| DEFAULT_STRIPE_VERSION.to_string());
        let stripe_version = a
            .stripe_version
            .clone()
            .or_else(|| a.snapshot_version.clone())
            .unwrap_or_else(|| DEFAULT_STRIPE_VERSION.to_string());
        let snapshot_dir = snapshot_tree(&a.snapshots, &snapshot_version);
        let snapshot_mode = if a.update {
            snapshot::Mode::Update
        } else if in_ci() {
            snapshot::Mode::CompareReadOnly
        } else {
            snapshot::Mode::Compare
        };
        let rate = match a.target.rate {
            Some(r) if !(r > 0.0 && r.is_finite()) => {
                return Err(ConfigError::Usage(format!(
                    "--rate must be a positive number, got {r}"
                )))
            }
            Some(r) => Some(RateLimit {
                per_second: r,
                search_per_second: r.min(RateLimit::stripe_test_mode().search_per_second),
            }),
            None => match &target {
                Some(t) if !t.is_loopback() => Some(RateLimit::stripe_test_mode()),
                _ => None,
            },
        };
        let scenarios_root = scenarios_root(&a.paths);
        Ok(RunConfig {
            paths: a.paths.clone(),
            scenarios_root,
            target,
            api_key,
            timeout: a.target.timeout,
            jobs: usize::from(a.target.jobs),
            retry: RetryPolicy {
                max_retries: a.target.max_retries,
                ..RetryPolicy::default()
            },
            rate,
            stripe_version,
            snapshot_dir,
            snapshot_mode,
            report_dir: a.report_dir.clone(),
            rules: Arc::new(rules),
            diff,
            tags: a.tags.clone(),
            filters: a.filters.clone(),
            additive_fails: a.additive == AdditivePolicy::Fail,
        })
    }

    /// For `check`: no target, no key, nothing that could send a request.
    pub fn for_check(a: &CheckArgs) -> Result<RunConfig, ConfigError> {
        let (rules, diff) = load_rules(a.config.as_deref())?;
        Ok(RunConfig {
            paths: a.paths.clone(),
            scenarios_root: scenarios_root(&a.paths),
            target: None,
            api_key: None,
            timeout: Duration::from_secs(30),
            jobs: 1,
            retry: RetryPolicy::default(),
            rate: None,
            stripe_version: DEFAULT_STRIPE_VERSION.to_string(),
            snapshot_dir: PathBuf::from("snapshots"),
            snapshot_mode: snapshot::Mode::CompareReadOnly,
            report_dir: PathBuf::from("reports"),
            rules: Arc::new(rules),
            diff,
            tags: vec![],
            filters: vec![],
            additive_fails: true,
        })
    }

    /// Defaults as the CLI would have them with no flags (used by `cargo test`).
    pub fn from_env_defaults() -> Result<RunConfig, ConfigError> {
        let cli = Cli::try_parse_from(["apiparity", "run"])
            .map_err(|e| ConfigError::Usage(e.to_string()))?;
        match cli.command {
            Command::Run(a) => RunConfig::from_args(&a),
            _ => Err(ConfigError::Usage("unreachable".into())),
        }
    }
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

/// Target choice: `--base-url`/APIPARITY_BASE_URL, else STRIPE_API_KEY → Stripe, else the
/// embedded mock (`None`).
pub fn resolve_target(
    base_url: Option<&str>,
    api_key: Option<Secret>,
) -> Result<Option<Target>, ConfigError> {
    match base_url.map(str::trim).filter(|s| !s.is_empty()) {
        Some(url) => {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::Usage(format!("--base-url `{url}` is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(ConfigError::Usage(format!(
                    "--base-url `{url}` must be an http(s) URL with a host"
                )));
            }
            let kind = if parsed.host_str() == Some("api.stripe.com") {
                TargetKind::Stripe
            } else {
                TargetKind::Custom
            };
            if kind == TargetKind::Stripe && api_key.is_none() {
                return Err(ConfigError::Usage(
                    "the target is Stripe but STRIPE_API_KEY is not set (put a test key in .env)"
                        .into(),
                ));
            }
            Ok(Some(Target {
                base_url: url.trim_end_matches('/').to_string(),
                api_key: Some(api_key.unwrap_or_else(|| Secret::new(MOCK_API_KEY))),
                kind,
            }))
        }
        None => Ok(api_key.map(|key| Target {
            base_url: STRIPE_BASE_URL.to_string(),
            api_key: Some(key),
            kind: TargetKind::Stripe,
        })),
    }
}
