//! One short function per subcommand: settings in, the library's entry points called, results
//! printed. Every command returns its exit code or a [`Error`].

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use apiparity::config::{self, RunConfig, TargetChoice};
use apiparity::pipeline::{self, differential, noise, Plan};
use apiparity::run::sweep;
use apiparity::verdict::baseline;
use apiparity::{diff, mock, report, snapshot};

use super::args::{CheckArgs, DiffArgs, LearnNoiseArgs, MockArgs, ReviewArgs, RunArgs, SweepArgs};
use super::{color_stdout, Error};

/// `apiparity run`.
pub async fn run(args: &RunArgs) -> Result<ExitCode, Error> {
    let cfg = RunConfig::new(args.settings())?;
    let plan = selected(&cfg)?;
    // The baseline is validated (and its scenario keys checked) before anything is sent.
    let given = args
        .baseline
        .clone()
        .or_else(|| config::default_baseline(&cfg.target));
    let baseline = match &given {
        None => None,
        Some(path) => {
            let b = baseline::load(path).map_err(config::InputError::from)?;
            let keys: Vec<&str> = plan.all_keys.iter().map(String::as_str).collect();
            let d = b.check_scenarios(&keys);
            if !d.is_empty() {
                return Err(config::InputError::from(d).into());
            }
            Some(b)
        }
    };
    let finished = pipeline::execute(&cfg, &plan.selected, baseline.as_ref()).await?;
    if let Some(path) = &args.write_baseline {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::write(path, finished.baseline_text(&name)).map_err(|e| Error::Io {
            what: format!("writing {}", path.display()),
            source: e,
        })?;
        eprintln!("baseline written: {}", path.display());
    }
    let report = finished.report;
    let written = report::write_all(&report, &cfg.report_dir)?;
    let text = report::to_terminal(
        &report,
        &report::Style {
            color: color_stdout(),
        },
    );
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{text}");
    let _ = writeln!(
        out,
        "target: {} ({:?}); reports: {}",
        report.target.base_url,
        report.target.kind,
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if cfg.snapshot_mode == snapshot::Mode::Update {
        let n = report
            .scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .filter(|s| s.verdict == Some(snapshot::Verdict::Updated))
            .count();
        let _ = writeln!(
            out,
            "snapshots written: {n} (in {})",
            cfg.snapshot_dir.display()
        );
    } else if report.summary.pending_snapshots > 0 {
        let _ = writeln!(
            out,
            "{} new snapshot version(s) written as .json.new: review with `apiparity review`",
            report.summary.pending_snapshots
        );
    }
    Ok(ExitCode::from(report.summary.exit_code as u8))
}

/// The plan, refusing an empty selection.
fn selected(cfg: &RunConfig) -> Result<Plan, Error> {
    let plan = pipeline::plan(cfg)?;
    if plan.selected.is_empty() {
        return Err(Error::Nothing(format!(
            "no scenario matches (paths {:?}, tags {:?}, filters {:?})",
            cfg.paths, cfg.tags, cfg.filters
        )));
    }
    Ok(plan)
}

/// `apiparity diff`.
pub async fn diff(args: &DiffArgs) -> Result<ExitCode, Error> {
    let (settings, right) = args.settings();
    let cfg = RunConfig::new(settings)?;
    let plan = pipeline::plan(&cfg)?;
    let right = TargetChoice::resolve(&right, cfg.api_key.clone())?;
    let (left, left_server) = pipeline::start_target(&cfg.target).await?;
    let (right, right_server) = pipeline::start_target(&right).await?;
    let report = differential::diff_targets(&plan.selected, left, right, &cfg).await;
    for s in [left_server, right_server].into_iter().flatten() {
        s.shutdown().await;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.terminal(color_stdout()));
    }
    Ok(ExitCode::from(report.exit_code() as u8))
}

/// `apiparity learn-noise`.
pub async fn learn_noise(args: &LearnNoiseArgs) -> Result<ExitCode, Error> {
    let cfg = RunConfig::new(args.settings())?;
    let plan = pipeline::plan(&cfg)?;
    let (target, server) = pipeline::start_target(&cfg.target).await?;
    let report = noise::learn_noise(&plan.selected, target, &cfg, usize::from(args.runs)).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.terminal());
    }
    Ok(ExitCode::from(report.exit_code() as u8))
}

