//! Ruby VCR cassettes: `http_interactions`, each `request {method, uri, body {string |
//! base64_string}, headers {name: [values]}}`, `response {status {code}, headers, body}` and
//! `recorded_at`. The YAML serializer and the JSON one hold the same tree.

use serde_json::Value;

use super::common::{self, Body, Raw};
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
    list.iter()
        .enumerate()
        .map(|(i, it)| one(it).map_err(|e| (Some(i), e)))
        .collect()
}

fn one(it: &Value) -> Result<Exchange, String> {
    let req = common::field(it, "request")?;
    let res = common::field(it, "response")?;
    common::finish(Raw {
        method: common::text(req, "method")?,
        url: common::text(req, "uri")?,
        request_body: body_text(req.get("body")),
        request_headers: common::header_map(req.get("headers")),
        status: common::status(res, "status.code")?,
        response_headers: common::header_map(res.get("headers")),
        response_body: body_text(res.get("body")).map_or(Body::None, Body::Text),
        recorded_at: it
            .get("recorded_at")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}
