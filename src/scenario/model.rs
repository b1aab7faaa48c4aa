//! The validated scenario model that the runner executes.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::input::yaml::Span;

/// One flow, loaded from one YAML file.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from, as given on the command line (for messages).
    pub file: PathBuf,
    /// Path relative to the scenarios root without extension, `/`-separated:
    /// `finalize/zero-amount`. Names the snapshot directory and the cargo-test trial.
    pub key: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Pins the `Stripe-Version` for every request of this scenario.
    pub stripe_version: Option<String>,
    /// Where the expected behaviour is documented (`§4.3 E2`): provenance of snapshots the
    /// embedded mock renders.
    pub reference: Option<String>,
    /// Scenario constants usable as `{{name}}`.
    pub vars: Vec<(String, String)>,
    /// Per-scenario normalizer overrides, as written (merged over apiparity.yaml's rules).
    pub normalize: Option<crate::input::yaml::Node>,
    /// The file's text as loaded, so a failure at run time can show its scenario line.
    pub source: std::sync::Arc<str>,
    pub steps: Vec<Step>,
    /// Steps that always run after `steps`, even when one failed.
    pub teardown: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub id: String,
    pub span: Span,
    pub request: RequestSpec,
    pub expect: Expect,
    /// `var: /json/pointer` (or `header:Name`), in file order.
    pub capture: Vec<Capture>,
    pub retry: Option<Retry>,
    /// The recorded Stripe responses this step reproduces (`000-finalize.json` in
    /// shared/seeds/responses), one per API-version family: provenance, and the seed-equality
    /// test's input. `000-*` are pre-basil, `001-*`/`004-*` basil, `002-*` any version.
    pub seed: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// Upper-case: GET, POST, DELETE.
    pub method: String,
    /// May hold `{{var}}` templates.
    pub path: String,
    /// Encoded the Stripe way (`a[b]=c`, `expand[]=x`, `items[0][price]=…`) into the query string.
    pub query: Vec<(String, Param)>,
    /// Encoded the same way into an `application/x-www-form-urlencoded` body.
    pub form: Vec<(String, Param)>,
    /// Extra headers; values may hold templates.
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
}

/// A parameter value tree. Scalars are already text (`true`, `7`, `abc`, possibly with
/// templates); YAML `null` leaves the parameter out, as Stripe's SDKs do.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Scalar(String),
    Map(Vec<(String, Param)>),
    List(Vec<Param>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Auth {
    /// `Authorization: Bearer <STRIPE_API_KEY>` (or the mock's test key).
    #[default]
    Default,
    /// No Authorization header at all.
    None,
    /// Bearer with this literal key (for refusal scenarios; never a real key).
    Bearer(String),
    /// HTTP Basic with this key as user name and an empty password.
    Basic(String),
}

#[derive(Clone, Debug)]
pub struct Expect {
    pub status: Option<u16>,
    /// Where `status:` is written (`None` when it is not).
    pub status_span: Option<Span>,
    /// JSON-pointer assertions on the (raw, not normalized) response body.
    pub body: Vec<Assertion>,
    /// Assertions on response headers (name matched case-insensitively).
    pub headers: Vec<HeaderAssertion>,
    /// Compare this step's response with its snapshot. Defaults to true for steps and
    /// false for teardown steps.
    pub snapshot: bool,
}

#[derive(Clone, Debug)]
pub struct Assertion {
    pub pointer: String,
    pub op: AssertOp,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct HeaderAssertion {
    pub name: String,
    pub op: AssertOp,
    pub span: Span,
}

/// What an assertion checks. Values may hold `{{var}}` templates in their strings.
#[derive(Clone, Debug)]
pub enum AssertOp {
    Eq(Value),
    Ne(Value),
    /// A regular expression the string value must match.
    Matches(String),
    /// The pointer resolves (true) or does not (false).
    Exists(bool),
    /// JSON type name: string, number, integer, boolean, object, array, null.
    Type(String),
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    /// Length of an array, object or string.
    Len(usize),
    /// Array contains the value, or string contains the substring.
    Contains(Value),
    OneOf(Vec<Value>),
    /// The value equals the number at another pointer of the same body plus `seconds`
    /// (`due_date` = `created` + 7 × 86400).
    OffsetFrom {
        pointer: String,
        seconds: i64,
    },
}

#[derive(Clone, Debug)]
pub struct Capture {
    pub var: String,
    pub source: CaptureSource,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CaptureSource {
    Body(String),
    Header(String),
}

/// Polls a read until the step's expectations hold (Stripe search lags up to a minute).
#[derive(Clone, Debug)]
pub struct Retry {
    pub interval: Duration,
    pub timeout: Duration,
}

/// Whether a seed file's recorded response applies at `version`: seed 000 was recorded
/// before basil, seeds 001 and 004 from basil on, seed 002 (a deleted stub) at any version.
pub fn seed_applies(seed: &str, version: &str) -> bool {
    let basil = crate::version::is_basil_or_later(version);
    match seed.get(..3) {
        Some("000") => !basil,
        Some("001") | Some("004") => basil,
        _ => true,
    }
}

/// Built-in variables every scenario can use.
pub const BUILTIN_VARS: &[&str] = &["run_id", "scenario"];
/// Prefix of environment variables usable as `{{env.NAME}}`.
pub const ENV_VAR_PREFIX: &str = "env.";
