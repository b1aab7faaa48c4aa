//! The journal: every answered exchange is on disk before its answer goes back to the client, so
//! a kill at any moment (SIGKILL included) loses nothing that was answered. One file per
//! exchange, each written atomically, under `OUT/.apiparity-record/<session>/<scenario>/`.
//! A session's journal is removed only once its cassettes and scenarios are written; one left
//! behind (the process was killed) is finished by the next `apiparity record` into that `OUT`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::capture::Exchange;
use super::RecordError;

/// The journal's directory under `--out`.
pub const DIR: &str = ".apiparity-record";
const META: &str = "session.json";

/// What a session needs to be finished later, by another process if need be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// The upstream's base URL (never with credentials: those are refused).
    pub upstream: String,
    /// When the session started, RFC 3339 UTC.
    pub started_at: String,
    /// The scenario for requests without an `Apiparity-Scenario` header.
    pub default_scenario: String,
    /// The source the scenarios are filed under (`scenarios/recorded/<source>/`).
    #[serde(default = "default_source")]
    pub source: String,
    /// The Stripe-Version for exchanges that recorded none.
    #[serde(default)]
    pub stripe_version: Option<String>,
    /// The recording process: while it runs, its journal is its own and no other `record`
    /// finishes it.
    #[serde(default)]
    pub pid: Option<u32>,
}

fn default_source() -> String {
    super::DEFAULT_SOURCE.to_string()
}

/// One session's journal.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
}

/// One scenario's exchanges, in the order their requests arrived.
#[derive(Debug)]
pub struct Recorded {
    /// The scenario's name (`Apiparity-Scenario`, or the session's default).
    pub scenario: String,
    /// The exchanges.
    pub exchanges: Vec<Exchange>,
}

impl Journal {
    /// A new session's journal under `out`, named after `id` (unique per process and start).
    pub fn create(out: &Path, id: &str, meta: &SessionMeta) -> Result<Journal, RecordError> {
        let dir = out.join(DIR).join(id);
        std::fs::create_dir_all(&dir).map_err(|e| RecordError::io(&dir, e))?;
        let text = serde_json::to_vec_pretty(meta).expect("plain data serializes");
        write_atomic(&dir.join(META), &text)?;
        Ok(Journal { dir })
    }

    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes exchange number `seq` of `scenario`. Returns only once it is on disk.
    pub fn append(&self, scenario: &str, seq: u64, e: &Exchange) -> Result<(), RecordError> {
        // Scenario names are file names (`proxy::scenario_name`).
        let dir = self.dir.join(scenario);
        std::fs::create_dir_all(&dir).map_err(|err| RecordError::io(&dir, err))?;
        let text = serde_json::to_vec_pretty(e).expect("plain data serializes");
        write_atomic(&dir.join(format!("{seq:08}.json")), &text)
    }

    /// The journals of sessions that were never finished, oldest first: `(abandoned, held)`,
    /// where `held` ones belong to a recorder that still runs (left alone).
    pub fn leftovers(out: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(out.join(DIR)) else {
            return (Vec::new(), Vec::new());
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join(META).is_file())
            .collect();
        dirs.sort();
        dirs.into_iter().partition(|d| {
            let pid = std::fs::read(d.join(META))
                .ok()
                .and_then(|t| serde_json::from_slice::<SessionMeta>(&t).ok())
                .and_then(|m| m.pid);
            !pid.is_some_and(running)
        })
    }

