//! Executes scenarios against a target: scenarios concurrently, steps in order, teardown
//! always. Entry points: [`run`], and [`run_each`], which hands over each scenario's run as soon
//! as it finishes (so comparison overlaps the HTTP work). Nothing here compares with snapshots;
//! the results flow on to `normalize` and `snapshot`. While it runs, the runner reports what it
//! does as [`Event`]s to an optional [`Progress`] observer.
//!
//! Scheduling: scenarios start longest first (most requests), so the longest chains never start
//! last; results keep the order the scenarios were given in. Concurrency starts at `jobs` and,
//! when `adaptive`, rises with the target's observed latency (a slow target is waited on, not
//! worked) up to what the rate limit can use ([`sched`]).

mod body;
mod encode;
mod expect;
mod http;
mod progress;
// The sliding window is shared with the recording proxy (src/record).
pub(crate) mod ratelimit;
mod retry;
mod sched;
mod step;
pub mod sweep;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::scenario::Scenario;
use crate::secret::Secret;

pub use encode::encode_params;
pub use expect::{ExpectFailure, Expectation};
pub use http::{probe, ProbeAnswer};
pub use progress::{Event, Progress, Wait};
pub use ratelimit::RateLimit;
pub use retry::RetryPolicy;

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Target {
    /// `https://api.stripe.com`, `http://127.0.0.1:12111`, … (no trailing slash).
    pub base_url: String,
    /// The key requests authenticate with (`None`: none).
    pub api_key: Option<Secret>,
    /// What kind of target it is.
    pub kind: TargetKind,
    /// When the reachability probe went to it ([`crate::pipeline::reachable`]): the run's rate
    /// window counts that request too, so a `--rate` holds from the probe on.
    pub probed_at: Option<tokio::time::Instant>,
}

/// What kind of target a run goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Stripe test mode.
    Stripe,
    /// The embedded reference mock, started in-process.
    EmbeddedMock,
    /// An `apiparity mock` process at a URL, recognized by the `Apiparity-Mock` header of its
    /// answer to the reachability probe: it gets the mock-only request headers as the embedded
    /// mock does (a scenario's `as_of:` and `account:`), without which recorded scenarios
    /// would run on the wrong day and account.
    ApiparityMock,
    /// Any other base URL (a third-party mock, a proxy).
    Custom,
}

impl TargetKind {
    /// apiparity's own mock, in-process or not: it understands the mock-only request headers.
    pub fn is_apiparity_mock(self) -> bool {
        matches!(self, TargetKind::EmbeddedMock | TargetKind::ApiparityMock)
    }
}

impl Target {
    /// Loopback targets get no rate limit by default.
    pub fn is_loopback(&self) -> bool {
        url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| {
                u.host().map(|h| match h {
                    url::Host::Domain(d) => d == "localhost",
                    url::Host::Ipv4(ip) => ip.is_loopback(),
                    url::Host::Ipv6(ip) => ip.is_loopback(),
                })
            })
            .unwrap_or(false)
    }
}

/// How a run is carried out.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where requests go.
    pub target: Target,
    /// Scenarios run at the same time (with `adaptive`: at first, and at least).
    pub jobs: usize,
    /// Let concurrency rise above `jobs` when the target is slow, as far as the rate limit can
    /// use it (`--jobs` not given).
    pub adaptive: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// `Stripe-Version` for scenarios that do not pin one.
    pub stripe_version: String,
    /// Unique per run: tags objects (`metadata[apiparity_run]`) and keys idempotency.
    pub run_id: String,
    /// Transport retries.
    pub retry: RetryPolicy,
    /// Requests per second (`None`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// How long `retry:` steps may poll against this target.
    pub polling: Polling,
    /// Where progress events go (`None`: nowhere).
    pub progress: Option<Progress>,
    /// Scrubs every secret out of responses as they arrive, and learns every value a request
    /// interpolates from `{{env.*}}`.
    pub redactor: crate::secret::Redactor,
    /// Response bodies longer than this many bytes are refused (`--max-body`).
    pub max_body: usize,
}

/// The default `--max-body`: 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// How long `retry:` steps may poll: the target's budget over the scenario's own. A scenario's
/// `retry: {interval: 2s, timeout: 90s}` rides out Stripe's search lag; a loopback mock is
/// consistent at once, so polling it for 90 s only delays the verdict on a broken one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Polling {
    /// Longest a step polls (`None`: the scenario's `timeout`).
    pub max_wait: Option<Duration>,
    /// Longest pause between polls (`None`: the scenario's `interval`).
    pub max_interval: Option<Duration>,
}

