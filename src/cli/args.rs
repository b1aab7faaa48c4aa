//! The command line (clap). Flags shared by several commands are defined once, as groups that
//! are flattened where they apply, and their defaults are read from [`Settings::default`], so
//! the CLI and the library cannot disagree about what "no flag" means.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use apiparity::config::{env, RequestSettings, Settings, TargetSpec};

fn defaults() -> Settings {
    Settings::default()
}

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
    /// Accept pending snapshots: replace each snapshot with its `.json.new` (lists what it
    /// overwrites; refuses an answer from another Stripe-Version unless told).
    Accept(AcceptArgs),
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
    /// Turn recorded traffic (VCR, vcrpy, ExVCR, HAR, nock, shared recordings) into scenarios
    /// and reference snapshots.
    Import(crate::cli::import::ImportArgs),
    /// Record references through a reverse proxy: point your own test suite (any SDK) at it;
    /// it forwards to --upstream and writes what was answered as scenarios and snapshots.
    Record(RecordArgs),
    /// Work with report sets: `report merge` combines partition reports into one.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine the report sets of a suite's partitions (`run --partition k/n`, e.g. one per CI
    /// runner) into one report set (report.json, junit.xml, summary.md, report.html), exiting
    /// as the whole suite's run would.
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The partitions' report directories (or their report.json files).
    #[arg(required = true, value_name = "REPORT_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Where the merged report set goes.
    #[arg(long, default_value_os_t = defaults().report_dir, value_name = "DIR")]
    pub report_dir: PathBuf,
}

/// A duration flag (`30s`, `1500ms`, `2m`), shown the same way in `--help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

fn parse_duration(s: &str) -> Result<Dur, String> {
    humantime::parse_duration(s)
        .map(Dur)
        .map_err(|e| format!("{e} (examples: 30s, 1500ms, 2m)"))
}

/// Which scenarios, at which version, with which rules: `run`, `diff` and `learn-noise`.
#[derive(Debug, Clone, Args)]
pub struct SuiteArgs {
    /// Scenario files or directories.
    #[arg(default_values_os_t = defaults().paths)]
    pub paths: Vec<PathBuf>,
    /// Stripe-Version sent with every request (scenarios may pin their own).
    #[arg(long, env = env::STRIPE_VERSION, value_name = "VERSION")]
    pub stripe_version: Option<String>,
    /// Rules file (normalizer and diff settings). Default: the project's apiparity.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only scenarios with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only scenarios whose key or name contains this text (repeatable: any of them).
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
}

/// How requests are sent: every command that sends any.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// Per-request timeout.
    #[arg(long, default_value_t = Dur(defaults().requests.timeout), value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Dur,
    /// Scenarios run at the same time. Default: 4 at first, more when the target is slow
    /// (up to what the rate limit can use).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Transport retries per request (connection errors, timeouts, 409, 429, 5xx).
    #[arg(long, default_value_t = defaults().requests.max_retries, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub max_retries: u32,
    /// Requests per second, never exceeded in any one second (default: 20 against Stripe,
    /// unlimited on loopback).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Longest a `retry:` step polls (default: the scenario's own against Stripe and other
    /// remote targets, 1s on loopback, which is consistent at once).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub poll_timeout: Option<Dur>,
    /// Longest pause between polls (default: the scenario's own; 100ms on loopback).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub poll_interval: Option<Dur>,
    /// Longest response body accepted (e.g. 16MiB, 512KiB); a longer one fails its step.
    #[arg(long, env = env::MAX_BODY, default_value = "16MiB", value_parser = apiparity::config::parse_size, value_name = "SIZE")]
    pub max_body: usize,
}

