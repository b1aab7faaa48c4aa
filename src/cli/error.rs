//! The one error type of the commands, and the one place it becomes a message and an exit code.

use std::io::Write;

use apiparity::config::InputError;
use apiparity::pipeline::PipelineError;
use apiparity::report::ReportError;

/// Why a command stopped. Every error exits 2: usage, config and scenario errors (nothing was
/// sent), and failures around the run (the mock would not start, a report could not be
/// written). Differences and failed expectations are results, not errors: they exit 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags, settings or user files.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The pipeline could not run or finish.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A report could not be written.
    #[error("writing reports: {0}")]
    Report(#[from] ReportError),
    /// The command was given nothing it can work on (no scenario matches, no target).
    #[error("{0}")]
    Nothing(String),
    /// Something around the run failed (a file, the runtime, a server), with what it was.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// Anything else a command reports as is.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// Prints the error on stderr: user-file problems rustc-style with their source lines,
    /// everything else as one `error:` line.
    pub fn report(&self, color: bool) {
        let files = match self {
            Error::Input(InputError::Files(d)) => Some(d),
            Error::Pipeline(PipelineError::Input(InputError::Files(d))) => Some(d),
            _ => None,
        };
        let mut err = std::io::stderr().lock();
        match files {
            Some(d) => {
                let _ = write!(err, "{}", d.render(color));
                let _ = writeln!(
                    err,
                    "error: {} problem(s) found; no request was sent",
                    d.0.len()
                );
            }
            None => {
                let _ = writeln!(err, "error: {self}");
            }
        }
    }
}
