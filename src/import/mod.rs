//! Recorded traffic in, contract scenarios and reference snapshots out: `apiparity import`.
//!
//! A [`Cassette`] is one recording session: the [`Exchange`]s one test made against Stripe, in
//! recorded order, and the [`Source`] they came from. Cassettes are read from files by
//! [`read_path`] (formats in [`Format`], auto-detected), or built in memory (the `record` proxy
//! does that), and [`import_cassettes`] turns each into
//!
//! * one scenario, `<scenarios_root>/<subdir>/<source>/<name>.yaml`: the requests as recorded
//!   (method, path, query, form, `Stripe-Version`); every id a response introduced that a later
//!   request uses becomes a capture and a `{{var}}`, ids nobody introduced stay literal; the
//!   recorded status is the expectation; customers and invoices the flow created are tagged
//!   (`metadata[apiparity_run]`) and torn down;
//! * one snapshot per kept step, `<snapshots_root>/<subdir>/<source>/<name>/NN-<step>.json`,
//!   normalized by the project's rules, with provenance (`meta.source` names the recorder, file
//!   and recording date; `meta.stripe_version` the recorded header, or the one supplied).
//!
//! Exchanges with another host, or (with [`Scope::InvoiceApi`]) outside the invoice API, are
//! dropped and listed in the scenario with the reason. Keys, `Authorization` and cookies never
//! reach the output; a live-mode cassette is refused. Each cassette's files are all written, or
//! none: a bad cassette never stops the others. The output is deterministic: the same cassettes
//! give byte-identical files.
//!
//! ```
//! use apiparity::import::{import_cassettes, Cassette, Exchange, ImportOptions, Source};
//! use serde_json::json;
//!
//! let out = tempfile::tempdir().unwrap();
//! let exchange = |method: &str, path: &str, form: &[(&str, &str)], body| Exchange {
//!     method: method.into(),
//!     path: path.into(),
//!     form: form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
//!     request_headers: vec![("Stripe-Version".into(), "2025-03-31.basil".into())],
//!     status: 200,
//!     body,
//!     ..Exchange::default()
//! };
//! let cassette = Cassette {
//!     name: "create_and_finalize".into(),
//!     source: Source {
//!         name: "my-app".into(),
//!         recorder: "apiparity record".into(),
//!         file: "session-1".into(),
//!         recorded_on: Some("2025-06-01".into()),
//!         origin: None,
//!     },
//!     exchanges: vec![
//!         exchange("POST", "/v1/customers", &[("email", "a@example.com")],
//!             json!({"id": "cus_R2d2C3po000001", "object": "customer", "livemode": false})),
//!         exchange("POST", "/v1/invoices", &[("customer", "cus_R2d2C3po000001")],
//!             json!({"id": "in_1AbCdEfGhIjKlMnOpQrStUv", "object": "invoice",
//!                    "customer": "cus_R2d2C3po000001", "livemode": false})),
//!         exchange("POST", "/v1/invoices/in_1AbCdEfGhIjKlMnOpQrStUv/finalize", &[],
//!             json!({"id": "in_1AbCdEfGhIjKlMnOpQrStUv", "object": "invoice", "status": "open"})),
//!     ],
//! };
//! let opts = ImportOptions::into_root(out.path());
//! let report = import_cassettes(&[cassette], &opts);
//! assert!(report.refused.is_empty());
//! let scenario = std::fs::read_to_string(&report.written[0].scenario).unwrap();
//! // The invoice the flow created is captured and reused.
//! assert!(scenario.contains("path: \"/v1/invoices/{{invoice_id}}/finalize\""));
//! assert_eq!(report.written[0].snapshots.len(), 3);
//! ```

mod account;
mod convert;
mod emit;
mod formats;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use convert::is_version;
pub use formats::{detect, Format};

/// One request and its recorded response.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// `GET`, `POST`, `DELETE` (any case; upper-cased on import).
    pub method: String,
    /// The host the request went to; `None` when the recorder kept only the path (taken to
    /// be the imported host).
    pub host: Option<String>,
    /// The path without the query string: `/v1/invoices/in_…/pay`.
    pub path: String,
    /// Decoded query pairs in Stripe's bracket form, in order.
    pub query: Vec<(String, String)>,
    /// Decoded form pairs in Stripe's bracket form, in order (`lines[0][amount]`).
    pub form: Vec<(String, String)>,
    /// Request headers as recorded (Authorization and cookies are dropped on import).
    pub request_headers: Vec<(String, String)>,
    /// The recorded status.
    pub status: u16,
    /// Response headers as recorded.
    pub response_headers: Vec<(String, String)>,
    /// The response body, parsed (`Value::Null` when it was not JSON).
    pub body: Value,
    /// When this exchange was recorded (`YYYY-MM-DD`), where the recorder kept it.
    pub recorded_on: Option<String>,
}

