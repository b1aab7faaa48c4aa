//! The conductor: the stages wired together, for the CLI and the `cargo test` harness alike.
//! The snapshot run is scenario → run → normalize → snapshot (diff) → verdict → report
//! ([`plan`], then [`execute`] or [`run_against`]); its other modes are [`differential`]
//! (`apiparity diff`: two targets, no snapshots) and [`noise`] (`apiparity learn-noise`: N runs
//! of one target).
//!
//! Each scenario travels with its own rules ([`Planned`]): the runner returns runs in the order
//! it was given them, so runs and plans are zipped, never searched for.

pub mod differential;
pub mod noise;
pub mod partition;

use std::path::Path;
use std::sync::Arc;

use crate::config::{target, InputError, RunConfig, Session, TargetChoice};
use crate::input::diag::Diagnostics;
use crate::normalize::{self, Rules};
use crate::report::{self, BuildContext, Report};
use crate::run::{self, ScenarioRun, SuiteRun, Target, TargetKind};
use crate::scenario::{self, Scenario};
use crate::snapshot::{self, StepComparison};
use crate::verdict::{self, baseline, Baseline, Verdicts};

/// A scenario ready to run: with its own rules (apiparity.yaml merged with its `normalize:`).
#[derive(Clone, Debug)]
pub struct Planned {
    /// The scenario, validated.
    pub scenario: Arc<Scenario>,
    /// apiparity.yaml's rules merged with the scenario's own `normalize:`.
    pub rules: Arc<Rules>,
}

/// Why a run could not be carried out to its report.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Flags, settings or user files.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The embedded mock could not listen.
    #[error("could not start the embedded mock: {0}")]
    Mock(std::io::Error),
    /// A snapshot could not be read or written.
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    /// A report could not be written.
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// The target cannot be reached at all (refused, DNS, TLS): nothing was run.
    #[error("cannot reach the target at {url}: {cause}; nothing was run (is it up, and is the URL right?)")]
    Unreachable {
        /// The base URL tried.
        url: String,
        /// The innermost cause (`Connection refused (os error 111)`, a DNS or TLS failure).
        cause: String,
    },
}

/// One TCP connection to the target's host before anything else, then one keyless `HEAD /`
/// through the run's client ([`run::probe`]; for https, the TLS handshake): a target that
/// cannot be talked to at all (refused, no such host, TLS refused) stops the command
/// at once with one message, instead of every step retrying into its own error. A slow or
/// broken answer (timeout, 5xx, non-JSON) is the run's to report, step by step.
/// A URL target whose answer says it is `apiparity mock` becomes [`TargetKind::ApiparityMock`].
pub async fn reachable(
    target: &mut Target,
    timeout: std::time::Duration,
) -> Result<(), PipelineError> {
    let fail = |cause: String| PipelineError::Unreachable {
        url: target.base_url.clone(),
        cause,
    };
    let url = url::Url::parse(&target.base_url).map_err(|e| fail(e.to_string()))?;
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err(fail("the URL names no host".into()));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(fail(e.to_string())),
        // No answer to a connect within the timeout: the steps will time out the same way.
        Err(_) => return Ok(()),
    }
    // Connected: now one request through the run's own client, so the TLS handshake (roots,
    // certificate, host name) is checked as every step will check it, and an `apiparity mock`
    // says what it is.
    let https = url.scheme() == "https";
    // A plain-http target was reachable once connected; its probe only asks what it is, and
    // an answer that is slow to come is not waited for as a step would be.
    let wait = if https {
        timeout
    } else {
        timeout.min(std::time::Duration::from_secs(2))
    };
    target.probed_at = Some(tokio::time::Instant::now());
    match run::probe(&target.base_url, wait).await {
        Ok(answer) => {
            if answer.apiparity_mock && target.kind == TargetKind::Custom {
                target.kind = TargetKind::ApiparityMock;
            }
            Ok(())
        }
        Err(cause) if https => Err(fail(format!("the TLS handshake failed: {cause}"))),
        // Plain http connected, so it is reachable; whatever broke the probe's answer the
        // steps will meet and report one by one.
        Err(_) => Ok(()),
    }
}

/// The suite, validated: the scenarios selected by tags and filters, and every scenario key
/// (a baseline is checked against all of them, not just the selected ones).
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenarios to run, in file order, each with its rules.
    pub selected: Vec<Planned>,
    /// Every scenario key of the suite, selected or not.
    pub all_keys: Vec<String>,
}

