//! How every format shows a pointer and a value in a line (the truncation itself is
//! `diff::shorten`, the one copy, which the baseline writer uses too).

use serde_json::Value;

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
