//! The validated scenario model that the runner executes.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::input::yaml::Span;

/// Account settings a flow depends on (`account:`): each unset one is the target's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// The account's id (`acct_…`), as invoice URLs show it: set where one recording spans
    /// several accounts, so the replay's URLs name as many.
    pub id: Option<String>,
    /// ISO 3166-1 alpha-2 country, as invoices show it in `account_country` (`CA`).
    pub country: Option<String>,
    /// The account's default currency, lowercase ISO 4217 (`cad`).
    pub currency: Option<String>,
    /// Whether the account has webhook endpoints (`webhooks_delivered_at` stays null).
    pub webhook_endpoints: Option<bool>,
}

impl Account {
    /// The mock-only request headers that ask the embedded mock for these settings.
    pub fn mock_headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.id {
            out.push(("Apiparity-Account-Id".to_string(), c.clone()));
        }
        if let Some(c) = &self.country {
            out.push(("Apiparity-Account-Country".to_string(), c.clone()));
        }
        if let Some(c) = &self.currency {
            out.push(("Apiparity-Account-Currency".to_string(), c.clone()));
        }
        if let Some(w) = self.webhook_endpoints {
            out.push(("Apiparity-Webhook-Endpoints".to_string(), w.to_string()));
        }
        out
    }

    /// These settings over `base`: each one set here wins (a step's `account:` over its
    /// scenario's).
    pub fn over(&self, base: &Account) -> Account {
        Account {
            id: self.id.clone().or_else(|| base.id.clone()),
            country: self.country.clone().or_else(|| base.country.clone()),
            currency: self.currency.clone().or_else(|| base.currency.clone()),
            webhook_endpoints: self.webhook_endpoints.or(base.webhook_endpoints),
        }
    }

    /// Nothing set.
    pub fn is_empty(&self) -> bool {
        *self == Account::default()
    }
}

/// One flow, loaded from one YAML file.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from, as given on the command line (for messages).
    pub file: PathBuf,
    /// Path relative to the scenarios root without extension, `/`-separated:
    /// `finalize/zero-amount`. Names the snapshot directory and the cargo-test trial.
    pub key: String,
    /// Its name (the key unless the file gives one).
    pub name: String,
    /// What it checks, for readers.
    pub description: String,
    /// Tags for `--tag`.
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
    /// The day the flow describes (`YYYY-MM-DD`; imported scenarios: the recording date). Sent
    /// to apiparity's mock only, as `Apiparity-As-Of`, so additive fields match that day.
    pub as_of: Option<String>,
    /// The account the flow was recorded on (imported scenarios: what the recording shows of
    /// it). Sent to apiparity's mock only (embedded, or an `apiparity mock` process), as
    /// `Apiparity-Account-*` headers.
    pub account: Account,
    /// Keep running the steps after one fails (recorded flows: each step is its own evidence).
    pub continue_on_failure: bool,
    /// The file's text as loaded, so a failure at run time can show its scenario line.
    pub source: std::sync::Arc<str>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Steps that always run after `steps`, even when one failed.
    pub teardown: Vec<Step>,
}

/// One request and what must hold about its response.
#[derive(Clone, Debug)]
pub struct Step {
    /// Unique within the scenario; names the snapshot file.
    pub id: String,
    /// Where the step starts in the file.
    pub span: Span,
    /// What to send.
    pub request: RequestSpec,
    /// What must hold.
    pub expect: Expect,
    /// `var: /json/pointer` (or `header:Name`), in file order.
    pub capture: Vec<Capture>,
    /// Polling until the expectations hold (GET only).
    pub retry: Option<Retry>,
    /// The recorded Stripe responses this step reproduces (`000-finalize.json` in
    /// shared/seeds/responses), one per API-version family: provenance, and the seed-equality
    /// test's input. `000-*` are pre-basil, `001-*`/`004-*` basil, `002-*` any version.
    pub seed: Vec<String>,
    /// This step's day, over the scenario's `as_of`.
    pub as_of: Option<String>,
    /// This step's account settings, each over the scenario's `account:` (a recording that
    /// spans sessions on differently set up accounts).
    pub account: Account,
}

/// A request as written.
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
    /// How the request authenticates.
    pub auth: Auth,
}

/// A parameter value tree. Scalars are already text (`true`, `7`, `abc`, possibly with
/// templates); YAML `null` leaves the parameter out, as Stripe's SDKs do.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// A value (text, with templates).
    Scalar(String),
    /// `a[b]=…` pairs.
    Map(Vec<(String, Param)>),
    /// `a[]=…` (scalars) or `a[0][b]=…` (maps).
    List(Vec<Param>),
}

/// How a request authenticates.
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

/// What must hold about a response.
#[derive(Clone, Debug)]
pub struct Expect {
    /// The HTTP status.
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
    /// Pointers excluded from the snapshot comparison, each with its reason (a value the
    /// recorder redacted). A pointer excludes its whole subtree.
    pub ignore: Vec<(String, String)>,
}

/// A JSON-pointer assertion on the body.
#[derive(Clone, Debug)]
pub struct Assertion {
    /// Where in the body.
    pub pointer: String,
    /// What must hold there.
    pub op: AssertOp,
    /// Where the assertion is written.
    pub span: Span,
}

/// An assertion on a response header.
#[derive(Clone, Debug)]
pub struct HeaderAssertion {
    /// The header name.
    pub name: String,
    /// What must hold about its value.
    pub op: AssertOp,
    /// Where the assertion is written.
    pub span: Span,
}

/// What an assertion checks. Values may hold `{{var}}` templates in their strings.
#[derive(Clone, Debug)]
pub enum AssertOp {
    /// Equal (loosely: `7` matches `7.0`).
    Eq(Value),
    /// Not equal (or absent).
    Ne(Value),
    /// A regular expression the string value must match.
    Matches(String),
    /// The pointer resolves (true) or does not (false).
    Exists(bool),
    /// JSON type name: string, number, integer, boolean, object, array, null.
    Type(String),
    /// A number greater than this.
    Gt(f64),
    /// A number at least this.
    Gte(f64),
    /// A number less than this.
    Lt(f64),
    /// A number at most this.
    Lte(f64),
    /// Length of an array, object or string.
    Len(usize),
    /// Array contains the value, or string contains the substring.
    Contains(Value),
    /// One of these values.
    OneOf(Vec<Value>),
    /// The value equals the number at another pointer of the same body plus `seconds`
    /// (`due_date` = `created` + 7 × 86400).
    OffsetFrom {
        /// The base field's pointer.
        pointer: String,
        /// The offset from it.
        seconds: i64,
    },
}

/// A variable captured from a response.
#[derive(Clone, Debug)]
pub struct Capture {
    /// The variable's name.
    pub var: String,
    /// Where its value comes from.
    pub source: CaptureSource,
    /// Where the capture is written.
    pub span: Span,
}

/// Where a captured value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum CaptureSource {
    /// A JSON pointer into the body.
    Body(String),
    /// A response header.
    Header(String),
}

/// Polls a read until the step's expectations hold (Stripe search lags up to a minute).
#[derive(Clone, Debug)]
pub struct Retry {
    /// Time between attempts.
    pub interval: Duration,
    /// Give up after this long.
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
