//! vcrpy cassettes (YAML or JSON): `interactions`, each `request {method, uri, body, headers
//! {name: [values]}}` and `response {status {code}, headers, body {string}}`.

use serde_json::Value;

use super::common;
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
    common::each(list, |it| common::vcr_interaction(it, text_of, None))
}
