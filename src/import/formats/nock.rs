//! nock recorder output (`nock.recorder.rec({output_objects: true})`, nock back fixtures): a
//! JSON list of `{scope, method, path, body, status, response, rawHeaders}`.

use serde_json::Value;

use super::common::{self, Body, Raw};
use crate::import::Exchange;

pub(super) fn read(doc: &Value) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    let list = doc
        .as_array()
        .ok_or((None, "a nock recording is a list".to_string()))?;
    common::each(list, one)
}

fn one(it: &Value) -> Result<Exchange, String> {
    let scope = common::text(it, "scope")?;
    let path = common::text(it, "path")?;
    // `https://api.stripe.com:443` + `/v1/x?y`: the default port says nothing.
    let scope = scope.trim_end_matches(":443").trim_end_matches('/');
    let request_body = match it.get("body") {
        Some(Value::String(s)) => Some(s.clone()),
        // nock stores a form body it could parse as an object: re-encode it flat.
        Some(Value::Object(m)) => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in m {
                match v {
                    Value::Array(items) => {
                        for x in items {
                            ser.append_pair(k, &common::header_text(x).unwrap_or_default());
                        }
                    }
                    other => {
                        ser.append_pair(k, &common::header_text(other).unwrap_or_default());
                    }
                }
            }
            Some(ser.finish())
        }
        _ => None,
    };
    let body = match it.get("response") {
        Some(Value::String(s)) => Body::Text(s.clone()),
        Some(Value::Null) | None => Body::None,
        Some(other) => Body::Json(other.clone()),
    };
    common::finish(Raw {
        method: common::text(it, "method")?,
        url: format!("{scope}{path}"),
        request_body,
        request_headers: common::header_map(it.get("reqheaders")),
        status: common::status(it, "status")?,
        response_headers: common::header_map(it.get("rawHeaders").or_else(|| it.get("headers"))),
        response_body: body,
        recorded_at: None,
    })
}
