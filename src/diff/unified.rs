//! A unified text diff of two JSON documents, for humans: pretty-printed with keys sorted (the
//! crate is built with serde_json's `preserve_order`, so sorting has to be explicit), so object
//! key order never shows up as a change.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// Recursively sorts object keys.
pub(crate) fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        _ => v.clone(),
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap_or_default();
    s.push('\n');
    s
}

/// Unified diff (`--- expected` / `+++ actual`, 3 lines of context); empty when equal.
/// With `color`, removed lines are red, added lines green, hunk headers cyan.
pub fn unified(expected: &Value, actual: &Value, color: bool) -> String {
    let old = pretty(expected);
    let new = pretty(actual);
    let diff = TextDiff::from_lines(&old, &new);
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let bold = Style::new().bold();
    let paint = |style: Style, text: &str| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let udiff = diff.unified_diff();
    for (i, hunk) in udiff.iter_hunks().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "{}", paint(bold, "--- expected"));
            let _ = writeln!(out, "{}", paint(bold, "+++ actual"));
        }
        let _ = writeln!(out, "{}", paint(cyan, &hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let line = change.to_string_lossy();
            let line = line.strip_suffix('\n').unwrap_or(&line);
            let _ = match change.tag() {
                ChangeTag::Delete => writeln!(out, "{}", paint(red, &format!("-{line}"))),
                ChangeTag::Insert => writeln!(out, "{}", paint(green, &format!("+{line}"))),
                ChangeTag::Equal => writeln!(out, " {line}"),
            };
        }
    }
    out
}