impl Polling {
    /// The `(interval, timeout)` a step with `retry` polls with.
    pub fn budget(&self, retry: &crate::scenario::Retry) -> (Duration, Duration) {
        let cap = |v: Duration, max: Option<Duration>| max.map_or(v, |m| v.min(m));
        (
            cap(retry.interval, self.max_interval),
            cap(retry.timeout, self.max_wait),
        )
    }
}

/// Everything that happened in one run.
#[derive(Clone, Debug)]
pub struct SuiteRun {
    /// One per scenario given, in the order given.
    pub scenarios: Vec<ScenarioRun>,
    /// How long the run took.
    pub duration: Duration,
    /// Set when the target stopped being reachable mid-run and no further scenario started.
    pub cut_short: Option<CutShort>,
}

/// Why a run stopped scheduling scenarios: a step's final outcome was a connection-level
/// failure ([`TransportError::is_connection_level`]), so every later request would fail the
/// same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CutShort {
    /// The base URL that stopped answering.
    pub url: String,
    /// The failure, as the step that met it reported it.
    pub cause: String,
}

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the run was cut short: the target at {} stopped answering ({}); no further scenario was started",
            self.url, self.cause
        )
    }
}

/// One scenario's run.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    /// The scenario run.
    pub scenario: Arc<Scenario>,
    /// The Stripe-Version its requests carried.
    pub stripe_version: String,
    /// Main steps then teardown steps, in execution order.
    pub steps: Vec<StepRun>,
    /// How long it took.
    pub duration: Duration,
    /// Literal values that differ per run and must be masked before comparison
    /// (the run id, generated idempotency keys), with their placeholders.
    pub masks: Vec<(String, String)>,
    /// Set when the scenario could not run at all (an internal error).
    pub error: Option<String>,
}

impl ScenarioRun {
    /// True when any step failed an expectation or could not reach the target.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self
                .steps
                .iter()
                .any(|s| !s.failures.is_empty() || s.transport_error().is_some())
    }
}

/// One step's run.
#[derive(Clone, Debug)]
pub struct StepRun {
    /// The step id.
    pub id: String,
    /// 1-based position across steps and teardown: names the snapshot file `NN-id.json`.
    pub index: usize,
    /// Whether it is a teardown step.
    pub teardown: bool,
    /// Whether this step's response is compared with its snapshot.
    pub compare: bool,
    /// The request as sent (no secrets: the Authorization header is never recorded).
    pub request: SentRequest,
    /// A response, a transport error, or not sent.
    pub outcome: Outcome,
    /// HTTP attempts made (1 unless transport retries or `retry` polling happened).
    pub attempts: u32,
    /// How long it took, retries and polling included.
    pub duration: Duration,
    /// Failed expectations, captures and template errors.
    pub failures: Vec<ExpectFailure>,
}

