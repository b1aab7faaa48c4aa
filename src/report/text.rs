//! How every format shows a pointer, a value in a line, and a failed expectation against its
//! scenario line (the truncation itself is `diff::shorten`, the one copy, which the baseline
//! writer uses too).

use std::path::Path;

use serde_json::Value;

use crate::input::diag::Diagnostic;
use crate::run::ExpectFailure;

/// A JSON pointer as shown: the root (`""`) reads `(root)`.
pub fn display_pointer(p: &str) -> &str {
    if p.is_empty() {
        "(root)"
    } else {
        p
    }
}

/// A value in one line, cut to `max` characters; a value that is not there reads `(absent)`.
pub fn value_or_absent(v: Option<&Value>, max: usize) -> String {
    v.map(|v| crate::diff::abbreviate(v, max))
        .unwrap_or_else(|| "(absent)".into())
}

/// A failed expectation rendered rustc-style against the scenario line that states it, the way
/// scenario-file errors are; `None` when the failure has no position (or the line is gone).
pub fn failure_snippet(
    file: &Path,
    source: &str,
    f: &ExpectFailure,
    color: bool,
) -> Option<String> {
    let span = f.span?;
    source.lines().nth(span.line.checked_sub(1)?)?;
    let d = Diagnostic::new(file, span, f.message.as_str()).label(f.what.as_str());
    Some(d.render(Some(source), color))
}