impl Default for Exchange {
    fn default() -> Exchange {
        Exchange {
            method: "GET".into(),
            host: None,
            path: "/".into(),
            query: vec![],
            form: vec![],
            request_headers: vec![],
            status: 200,
            response_headers: vec![],
            body: Value::Null,
            recorded_on: None,
        }
    }
}

/// Where a cassette came from: the provenance every snapshot carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Groups cassettes: the directory under `recorded/` (`pay-rails__pay`). `[A-Za-z0-9_.-]`;
    /// other characters become `-`.
    pub name: String,
    /// What recorded it, in words (`Ruby VCR`, `vcrpy`, `HAR 1.2`, `apiparity record`).
    pub recorder: String,
    /// The file (or session) it was read from, as it should appear in provenance.
    pub file: String,
    /// The day it was recorded (`YYYY-MM-DD`), when known.
    pub recorded_on: Option<String>,
    /// What answered, when it was not Stripe (a mock behind `apiparity record`): provenance then
    /// names it instead of claiming Stripe test mode. `None`: the import's `--host`, which is
    /// Stripe's API unless told otherwise.
    pub origin: Option<String>,
}

/// One recording session.
#[derive(Clone, Debug, PartialEq)]
pub struct Cassette {
    /// The scenario's file name (without `.yaml`); characters outside `[A-Za-z0-9_.-]` become `-`.
    pub name: String,
    /// Provenance.
    pub source: Source,
    /// The exchanges, in recorded order.
    pub exchanges: Vec<Exchange>,
}

/// Which exchanges a scenario keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every exchange with the host.
    #[default]
    All,
    /// Invoices, invoice items, invoice line items, invoice payments and customers (and
    /// customer-side objects the mock models: coupons, tax rates); subscriptions, checkout,
    /// payment methods, charges, prices, products and the rest are dropped with the reason, and
    /// so are lists of the whole account (unfiltered by customer: their answer is the account's)
    /// and what names an invoice or payment intent of the recorder's account. A test card's
    /// attach (`pm_card_visa`) stays, replayed for the state a later pay needs, not compared.
    InvoiceApi,
}

/// How import runs. [`ImportOptions::into_root`] gives the defaults for a project root.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The scenarios directory (keys are relative to it): `scenarios`.
    pub scenarios_root: PathBuf,
    /// The snapshot tree of the pinned default version: `snapshots`.
    pub snapshots_root: PathBuf,
    /// The directory under both roots that imported cassettes go to: `recorded`.
    pub subdir: String,
    /// The API host whose exchanges are kept: `api.stripe.com`.
    pub host: String,
    /// Which exchanges are kept.
    pub scope: Scope,
    /// Used where a cassette recorded no `Stripe-Version` (or a masked one), else the
    /// cassette is refused.
    pub stripe_version: Option<String>,
    /// Per source (`Source::name`), over `stripe_version`.
    pub source_versions: Vec<(String, String)>,
    /// The normalizer's rules for snapshots (the project's `apiparity.yaml` by default).
    pub rules: std::sync::Arc<crate::normalize::Rules>,
}

impl ImportOptions {
    /// `<root>/scenarios/recorded/…` and `<root>/snapshots/recorded/…`, host `api.stripe.com`,
    /// every exchange kept, the project's built-in normalizer rules.
    pub fn into_root(root: &Path) -> ImportOptions {
        ImportOptions {
            scenarios_root: root.join("scenarios"),
            snapshots_root: root.join("snapshots"),
            subdir: "recorded".into(),
            host: "api.stripe.com".into(),
            scope: Scope::All,
            stripe_version: None,
            source_versions: vec![],
            rules: std::sync::Arc::new(crate::config::default_rules()),
        }
    }

    /// The version to use for a cassette of `source` that recorded none.
    pub fn supplied_version(&self, source: &str) -> Option<&str> {
        self.source_versions
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, v)| v.as_str())
            .or(self.stripe_version.as_deref())
    }
}

/// An exchange left out of a scenario, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// 1-based position in the cassette.
    pub index: usize,
    /// `POST /v1/subscriptions`.
    pub request: String,
    /// Why.
    pub reason: String,
}

/// One cassette written.
#[derive(Clone, Debug)]
pub struct Written {
    /// The scenario key (`recorded/pay-rails__pay/test_x`).
    pub key: String,
    /// The scenario file.
    pub scenario: PathBuf,
    /// The snapshot files, in step order.
    pub snapshots: Vec<PathBuf>,
    /// Steps kept (teardown not counted).
    pub steps: usize,
    /// Exchanges left out.
    pub dropped: Vec<Dropped>,
}

