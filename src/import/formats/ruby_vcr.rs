//! Ruby VCR cassettes: `http_interactions`, each `request {method, uri, body {string |
//! base64_string}, headers {name: [values]}}`, `response {status {code}, headers, body}` and
//! `recorded_at`. The YAML serializer and the JSON one hold the same tree.

use serde_json::Value;

use super::common;
use crate::import::Exchange;

fn body_text(b: Option<&Value>) -> Option<String> {
    use base64::Engine;
    let b = b?;
    if let Some(s) = b.get("string").and_then(Value::as_str) {
        return Some(s.to_string());
    }
    let encoded = b.get("base64_string").and_then(Value::as_str)?;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The exchanges, or (interaction index, what is wrong).
pub(super) fn read(doc: &Value) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let list = doc
        .get("http_interactions")
        .and_then(Value::as_array)
        .ok_or((None, "`http_interactions` is not a list".to_string()))?;
    common::each(list, |it| {
        let at = it.get("recorded_at").and_then(Value::as_str);
        common::vcr_interaction(it, body_text, at.map(str::to_string))
    })
}
