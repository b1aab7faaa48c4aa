//! The stages wired together, for the CLI and the `cargo test` harness alike:
//! scenario → run → normalize → snapshot (diff) → report.

use std::path::Path;
use std::sync::Arc;

use crate::config::{ConfigError, RunConfig, MOCK_API_KEY};
use crate::input::diag::Diagnostics;
use crate::normalize::{self, Rules};
use crate::report::{self, BuildContext, Report, TargetInfo};
use crate::run::{self, RunOptions, SuiteRun, Target, TargetKind};
use crate::scenario::{self, Scenario};
use crate::secret::{Redactor, Secret};
use crate::snapshot::{self, Source, StepComparison};

/// A scenario ready to run: with its own rules (apiparity.yaml merged with its `normalize:`).
#[derive(Clone, Debug)]
pub struct Planned {
    pub scenario: Arc<Scenario>,
    pub rules: Arc<Rules>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not start the embedded mock: {0}")]
    Mock(std::io::Error),
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Report(#[from] report::ReportError),
}

/// Loads and validates every scenario (and its rule overrides); applies tag/name filters.
/// Any problem in any file stops everything before a request is sent.
pub fn plan(cfg: &RunConfig) -> Result<Vec<Planned>, ConfigError> {
    let paths: Vec<&Path> = cfg.paths.iter().map(|p| p.as_path()).collect();
    let scenarios = scenario::load(&paths, &cfg.scenarios_root).map_err(ConfigError::Files)?;
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    for s in scenarios {
        let rules = match &s.normalize {
            Some(node) => match cfg.rules.merged(node, &s.file) {
                Ok(r) => Arc::new(r),
                Err(d) => {
                    diags.0.extend(d.0);
                    continue;
                }
            },
            None => Arc::clone(&cfg.rules),
        };
        let tag_ok = cfg.tags.is_empty() || cfg.tags.iter().any(|t| s.tags.contains(t));
        let name_ok = cfg.filters.is_empty()
            || cfg
                .filters
                .iter()
                .any(|f| s.key.contains(f.as_str()) || s.name.contains(f.as_str()));
        if tag_ok && name_ok {
            out.push(Planned {
                scenario: Arc::new(s),
                rules,
            });
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(ConfigError::Files(diags))
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

/// The run options for a target.
pub fn run_options(cfg: &RunConfig, target: Target, run_id: &str) -> RunOptions {
    RunOptions {
        target,
        jobs: cfg.jobs,
        timeout: cfg.timeout,
        stripe_version: cfg.stripe_version.clone(),
        run_id: run_id.to_string(),
        retry: cfg.retry.clone(),
        rate_limit: cfg.rate,
    }
}

pub fn redactor(cfg: &RunConfig, target: &Target) -> Redactor {
    let mut r = Redactor::new();
    for key in [cfg.api_key.as_ref(), target.api_key.as_ref()]
        .into_iter()
        .flatten()
    {
        if key.expose() != MOCK_API_KEY {
            r.add(key.expose());
        }
    }
    r
}

/// Normalizes and compares every scenario run with its snapshots.
pub fn compare(
    cfg: &RunConfig,
    planned: &[Planned],
    run: &SuiteRun,
    target: &Target,
    redactor: &Redactor,
) -> Result<Vec<Vec<StepComparison>>, PipelineError> {
    let source = match target.kind {
        TargetKind::Stripe => Source::StripeTestMode,
        TargetKind::EmbeddedMock => Source::EmbeddedMock,
        TargetKind::Custom => Source::Other(target.base_url.clone()),
    };
    let opts = snapshot::Options {
        dir: cfg.snapshot_dir.clone(),
        mode: cfg.snapshot_mode.clone(),
        source,
        diff: cfg.diff.clone(),
    };
    let mut out = Vec::new();
    for srun in &run.scenarios {
        let rules = planned
            .iter()
            .find(|p| Arc::ptr_eq(&p.scenario, &srun.scenario))
            .map(|p| Arc::clone(&p.rules))
            .unwrap_or_else(|| Arc::clone(&cfg.rules));
        let normalized = normalize::normalize_run(srun, rules, redactor);
        out.push(snapshot::compare(srun, &normalized, &opts)?);
    }
    Ok(out)
}

/// Starts the embedded mock on an ephemeral loopback port when the config names no target.
pub async fn target_for(
    cfg: &RunConfig,
) -> Result<(Target, Option<crate::mock::MockServer>), PipelineError> {
    match &cfg.target {
        Some(t) => Ok((t.clone(), None)),
        None => {
            let server = crate::mock::spawn(crate::mock::MockOptions::default())
                .await
                .map_err(PipelineError::Mock)?;
            let target = Target {
                base_url: server.base_url(),
                api_key: Some(Secret::new(MOCK_API_KEY)),
                kind: TargetKind::EmbeddedMock,
            };
            Ok((target, Some(server)))
        }
    }
}

/// Runs the planned scenarios against a target that is already up, compares them with the
/// snapshots and builds the report.
pub async fn run_against(
    cfg: &RunConfig,
    planned: &[Planned],
    target: &Target,
    run_id: &str,
) -> Result<Report, PipelineError> {
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let scenarios: Vec<Arc<Scenario>> = planned.iter().map(|p| Arc::clone(&p.scenario)).collect();
    let suite = run::run(&scenarios, &run_options(cfg, target.clone(), run_id)).await;
    let redactor = redactor(cfg, target);
    let comparisons = compare(cfg, planned, &suite, target, &redactor)?;
    Ok(report::build(
        &suite,
        &comparisons,
        BuildContext {
            target: TargetInfo {
                kind: target.kind,
                base_url: target.base_url.clone(),
            },
            stripe_version: &cfg.stripe_version,
            snapshots: &cfg.snapshot_dir.display().to_string(),
            run_id,
            started_at,
            additive_fails: cfg.additive_fails,
            redactor,
        },
    ))
}

/// The whole job: start the target (the embedded mock unless one is configured), run,
/// compare, build the report.
pub async fn execute(cfg: &RunConfig, planned: &[Planned]) -> Result<Report, PipelineError> {
    let (target, server) = target_for(cfg).await?;
    let report = run_against(cfg, planned, &target, &new_run_id()).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    report
}