/// Loads and validates every scenario (and its rule overrides); applies tag/name filters.
/// Any problem in any file stops everything before a request is sent.
pub fn plan(cfg: &RunConfig) -> Result<Plan, InputError> {
    let paths: Vec<&Path> = cfg.paths.iter().map(|p| p.as_path()).collect();
    let scenarios = scenario::load(&paths, &cfg.scenarios_root).map_err(InputError::Files)?;
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    let all_keys = scenarios.iter().map(|s| s.key.clone()).collect();
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
    // The slice is taken of the selected scenarios, so every slice of one selection is disjoint
    // from the others and together they are the selection.
    if let Some(p) = cfg.partition {
        let mut pos = 0;
        out.retain(|planned| {
            pos += 1;
            p.keeps(pos - 1, &planned.scenario.key)
        });
    }
    if diags.is_empty() {
        Ok(Plan {
            selected: out,
            all_keys,
        })
    } else {
        Err(InputError::Files(diags))
    }
}

/// Normalizes one scenario's run step by step, compares each step with its snapshot as soon as
/// it is normalized, and releases each response body right after ([`run::StepRun::release_body`]):
/// what is left of the run is what the verdict and the report need.
pub fn compare_one(
    planned: &Planned,
    srun: &mut ScenarioRun,
    session: &Session,
) -> Result<Vec<StepComparison>, PipelineError> {
    let mut n = normalize::normalizer_for(srun, Arc::clone(&planned.rules));
    let mut out = Vec::with_capacity(srun.steps.len());
    for pos in 0..srun.steps.len() {
        // The body is let go of here (what the report needs stays): normalized, not copied.
        let taken = srun.steps[pos].take_body();
        let ns =
            normalize::normalize_step_with(&mut n, pos, &srun.steps[pos], taken, &session.redactor);
        let cmp = snapshot::compare_step(srun, ns, &session.snapshots)?;
        if let Some(why) = &cmp.error {
            srun.steps[pos].failures.push(run::ExpectFailure::new(
                run::Expectation::Snapshot,
                None,
                why.clone(),
            ));
        }
        out.push(cmp);
    }
    Ok(out)
}

/// Normalizes and compares every scenario run with its snapshots (`run` holds the runs of
/// `planned`, in order).
pub fn compare(
    planned: &[Planned],
    run: &SuiteRun,
    session: &Session,
) -> Result<Vec<Vec<StepComparison>>, PipelineError> {
    let mut out = Vec::new();
    for (p, srun) in planned.iter().zip(&run.scenarios) {
        let normalized = normalize::normalize_run(srun, Arc::clone(&p.rules), &session.redactor);
        out.push(snapshot::compare(srun, &normalized, &session.snapshots)?);
    }
    Ok(out)
}

/// Work the target will need, begun now, beside loading the scenario files: the embedded mock's
/// tables.
pub fn prepare_target(choice: &TargetChoice) {
    if choice.target().is_none() {
        crate::mock::warm_up();
    }
}

/// The target to run against: the configured one, or the embedded mock started on an
/// ephemeral loopback port (returned too: it stops when dropped or shut down).
pub async fn start_target(
    choice: &TargetChoice,
) -> Result<(Target, Option<crate::mock::MockServer>), PipelineError> {
    match choice.target() {
        Some(t) => Ok((t.clone(), None)),
        None => {
            let server = crate::mock::spawn(crate::mock::MockOptions::default())
                .await
                .map_err(PipelineError::Mock)?;
            Ok((target::embedded_mock(server.base_url()), Some(server)))
        }
    }
}

/// The scenarios of a plan, for the runner.
pub fn scenarios(planned: &[Planned]) -> Vec<Arc<Scenario>> {
    planned.iter().map(|p| Arc::clone(&p.scenario)).collect()
}

/// A finished run: what happened, what was decided about it, and the report that shows both.
#[derive(Clone, Debug)]
pub struct Finished {
    /// What happened, step by step.
    pub run: SuiteRun,
    /// What was decided about it.
    pub verdicts: Verdicts,
    /// What every format renders.
    pub report: Report,
}

impl Finished {
    /// The run as a starting baseline (`--write-baseline`) for the target named `target`.
    pub fn baseline_text(&self, target: &str) -> String {
        let r = &self.report;
        baseline::write(
            &self.run,
            &self.verdicts,
            &baseline::Header {
                target,
                base_url: &r.target.base_url,
                stripe_version: &r.stripe_version,
                run_id: &r.run_id,
            },
            &r.redactor,
        )
    }
}

