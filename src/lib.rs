//! apiparity: replays Stripe invoice flows against a target and says, field by field,
//! where the target differs from what real Stripe returned.
//!
//! The modules read as the pipeline, and data flows one way; each decision has one home:
//!
//! | stage | entry point | what it does |
//! |---|---|---|
//! | [`config`] | [`config::RunConfig::new`] | plain [`config::Settings`] validated; the target chosen; apiparity.yaml read; per-target sessions |
//! | [`scenario`] | [`scenario::load`] | YAML flows loaded and validated (through [`input`], the one typed reader) |
//! | [`run`] | [`run::run`] | HTTP: steps in order, captures, expectations, retries, rate limit, teardown |
//! | [`normalize`] | [`normalize::normalize_run`] | ids, timestamps, tokens made comparable, never hiding a real difference |
//! | [`diff`] | [`diff::diff_response`] | typed differences between a snapshot and a response |
//! | [`snapshot`] | [`snapshot::compare`] | the references, their provenance, updates and review |
//! | [`verdict`] | [`verdict::decide`] | every status, the baseline, the summary and the exit code, once |
//! | [`report`] | [`report::build`], [`report::write_all`] | the terminal, JSON, JUnit, Markdown and HTML renderings |
//!
//! [`pipeline`] is the conductor (with `diff` and `learn-noise` as its other modes), and
//! [`mock`] is the embedded reference mock beside it. The whole walk, against the embedded mock:
//!
//! ```
//! use apiparity::config::{RunConfig, Settings, TargetSpec};
//! use apiparity::{pipeline, report, run, verdict};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("list.yaml"),
//!     "steps:\n  - id: list\n    request: {method: GET, path: /v1/invoices}\n    expect: {status: 200}\n",
//! )?;
//! // Settings are plain data; the config validates them and chooses the target.
//! let cfg = RunConfig::new(Settings {
//!     paths: vec![dir.path().to_path_buf()],
//!     target: TargetSpec::EmbeddedMock,
//!     snapshots: dir.path().join("snapshots"),
//!     update: true, // record the first snapshots
//!     ..Settings::default()
//! })?;
//! tokio::runtime::Runtime::new()?.block_on(async {
//!     // scenario: every file loaded and validated before anything is sent.
//!     let plan = pipeline::plan(&cfg)?;
//!     let (target, mock) = pipeline::start_target(&cfg.target).await?;
//!     let session = cfg.session(&target, &run::new_run_id());
//!     // run: the requests.
//!     let suite = run::run(&pipeline::scenarios(&plan.selected), &session.run).await;
//!     // normalize, then diff against (here: record) the snapshots.
//!     let comparisons = pipeline::compare(&plan.selected, &suite, &session)?;
//!     // verdict: every status and the exit code, decided once.
//!     let verdicts = verdict::decide(&suite, &comparisons, &cfg.policy, None);
//!     // report: renders what was decided.
//!     let report = report::build(
//!         &suite,
//!         &comparisons,
//!         &verdicts,
//!         report::BuildContext {
//!             target: session.target,
//!             stripe_version: &cfg.stripe_version,
//!             snapshots: "snapshots",
//!             run_id: "doc",
//!             started_at: String::new(),
//!             policy: cfg.policy,
//!             redactor: session.redactor,
//!         },
//!     );
//!     assert_eq!(report.summary.exit_code, 0);
//!     assert!(report::to_terminal(&report, &report::Style::default()).contains("1 scenarios: 1 passed"));
//!     if let Some(m) = mock {
//!         m.shutdown().await;
//!     }
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(())
//! # }
//! ```
//!
//! [`pipeline::execute`] does the same in one call, with a baseline if one is given.

pub mod atomic;
pub mod config;
pub mod diff;
pub mod import;
pub mod input;
pub mod literals;
// The mock's façade (private modules behind spawn/serve) is another change; until then its
// internals are public and undocumented, so the lint is off for it alone.
#[allow(missing_docs)]
pub mod mock;
pub mod normalize;
pub mod pipeline;
pub mod pointer;
pub mod pretty;
pub mod record;
pub mod report;
pub mod run;
pub mod scenario;
pub mod secret;
pub mod snapshot;
pub mod verdict;
pub mod version;
