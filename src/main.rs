//! The `apiparity` command. Exit codes: 0 all match, 1 differences or failed expectations,
//! 2 usage/config/scenario/target errors.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use apiparity::config::{self, Cli, Command, ConfigError, RunConfig};
use apiparity::pipeline::{self, PipelineError};
use apiparity::{baseline, diff, differential, mock, noise, report, snapshot, sweep};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(e) = load_dotenv() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Run(args) => rt.block_on(cmd_run(&args)),
        Command::Check(args) => cmd_check(&args),
        Command::Mock(args) => rt.block_on(cmd_mock(&args)),
        Command::Review(args) => cmd_review(&args, Review::Show),
        Command::Accept(args) => cmd_review(&args, Review::Accept),
        Command::Reject(args) => cmd_review(&args, Review::Reject),
        Command::Diff(args) => rt.block_on(cmd_diff(&args)),
        Command::LearnNoise(args) => rt.block_on(cmd_learn_noise(&args)),
        Command::Sweep(args) => rt.block_on(cmd_sweep(&args)),
    };
    ExitCode::from(code)
}

/// `.env` in the current directory, when present. A malformed line is an error that names it.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(line, col)) => {
            Err(format!(".env: cannot parse `{line}` (at character {col})"))
        }
        Err(e) => Err(format!(".env: {e}")),
    }
}

// anstream resolves NO_COLOR, CLICOLOR(_FORCE) and whether the stream is a terminal.
fn color_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

fn color_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

fn report_config_error(e: &ConfigError) -> u8 {
    match e {
        ConfigError::Files(d) => {
            eprint!("{}", d.render(color_stderr()));
            eprintln!("error: {} problem(s) found; no request was sent", d.0.len());
        }
        ConfigError::Usage(m) => eprintln!("error: {m}"),
    }
    2
}

async fn cmd_run(args: &config::RunArgs) -> u8 {
    let cfg = match RunConfig::from_args(args) {
        Ok(c) => c,
        Err(e) => return report_config_error(&e),
    };
    let planned = match pipeline::plan(&cfg) {
        Ok(p) => p,
        Err(e) => return report_config_error(&e),
    };
    if planned.is_empty() {
        eprintln!(
            "error: no scenario matches (paths {:?}, tags {:?}, filters {:?})",
            cfg.paths, cfg.tags, cfg.filters
        );
        return 2;
    }
    // The baseline is validated (and its scenario keys checked) before anything is sent.
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let b = match baseline::load(path) {
                Ok(b) => b,
                Err(d) => return report_config_error(&ConfigError::Files(d)),
            };
            let all = match pipeline::plan(&RunConfig {
                tags: vec![],
                filters: vec![],
                ..cfg.clone()
            }) {
                Ok(p) => p,
                Err(e) => return report_config_error(&e),
            };
            let keys: Vec<&str> = all.iter().map(|p| p.scenario.key.as_str()).collect();
            let d = b.check_scenarios(&keys);
            if !d.is_empty() {
                return report_config_error(&ConfigError::Files(d));
            }
            Some(b)
        }
    };
    let mut report = match pipeline::execute(&cfg, &planned).await {
        Ok(r) => r,
        Err(PipelineError::Config(e)) => return report_config_error(&e),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if let Some(b) = &baseline {
        baseline::apply(&mut report, b);
    }
    if let Some(path) = &args.write_baseline {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Err(e) = std::fs::write(path, baseline::from_report(&report, &name)) {
            eprintln!("error: writing {}: {e}", path.display());
            return 2;
        }
        eprintln!("baseline written: {}", path.display());
    }
    let written = match report::write_all(&report, &cfg.report_dir) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: writing reports: {e}");
            return 2;
        }
    };
    let text = report
        .redactor
        .text(&report::terminal(&report, color_stdout()));
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
    report.summary.exit_code as u8
}

/// A target for `diff`/`learn-noise`: a URL, or the embedded mock (`embedded` or none).
async fn target_or_mock(
    url: Option<&str>,
    cfg: &RunConfig,
) -> Result<(apiparity::run::Target, Option<mock::MockServer>), String> {
    match url.filter(|u| *u != "embedded") {
        Some(u) => {
            let key = config::api_key_from_env().map_err(|e| e.to_string())?;
            match config::resolve_target(Some(u), key) {
                Ok(Some(t)) => Ok((t, None)),
                Ok(None) => Err(format!("`{u}` is not a target")),
                Err(e) => Err(e.to_string()),
            }
        }
        None => pipeline::target_for(&RunConfig {
            target: None,
            ..cfg.clone()
        })
        .await
        .map_err(|e| e.to_string()),
    }
}

