//! The one way apiparity writes a file: a temp file in the same directory, written whole,
//! fsynced, then renamed over the target (output written unsynced swaps places with the old
//! file instead, see [`Staged::commit`]). A reader (or a kill -9, or a full disk) never sees
//! half a file: the old one stays until the new one is complete, and a failed write is an
//! error naming the file, never a silent truncation.
//!
//! The temp file is created like any new file (mode 0666 minus the umask), so a rewritten
//! snapshot keeps normal permissions. Temp files are named `.apiparity-tmp-<pid>-<random>`
//! (git-ignored); one left behind by a killed process is removed the next time apiparity writes
//! into that directory.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every temp file's name starts with this (see .gitignore).
pub const TMP_PREFIX: &str = ".apiparity-tmp-";

/// Writes `bytes` to `path` atomically, creating its directory if needed.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    stage(path, bytes)?.commit()
}

/// [`write`] without the fsyncs, for output that is re-made from its inputs (reports: a run
/// writes four, and their file and directory fsyncs were a tenth of its wall time on a slow
/// disk). The rename still makes the file appear whole.
pub fn write_unsynced(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    stage_unsynced(path, bytes)?.commit()
}

/// A file written whole and synced beside its target, not yet in place. Several staged files
/// make an all-or-nothing set (an import writes a scenario and its snapshots): commit them only
/// once every one is staged. Dropped without [`Staged::commit`], the temp file is removed.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
    /// Whether the file was synced, and so the directory is too once renamed.
    sync: bool,
}

