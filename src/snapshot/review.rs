//! Pending snapshots (`*.json.new`): list, accept (replace the snapshot), reject (delete).

use std::path::{Path, PathBuf};

use super::file::{self, Snapshot};
use super::SnapshotError;

/// A snapshot waiting for review (`*.json.new`).
#[derive(Clone, Debug)]
pub struct Pending {
    /// The `.json.new` file.
    pub pending: PathBuf,
    /// The snapshot it would replace.
    pub target: PathBuf,
    /// The new version.
    pub new: Snapshot,
    /// The snapshot it would replace, if there is one.
    pub old: Option<Snapshot>,
}

impl Pending {
    /// Whether accepting it replaces a reference recorded at another Stripe-Version.
    pub fn changes_version(&self) -> bool {
        self.old
            .as_ref()
            .is_some_and(|old| old.meta.stripe_version != self.new.meta.stripe_version)
    }
}

/// Every pending file under `dir` whose path contains `filter` (all when empty), sorted. A
/// pending file that is not a snapshot is left out (see [`corrupt_pending`]); a snapshot that
/// is not one counts as absent, so accepting replaces it.
pub fn pending(dir: &Path, filter: &str) -> Result<Vec<Pending>, SnapshotError> {
    Ok(scan(dir, filter)?.0)
}

/// The pending files under `dir` (matching `filter`) that cannot be read as snapshots, each
/// with why: `reject` removes them, `review` and `accept` name them.
pub fn corrupt_pending(
    dir: &Path,
    filter: &str,
) -> Result<Vec<(PathBuf, SnapshotError)>, SnapshotError> {
    Ok(scan(dir, filter)?.1)
}

type Scan = (Vec<Pending>, Vec<(PathBuf, SnapshotError)>);

fn scan(dir: &Path, filter: &str) -> Result<Scan, SnapshotError> {
    let mut corrupt = Vec::new();
    let mut files = Vec::new();
    walk(dir, &mut files).map_err(|source| SnapshotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    files.sort();
    let mut out = Vec::new();
    for p in files {
        if !p.to_string_lossy().contains(filter) {
            continue;
        }
        let target = p.with_extension("");
        let new = match file::read(&p) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) => {
                corrupt.push((p, e));
                continue;
            }
        };
        let old = file::read(&target).ok().flatten();
        out.push(Pending {
            pending: p,
            target,
            new,
            old,
        });
    }
    Ok((out, corrupt))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.to_string_lossy().ends_with(".json.new") {
            out.push(p);
        }
    }
    Ok(())
}

/// Moves each pending file over its snapshot. Returns the snapshots written.
pub fn accept(items: &[Pending]) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut done = Vec::new();
    for p in items {
        std::fs::rename(&p.pending, &p.target).map_err(|source| SnapshotError::Io {
            path: p.pending.clone(),
            source,
        })?;
        done.push(p.target.clone());
    }
    Ok(done)
}

/// Deletes each pending file.
pub fn reject(items: &[Pending]) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut done = Vec::new();
    for p in items {
        super::file::remove_if_exists(&p.pending)?;
        done.push(p.pending.clone());
    }
    Ok(done)
}