/// Config and scenarios for `diff` and `learn-noise` (they read no snapshots).
fn plan_suite(suite: &config::SuiteArgs) -> Result<(RunConfig, Vec<pipeline::Planned>), u8> {
    let cfg =
        RunConfig::from_args(&suite.as_run_args(None)).map_err(|e| report_config_error(&e))?;
    let planned = pipeline::plan(&cfg).map_err(|e| report_config_error(&e))?;
    Ok((cfg, planned))
}

async fn cmd_diff(args: &config::DiffArgs) -> u8 {
    let (cfg, planned) = match plan_suite(&args.suite) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (left, left_server) = match target_or_mock(Some(&args.left), &cfg).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --left: {e}");
            return 2;
        }
    };
    let (right, right_server) = match target_or_mock(Some(&args.right), &cfg).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --right: {e}");
            return 2;
        }
    };
    let report = differential::diff_targets(&planned, left, right, &cfg).await;
    for s in [left_server, right_server].into_iter().flatten() {
        s.shutdown().await;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.terminal(color_stdout()));
    }
    report.exit_code() as u8
}

async fn cmd_learn_noise(args: &config::LearnNoiseArgs) -> u8 {
    let (cfg, planned) = match plan_suite(&args.suite) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (target, server) = match target_or_mock(args.base_url.as_deref(), &cfg).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --base-url: {e}");
            return 2;
        }
    };
    let report = noise::learn_noise(&planned, target, &cfg, usize::from(args.runs)).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.terminal());
    }
    report.exit_code() as u8
}

async fn cmd_sweep(args: &config::SweepArgs) -> u8 {
    let key = match config::api_key_from_env() {
        Ok(k) => k,
        Err(e) => return report_config_error(&e),
    };
    let target = match config::resolve_target(args.target.base_url.as_deref(), key) {
        Ok(Some(t)) => t,
        Ok(None) => {
            eprintln!(
                "error: sweep needs a target: set STRIPE_API_KEY (Stripe test mode) or --base-url"
            );
            return 2;
        }
        Err(e) => return report_config_error(&e),
    };
    let mut opts = sweep::SweepOptions::new(&target, args.older_than, std::time::SystemTime::now());
    opts.timeout = args.target.timeout;
    opts.retry.max_retries = args.target.max_retries;
    opts.dry_run = args.dry_run;
    if let Some(r) = args.target.rate {
        if !(r > 0.0 && r.is_finite()) {
            eprintln!("error: --rate must be a positive number, got {r}");
            return 2;
        }
        opts.rate_limit = Some(apiparity::run::RateLimit {
            per_second: r,
            search_per_second: r,
        });
    }
    let report = sweep::sweep_with(&target, &opts).await;
    print!("{}", report.render());
    u8::from(report.failures() > 0)
}

fn cmd_check(args: &config::CheckArgs) -> u8 {
    let cfg = match RunConfig::for_check(args) {
        Ok(c) => c,
        Err(e) => return report_config_error(&e),
    };
    match pipeline::plan(&cfg) {
        Ok(p) => {
            let steps: usize = p
                .iter()
                .map(|s| s.scenario.steps.len() + s.scenario.teardown.len())
                .sum();
            println!("{} scenarios, {steps} steps: all valid", p.len());
            0
        }
        Err(e) => report_config_error(&e),
    }
}

async fn cmd_mock(args: &config::MockArgs) -> u8 {
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
    match mock::serve(opts).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot serve on {}:{}: {e}", args.host, args.port);
            2
        }
    }
}

enum Review {
    Show,
    Accept,
    Reject,
}

fn cmd_review(args: &config::ReviewArgs, what: Review) -> u8 {
    let items = match snapshot::pending(&args.snapshots, &args.filter) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if items.is_empty() {
        println!("no pending snapshots under {}", args.snapshots.display());
        return 0;
    }
    let result = match what {
        Review::Show => {
            let color = color_stdout();
            for p in &items {
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
            return 0;
        }
        Review::Accept => snapshot::accept(&items),
        Review::Reject => snapshot::reject(&items),
    };
    match result {
        Ok(done) => {
            for p in &done {
                println!("{}", p.display());
            }
            println!(
                "{} {}",
                done.len(),
                if matches!(what, Review::Accept) {
                    "accepted"
                } else {
                    "rejected"
                }
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