/// `apiparity sweep`.
pub async fn sweep(args: &SweepArgs) -> Result<ExitCode, Error> {
    let key = config::api_key_from_env()?;
    let Some(target) = TargetChoice::resolve(&args.target(), key)?
        .target()
        .cloned()
    else {
        return Err(Error::Nothing(
            "sweep needs a target: set STRIPE_API_KEY (Stripe test mode) or --base-url".into(),
        ));
    };
    let requests = config::Requests::new(&args.requests())?;
    let mut opts = sweep::SweepOptions::new(args.older_than.0, SystemTime::now());
    opts.timeout = requests.timeout;
    opts.retry = requests.retry.clone();
    opts.dry_run = args.dry_run;
    opts.rate_limit = requests.rate_limit(&target);
    let report = sweep::sweep(&target, &opts).await;
    print!("{}", report.render());
    Ok(ExitCode::from(u8::from(report.failures() > 0)))
}

/// `apiparity check`.
pub fn check(args: &CheckArgs) -> Result<ExitCode, Error> {
    let cfg = RunConfig::for_check(args.paths.clone(), args.config.as_deref())?;
    let plan = pipeline::plan(&cfg)?;
    let steps: usize = plan
        .selected
        .iter()
        .map(|s| s.scenario.steps.len() + s.scenario.teardown.len())
        .sum();
    println!(
        "{} scenarios, {steps} steps: all valid",
        plan.selected.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `apiparity mock`.
pub async fn mock(args: &MockArgs) -> Result<ExitCode, Error> {
    let opts = mock::MockOptions {
        host: args.host,
        port: args.port,
        latency: std::time::Duration::from_millis(args.latency),
        as_of: args.as_of,
        webhook_endpoints: args.webhook_endpoints,
        account_country: args.account_country.clone(),
    };
    eprintln!(
        "apiparity mock: serving Stripe's invoice API on http://{}:{} (ctrl-c to stop)",
        args.host, args.port
    );
    mock::serve(opts).await.map_err(|e| Error::Io {
        what: format!("cannot serve on {}:{}", args.host, args.port),
        source: e,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// What `review`, `accept` and `reject` do with the pending snapshots.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Show,
    Accept,
    Reject,
}

/// `apiparity review`, `accept` and `reject`.
pub fn review(args: &ReviewArgs, what: Review) -> Result<ExitCode, Error> {
    let items = snapshot::pending(&args.snapshots, &args.filter)
        .map_err(|e| Error::Other(e.to_string()))?;
    if items.is_empty() {
        println!("no pending snapshots under {}", args.snapshots.display());
        return Ok(ExitCode::SUCCESS);
    }
    let done = match what {
        Review::Show => {
            show_pending(&items);
            return Ok(ExitCode::SUCCESS);
        }
        Review::Accept => snapshot::accept(&items),
        Review::Reject => snapshot::reject(&items),
    }
    .map_err(|e| Error::Other(e.to_string()))?;
    for p in &done {
        println!("{}", p.display());
    }
    let verb = if what == Review::Accept {
        "accepted"
    } else {
        "rejected"
    };
    println!("{} {verb}", done.len());
    Ok(ExitCode::SUCCESS)
}

fn show_pending(items: &[snapshot::Pending]) {
    let color = color_stdout();
    for p in items {
        println!("── {} ({})", p.target.display(), p.new.meta.source);
        match &p.old {
            Some(old) => {
                if old.response.status != p.new.response.status {
                    println!(
                        "status: {} → {}",
                        old.response.status, p.new.response.status
                    );
                }
                print!(
                    "{}",
                    diff::unified(&old.response.body, &p.new.response.body, color)
                );
            }
            None => println!(
                "new snapshot:\n{}",
                serde_json::to_string_pretty(&p.new.response.body).unwrap_or_default()
            ),
        }
        println!();
    }
    println!(
        "{} pending: `apiparity accept [FILTER]` or `apiparity reject [FILTER]`",
        items.len()
    );
}
