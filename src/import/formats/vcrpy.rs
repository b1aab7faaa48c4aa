//! vcrpy cassettes (YAML or JSON): `interactions`, each `request {method, uri, body, headers
//! {name: [values]}}` and `response {status {code}, headers, body {string}}`.

use serde_json::Value;

use super::common::{self, Body, Raw};
use crate::import::Exchange;

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("string").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

pub(super) fn read(doc: &Value) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let list = doc
        .get("interactions")
        .and_then(Value::as_array)
        .ok_or((None, "`interactions` is not a list".to_string()))?;
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
        request_body: text_of(req.get("body")),
        request_headers: common::header_map(req.get("headers")),
        status: common::status(res, "status.code")?,
        response_headers: common::header_map(res.get("headers")),
        response_body: text_of(res.get("body")).map_or(Body::None, Body::Text),
        recorded_at: None,
    })
}