impl StepRun {
    /// The response, if one arrived.
    pub fn response(&self) -> Option<&Response> {
        match &self.outcome {
            Outcome::Response(r) => Some(r),
            _ => None,
        }
    }
    /// The transport error, if no response arrived.
    pub fn transport_error(&self) -> Option<&TransportError> {
        match &self.outcome {
            Outcome::TransportError(e) => Some(e),
            _ => None,
        }
    }
    /// Lets go of a JSON response body once it has been compared ([`Body::Released`]);
    /// status, headers, a non-JSON body (which decides "unsupported") and an error answer
    /// (4xx/5xx: small, and what a reader of a failure needs to see) stay.
    pub fn release_body(&mut self) {
        drop(self.take_body());
    }
    /// [`StepRun::release_body`], handing over the body it lets go of (to be normalized
    /// without a copy); `None` when the body stays.
    pub fn take_body(&mut self) -> Option<Value> {
        match &mut self.outcome {
            Outcome::Response(r) if matches!(r.body, Body::Json(_)) && r.status < 400 => {
                match std::mem::replace(&mut r.body, Body::Released) {
                    Body::Json(v) => Some(v),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// A request as sent.
#[derive(Clone, Debug, Serialize)]
pub struct SentRequest {
    /// GET, POST or DELETE.
    pub method: String,
    /// The path with templates rendered.
    pub path: String,
    /// Query parameters, encoded the Stripe way, unescaped.
    pub query: Vec<(String, String)>,
    /// Form parameters, encoded the Stripe way, unescaped.
    pub form: Vec<(String, String)>,
    /// Headers apiparity set (Stripe-Version, Idempotency-Key, the scenario's own), never
    /// Authorization.
    pub headers: Vec<(String, String)>,
    /// How the request authenticated: "bearer", "basic", "none".
    pub auth: String,
}

/// What came of sending a step.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A response arrived.
    Response(Response),
    /// No response: timeout, connection refused or reset.
    TransportError(TransportError),
    /// Not sent: an earlier step failed, or a variable it needs was never captured.
    Skipped(String),
}

/// An HTTP response.
#[derive(Clone, Debug, Serialize)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Lower-cased names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body, parsed when it is JSON.
    pub body: Body,
    /// JSON Pointers of keys the body held more than once (the last value is kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicate_keys: Vec<String>,
}

impl Response {
    /// A header's value (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The body as JSON: parsed JSON as is, anything else as a string (so a diff shows it).
    pub fn body_json(&self) -> Value {
        self.body_value().into_owned()
    }
    /// [`Response::body_json`] without copying a JSON body.
    pub fn body_value(&self) -> std::borrow::Cow<'_, Value> {
        use std::borrow::Cow;
        match &self.body {
            Body::Json(v) => Cow::Borrowed(v),
            Body::Text(t) => Cow::Owned(Value::String(t.clone())),
            Body::Empty | Body::Released => Cow::Owned(Value::Null),
        }
    }
}

/// A response body.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Body {
    /// JSON.
    Json(Value),
    /// Not JSON (an HTML error page, a truncated body): kept verbatim (up to a limit).
    Text(String),
    /// No body.
    Empty,
    /// JSON that has been normalized and compared, then let go: a run keeps only what its
    /// verdict and report need, so memory does not grow with every response held to the end.
    Released,
}

/// Why no response arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum TransportError {
    /// No answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection could not be made.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection was reset before any byte of a response arrived.
    #[error("connection reset before any response: {0}")]
    Reset(String),
    /// The connection broke (closed unanswered, a body cut off, an answer that is not HTTP).
    #[error("connection failed: {0}")]
    Connection(String),
    /// The request could not be built.
    #[error("invalid request: {0}")]
    Request(String),
    /// The body was longer than the limit (`--max-body`); not retried.
    #[error("response body larger than the {0}-byte limit (raise it with --max-body or APIPARITY_MAX_BODY)")]
    BodyTooLarge(usize),
}

impl TransportError {
    /// Whether the target itself cannot be talked to (refused, no such host, TLS refused, reset
    /// before answering): the one rule that cuts a run short. A timeout, a 5xx or a body cut
    /// off is the step's own result.
    pub fn is_connection_level(&self) -> bool {
        matches!(self, TransportError::Connect(_) | TransportError::Reset(_))
    }
}

/// A short id, unique per run, safe in metadata values and idempotency keys.
pub fn new_run_id() -> String {
    use rand::RngExt;
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let stamp: String = now.chars().filter(|c| c.is_ascii_digit()).collect();
    let suffix: String = (0..6)
        .map(|_| {
            let n = rand::rng().random_range(0..36u8);
            char::from_digit(u32::from(n), 36).unwrap_or('x')
        })
        .collect();
    format!("ap{stamp}{suffix}")
}

/// Runs every scenario; a failing scenario never stops the others. The runs come back in the
/// order the scenarios were given.
pub async fn run(scenarios: &[Arc<Scenario>], opts: &RunOptions) -> SuiteRun {
    let started = Instant::now();
    let mut out: Vec<Option<ScenarioRun>> = vec![None; scenarios.len()];
    let cut_short = run_each(scenarios, opts, |i, r| out[i] = Some(r)).await;
    SuiteRun {
        // run_each hands over every scenario exactly once.
        scenarios: out.into_iter().flatten().collect(),
        duration: started.elapsed(),
        cut_short,
    }
}

