//! The Normalizer's walk as it was before it worked in place: every object and array rebuilt,
//! every rule asked about every string and number. Kept only as the reference the in-place walk
//! is tested against (same documents, same placeholder numbering across calls).

use serde_json::{Map, Value};

use super::rules::{At, Change, Siblings};
use super::{index_str, itoa_buf, KeyPath, Normalizer};

/// The old `Normalizer::value`.
pub(super) fn value(n: &mut Normalizer, v: &Value) -> Value {
    let mut path = KeyPath::default();
    walk(n, v, &mut path, None)
}

fn walk(
    n: &mut Normalizer,
    v: &Value,
    path: &mut KeyPath,
    parent: Option<&Map<String, Value>>,
) -> Value {
    match v {
        Value::Object(map) => {
            let entries: Vec<(&String, &Value)> = map.iter().collect();
            let mut order: Vec<usize> = (0..entries.len()).collect();
            order.sort_unstable_by(|&a, &b| entries[a].0.cmp(entries[b].0));
            let mut done: Vec<Value> = vec![Value::Null; entries.len()];
            for i in order {
                let (k, child) = entries[i];
                path.push(k);
                done[i] = walk(n, child, path, Some(map));
                path.pop();
            }
            let mut out = Map::with_capacity(entries.len());
            for ((k, _), v) in entries.into_iter().zip(done) {
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut index = itoa_buf();
            for (i, child) in items.iter().enumerate() {
                path.push(index_str(&mut index, i));
                out.push(walk(n, child, path, None));
                path.pop();
            }
            Value::Array(out)
        }
        Value::String(s) => {
            let masked = Value::String(n.masks.apply(s));
            apply_rules(n, masked, path.as_slice(), parent)
        }
        Value::Number(_) => apply_rules(n, v.clone(), path.as_slice(), parent),
        Value::Null | Value::Bool(_) => v.clone(),
    }
}

fn apply_rules(
    n: &mut Normalizer,
    mut v: Value,
    path: &[String],
    parent: Option<&Map<String, Value>>,
) -> Value {
    let at = At {
        path,
        parent: parent.map(|m| m as &dyn Siblings),
        rules: &n.rules,
    };
    for (rule, state) in n.rules.iter().zip(n.states.iter_mut()) {
        match rule.apply(&v, &at, state.as_mut()) {
            Some(Change::Final(done)) => return done,
            Some(Change::Continue(next)) => v = next,
            None => {}
        }
    }
    v
}
