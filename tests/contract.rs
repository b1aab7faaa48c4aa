//! `cargo test --test contract`: every scenario is a trial (libtest-mimic), so filtering,
//! `--list`, `--ignored` and `--exact` work as usual. The target is chosen from the
//! environment exactly as `apiparity run` chooses it: APIPARITY_BASE_URL, else STRIPE_API_KEY
//! (from .env too) → Stripe test mode, else the embedded mock.
//!
//! Scenarios that also have snapshots recorded at another Stripe-Version
//! (`snapshots/@<version>/<scenario>/`) get a second trial at that version.

use std::path::Path;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use tokio::sync::OnceCell;

use apiparity::config::{snapshot_tree, RunConfig, Settings};
use apiparity::pipeline::{self, Planned};
use apiparity::report;
use apiparity::run::Target;

struct Shared {
    rt: tokio::runtime::Runtime,
    cfg: RunConfig,
    target: OnceCell<Target>,
    // Keeps the embedded mock alive for the whole test run.
    server: std::sync::Mutex<Option<apiparity::mock::MockServer>>,
}

impl Shared {
    async fn target(&self) -> Result<Target, String> {
        self.target
            .get_or_try_init(|| async {
                let (t, server) = pipeline::start_target(&self.cfg.target)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Ok(mut slot) = self.server.lock() {
                    *slot = server;
                }
                Ok::<_, String>(t)
            })
            .await
            .cloned()
    }
}

fn run_trial(shared: &Shared, planned: Planned, version: Option<String>) -> Result<(), Failed> {
    // Against the embedded mock, its baseline (mocks/embedded.yaml) applies as in `apiparity run`.
    let baseline = match apiparity::config::default_baseline(&shared.cfg) {
        Some(path) => Some(
            apiparity::verdict::baseline::load(&path).map_err(|e| Failed::from(e.to_string()))?,
        ),
        None => None,
    };
    let cfg = match &version {
        Some(v) => shared.cfg.at_version(v),
        None => shared.cfg.clone(),
    };
    shared
        .rt
        .block_on(async {
            let target = shared.target().await?;
            let report = pipeline::run_against(
                &cfg,
                std::slice::from_ref(&planned),
                &target,
                &apiparity::run::new_run_id(),
                baseline.as_ref(),
            )
            .await
            .map_err(|e| e.to_string())?
            .report;
            if report.summary.exit_code == 0 {
                Ok(())
            } else {
                Err(report.redactor.text(&report::terminal(&report, false)))
            }
        })
        .map_err(Failed::from)
}

fn main() {
    let args = Arguments::from_args();
    let _ = dotenvy::dotenv();
    // `apiparity run` with no flags: the defaults, plus the variables that stand for flags.
    let cfg = match Settings::from_env().and_then(RunConfig::new) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            libtest_mimic::run(
                &args,
                vec![Trial::test("configuration", move || Err(Failed::from(msg)))],
            )
            .exit();
        }
    };
    let planned = match pipeline::plan(&cfg) {
        Ok(p) => p.selected,
        Err(e) => {
            let msg = match e {
                apiparity::config::InputError::Files(d) => d.render(false),
                other => other.to_string(),
            };
            libtest_mimic::run(
                &args,
                vec![Trial::test("scenarios are valid", move || {
                    Err(Failed::from(msg))
                })],
            )
            .exit();
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let shared = Arc::new(Shared {
        rt,
        cfg,
        target: OnceCell::new(),
        server: std::sync::Mutex::new(None),
    });
    let versions = other_snapshot_versions(&shared.cfg.snapshot_dir);
    let mut trials = Vec::new();
    for p in planned {
        // Named after the file (its key), plus the scenario's own name when it has one.
        let name = if p.scenario.name == p.scenario.key {
            p.scenario.key.clone()
        } else {
            format!("{}::{}", p.scenario.key, p.scenario.name)
        };
        for v in &versions {
            let dir = snapshot_tree(&shared.cfg.snapshot_dir, v).join(&p.scenario.key);
            // Committed references only: a version tree holding nothing but pending `.json.new`
            // files (a local run's drift) is no trial.
            if has_snapshots(&dir) {
                let (s, p, v) = (Arc::clone(&shared), p.clone(), v.clone());
                trials.push(Trial::test(format!("{name}@{v}"), move || {
                    run_trial(&s, p, Some(v))
                }));
            }
        }
        let s = Arc::clone(&shared);
        trials.push(Trial::test(name, move || run_trial(&s, p, None)));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if let Ok(mut slot) = shared.server.lock() {
        if let Some(server) = slot.take() {
            shared.rt.block_on(server.shutdown());
        }
    }
    conclusion.exit();
}

/// Whether `dir` holds a snapshot (`NN-step.json`), not only pending `.json.new` files.
fn has_snapshots(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().extension().is_some_and(|x| x == "json"))
}

/// Versions with their own snapshot tree: `snapshots/@<version>/`.
fn other_snapshot_versions(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix('@'))
                .map(str::to_string)
        })
        .collect();
    out.sort();
    out
}