/// Writes `bytes` to a temp file beside `path` (creating the directory if needed) and syncs it.
pub fn stage(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<Staged> {
    stage_with(path, bytes.as_ref(), true)
}

/// [`stage`] without the fsync, for output that is re-made from its inputs (an import writes
/// hundreds of files; their fsyncs were most of its wall time). The rename still makes each
/// file appear whole.
pub fn stage_unsynced(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<Staged> {
    stage_with(path, bytes.as_ref(), false)
}

fn stage_with(path: &Path, bytes: &[u8], sync: bool) -> io::Result<Staged> {
    let dir = dir_of(path);
    fs::create_dir_all(dir)?;
    clean_stale_once(dir);
    let (tmp, mut file) = create_temp(dir)?;
    let staged = Staged {
        tmp,
        target: path.to_path_buf(),
        committed: false,
        sync,
    };
    file.write_all(bytes)?;
    if sync {
        file.sync_all()?;
    }
    Ok(staged)
}

impl Staged {
    /// Renames the temp file over the target; unsynced, it swaps places with an existing
    /// file, which is then removed (see `exchange`).
    pub fn commit(mut self) -> io::Result<()> {
        if self.sync || !exchange(&self.tmp, &self.target) {
            fs::rename(&self.tmp, &self.target)?;
        }
        self.committed = true;
        // The rename is durable once the directory is synced; where directories cannot be
        // opened (not Unix), the rename itself is still atomic. Unsynced output skips it too.
        if self.sync {
            if let Ok(d) = File::open(dir_of(&self.target)) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Puts an unsynced file in place of an existing regular file by swapping the two atomically,
/// then removes the old one; `false` when it did not (no such file, or a file system without
/// the swap), and a plain rename is due. A plain rename over an existing file makes ext4
/// allocate and start writing the new file's blocks within the rename (its `auto_da_alloc`
/// guard for programs that skip fsync): 0.5 ms per megabyte here, four times at the end of
/// every run. Output written unsynced is re-made by the next run and does not need the guard.
#[cfg(target_os = "linux")]
fn exchange(tmp: &Path, target: &Path) -> bool {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    // Only a regular file is swapped: a directory or anything else keeps rename's refusal.
    if !fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
        return false;
    }
    if renameat_with(CWD, tmp, CWD, target, RenameFlags::EXCHANGE).is_err() {
        return false;
    }
    // `tmp` now names the old file; one left behind is a stale temp file, removed later.
    let _ = fs::remove_file(tmp);
    true
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn create_temp(dir: &Path) -> io::Result<(PathBuf, File)> {
    use rand::RngExt;
    for _ in 0..16 {
        let n: u64 = rand::rng().random();
        let tmp = dir.join(format!("{TMP_PREFIX}{}-{n:016x}", std::process::id()));
        // Plain create_new: the mode is 0666 less the umask, as for any new file.
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "could not pick a free temp file name",
    ))
}

/// Removes temp files a dead process left in `dir`, once per directory per process.
fn clean_stale_once(dir: &Path) {
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    {
        let mut seen = CLEANED.lock().unwrap_or_else(|e| e.into_inner());
        if !seen
            .get_or_insert_with(HashSet::new)
            .insert(dir.to_path_buf())
        {
            return;
        }
    }
    clean_stale(dir);
}

/// Removes every temp file in `dir` whose writer is gone. Returns how many were removed.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TMP_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(writer_alive) {
            continue;
        }
        if fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether the process that created a temp file may still be writing it. Where there is no
/// /proc to ask, only files older than an hour count as abandoned.
fn writer_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.is_dir() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn rewrites_leave_whole_files_and_no_temp_synced_or_not() {
        type Writer = fn(&Path, &str) -> io::Result<()>;
        let writers: [(&str, Writer); 2] = [
            ("synced", |p, t| write(p, t)),
            ("unsynced (swapped in)", |p, t| write_unsynced(p, t)),
        ];
        for (how, write) in writers {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("a/b/c.json");
            for text in ["one", "two, longer", "3"] {
                write(&p, text).unwrap();
            }
            assert_eq!(fs::read_to_string(&p).unwrap(), "3", "{how}");
            assert_eq!(names(p.parent().unwrap()), ["c.json"], "{how}");
            // A directory where the file should go is refused, as a rename refuses it, and
            // stays as it was.
            let d = p.with_file_name("summary.md");
            fs::create_dir(&d).unwrap();
            fs::write(d.join("kept"), "x").unwrap();
            assert!(write(&d, "text").is_err(), "{how}");
            assert_eq!(names(&d), ["kept"], "{how}");
            assert_eq!(
                names(p.parent().unwrap()),
                ["c.json", "summary.md"],
                "{how}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn mode_follows_the_umask_not_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // Whatever the umask, a normal create gives the owner read/write and is not the
        // private 0600 a temp-file library picks unless the umask itself is 077.
        let plain = dir.path().join("plain");
        fs::write(&plain, "x").unwrap();
        let p = dir.path().join("s.json");
        write(&p, "x").unwrap();
        assert_eq!(mode(&p), mode(&plain));
        // An unsynced rewrite swaps in a file created the same way.
        let r = dir.path().join("r.html");
        write_unsynced(&r, "a").unwrap();
        write_unsynced(&r, "b").unwrap();
        assert_eq!(mode(&r), mode(&plain));
    }

    #[test]
    fn a_staged_file_is_invisible_until_committed_and_gone_if_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let kept = stage(&p, "kept").unwrap();
        let dropped = stage(&dir.path().join("d.json"), "dropped").unwrap();
        assert!(!p.exists());
        drop(dropped);
        kept.commit().unwrap();
        assert_eq!(names(dir.path()), ["s.json"]);
    }

    #[test]
    fn stale_temp_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // pid 4194304 is above Linux's pid_max limit: never alive.
        let dead = dir.path().join(format!("{TMP_PREFIX}4194304-00"));
        let mine = dir
            .path()
            .join(format!("{TMP_PREFIX}{}-00", std::process::id()));
        fs::write(&dead, "half").unwrap();
        fs::write(&mine, "in flight").unwrap();
        assert_eq!(
            clean_stale(dir.path()),
            usize::from(Path::new("/proc").is_dir())
        );
        assert!(mine.exists());
    }
}