    /// Reads a session's journal: its meta and every scenario's exchanges.
    pub fn read(dir: &Path) -> Result<(SessionMeta, Vec<Recorded>), RecordError> {
        let meta_path = dir.join(META);
        let text = std::fs::read(&meta_path).map_err(|e| RecordError::io(&meta_path, e))?;
        let meta: SessionMeta =
            serde_json::from_slice(&text).map_err(|e| RecordError::Journal {
                path: meta_path.clone(),
                message: e.to_string(),
            })?;
        let mut scenarios = Vec::new();
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| RecordError::io(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        for sub in subdirs {
            let name = sub
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&sub)
                .map_err(|e| RecordError::io(&sub, e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                // Temp files of a write the kill interrupted are not exchanges.
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            // Zero-padded sequence numbers: name order is arrival order.
            files.sort();
            let mut exchanges = Vec::with_capacity(files.len());
            for f in files {
                let text = std::fs::read(&f).map_err(|e| RecordError::io(&f, e))?;
                let e: Exchange =
                    serde_json::from_slice(&text).map_err(|e| RecordError::Journal {
                        path: f.clone(),
                        message: e.to_string(),
                    })?;
                exchanges.push(e);
            }
            if !exchanges.is_empty() {
                scenarios.push(Recorded {
                    scenario: name,
                    exchanges,
                });
            }
        }
        Ok((meta, scenarios))
    }

    /// Removes a finished session's journal (and the journal directory when it is empty).
    pub fn remove(dir: &Path) -> Result<(), RecordError> {
        std::fs::remove_dir_all(dir).map_err(|e| RecordError::io(dir, e))?;
        if let Some(parent) = dir.parent() {
            // Only succeeds when empty, which is the point.
            let _ = std::fs::remove_dir(parent);
        }
        Ok(())
    }
}

/// Whether process `pid` runs. Where that cannot be told, it is taken to run: a journal left
/// alone loses nothing, one finished under a running recorder would.
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    if cfg!(unix) {
        return std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .map_or(true, |s| s.success());
    }
    true
}

/// Temp file in the same directory, fsync, rename: a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| RecordError::io(dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".apiparity-tmp-");
    // A normal file's mode, not the temp file's private 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| RecordError::io(path, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| RecordError::io(path, e))?;
    tmp.persist(path)
        .map_err(|e| RecordError::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(path: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            path: path.into(),
            query: vec![],
            form: vec![],
            request_headers: Default::default(),
            status: 200,
            response_headers: Default::default(),
            body: serde_json::json!({"ok": true}),
        }
    }

    #[test]
    fn round_trips_in_arrival_order_per_scenario() {
        let out = tempfile::tempdir().unwrap();
        let meta = SessionMeta {
            upstream: "http://127.0.0.1:1".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            default_scenario: "session".into(),
            source: "record".into(),
            stripe_version: None,
            pid: None,
        };
        let j = Journal::create(out.path(), "s1", &meta).unwrap();
        j.append("flow-pay", 10, &exchange("/b")).unwrap();
        j.append("flow-pay", 9, &exchange("/a")).unwrap();
        j.append("session", 11, &exchange("/c")).unwrap();
        // A temp file a kill left behind is ignored.
        std::fs::write(j.dir().join("session").join(".apiparity-tmp-x"), b"{").unwrap();
        assert_eq!(
            Journal::leftovers(out.path()),
            (vec![j.dir().to_path_buf()], vec![])
        );
        let (m, recorded) = Journal::read(j.dir()).unwrap();
        assert_eq!(m, meta);
        let got: Vec<(String, Vec<String>)> = recorded
            .iter()
            .map(|r| {
                (
                    r.scenario.clone(),
                    r.exchanges.iter().map(|e| e.path.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "flow-pay".to_string(),
                    vec!["/a".to_string(), "/b".to_string()]
                ),
                ("session".to_string(), vec!["/c".to_string()]),
            ]
        );
        Journal::remove(j.dir()).unwrap();
        assert!(!out.path().join(DIR).exists());

        // A session whose recorder still runs (here: this process) is left alone.
        let held = Journal::create(
            out.path(),
            "s2",
            &SessionMeta {
                pid: Some(std::process::id()),
                ..meta
            },
        )
        .unwrap();
        assert_eq!(
            Journal::leftovers(out.path()),
            (vec![], vec![held.dir().to_path_buf()])
        );
    }
}
