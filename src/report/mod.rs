//! Reports: one model ([`Report`]) built from a run, its comparisons and the verdicts, rendered
//! by one file per format. The report decides nothing: every status, the summary and the exit
//! code come from `crate::verdict`. Entry points: [`build`], then [`write_all`] (every file
//! format) and [`to_terminal`] (the terminal format).
//!
//! To add a format: add a file with a `render(&Report, &Style) -> Result<String, String>`
//! function and one line in the `formats!` table below.

pub mod merge;
mod model;
mod text;

use std::path::{Path, PathBuf};

pub use model::{
    build, percent, request_url, BuildContext, FrequentDifference, Report, ScenarioReport,
    Scorecard, StepReport, TargetInfo,
};
pub use terminal::terminal;
pub use text::{display_pointer, value_or_absent};
// The verdicts a report shows, under the names its readers use.
pub use crate::verdict::{BaselineInfo, BaselinedItem, StaleEntry, Status, Summary};

/// How a format is rendered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colors (the caller decides; anstream honours NO_COLOR).
    pub color: bool,
}

/// Renders a report in one format.
pub type Render = fn(&Report, &Style) -> Result<String, String>;

/// Where a format goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Printed after the run.
    Terminal,
    /// Written under the report directory with this name.
    File(&'static str),
}

/// One report format.
#[derive(Clone, Copy, Debug)]
pub struct Format {
    /// The format's module name (`json`, `html`, …).
    pub name: &'static str,
    /// Printed, or written as a file.
    pub output: Output,
    /// The format's renderer.
    pub render: Render,
}

/// Declares each format's module and builds [`FORMATS`] from the same lines, in order.
macro_rules! formats {
    ($($file:ident => $output:expr,)*) => {
        $(mod $file;)*

        /// Every format, in the order they are produced.
        pub const FORMATS: &[Format] = &[$(Format {
            name: stringify!($file),
            output: $output,
            render: $file::render as Render,
        },)*];
    };
}

formats! {
    terminal => Output::Terminal,
    json => Output::File("report.json"),
    junit => Output::File("junit.xml"),
    markdown => Output::File("summary.md"),
    html => Output::File("report.html"),
}

/// Why the reports could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A format could not render the report.
    #[error("{path}: {message}")]
    Render {
        /// The file it was for.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A report file or its directory could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
}

/// Writes every file format under `dir` (created if needed). Returns the files written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    write_all_and(report, dir, || ()).0
}

/// [`write_all`], with `also` run beside it: the formats are independent, so each one is
/// rendered, scrubbed and written on its own thread, and the caller's own
/// work (the terminal format) on the calling one. The first error in format order wins.
pub fn write_all_and<T>(
    report: &Report,
    dir: &Path,
    also: impl FnOnce() -> T,
) -> (Result<Vec<PathBuf>, ReportError>, T) {
    if let Err(source) = std::fs::create_dir_all(dir) {
        let err = ReportError::Write {
            path: dir.to_path_buf(),
            source,
        };
        return (Err(err), also());
    }
    let write_one = |name: &str, render: Render| -> Result<PathBuf, ReportError> {
        let path = dir.join(name);
        let text = render(report, &Style::default()).map_err(|message| ReportError::Render {
            path: path.clone(),
            message,
        })?;
        // Reports may quote what a target sent back; scrub secrets one last time.
        let text = report.redactor.scrub(text);
        // A report is re-made by the next run: atomic, but not worth an fsync.
        crate::atomic::write_unsynced(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    std::thread::scope(|s| {
        let jobs: Vec<_> = FORMATS
            .iter()
            .filter_map(|f| match f.output {
                Output::File(name) => Some(s.spawn(move || write_one(name, f.render))),
                Output::Terminal => None,
            })
            .collect();
        let other = also();
        let written = jobs
            .into_iter()
            // A panic while rendering is a bug: surface it as one.
            .map(|j| j.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        (written, other)
    })
}

/// An empty buffer for a format's text, with room reserved for any report of this size: a
/// buffer that grows by doubling copies itself each time and touches twice the pages its text
/// needs (the page faults of megabytes of reports were a tenth of the time after the last
/// response). Room reserved but not written costs no memory.
pub(crate) fn text_buffer(r: &Report) -> String {
    String::with_capacity(text_capacity(r))
}

/// The room [`text_buffer`] reserves: generous per step (report.json takes about 2 KB).
pub(crate) fn text_capacity(r: &Report) -> usize {
    const PER_STEP: usize = 8 << 10;
    const MOST: usize = 64 << 20;
    let steps: usize = r.scenarios.iter().map(|s| s.steps.len()).sum();
    steps
        .saturating_mul(PER_STEP)
        .saturating_add(64 << 10)
        .min(MOST)
}

/// The terminal format(s), scrubbed of secrets, ready to print.
pub fn to_terminal(report: &Report, style: &Style) -> String {
    FORMATS
        .iter()
        .filter(|f| f.output == Output::Terminal)
        .map(|f| (f.render)(report, style).unwrap_or_else(|e| format!("error: {e}\n")))
        .map(|text| report.redactor.scrub(text))
        .collect()
}