impl RequestArgs {
    fn settings(&self) -> RequestSettings {
        RequestSettings {
            timeout: self.timeout.0,
            jobs: self.jobs,
            max_retries: self.max_retries,
            rate: self.rate,
            poll_timeout: self.poll_timeout.map(|d| d.0),
            poll_interval: self.poll_interval.map(|d| d.0),
            max_body: self.max_body,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdditivePolicy {
    /// New fields fail the run.
    Fail,
    /// New fields are reported but do not fail the run.
    Warn,
}

impl AdditivePolicy {
    fn of(fails: bool) -> AdditivePolicy {
        if fails {
            AdditivePolicy::Fail
        } else {
            AdditivePolicy::Warn
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Target base URL (a mock, a proxy). Default: Stripe when STRIPE_API_KEY is set, else the
    /// embedded mock.
    #[arg(long, env = env::BASE_URL, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub requests: RequestArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Compare against the snapshots recorded at this version (`snapshots/@VERSION/`).
    /// Default: the suite's pinned version, so `--stripe-version OLD` alone is a drift check.
    #[arg(long, value_name = "VERSION")]
    pub snapshot_version: Option<String>,
    /// The snapshot directory (default: the project's `snapshots/`).
    #[arg(long, default_value_os_t = defaults().snapshots, value_name = "DIR")]
    pub snapshots: PathBuf,
    /// Write snapshots from this run (atomically); nothing is compared as a failure.
    #[arg(long, env = env::UPDATE, value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value_t = defaults().update)]
    pub update: bool,
    /// Where report.json, junit.xml, summary.md and report.html go.
    #[arg(long, default_value_os_t = defaults().report_dir, value_name = "DIR")]
    pub report_dir: PathBuf,
    /// Whether additive differences (a field the snapshot does not have) fail the run.
    #[arg(long, value_enum, default_value_t = AdditivePolicy::of(defaults().additive_fails))]
    pub additive: AdditivePolicy,
    /// Known deviations of this target (`mocks/<name>.yaml`): listed differences do not fail
    /// the run; a listed difference that no longer occurs does.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's differences as a starting baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Run only slice k of n of the selected scenarios (`count:k/n`, the default, deals them
    /// round-robin; `hash:k/n` by key), e.g. one slice per CI runner; combine the slices'
    /// reports with `apiparity report merge`.
    #[arg(long, value_name = "K/N", value_parser = clap::value_parser!(apiparity::pipeline::partition::Partition))]
    pub partition: Option<apiparity::pipeline::partition::Partition>,
    /// No progress display (it is shown on stderr only when stderr is a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl SuiteArgs {
    /// The settings for `target`; everything about snapshots and reports at its default.
    fn settings(&self, target: TargetSpec, requests: &RequestArgs) -> Settings {
        Settings {
            paths: self.paths.clone(),
            target,
            requests: requests.settings(),
            stripe_version: self.stripe_version.clone(),
            config: self.config.clone(),
            tags: self.tags.clone(),
            filters: self.filters.clone(),
            ..defaults()
        }
    }
}

impl RunArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            snapshot_version: self.snapshot_version.clone(),
            snapshots: self.snapshots.clone(),
            update: self.update,
            report_dir: self.report_dir.clone(),
            additive_fails: self.additive == AdditivePolicy::Fail,
            partition: self.partition,
            ..self
                .suite
                .settings(TargetSpec::Auto(self.base_url.clone()), &self.requests)
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Scenario files or directories.
    #[arg(default_values_os_t = defaults().paths)]
    pub paths: Vec<PathBuf>,
    /// Rules file (normalizer and diff settings). Default: the project's apiparity.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// 12111 is stripe-mock's port, so the mock drops in where stripe-mock was.
    #[arg(long, default_value_t = 12111)]
    pub port: u16,
    /// Fixed delay per response, in milliseconds (imitates Stripe's round trip).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency: u64,
    /// The day the answers describe (Stripe as of that date; additive fields shipped later are
    /// left out). Default: the newest date the version model knows. A request's
    /// `Apiparity-As-Of` header overrides it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = apiparity::mock::AsOf::parse)]
    pub as_of: Option<apiparity::mock::AsOf>,
    /// The account has webhook endpoints: invoices keep `webhooks_delivered_at: null`.
    #[arg(long)]
    pub webhook_endpoints: bool,
    /// The account's country, as invoices show it in `account_country`.
    #[arg(long, default_value = "US", value_name = "CC", value_parser = parse_country)]
    pub account_country: String,
    /// How long a POST's result is kept for replay under its Idempotency-Key (Stripe: 24 h).
    #[arg(long, default_value_t = 86_400, value_name = "SECS")]
    pub idempotency_ttl: u64,
    /// At most this many idempotent results are kept (the oldest go first): the mock's memory
    /// stays bounded however long it runs.
    #[arg(long, default_value_t = 100_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_keys: u64,
    /// Close a connection that sends or receives nothing for this long.
    #[arg(long, default_value_t = Dur(apiparity::mock::DEFAULT_IDLE_TIMEOUT), value_parser = parse_positive_duration, value_name = "DURATION")]
    pub idle_timeout: Dur,
}

fn parse_positive_duration(s: &str) -> Result<Dur, String> {
    let d = parse_duration(s)?;
    if d.0.is_zero() {
        return Err("must be longer than 0s (e.g. 30s)".to_string());
    }
    Ok(d)
}

fn parse_country(s: &str) -> Result<String, String> {
    if apiparity::mock::account_country(s).is_some() {
        Ok(s.to_string())
    } else {
        Err("expected a two-letter ISO country code in capitals, e.g. US".to_string())
    }
}

#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Only pending files whose path contains this text.
    #[arg(default_value = "")]
    pub filter: String,
    /// The snapshot directory (default: the project's `snapshots/`).
    #[arg(long, default_value_os_t = defaults().snapshots, value_name = "DIR")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct AcceptArgs {
    #[command(flatten)]
    pub review: ReviewArgs,
    /// Also replace a reference with an answer recorded at another Stripe-Version.
    #[arg(long)]
    pub allow_version_change: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The first target's base URL (`embedded` for the embedded mock). Default: `run`'s
    /// target — Stripe when STRIPE_API_KEY is set, else the embedded mock.
    #[arg(long, value_name = "URL")]
    pub left: Option<String>,
    /// The second target's base URL (`embedded` for the embedded mock).
    #[arg(long, value_name = "URL")]
    pub right: String,
    /// Print the differences as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub requests: RequestArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

impl DiffArgs {
    /// The settings, with the left side as their target, and the right side.
    pub fn settings(&self) -> (Settings, TargetSpec) {
        let left = match &self.left {
            Some(url) => TargetSpec::Url {
                flag: "--left",
                url: url.clone(),
            },
            None => TargetSpec::Auto(None),
        };
        let right = TargetSpec::Url {
            flag: "--right",
            url: self.right.clone(),
        };
        (self.suite.settings(left, &self.requests), right)
    }
}

#[derive(Debug, Clone, Args)]
pub struct LearnNoiseArgs {
    /// Target base URL. Default, as for `run`: Stripe when STRIPE_API_KEY is set, else the
    /// embedded mock.
    #[arg(long, env = env::BASE_URL, value_name = "URL")]
    pub base_url: Option<String>,
    /// How many honest runs to compare (at least 2).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(2..=20))]
    pub runs: u16,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub requests: RequestArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

impl LearnNoiseArgs {
    pub fn settings(&self) -> Settings {
        self.suite
            .settings(TargetSpec::Auto(self.base_url.clone()), &self.requests)
    }
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Target base URL (a mock, a proxy). Default: Stripe when STRIPE_API_KEY is set, else the
    /// embedded mock.
    #[arg(long, env = env::BASE_URL, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub requests: RequestArgs,
    /// Only objects created at least this long ago (so a running suite is left alone).
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub older_than: Dur,
    /// List what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl SweepArgs {
    pub fn target(&self) -> TargetSpec {
        TargetSpec::Auto(self.base_url.clone())
    }
    pub fn requests(&self) -> RequestSettings {
        self.requests.settings()
    }
}

#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Where requests are forwarded: https://api.stripe.com (test mode), or a mock.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Where the proxy listens (port 0: any free port, printed at start).
    #[arg(long, default_value = apiparity::record::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Allow --listen on a non-loopback address (anyone who reaches it forwards with their key).
    #[arg(long)]
    pub allow_remote_listen: bool,
    /// The project root to write into: DIR/scenarios/recorded/<source>/<scenario>.yaml, its
    /// snapshots under DIR/snapshots/recorded/<source>/, the raw (scrubbed) cassettes under
    /// DIR/cassettes/<source>/, and the journal meanwhile.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The source the scenarios are filed under.
    #[arg(long, default_value = apiparity::record::DEFAULT_SOURCE, value_name = "NAME")]
    pub source: String,
    /// The Stripe-Version for scenarios whose requests and answers carried none (provenance
    /// says it was supplied).
    #[arg(long, value_name = "VERSION")]
    pub stripe_version: Option<String>,
    /// Write and stop after this long without a request (default: only on SIGINT/SIGTERM).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub idle: Option<Dur>,
    /// The scenario for requests without an `Apiparity-Scenario` header.
    /// Default: session-<UTC start time>.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Per-request timeout towards the upstream.
    #[arg(long, default_value_t = Dur(defaults().requests.timeout), value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Dur,
    /// Requests per second towards the upstream (default: 20 against Stripe, unlimited on
    /// loopback).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
}

impl RecordArgs {
    pub fn options(&self) -> apiparity::record::RecordOptions {
        let mut o = apiparity::record::RecordOptions::new(&self.upstream, self.out.clone());
        o.listen = self.listen;
        o.allow_remote_listen = self.allow_remote_listen;
        if let Some(s) = &self.session {
            o.session = s.clone();
        }
        o.source = self.source.clone();
        o.stripe_version = self.stripe_version.clone();
        o.timeout = self.timeout.0;
        o.rate = self.rate;
        o
    }
}
