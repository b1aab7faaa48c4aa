//! ExVCR cassettes (Elixir): a JSON list of `{request {method, url, body, headers},
//! response {status_code, headers, body}}`.

use serde_json::Value;

use super::common::{self, Body, Raw};
use crate::import::Exchange;

pub(super) fn read(doc: &Value) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let list = doc
        .as_array()
        .ok_or((None, "an ExVCR cassette is a list".to_string()))?;
    common::each(list, one)
}

fn one(it: &Value) -> Result<Exchange, String> {
    let req = common::field(it, "request")?;
    let res = common::field(it, "response")?;
    let body = match res.get("body") {
        Some(Value::String(s)) => Body::Text(s.clone()),
        Some(Value::Null) | None => Body::None,
        Some(other) => Body::Json(other.clone()),
    };
    common::finish(Raw {
        method: common::text(req, "method")?,
        url: common::text(req, "url")?,
        request_body: req.get("body").and_then(Value::as_str).map(str::to_string),
        request_headers: common::header_map(req.get("headers")),
        status: common::status(res, "status_code")?,
        response_headers: common::header_map(res.get("headers")),
        response_body: body,
        recorded_at: None,
    })
}
