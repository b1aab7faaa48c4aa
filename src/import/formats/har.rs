//! HAR 1.2 (browser devtools, proxies, Polly.js): `log.entries`, each `request {method, url,
//! headers [{name, value}], postData {text | params}}`, `response {status, headers, content
//! {text, encoding}}` and `startedDateTime`.

use serde_json::Value;

use super::common::{self, Body, Raw};
use crate::import::Exchange;

pub(super) fn read(doc: &Value) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let list = doc
        .get("log")
        .and_then(|l| l.get("entries"))
        .and_then(Value::as_array)
        .ok_or((None, "`log.entries` is not a list".to_string()))?;
    common::each(list, one)
}

/// `HAR 1.2 (Firefox 128)`, from `log.creator`.
pub(super) fn recorder(doc: &Value) -> String {
    let creator = doc.get("log").and_then(|l| l.get("creator"));
    let name = creator.and_then(|c| c.get("name")).and_then(Value::as_str);
    let version = creator
        .and_then(|c| c.get("version"))
        .and_then(Value::as_str);
    match (name, version) {
        (Some(n), Some(v)) => format!("HAR 1.2 ({n} {v})"),
        (Some(n), None) => format!("HAR 1.2 ({n})"),
        _ => "HAR 1.2".into(),
    }
}

fn one(it: &Value) -> Result<Exchange, String> {
    let req = common::field(it, "request")?;
    let res = common::field(it, "response")?;
    let post = req.get("postData");
    let request_body = post
        .and_then(|p| p.get("text"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            // Only `params` recorded: re-encode them.
            let params = post?.get("params")?.as_array()?;
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for p in params {
                ser.append_pair(
                    p.get("name")?.as_str()?,
                    p.get("value").and_then(Value::as_str).unwrap_or(""),
                );
            }
            Some(ser.finish())
        });
    let content = res.get("content");
    let text = content.and_then(|c| c.get("text")).and_then(Value::as_str);
    let body = match text {
        None => Body::None,
        Some(t)
            if content
                .and_then(|c| c.get("encoding"))
                .and_then(Value::as_str)
                == Some("base64") =>
        {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(t.trim())
                .map_err(|e| format!("response.content.text: invalid base64: {e}"))?;
            Body::Text(String::from_utf8_lossy(&bytes).into_owned())
        }
        Some(t) => Body::Text(t.to_string()),
    };
    common::finish(Raw {
        method: common::text(req, "method")?,
        url: common::text(req, "url")?,
        request_body,
        request_headers: common::header_map(req.get("headers")),
        status: common::status(res, "status")?,
        response_headers: common::header_map(res.get("headers")),
        response_body: body,
        recorded_at: it
            .get("startedDateTime")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}