/// Runs every scenario and hands each one's run to `done`, with its position in `scenarios`,
/// as soon as it finishes (teardown included). Every position is handed over exactly once,
/// also when a scenario's task panicked (its run then carries the error), and when the run was
/// cut short (a scenario that never started then has every step skipped, saying why).
/// Returns why the run was cut short, if it was.
pub async fn run_each(
    scenarios: &[Arc<Scenario>],
    opts: &RunOptions,
    mut done: impl FnMut(usize, ScenarioRun),
) -> Option<CutShort> {
    let client = http::Client::new(opts);
    let sched = sched::Scheduler::new(opts, scenarios.len());
    progress::emit(opts.progress.as_ref(), || Event::SuiteStarted {
        scenarios: scenarios.len(),
        jobs: sched.jobs(),
    });
    let client = client
        .with_latency_observer(sched.observer())
        .with_stop(sched.stop_signal());
    let mut tasks = tokio::task::JoinSet::new();
    let mut ids = HashMap::new();
    for i in sched::longest_first(scenarios) {
        let scenario = Arc::clone(&scenarios[i]);
        let client = client.clone();
        let opts = opts.clone();
        let sched = sched.clone();
        let handle = tasks.spawn(async move {
            let _permit = sched.acquire().await;
            if let Some(cut) = sched.stopped() {
                return (i, not_started(scenario, &opts, &cut));
            }
            (i, run_scenario(&client, i, scenario, &opts).await)
        });
        ids.insert(handle.id(), i);
    }
    while let Some(joined) = tasks.join_next_with_id().await {
        match joined {
            Ok((_, (i, r))) => done(i, r),
            // A panic inside one scenario is a bug, but it must not take the run down.
            Err(e) => {
                let Some(&i) = ids.get(&e.id()) else { continue };
                done(
                    i,
                    ScenarioRun {
                        scenario: Arc::clone(&scenarios[i]),
                        stripe_version: opts.stripe_version.clone(),
                        steps: vec![],
                        duration: Duration::ZERO,
                        masks: vec![],
                        error: Some(format!("internal error: {e}")),
                    },
                )
            }
        }
    }
    sched.stopped()
}

/// A scenario the run was cut short before: every step skipped, saying why.
fn not_started(scenario: Arc<Scenario>, opts: &RunOptions, cut: &CutShort) -> ScenarioRun {
    let why = format!("not run: {cut}");
    let main = scenario.steps.iter().map(|s| (s, false));
    let steps = main
        .chain(scenario.teardown.iter().map(|s| (s, true)))
        .enumerate()
        .map(|(i, (s, teardown))| step::skipped(s, i + 1, teardown, &why))
        .collect();
    ScenarioRun {
        stripe_version: scenario
            .stripe_version
            .clone()
            .unwrap_or_else(|| opts.stripe_version.clone()),
        masks: vec![(opts.run_id.clone(), "<run_id>".to_string())],
        scenario,
        steps,
        duration: Duration::ZERO,
        error: None,
    }
}

async fn run_scenario(
    client: &http::Client,
    position: usize,
    scenario: Arc<Scenario>,
    opts: &RunOptions,
) -> ScenarioRun {
    let started = Instant::now();
    progress::emit(opts.progress.as_ref(), || Event::ScenarioStarted {
        scenario: position,
        key: scenario.key.clone(),
    });
    let version = scenario
        .stripe_version
        .clone()
        .unwrap_or_else(|| opts.stripe_version.clone());
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("run_id".into(), opts.run_id.clone());
    vars.insert("scenario".into(), scenario.key.clone());
    for (k, v) in &scenario.vars {
        vars.insert(k.clone(), v.clone());
    }
    let mut ctx = step::Context {
        client,
        opts,
        version: version.clone(),
        vars,
        scenario_key: scenario.key.clone(),
        position,
        as_of: scenario.as_of.clone(),
        account: scenario.account.clone(),
    };
    let mut steps = Vec::new();
    let mut failed = false;
    let mut index = 0;
    for s in &scenario.steps {
        index += 1;
        let cut = client.stopped();
        let r = if let Some(cut) = cut {
            // The target is gone: sending would only fail the same way. Teardown still runs
            // (once, without retries) in case it is back.
            step::skipped(s, index, false, &format!("not run: {cut}"))
        } else if failed && !scenario.continue_on_failure {
            step::skipped(s, index, false, "an earlier step failed")
        } else {
            step::execute(&mut ctx, s, index, false).await
        };
        failed |= !r.failures.is_empty()
            || r.transport_error().is_some()
            || matches!(r.outcome, Outcome::Skipped(_));
        steps.push(r);
    }
    for s in &scenario.teardown {
        index += 1;
        steps.push(step::execute(&mut ctx, s, index, true).await);
    }
    let run = ScenarioRun {
        masks: vec![(opts.run_id.clone(), "<run_id>".to_string())],
        scenario,
        stripe_version: version,
        steps,
        duration: started.elapsed(),
        error: None,
    };
    progress::emit(opts.progress.as_ref(), || Event::ScenarioFinished {
        scenario: position,
        key: run.scenario.key.clone(),
        failed: run.failed(),
        duration: run.duration,
    });
    run
}
