//! The project root: the directory holding `apiparity.yaml` or `scenarios/`, found from the
//! scenario paths (or, with the default path, from the current directory upwards). Snapshots
//! and the rules file live there, so `apiparity run <repo>/scenarios` from anywhere compares
//! with `<repo>/snapshots`, never a fresh tree in the current directory.

use std::path::{Path, PathBuf};

use super::InputError;

/// Where a run's files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The project root (`.` when it is the current directory, so messages stay short).
    pub root: PathBuf,
    /// The scenario paths, resolved against the root when the default was not there.
    pub paths: Vec<PathBuf>,
}

/// What marks a project root.
pub const MARKERS: &str = "apiparity.yaml or a scenarios/ directory";

fn is_root(dir: &Path) -> bool {
    dir.join("apiparity.yaml").is_file() || dir.join("scenarios").is_dir()
}

/// Finds the project of `paths` (`default` is what the paths are when no flag gave any).
pub fn find(paths: &[PathBuf], default: &[PathBuf]) -> Result<Project, InputError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    let start = match existing.first() {
        Some(p) => {
            let abs = std::fs::canonicalize(p).unwrap_or_else(|_| cwd.join(p));
            if abs.is_dir() {
                abs
            } else {
                abs.parent().map(Path::to_path_buf).unwrap_or(abs)
            }
        }
        None => cwd.clone(),
    };
    let root = start
        .ancestors()
        .find(|d| is_root(d))
        .map(Path::to_path_buf);
    let missing: Vec<&PathBuf> = paths.iter().filter(|p| !p.exists()).collect();
    match root {
        Some(root) => {
            let here = std::fs::canonicalize(&cwd).is_ok_and(|c| c == root);
            let paths = if paths == default && !missing.is_empty() {
                // Run from a subdirectory: the default scenarios are the project's.
                paths.iter().map(|p| root.join(p)).collect()
            } else {
                paths.to_vec()
            };
            Ok(Project {
                root: if here { PathBuf::from(".") } else { root },
                paths,
            })
        }
        None if missing.is_empty() => Ok(Project {
            root: PathBuf::from("."),
            paths: paths.to_vec(),
        }),
        None => Err(InputError::Usage(format!(
            "not in an apiparity project: looked for {MARKERS} in {} and every directory above it, and found none{}; run from a project directory, or pass scenario files or directories",
            start.display(),
            if missing.len() == paths.len() {
                format!(
                    " (and {} does not exist)",
                    missing
                        .iter()
                        .map(|p| format!("`{}`", p.display()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            }
        ))),
    }
}

/// `rel` under the project root, unless it is absolute or the root is the current directory.
pub fn under(root: &Path, rel: &Path) -> PathBuf {
    if rel.is_absolute() || root == Path::new(".") {
        rel.to_path_buf()
    } else {
        root.join(rel)
    }
}
