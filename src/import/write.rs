//! One cassette's files, all or nothing: every file goes to a temporary file beside its target
//! first; only when all of them are written and synced are they renamed into place. A failure
//! before that leaves nothing (temporaries are removed, directories created for them too).

use std::path::{Path, PathBuf};

use super::{ImportError, Rendered, Written};

fn err(file: &Path, e: impl std::fmt::Display) -> ImportError {
    ImportError::Write {
        file: file.to_path_buf(),
        message: e.to_string(),
    }
}

/// Directories `create_dir_all` would create for `dir`, outermost first.
fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    out.reverse();
    out
}

/// Puts back what the renames replaced, newest first; files that were new are removed.
fn roll_back(done: &[(PathBuf, Option<Vec<u8>>)]) {
    for (path, before) in done.iter().rev() {
        match before {
            Some(bytes) => {
                let _ = std::fs::write(path, bytes);
            }
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

pub(super) fn all_or_nothing(r: Rendered) -> Result<Written, ImportError> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut temps: Vec<(crate::atomic::Staged, PathBuf)> = Vec::new();
    let staged = (|| {
        for (path, text) in &r.files {
            let dir = path.parent().unwrap_or(Path::new("."));
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            for d in missing_dirs(dir) {
                if !created_dirs.contains(&d) {
                    created_dirs.push(d);
                }
            }
            std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
            // The one atomic-write helper (temp beside the target, umask mode), unsynced: the
            // rename is what makes each file appear whole, and an import is re-run from its
            // cassettes; 370 fsyncs would be most of its wall time.
            let tmp = crate::atomic::stage_unsynced(path, text).map_err(|e| err(path, e))?;
            temps.push((tmp, path.clone()));
        }
        Ok(())
    })();
    if let Err(e) = staged {
        drop(temps);
        for d in created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        return Err(e);
    }
    // Snapshots first, the scenario last: a scenario on disk means its snapshots are there.
    // What a rename replaces is kept in memory, so a failure midway puts every file back.
    temps.rotate_left(1);
    let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (tmp, path) in temps.drain(..) {
        let before = std::fs::read(&path).ok();
        if let Err(e) = tmp.commit() {
            roll_back(&done);
            for d in created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
            return Err(err(&path, e));
        }
        done.push((path, before));
    }
    let mut files = r.files.into_iter().map(|(p, _)| p);
    let scenario = files.next().expect("a scenario file first");
    let snapshots: Vec<PathBuf> = files.collect();
    // A re-import with fewer steps leaves no stale snapshot behind.
    if let Some(dir) = snapshots.first().and_then(|p| p.parent()) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let p = entry.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let stale = (name.ends_with(".json") || name.ends_with(".json.new"))
                    && !snapshots.contains(&p);
                if stale && p.is_file() {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
    }
    Ok(Written {
        key: r.key,
        scenario,
        snapshots,
        steps: r.steps,
        dropped: r.dropped,
    })
}