/// Runs the planned scenarios against a target that is already up, compares them with the
/// snapshots, decides the verdicts (with the baseline, if any) and builds the report.
pub async fn run_against(
    cfg: &RunConfig,
    planned: &[Planned],
    target: &Target,
    run_id: &str,
    baseline: Option<&Baseline>,
) -> Result<Finished, PipelineError> {
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut session = cfg.session(target, run_id);
    session.snapshots.known = baseline.map(|b| {
        let b = b.clone();
        snapshot::Known(Arc::new(move |scenario: &str, step: &str, diffs: &[_]| {
            b.accepts_all(scenario, step, diffs)
        }))
    });
    let session = Arc::new(session);
    let (suite, comparisons) = run_and_compare(planned, &session).await?;
    let verdicts = verdict::decide(&suite, &comparisons, &cfg.policy, baseline);
    let report = report::build(
        &suite,
        &comparisons,
        &verdicts,
        BuildContext {
            target: session.target.clone(),
            stripe_version: &cfg.stripe_version,
            snapshots: &cfg.snapshot_dir.display().to_string(),
            run_id,
            started_at,
            policy: cfg.policy,
            redactor: session.redactor.clone(),
        },
    );
    Ok(Finished {
        run: suite,
        verdicts,
        report,
    })
}

/// Runs the planned scenarios and compares each one as soon as it finishes, while the others
/// are still on the wire. Results keep plan order; the first snapshot
/// error (in plan order) wins.
async fn run_and_compare(
    planned: &[Planned],
    session: &Arc<Session>,
) -> Result<(SuiteRun, Vec<Vec<StepComparison>>), PipelineError> {
    type Compared = (ScenarioRun, Result<Vec<StepComparison>, PipelineError>);
    let started = std::time::Instant::now();
    let scenarios = scenarios(planned);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, ScenarioRun)>();
    let http = async {
        let cut_short = run::run_each(&scenarios, &session.run, move |i, r| {
            // The receiver lives until every run is in.
            let _ = tx.send((i, r));
        })
        .await;
        (started.elapsed(), cut_short)
    };
    // With more scenarios in flight than async workers, a worker that stops to compare
    // leaves the wire busy (another scenario's request is already out), and comparing where
    // the response was parsed wakes no other thread (the Hurl benchmark's --jobs 4 run:
    // 0.90-0.94x the wall time and 0.90x the CPU; the default run 0.89-0.96x). With one
    // scenario per worker (--jobs 1 on one worker, --jobs 2 on two) that pause would hold
    // the next request back (1.10-1.12x), so the comparison goes to a thread of its own.
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let inline = session.run.adaptive || session.run.jobs > workers;
    let compare = async {
        let mut jobs = Vec::with_capacity(planned.len());
        while let Some((i, mut srun)) = rx.recv().await {
            let (p, session) = (planned[i].clone(), Arc::clone(session));
            let compare = move || -> Compared {
                let r = compare_one(&p, &mut srun, &session);
                (srun, r)
            };
            let job = if inline {
                tokio::spawn(async move { compare() })
            } else {
                tokio::task::spawn_blocking(compare)
            };
            jobs.push((i, job));
        }
        jobs
    };
    let ((duration, cut_short), jobs) = tokio::join!(http, compare);
    let mut slots: Vec<Option<Compared>> = (0..planned.len()).map(|_| None).collect();
    for (i, job) in jobs {
        match job.await {
            Ok(done) => slots[i] = Some(done),
            // A panic while comparing is a bug: let it surface as one.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    let mut runs = Vec::with_capacity(planned.len());
    let mut comparisons = Vec::with_capacity(planned.len());
    for (srun, cmps) in slots.into_iter().flatten() {
        runs.push(srun);
        comparisons.push(cmps?);
    }
    Ok((
        SuiteRun {
            scenarios: runs,
            duration,
            cut_short,
        },
        comparisons,
    ))
}

/// The whole job: start the target (the embedded mock unless one is configured), run,
/// compare, decide, build the report.
pub async fn execute(
    cfg: &RunConfig,
    planned: &[Planned],
    baseline: Option<&Baseline>,
) -> Result<Finished, PipelineError> {
    let (mut target, server) = start_target(&cfg.target).await?;
    if server.is_none() {
        reachable(&mut target, cfg.requests.timeout).await?;
    }
    let report = run_against(cfg, planned, &target, &run::new_run_id(), baseline).await;
    // Every request has been answered: dropping the server stops it without waiting for the
    // client's idle connections to wind down (a graceful shutdown here cost ~10 ms per run).
    drop(server);
    report
}