/// Why a file or cassette could not be imported. Nothing was written for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// The file could not be read, or is not what its format says (`line`/`column` where the
    /// format has lines).
    Read {
        /// The file.
        file: PathBuf,
        /// 1-based line, where known.
        line: Option<usize>,
        /// 1-based column, where known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A cassette that recorded live mode (`livemode: true`, a live key): refused.
    Live {
        /// The cassette (`source/name`).
        cassette: String,
        /// Where: `exchange 3: livemode: true in the response`.
        detail: String,
    },
    /// No `Stripe-Version` recorded, and none supplied.
    NoVersion {
        /// The cassette (`source/name`).
        cassette: String,
        /// What was recorded instead (`none`, `masked as <STRIPE_VERSION>`).
        detail: String,
    },
    /// Nothing of the cassette is within reach (every exchange dropped).
    Empty {
        /// The cassette (`source/name`).
        cassette: String,
    },
    /// Two cassettes of one import would write the same scenario: the later one is refused.
    Duplicate {
        /// The later cassette's file.
        file: String,
        /// The scenario both would write.
        scenario: PathBuf,
        /// The earlier cassette's file.
        first: String,
    },
    /// Writing failed (nothing of the cassette was left behind).
    Write {
        /// The file.
        file: PathBuf,
        /// What the file system said.
        message: String,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Read {
                file,
                line,
                column,
                message,
            } => {
                write!(f, "{}", file.display())?;
                if let Some(l) = line {
                    write!(f, ":{l}")?;
                    if let Some(c) = column {
                        write!(f, ":{c}")?;
                    }
                }
                write!(f, ": {message}")
            }
            ImportError::Live { cassette, detail } => {
                write!(f, "{cassette}: refused, recorded in live mode ({detail})")
            }
            ImportError::NoVersion { cassette, detail } => write!(
                f,
                "{cassette}: no Stripe-Version recorded ({detail}); give one with --stripe-version VERSION or --stripe-version SOURCE=VERSION"
            ),
            ImportError::Empty { cassette } => write!(
                f,
                "{cassette}: no exchange within reach (every one dropped), nothing written"
            ),
            ImportError::Duplicate {
                file,
                scenario,
                first,
            } => write!(
                f,
                "{file}: refused, it would write {} as {first} does; rename one of them",
                scenario.display()
            ),
            ImportError::Write { file, message } => {
                write!(f, "{}: cannot write: {message}", file.display())
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Cassettes written, in input order.
    pub written: Vec<Written>,
    /// Files and cassettes refused, in input order; nothing was written for them.
    pub refused: Vec<ImportError>,
    /// Cassettes with nothing in reach ([`ImportError::Empty`]): not an error, nothing written.
    pub skipped: Vec<ImportError>,
}

impl ImportReport {
    /// Steps written over all scenarios.
    pub fn steps(&self) -> usize {
        self.written.iter().map(|w| w.steps).sum()
    }
}

/// The files of one cassette: scenario and snapshots, rendered but not written. `import_cassettes`
/// writes them; `record` may want them to decide first.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The scenario key.
    pub key: String,
    /// `(path, contents)`: the scenario first, then the snapshots in step order.
    pub files: Vec<(PathBuf, String)>,
    /// Steps kept.
    pub steps: usize,
    /// Exchanges left out.
    pub dropped: Vec<Dropped>,
}

/// Renders one cassette's scenario and snapshots (nothing is written).
pub fn render(cassette: &Cassette, opts: &ImportOptions) -> Result<Rendered, ImportError> {
    convert::render(cassette, opts)
}

/// Imports cassettes: each one's scenario and snapshots written atomically (all or nothing per
/// cassette); a refused cassette never stops the others.
pub fn import_cassettes(cassettes: &[Cassette], opts: &ImportOptions) -> ImportReport {
    let mut report = ImportReport::default();
    let mut claimed: std::collections::HashMap<PathBuf, String> = Default::default();
    for c in cassettes {
        let rendered = render(c, opts).and_then(|r| {
            let scenario = r.files[0].0.clone();
            match claimed.get(&scenario) {
                Some(first) => Err(ImportError::Duplicate {
                    file: c.source.file.clone(),
                    scenario,
                    first: first.clone(),
                }),
                None => {
                    claimed.insert(scenario, c.source.file.clone());
                    Ok(r)
                }
            }
        });
        match rendered.and_then(write::all_or_nothing) {
            Ok(w) => report.written.push(w),
            Err(e @ ImportError::Empty { .. }) => report.skipped.push(e),
            Err(e) => report.refused.push(e),
        }
    }
    report
}

/// Reads every cassette in `path` (a file, or a directory searched recursively in sorted
/// order); `format` forces one format, else each file's is detected.
pub fn read_path(path: &Path, format: Option<Format>) -> (Vec<Cassette>, Vec<ImportError>) {
    formats::read_path(path, format)
}

/// Reads and imports files and directories: [`read_path`] then [`import_cassettes`].
pub fn import_paths(
    paths: &[PathBuf],
    format: Option<Format>,
    opts: &ImportOptions,
) -> ImportReport {
    let mut cassettes = Vec::new();
    let mut refused = Vec::new();
    for p in paths {
        let (c, e) = read_path(p, format);
        cassettes.extend(c);
        refused.extend(e);
    }
    let mut report = import_cassettes(&cassettes, opts);
    refused.append(&mut report.refused);
    report.refused = refused;
    report
}
