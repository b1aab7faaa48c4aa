//! Reading cassettes: one file per format, and one line per format in [`Format::ALL`]. Each is
//! detected from the file's content (`--format` forces one) and read into the one in-memory
//! shape, [`super::Cassette`].

mod common;
mod exvcr;
mod har;
mod nock;
mod ruby_vcr;
pub(super) mod shared;
mod vcrpy;

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Cassette, Exchange, ImportError, Source};

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Ruby VCR, YAML or its JSON serializer (`http_interactions`).
    RubyVcr,
    /// vcrpy, YAML or JSON (`interactions`).
    Vcrpy,
    /// ExVCR JSON (a list of `request`/`response`).
    ExVcr,
    /// HAR 1.2 (`log.entries`): browsers, proxies, Polly.js.
    Har,
    /// nock recorder JSON (a list of `scope`/`method`/`path`/`response`).
    Nock,
    /// The shape of `shared/recordings` (a list of `method`/`path`/`status`/`body`), with
    /// `provenance.json` beside it.
    Shared,
}

impl Format {
    /// Every format: its `--format` name and what `meta.source` calls its recorder.
    pub const ALL: &'static [(&'static str, Format, &'static str)] = &[
        ("ruby-vcr", Format::RubyVcr, "Ruby VCR"),
        ("vcrpy", Format::Vcrpy, "vcrpy"),
        ("exvcr", Format::ExVcr, "ExVCR"),
        ("har", Format::Har, "HAR 1.2"),
        ("nock", Format::Nock, "nock"),
        ("shared", Format::Shared, "shared recordings"),
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("?", |(n, _, _)| n)
    }

    /// The format named `name` (a `--format` value).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, f, _)| *f)
    }

    fn recorder(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("?", |(_, _, r)| r)
    }

    /// Names for messages: `ruby-vcr, vcrpy, …`.
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|(n, _, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A parsed file: its tree as JSON, and for YAML the line of every list element by the list's
/// key (for messages).
struct Doc {
    value: Value,
    yaml: Option<crate::input::yaml::Node>,
}

/// The format of a parsed document, from its shape.
fn shape(v: &Value) -> Option<Format> {
    match v {
        Value::Object(m) if m.contains_key("http_interactions") => Some(Format::RubyVcr),
        Value::Object(m) if m.contains_key("interactions") => Some(Format::Vcrpy),
        Value::Object(m) if m.get("log").is_some_and(|l| l.get("entries").is_some()) => {
            Some(Format::Har)
        }
        Value::Array(items) => {
            let first = items.first()?;
            if first.get("scope").is_some() {
                Some(Format::Nock)
            } else if first.get("request").is_some() && first.get("response").is_some() {
                Some(Format::ExVcr)
            } else if first.get("method").is_some() && first.get("status").is_some() {
                Some(Format::Shared)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The format of a file's text; `None` when it is none of them (or unreadable as JSON/YAML).
pub fn detect(text: &str) -> Option<Format> {
    parse(Path::new(""), text)
        .ok()
        .and_then(|d| shape(&d.value))
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

/// JSON when it starts like JSON, else YAML; a syntax error names its line and column.
fn parse(path: &Path, text: &str) -> Result<Doc, ImportError> {
    let t = text.trim_start_matches('\u{feff}');
    if t.trim_start().starts_with(['{', '[']) {
        let value: Value = serde_json::from_str(t).map_err(|e| json_error(path, &e))?;
        return Ok(Doc { value, yaml: None });
    }
    match crate::input::yaml::parse(t) {
        Ok(Some(node)) => Ok(Doc {
            value: node.to_json(),
            yaml: Some(node),
        }),
        Ok(None) => Err(read_error(path, None, None, "empty file")),
        Err(e) => Err(read_error(
            path,
            Some(e.span.line),
            Some(e.span.col),
            format!("invalid YAML: {}", e.message),
        )),
    }
}

/// A JSON parse error as an import error with its line and column.
fn json_error(path: &Path, e: &serde_json::Error) -> ImportError {
    let what = if e.is_eof() {
        "truncated JSON"
    } else {
        "invalid JSON"
    };
    read_error(
        path,
        Some(e.line()),
        Some(e.column()),
        format!("{what}: {e}"),
    )
}

/// Cassette files under `path`, sorted; `provenance.json`, READMEs and dotfiles are not cassettes.
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

/// Cassettes larger than this are refused rather than read (a cassette is a test's traffic).
const MAX_FILE: u64 = 256 * 1024 * 1024;

/// Reads one file's cassettes.
pub(super) fn read_file(path: &Path, format: Option<Format>) -> Result<Vec<Cassette>, ImportError> {
    let len = std::fs::metadata(path)
        .map_err(|e| read_error(path, None, None, e.to_string()))?
        .len();
    if len > MAX_FILE {
        return Err(read_error(
            path,
            None,
            None,
            format!("{len} bytes is more than a cassette ({MAX_FILE} at most)"),
        ));
    }
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
    if text.trim().is_empty() {
        return Err(read_error(path, None, None, "empty file"));
    }
    let doc = parse(path, &text)?;
    let format = match format.or_else(|| shape(&doc.value)) {
        Some(f) => f,
        None => {
            return Err(read_error(
                path,
                Some(1),
                Some(1),
                format!(
                    "not a cassette in any known format ({}); use --format to force one",
                    Format::names()
                ),
            ))
        }
    };
    if format == Format::Shared {
        return shared::read(path, &text);
    }
    let exchanges = match format {
        Format::RubyVcr => ruby_vcr::read(&doc.value),
        Format::Vcrpy => vcrpy::read(&doc.value),
        Format::ExVcr => exvcr::read(&doc.value),
        Format::Har => har::read(&doc.value),
        Format::Nock => nock::read(&doc.value),
        Format::Shared => unreachable!("read above"),
    }
    .map_err(|(index, message)| {
        let line = index.and_then(|i| element_line(&doc, format, &text, i));
        let message = match index {
            Some(i) => format!("{} exchange {}: {message}", format.name(), i + 1),
            None => format!("not a {} cassette: {message}", format.name()),
        };
        read_error(path, line.or(Some(1)), line.map(|_| 1).or(Some(1)), message)
    })?;
    let recorder = match format {
        Format::Har => har::recorder(&doc.value),
        Format::RubyVcr => doc
            .value
            .get("recorded_with")
            .and_then(Value::as_str)
            .map_or_else(|| "Ruby VCR".to_string(), |w| format!("Ruby VCR ({w})")),
        other => other.recorder().to_string(),
    };
    Ok(vec![cassette(path, recorder, exchanges)])
}

fn cassette(path: &Path, recorder: String, exchanges: Vec<Exchange>) -> Cassette {
    let name = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("cassette")
        .to_string();
    let source = path
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("imported")
        .to_string();
    let recorded_on = exchanges.iter().find_map(|e| e.recorded_on.clone());
    Cassette {
        name,
        source: Source {
            name: source,
            recorder,
            file: path.display().to_string(),
            recorded_on,
            origin: None,
        },
        exchanges,
    }
}

/// The line where exchange `i` starts: from the YAML tree, or by scanning the JSON text.
fn element_line(doc: &Doc, format: Format, text: &str, i: usize) -> Option<usize> {
    let key = match format {
        Format::RubyVcr => Some("http_interactions"),
        Format::Vcrpy => Some("interactions"),
        Format::Har => Some("entries"),
        _ => None,
    };
    if let Some(node) = &doc.yaml {
        let list = match key {
            Some(k) => node.get(k)?,
            None => node,
        };
        return list.as_seq()?.get(i).map(|n| n.span.line);
    }
    // JSON: the list starts at the first `[` after its key (or the text's first `[`).
    let start = match key {
        Some(k) => text.find(&format!("\"{k}\""))?,
        None => 0,
    };
    let open = start + text[start..].find('[')?;
    let bytes = text.as_bytes();
    let (mut depth, mut in_str, mut esc, mut seen) = (0usize, false, false, 0usize);
    let mut expecting = true;
    for (at, &b) in bytes.iter().enumerate().skip(open) {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                if depth == 1 && expecting {
                    if seen == i {
                        return Some(line_at(text, at));
                    }
                    seen += 1;
                    expecting = false;
                }
                in_str = true;
            }
            b'[' | b'{' => {
                if depth == 1 && expecting {
                    if seen == i {
                        return Some(line_at(text, at));
                    }
                    seen += 1;
                    expecting = false;
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return None;
                }
            }
            b',' if depth == 1 => expecting = true,
            b if depth == 1 && expecting && !b.is_ascii_whitespace() => {
                if seen == i {
                    return Some(line_at(text, at));
                }
                seen += 1;
                expecting = false;
            }
            _ => {}
        }
    }
    None
}

fn line_at(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|b| *b == b'\n').count() + 1
}
