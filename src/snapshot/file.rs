//! The snapshot file format and atomic writes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::{SnapshotError, Source};
use crate::run::ScenarioRun;
use crate::scenario::Step;

/// A snapshot file: provenance, the normalized request, the normalized response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Where the truth comes from.
    pub meta: Meta,
    /// The request as sent, normalized (never the Authorization header).
    pub request: Value,
    /// The normalized response.
    pub response: SnapResponse,
}

/// Provenance: where the truth of this snapshot comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The scenario key.
    pub scenario: String,
    /// The step id.
    pub step: String,
    /// Where the truth comes from, in words.
    pub source: String,
    /// The Stripe-Version it was recorded at.
    pub stripe_version: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// A recorded response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapResponse {
    /// The HTTP status.
    pub status: u16,
    /// The normalized body.
    pub body: Value,
}

pub fn pending_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

pub(super) fn source_text(source: &Source, run: &ScenarioRun, step: Option<&Step>) -> String {
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let date = &today[..10];
    match source {
        Source::StripeTestMode => format!("recorded from Stripe test mode on {date}"),
        Source::Other(url) => format!("recorded from {url} on {date}"),
        Source::EmbeddedMock => match step
            .map(|s| {
                s.seed
                    .iter()
                    .filter(|seed| crate::scenario::seed_applies(seed, &run.stripe_version))
                    .map(|seed| format!("shared/seeds/responses/{seed}"))
                    .collect::<Vec<_>>()
            })
            .filter(|seeds| !seeds.is_empty())
        {
            Some(seeds) => format!(
                "Stripe published test-mode example (seed file {}), reproduced by the embedded mock",
                seeds.join(", ")
            ),
            None => format!(
                "reference behavior (shared reference {}) rendered by the embedded mock",
                run.scenario.reference.as_deref().unwrap_or("stripe-invoices.md")
            ),
        },
    }
}

/// Reads a snapshot; `None` when the file does not exist.
pub fn read(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
    read_text(path)?.map(|text| parse(path, &text)).transpose()
}

/// The file's text; `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, SnapshotError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn parse(path: &Path, text: &str) -> Result<Snapshot, SnapshotError> {
    serde_json::from_str(text).map_err(|e| parse_error(path, &e))
}

fn parse_error(path: &Path, e: &serde_json::Error) -> SnapshotError {
    SnapshotError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// A snapshot as a comparison reads it: provenance, request and status parsed; the body kept
/// as the text it was written as, parsed only when the response is not that text byte for byte
/// (most steps match their snapshot exactly, and parsing the body was the largest part of
/// comparing: 17 % of a 2,040-step run's instructions).
#[derive(Debug)]
pub struct Stored {
    /// Where the truth comes from.
    pub meta: Meta,
    /// The request as recorded.
    pub request: Value,
    /// The recorded HTTP status.
    pub status: u16,
    /// The file's text, and where the body is in it.
    text: String,
    body: std::ops::Range<usize>,
    path: PathBuf,
}

#[derive(Deserialize)]
struct StoredFile<'a> {
    meta: Meta,
    request: Value,
    #[serde(borrow)]
    response: StoredResponse<'a>,
}

#[derive(Deserialize)]
struct StoredResponse<'a> {
    status: u16,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// [`read`] for comparing: the body left unparsed, but checked to be JSON (a broken file is
/// the same error as [`read`]'s, with the same line and column).
pub fn read_stored(path: &Path) -> Result<Option<Stored>, SnapshotError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    let raw = serde_json::from_str::<StoredFile>(&text).ok().map(|f| {
        let body = f.response.body.get();
        let start = body.as_ptr() as usize - text.as_ptr() as usize;
        (
            f.meta,
            f.request,
            f.response.status,
            start..start + body.len(),
        )
    });
    let (meta, request, status, body, text) = match raw {
        Some((meta, request, status, body)) => (meta, request, status, body, text),
        None => {
            // The whole parse words the error, as for any snapshot read; should it take what
            // the raw one refused, its body becomes the text.
            let s = parse(path, &text)?;
            let text =
                serde_json::to_string(&s.response.body).map_err(|e| parse_error(path, &e))?;
            let body = 0..text.len();
            (s.meta, s.request, s.response.status, body, text)
        }
    };
    Ok(Some(Stored {
        meta,
        request,
        status,
        text,
        body,
        path: path.to_path_buf(),
    }))
}

