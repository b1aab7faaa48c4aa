//! Reports: one model ([`Report`]) built from a run and its comparisons, rendered by one file
//! per format. Entry points: [`build`], then [`write_all`] and [`terminal`].
//!
//! To add a format: add a file with a `render(&Report) -> Result<String, String>` function
//! and one line in [`FORMATS`].

mod html;
mod json;
mod junit;
mod markdown;
mod model;
mod terminal;

pub use model::{
    build, BuildContext, FrequentDifference, Report, ScenarioReport, Scorecard, StepReport,
    TargetInfo,
};
pub use terminal::terminal;
// The verdicts a report shows, under the names its readers use.
pub use crate::verdict::{BaselineInfo, BaselinedItem, StaleEntry, Status, Summary};

use std::path::{Path, PathBuf};

/// Renders a report in one format.
pub type Render = fn(&Report) -> Result<String, String>;

/// File name and renderer of every report written on each run.
pub const FORMATS: &[(&str, Render)] = &[
    ("report.json", json::render),
    ("junit.xml", junit::render),
    ("summary.md", markdown::render),
    ("report.html", html::render),
];

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// Writes every format under `dir` (created if needed). Returns the files written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::Write {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut written = Vec::new();
    for (name, render) in FORMATS {
        let path = dir.join(name);
        let text = render(report).map_err(|message| ReportError::Write {
            path: path.clone(),
            message,
        })?;
        // Reports may quote what a target sent back; scrub secrets one last time.
        let text = report.redactor.text(&text);
        std::fs::write(&path, text).map_err(|e| ReportError::Write {
            path: path.clone(),
            message: e.to_string(),
        })?;
        written.push(path);
    }
    Ok(written)
}
