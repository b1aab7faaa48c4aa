//! The `apiparity` command line: [`args`] (clap) becomes `config::Settings`, [`commands`] runs
//! one subcommand each, and every failure is one [`Error`] that `main` maps to an exit code.

pub mod args;
mod commands;
mod error;
pub mod import;
mod progress;

use std::process::ExitCode;

pub use args::{Cli, Command};
pub use error::Error;

use commands::Review;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    load_dotenv()?;
    let rt = || runtime(None);
    match cli.command {
        Command::Run(args) => {
            // The run's settings decide its runtime's size.
            let cfg = apiparity::config::RunConfig::new(args.settings())?;
            let rt = runtime(cfg.async_workers())?;
            // The run itself is a task on the workers, not a future of this thread: its
            // scenarios hand their results to it, and each hand-over across threads was two
            // thread wake-ups between one scenario's end and the next one's start.
            let run = rt.spawn(async move { commands::run(&args, cfg).await });
            match rt.block_on(run) {
                Ok(result) => result,
                // A panic in the run is a bug: surface it as one.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        Command::Check(args) => commands::check(&args),
        Command::Mock(args) => rt()?.block_on(commands::mock(&args)),
        Command::Review(args) => commands::review(&args, Review::Show),
        Command::Accept(args) => commands::review(
            &args.review,
            Review::Accept {
                allow_version_change: args.allow_version_change,
            },
        ),
        Command::Reject(args) => commands::review(&args, Review::Reject),
        Command::Diff(args) => rt()?.block_on(commands::diff(&args)),
        Command::LearnNoise(args) => rt()?.block_on(commands::learn_noise(&args)),
        Command::Sweep(args) => rt()?.block_on(commands::sweep(&args)),
        Command::Import(args) => import::run(&args),
        Command::Report(args::ReportCommand::Merge(args)) => commands::report_merge(&args),
        Command::Record(args) => rt()?.block_on(commands::record(&args)),
    }
}

/// A multi-threaded runtime with `workers` async workers (`None`: one per core).
fn runtime(workers: Option<usize>) -> Result<tokio::runtime::Runtime, Error> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        b.worker_threads(n);
    }
    b.enable_all().build().map_err(|e| Error::Io {
        what: "cannot start the async runtime".into(),
        source: e,
    })
}

/// `.env` in the current directory, when present. A malformed line is an error that names it.
fn load_dotenv() -> Result<(), Error> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(line, col)) => Err(Error::Other(format!(
            ".env: cannot parse `{line}` (at character {col})"
        ))),
        Err(e) => Err(Error::Other(format!(".env: {e}"))),
    }
}

// anstream resolves NO_COLOR, CLICOLOR(_FORCE) and whether the stream is a terminal.
pub fn color_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

fn color_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}
