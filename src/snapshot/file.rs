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
    /// The recorded HTTP status.
    pub status: u16,
    /// The file's text, and where the request and the body are in it (the request is read
    /// only by `--update`, to tell an unchanged file from one to rewrite).
    text: String,
    request: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
    path: PathBuf,
}

#[derive(Deserialize)]
struct StoredFile<'a> {
    meta: Meta,
    #[serde(borrow)]
    request: &'a RawValue,
    #[serde(borrow)]
    response: StoredResponse<'a>,
}

#[derive(Deserialize)]
struct StoredResponse<'a> {
    status: u16,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// The start of a snapshot file as the writer lays it out, when nothing else is in it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head<'a> {
    meta: Meta,
    #[serde(borrow)]
    request: &'a RawValue,
}

/// Where the writer's layout puts the response: the last member, its status then its body.
/// Raw newlines in JSON are layout (strings carry theirs escaped), so these can only be the
/// file's own lines, at depth one and two.
const RESPONSE: &str = "\n  \"response\": {\n    \"status\": ";
const BODY: &str = ",\n    \"body\": ";
const END: &str = "\n  }\n}";

/// Meta, request, status and the body's range of a file in the writer's layout, with the body
/// unread: most bodies are then compared as text ([`Stored::body_is`]), which proves them
/// JSON, and scanning them was most of reading the file. `None` for any other layout.
fn locate(text: &str) -> Option<(Meta, std::ops::Range<usize>, u16, std::ops::Range<usize>)> {
    // memchr's search skips along rare bytes; `str::find` walked the whole head (1 % of a
    // compare run).
    let at = memchr::memmem::find(text.as_bytes(), RESPONSE.as_bytes())?;
    let digits_at = at + RESPONSE.len();
    let digits = text[digits_at..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let status_text = &text[digits_at..digits_at + digits];
    if status_text.starts_with('0') {
        return None;
    }
    let status = status_text.parse().ok()?;
    let body_at = digits_at + digits;
    text[body_at..].strip_prefix(BODY)?;
    let body_start = body_at + BODY.len();
    let body_end = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .strip_suffix(END)?
        .len();
    let head_text = format!("{}\n}}", text[..at].strip_suffix(',')?);
    let head: Head = serde_json::from_str(&head_text).ok()?;
    let request_offset = head.request.get().as_ptr() as usize - head_text.as_ptr() as usize;
    let request = request_offset..request_offset + head.request.get().len();
    (body_start <= body_end).then_some((head.meta, request, status, body_start..body_end))
}

/// [`read`] for comparing: the request and the body left unparsed (the body is checked when
/// it is compared or parsed: a broken file is then the same error as [`read`]'s, with the same
/// line and column).
pub fn read_stored(path: &Path) -> Result<Option<Stored>, SnapshotError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    let raw = locate(&text).or_else(|| {
        serde_json::from_str::<StoredFile>(&text).ok().map(|f| {
            let range = |raw: &RawValue| {
                let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                start..start + raw.get().len()
            };
            (
                f.meta,
                range(f.request),
                f.response.status,
                range(f.response.body),
            )
        })
    });
    let (meta, request, status, body, text) = match raw {
        Some((meta, request, status, body)) => (meta, request, status, body, text),
        None => {
            // The whole parse words the error, as for any snapshot read; should it take what
            // the raw one refused, its request and body become the text.
            let s = parse(path, &text)?;
            let request = serde_json::to_string(&s.request).map_err(|e| parse_error(path, &e))?;
            let body =
                serde_json::to_string(&s.response.body).map_err(|e| parse_error(path, &e))?;
            let ranges = (0..request.len(), request.len()..request.len() + body.len());
            (
                s.meta,
                ranges.0,
                s.response.status,
                ranges.1,
                request + &body,
            )
        }
    };
    Ok(Some(Stored {
        meta,
        status,
        text,
        request,
        body,
        path: path.to_path_buf(),
    }))
}

impl Stored {
    /// Whether the file holds `body` exactly as the snapshot writer writes it (nested two
    /// levels deep: every line but the first indented four spaces more than alone). True only
    /// for the same JSON value; false says nothing (another layout, or another value).
    pub fn body_is(&self, body: &Value) -> bool {
        let text = self.text[self.body.clone()].as_bytes();
        crate::pretty::with_printed(body, 2, |printed| printed[..] == *text)
    }

    /// The body, parsed.
    pub fn body(&self) -> Result<Value, SnapshotError> {
        self.value(&self.body, |s| s.response.body)
    }

    /// The request as recorded, parsed.
    pub fn request(&self) -> Result<Value, SnapshotError> {
        self.value(&self.request, |s| s.request)
    }

    fn value(
        &self,
        at: &std::ops::Range<usize>,
        part: fn(Snapshot) -> Value,
    ) -> Result<Value, SnapshotError> {
        match serde_json::from_str(&self.text[at.clone()]) {
            Ok(v) => Ok(v),
            // Positions in the file, not in the part: the whole parse says where.
            Err(_) => parse(&self.path, &self.text).map(part),
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
            // The writer's layout is read without scanning the body, to the same places as
            // a parse finds.
            let text = std::fs::read_to_string(&path).unwrap();
            let (_, request, status, range) = locate(&text).expect("the writer's layout");
            let f: StoredFile = serde_json::from_str(&text).unwrap();
            assert_eq!(&text[request], f.request.get());
            assert_eq!(&text[range], f.response.body.get());
            assert_eq!(status, 200);
            assert!(stored.body_is(&body), "{body}");
            assert_eq!(stored.body().unwrap(), body);
            assert_eq!(stored.status, 200);
            assert_eq!(stored.meta, snapshot(Value::Null).meta);
            assert_eq!(stored.request().unwrap(), snapshot(Value::Null).request);
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
            good.replacen("\"status\": 200", "\"status\": 0200", 1),
            good.replacen("\"status\": 200", "\"status\": 70000", 1),
            good.replacen("\"step\": \"x\"", "\"step\": x", 1),
            good.replacen("\"request\": {", "\"response\": 1,\n  \"request\": {", 1),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let full = read(&path).unwrap_err().to_string();
            // As a comparison reads it: the file, then the body unless it is the response's
            // text (a broken body never is).
            let stored = read_stored(&path)
                .and_then(|s| s.unwrap().body())
                .unwrap_err()
                .to_string();
            assert_eq!(stored, full, "{bad}");
        }
        assert!(read_stored(&dir.path().join("absent.json"))
            .unwrap()
            .is_none());
    }
}
