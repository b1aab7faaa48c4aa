//! Reading cassettes: one file per format, detected from the file's content (`--format` forces
//! one). Every reader returns cassettes in the one in-memory shape, [`super::Cassette`].

mod shared;

use std::path::{Path, PathBuf};

use super::{Cassette, ImportError};

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The shape of `shared/recordings`: a JSON list of exchanges, with `provenance.json`
    /// beside it.
    Shared,
}

impl Format {
    /// Every format, with its `--format` name.
    pub const ALL: &'static [(&'static str, Format)] = &[("shared", Format::Shared)];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// The format named `name` (a `--format` value).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }
}

/// The format of a file, from its name and content; `None` when it is none of them.
pub fn detect(path: &Path, text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let _ = path;
    if t.starts_with('[') {
        return Some(Format::Shared);
    }
    None
}

fn read_error(
    file: &Path,
    line: Option<usize>,
    column: Option<usize>,
    message: impl Into<String>,
) -> ImportError {
    ImportError::Read {
        file: file.to_path_buf(),
        line,
        column,
        message: message.into(),
    }
}

/// Cassette files under `path`, sorted; `provenance.json` and dotfiles are not cassettes.
fn files_under(path: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<ImportError>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(e) => {
            errors.push(read_error(path, None, None, e.to_string()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with("README") || name == "provenance.json" {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out, errors);
        } else if [".json", ".yml", ".yaml", ".har"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            out.push(p);
        }
    }
}

pub(super) fn read_path(path: &Path, format: Option<Format>) -> (Vec<Cassette>, Vec<ImportError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if path.is_dir() {
        files_under(path, &mut files, &mut errors);
    } else {
        files.push(path.to_path_buf());
    }
    let mut cassettes = Vec::new();
    for f in files {
        match read_file(&f, format) {
            Ok(mut c) => cassettes.append(&mut c),
            Err(e) => errors.push(e),
        }
    }
    (cassettes, errors)
}

/// Reads one file's cassettes.
pub(super) fn read_file(path: &Path, format: Option<Format>) -> Result<Vec<Cassette>, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| read_error(path, None, None, e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = at
            - before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        read_error(path, Some(line), Some(column), "not UTF-8 text")
    })?;
    let format = match format.or_else(|| detect(path, &text)) {
        Some(f) => f,
        None => {
            return Err(read_error(
                path,
                None,
                None,
                format!(
                    "not a cassette in any known format ({}); use --format to force one",
                    Format::ALL
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    };
    match format {
        Format::Shared => shared::read(path, &text),
    }
}

/// A JSON parse error as an import error with its line and column.
fn json_error(path: &Path, e: &serde_json::Error) -> ImportError {
    read_error(
        path,
        Some(e.line()),
        Some(e.column()),
        format!("invalid JSON: {e}"),
    )
}
