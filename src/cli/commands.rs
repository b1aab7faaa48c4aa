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

use super::args::{
    CheckArgs, DiffArgs, LearnNoiseArgs, MergeArgs, MockArgs, RecordArgs, ReviewArgs, RunArgs,
    SweepArgs,
};
use super::{color_stdout, Error};

/// `apiparity run`.
pub async fn run(args: &RunArgs, mut cfg: RunConfig) -> Result<ExitCode, Error> {
    pipeline::prepare_target(&cfg.target);
    let plan = selected(&cfg)?;
    let display = super::progress::Display::new(super::progress::wanted(args.quiet));
    cfg.progress = Some(display.progress());
    // The baseline is validated (and its scenario keys checked) before anything is sent.
    // The project's embedded-mock baseline applies when none is given; its keys are not checked
    // against the paths given (a run of part of the suite leaves the rest's entries unused).
    let implicit = args.baseline.is_none();
    let given = args
        .baseline
        .clone()
        .or_else(|| config::default_baseline(&cfg));
    let baseline = match &given {
        None => None,
        Some(path) => {
            let b = baseline::load(path).map_err(config::InputError::from)?;
            let keys: Vec<&str> = plan.all_keys.iter().map(String::as_str).collect();
            let d = b.check_scenarios(&keys);
            if !d.is_empty() && !implicit {
                return Err(config::InputError::from(d).into());
            }
            Some(b)
        }
    };
    let finished = pipeline::execute(&cfg, &plan.selected, baseline.as_ref()).await;
    display.finish();
    let finished = finished?;
    if let Some(path) = &args.write_baseline {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        apiparity::atomic::write(path, finished.baseline_text(&name)).map_err(|e| Error::Io {
            what: format!("writing {}", path.display()),
            source: e,
        })?;
        eprintln!("baseline written: {}", path.display());
    }
    let report = finished.report;
    let written = write_and_show(&report, &cfg.report_dir)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "target: {} ({:?}); reports: {written}",
        report.target.base_url, report.target.kind,
    );
    if let Some(cut) = &report.summary.cut_short {
        // The one message for a target that went away mid-run (the reports say it too).
        let _ = out.flush();
        eprintln!("error: {cut}");
    }
    if cfg.snapshot_mode == snapshot::Mode::Update {
        // Only files whose content changed are rewritten; each one is named.
        let steps = || report.scenarios.iter().flat_map(|s| &s.steps);
        let mut n = 0;
        for st in steps().filter(|s| s.verdict == Some(snapshot::Verdict::Updated)) {
            n += 1;
            if let Some(f) = &st.snapshot {
                let _ = writeln!(out, "updated: {}", f.display());
            }
        }
        let unchanged = steps()
            .filter(|s| s.verdict == Some(snapshot::Verdict::Unchanged))
            .count();
        let _ = writeln!(
            out,
            "snapshots written: {n}, unchanged: {unchanged} (in {})",
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
    let (mut left, left_server) = pipeline::start_target(&cfg.target).await?;
    let (mut right, right_server) = pipeline::start_target(&right).await?;
    for (t, s) in [(&mut left, &left_server), (&mut right, &right_server)] {
        if s.is_none() {
            pipeline::reachable(t, cfg.requests.timeout).await?;
        }
    }
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
    let (mut target, server) = pipeline::start_target(&cfg.target).await?;
    if server.is_none() {
        pipeline::reachable(&mut target, cfg.requests.timeout).await?;
    }
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
    // The same target default as `run`: Stripe when STRIPE_API_KEY is set, else the embedded
    // mock (fresh, so there is nothing to sweep, but the command works the same way).
    let key = config::api_key_from_env()?;
    let (mut target, server) =
        pipeline::start_target(&TargetChoice::resolve(&args.target(), key)?).await?;
    let requests = config::Requests::new(&args.requests())?;
    let mut opts = sweep::SweepOptions::new(args.older_than.0, SystemTime::now());
    opts.timeout = requests.timeout;
    opts.retry = requests.retry.clone();
    opts.dry_run = args.dry_run;
    opts.rate_limit = requests.rate_limit(&target);
    if server.is_none() {
        pipeline::reachable(&mut target, requests.timeout).await?;
    }
    let report = sweep::sweep(&target, &opts).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
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

/// `apiparity report merge`.
pub fn report_merge(args: &MergeArgs) -> Result<ExitCode, Error> {
    let parts = args
        .inputs
        .iter()
        .map(|p| report::merge::read(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Other(e.to_string()))?;
    let n = parts.len();
    let report = report::merge::merge(parts).map_err(|e| Error::Other(e.to_string()))?;
    let written = write_and_show(&report, &args.report_dir)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "merged {n} report(s), {} scenarios; reports: {written}",
        report.scenarios.len(),
    );
    Ok(ExitCode::from(
        u8::try_from(report.summary.exit_code).unwrap_or(2),
    ))
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
        idle_timeout: args.idle_timeout.0,
        idempotency_ttl: std::time::Duration::from_secs(args.idempotency_ttl),
        idempotency_max_keys: usize::try_from(args.idempotency_keys).unwrap_or(usize::MAX),
    };
    // The banner only once the port is bound, with the port really bound (`--port 0`).
    let banner = |addr: std::net::SocketAddr| {
        eprintln!("apiparity mock: serving Stripe's invoice API on http://{addr} (ctrl-c to stop)")
    };
    mock::serve(opts, banner).await.map_err(|e| Error::Io {
        what: format!("cannot serve on {}:{}", args.host, args.port),
        source: e,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// What `review`, `accept` and `reject` do with the pending snapshots.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Show,
    Accept { allow_version_change: bool },
    Reject,
}

/// `apiparity review`, `accept` and `reject`.
pub fn review(args: &ReviewArgs, what: Review) -> Result<ExitCode, Error> {
    let dir = if args.snapshots == config::Settings::default().snapshots {
        let defaults = config::Settings::default().paths;
        let project = config::project::find(&defaults, &defaults)?;
        config::project::under(&project.root, &args.snapshots)
    } else {
        args.snapshots.clone()
    };
    let items = snapshot::pending(&dir, &args.filter).map_err(|e| Error::Other(e.to_string()))?;
    // A pending file that is not a snapshot cannot be shown or accepted; reject removes it.
    let corrupt =
        snapshot::corrupt_pending(&dir, &args.filter).map_err(|e| Error::Other(e.to_string()))?;
    for (path, why) in &corrupt {
        if what == Review::Reject {
            std::fs::remove_file(path).map_err(|e| Error::Io {
                what: format!("removing {}", path.display()),
                source: e,
            })?;
            println!("{} (corrupt)", path.display());
        } else {
            eprintln!("corrupt pending file: {why}; `apiparity reject` removes it");
        }
    }
    if items.is_empty() && what == Review::Reject && !corrupt.is_empty() {
        println!("{} rejected", corrupt.len());
        return Ok(ExitCode::SUCCESS);
    }
    if items.is_empty() {
        // Say whether the filter is why: "no pending snapshots" would hide a typo.
        let all = snapshot::pending(&dir, "").map_err(|e| Error::Other(e.to_string()))?;
        if args.filter.is_empty() || all.is_empty() {
            println!("no pending snapshots under {}", dir.display());
        } else {
            println!(
                "no pending snapshot matches `{}` ({} pending under {}: `apiparity review` lists them)",
                args.filter,
                all.len(),
                dir.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let done = match what {
        Review::Show => {
            show_pending(&items);
            return Ok(ExitCode::SUCCESS);
        }
        Review::Accept {
            allow_version_change,
        } => {
            show_overwrites(&items);
            let crossing: Vec<&snapshot::Pending> =
                items.iter().filter(|p| p.changes_version()).collect();
            if !crossing.is_empty() && !allow_version_change {
                return Err(Error::Other(format!(
                    "refusing to accept: {} pending answer(s) were recorded at another Stripe-Version than the reference they would replace ({}); nothing was changed. Accept them with --allow-version-change if those references should change version, or reject them",
                    crossing.len(),
                    crossing
                        .iter()
                        .map(|p| p.target.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            snapshot::accept(&items)
        }
        Review::Reject => snapshot::reject(&items),
    }
    .map_err(|e| Error::Other(e.to_string()))?;
    for p in &done {
        println!("{}", p.display());
    }
    let verb = if matches!(what, Review::Accept { .. }) {
        "accepted"
    } else {
        "rejected"
    };
    println!("{} {verb}", done.len());
    Ok(ExitCode::SUCCESS)
}

/// What `accept` is about to do, with the provenance of both sides.
fn show_overwrites(items: &[snapshot::Pending]) {
    let describe = |m: &snapshot::Meta| {
        format!(
            "{} (Stripe-Version {}, recorded {})",
            m.source, m.stripe_version, m.recorded_at
        )
    };
    for p in items {
        match &p.old {
            Some(old) => {
                println!("overwrite {}", p.target.display());
                println!("  old: {}", describe(&old.meta));
                println!("  new: {}", describe(&p.new.meta));
            }
            None => println!("new {}: {}", p.target.display(), describe(&p.new.meta)),
        }
    }
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

/// `apiparity record`: forwards until SIGINT, SIGTERM or `--idle`, then writes the cassettes.
pub async fn record(args: &RecordArgs) -> Result<ExitCode, Error> {
    use apiparity::record;
    let opts = args.options();
    let out = opts.out.clone();
    let rec = record::start(opts)
        .await
        .map_err(|e| Error::Other(e.to_string()))?;
    for w in rec.recovered() {
        eprintln!(
            "apiparity record: finished an interrupted session: {} ({} exchanges)",
            w.scenario, w.exchanges
        );
    }
    for dir in rec.held() {
        eprintln!(
            "apiparity record: {} belongs to a recorder that still runs; left alone",
            dir.display()
        );
    }
    // Printed only once bound, with the real port: scripts wait for this line.
    eprintln!(
        "apiparity record: listening on {} → {}; recording into {} (ctrl-c or SIGTERM writes and stops{})",
        rec.base_url(),
        args.upstream.trim_end_matches('/'),
        out.display(),
        args.idle
            .map(|d| format!(", as does {d} without a request"))
            .unwrap_or_default()
    );
    let stop = async {
        match args.idle {
            Some(d) => rec.idle(d.0).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop => eprintln!("apiparity record: idle; writing"),
        s = shutdown_signal() => eprintln!("apiparity record: {s}; writing"),
    }
    let done = rec
        .finish()
        .await
        .map_err(|e| Error::Other(e.to_string()))?;
    let mut refused = 0;
    for w in &done.written {
        print_written(w);
        refused += usize::from(w.refused.is_some());
    }
    println!(
        "recorded {} exchanges in {} scenario(s); {} refused (live key), {} not answered by the upstream",
        done.recorded,
        done.written.len(),
        done.refused,
        done.failed
    );
    if refused > 0 {
        return Err(Error::Other(format!(
            "{refused} cassette(s) kept but not imported (see above)"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_written(w: &apiparity::record::Written) {
    match &w.scenario_file {
        Some(file) => println!(
            "{}: {} exchanges → {} ({} snapshots; cassette {})",
            w.scenario,
            w.exchanges,
            file.display(),
            w.snapshots.len(),
            w.cassette.display()
        ),
        None => println!(
            "{}: {} exchanges → cassette {} only: {}",
            w.scenario,
            w.exchanges,
            w.cassette.display(),
            w.refused.as_deref().unwrap_or("not imported")
        ),
    }
    for d in &w.dropped {
        println!("  left out: {d}");
    }
}

/// SIGINT (ctrl-c) or, on unix, SIGTERM: which one came.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return "SIGINT",
                _ = term.recv() => return "SIGTERM",
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// Writes every report format into `dir`, prints the terminal one, and returns the written
/// paths for the closing line (`run` and `report merge` end the same way).
fn write_and_show(report: &report::Report, dir: &std::path::Path) -> Result<String, Error> {
    let style = report::Style {
        color: color_stdout(),
    };
    // The terminal text is rendered while the files are.
    let (written, text) =
        report::write_all_and(report, dir, || report::to_terminal(report, &style));
    let written = written?;
    let _ = write!(std::io::stdout().lock(), "{text}");
    Ok(written
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", "))
}
