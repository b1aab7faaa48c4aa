//! The shape of `shared/recordings`: `<folder>/<cassette>.json` is a JSON list of exchanges
//! (`method`, `path`, `query` and `form` as ordered pairs, `request_headers`, `status`,
//! `response_headers`, `body`), and `<folder>/provenance.json` says where each came from.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{json_error, read_error};
use crate::import::{Cassette, Exchange, ImportError, Source};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Recorded {
    method: String,
    path: String,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    form: Vec<(String, String)>,
    #[serde(default)]
    request_headers: Map<String, Value>,
    status: u16,
    #[serde(default)]
    response_headers: Map<String, Value>,
    #[serde(default)]
    body: Value,
}

fn headers(m: Map<String, Value>) -> Vec<(String, String)> {
    m.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

/// `Sat, 10 Aug 2024 16:21:56 GMT` (or an RFC 3339 stamp, or `created 1585592982 (2020-03-30)`)
/// → `2024-08-10`.
pub(crate) fn day_of_date(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let words: Vec<&str> = s.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    if let [_, d, m, y, ..] = words.as_slice() {
        if let (Ok(d), Some(m), Ok(y)) = (
            d.parse::<u32>(),
            MONTHS.iter().position(|x| x == m),
            y.parse::<u32>(),
        ) {
            return Some(format!("{y:04}-{:02}-{d:02}", m + 1));
        }
    }
    // `2020-03-30`, `2018-07-26T15:47:55-07:00`, or one inside parentheses.
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let rest = &s[start..];
    let candidate = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|w| w.len() == 10 && crate::import::convert::is_version(w))?;
    Some(candidate.to_string())
}

fn recorder_words(format: &str) -> String {
    match format {
        "ruby-vcr" => "Ruby VCR".into(),
        "exvcr" => "ExVCR".into(),
        "vcrpy" => "vcrpy".into(),
        other => other.to_string(),
    }
}

/// The provenance entry for `file` in `provenance.json` beside it, if any.
fn provenance(path: &Path) -> Result<Option<(Value, Value)>, ImportError> {
    let Some(dir) = path.parent() else {
        return Ok(None);
    };
    let prov = dir.join("provenance.json");
    let text = match std::fs::read_to_string(&prov) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(&prov, None, None, e.to_string())),
    };
    let doc: Value = serde_json::from_str(&text).map_err(|e| json_error(&prov, &e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let entry = doc
        .get("cassettes")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|c| c.get("file").and_then(Value::as_str) == Some(name))
        })
        .cloned();
    Ok(entry.map(|e| (doc, e)))
}

pub(super) fn read(path: &Path, text: &str) -> Result<Vec<Cassette>, ImportError> {
    let recorded: Vec<Recorded> = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| json_error(path, &e))?;
    let stem = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("cassette")
        .to_string();
    let folder = path
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("imported")
        .to_string();
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let converted = format!("shared/recordings/{folder}/{file_name}");
    let source = match provenance(path)? {
        Some((doc, entry)) => {
            let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let commit = s(&entry, "commit");
            let short: String = commit.chars().take(10).collect();
            let mut file = format!("{} {}", s(&doc, "repo"), s(&entry, "source_path"));
            if !short.is_empty() {
                file.push_str(&format!(" at {short}"));
            }
            file.push_str(&format!(", converted as {converted}"));
            Source {
                name: folder,
                recorder: recorder_words(&s(&entry, "format")),
                file,
                recorded_on: entry
                    .get("first_date")
                    .and_then(Value::as_str)
                    .and_then(day_of_date),
                origin: None,
            }
        }
        None => Source {
            name: folder,
            recorder: "a recorder (shared recordings shape)".into(),
            file: converted,
            recorded_on: None,
            origin: None,
        },
    };
    let exchanges = recorded
        .into_iter()
        .map(|r| Exchange {
            method: r.method,
            host: None,
            path: r.path,
            query: r.query,
            form: r.form,
            request_headers: headers(r.request_headers),
            status: r.status,
            response_headers: headers(r.response_headers),
            body: r.body,
            recorded_on: None,
        })
        .collect();
    Ok(vec![Cassette {
        name: stem,
        source,
        exchanges,
    }])
}