impl Stored {
    /// Whether the file holds `body` exactly as the snapshot writer writes it (nested two
    /// levels deep: every line but the first indented four spaces more than alone). True only
    /// for the same JSON value; false says nothing (another layout, or another value).
    pub fn body_is(&self, body: &Value) -> bool {
        let Ok(alone) = serde_json::to_vec_pretty(body) else {
            return false;
        };
        let mut raw = self.text[self.body.clone()].as_bytes();
        // A newline in pretty JSON is always layout: strings carry theirs escaped.
        for (i, line) in alone.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                match raw.strip_prefix(b"\n    ") {
                    Some(rest) => raw = rest,
                    None => return false,
                }
            }
            match raw.strip_prefix(line) {
                Some(rest) => raw = rest,
                None => return false,
            }
        }
        raw.is_empty()
    }

    /// The body, parsed.
    pub fn body(&self) -> Result<Value, SnapshotError> {
        match serde_json::from_str(&self.text[self.body.clone()]) {
            Ok(v) => Ok(v),
            // Positions in the file, not in the body: the whole parse says where.
            Err(_) => parse(&self.path, &self.text).map(|s| s.response.body),
        }
    }
}

/// Written through [`crate::atomic`]: a reader never sees half a snapshot.
pub fn write_atomic(path: &Path, snap: &Snapshot) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string_pretty(snap).map_err(|e| io(e.into()))?;
    text.push('\n');
    crate::atomic::write(path, text).map_err(io)
}

pub(super) fn remove_if_exists(path: &Path) -> Result<(), SnapshotError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(body: Value) -> Snapshot {
        Snapshot {
            meta: Meta {
                scenario: "s".into(),
                step: "x".into(),
                source: "test".into(),
                stripe_version: "2025-03-31.basil".into(),
                recorded_at: "2026-12-02T00:00:00Z".into(),
            },
            request: json!({"method": "GET", "path": "/v1/invoices"}),
            response: SnapResponse { status: 200, body },
        }
    }

    fn bodies() -> Vec<Value> {
        vec![
            json!({"id": "in_1", "lines": {"data": [{"a": [1, [], {}]}, "x\ny"], "n": 1.5},
                   "nested": {"deep": {"deeper": [null, true, "é ☃ \"q\""]}}, "empty": {}}),
            json!([]),
            json!({}),
            json!("a string\nwith a newline"),
            json!(null),
        ]
    }

    #[test]
    fn a_written_body_is_recognized_byte_for_byte_and_parses_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("01-x.json");
        for body in bodies() {
            write_atomic(&path, &snapshot(body.clone())).unwrap();
            let stored = read_stored(&path).unwrap().unwrap();
            assert!(stored.body_is(&body), "{body}");
            assert_eq!(stored.body().unwrap(), body);
            assert_eq!(stored.status, 200);
            assert_eq!(stored.meta, snapshot(Value::Null).meta);
            // Any other value is not the same text.
            for other in bodies().into_iter().filter(|o| *o != body) {
                assert!(!stored.body_is(&other), "{body} vs {other}");
            }
            let mut changed = body.clone();
            if let Some(m) = changed.as_object_mut() {
                m.insert("id".into(), json!("in_2"));
                assert!(!stored.body_is(&changed));
            }
        }
    }

    #[test]
    fn another_layout_is_parsed_not_matched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("01-x.json");
        let body = bodies().remove(0);
        // Compact, keys reordered: the same value, another text.
        let mut v = serde_json::to_value(snapshot(body.clone())).unwrap();
        let b = v["response"]["body"].as_object_mut().unwrap();
        let first = b.shift_remove("id").unwrap();
        b.insert("id".into(), first);
        std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
        let stored = read_stored(&path).unwrap().unwrap();
        assert!(!stored.body_is(&body));
        assert_eq!(stored.body().unwrap(), body);
    }

    #[test]
    fn a_broken_file_is_the_same_error_as_a_full_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("01-x.json");
        let good = serde_json::to_string_pretty(&snapshot(bodies().remove(0))).unwrap();
        for bad in [
            good.replacen("\"deeper\"", "\"deeper\" 1", 1),
            good.replacen("\"status\": 200", "\"status\": \"200\"", 1),
            good[..good.len() / 2].to_string(),
            "{}".to_string(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let full = read(&path).unwrap_err().to_string();
            let stored = read_stored(&path).unwrap_err().to_string();
            assert_eq!(stored, full);
        }
        assert!(read_stored(&dir.path().join("absent.json"))
            .unwrap()
            .is_none());
    }
}
