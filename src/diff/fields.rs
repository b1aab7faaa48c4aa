//! Field counts for the scorecard: how many leaf fields a comparison covered and how many of
//! them no difference touches.
//!
//! A leaf is a scalar or an empty object or array, named by its JSON pointer; the fields compared
//! are the union of both documents' leaves. A leaf differs when a difference's pointer is the
//! leaf's own or one of its ancestors' (the empty pointer — a status change, a root type change —
//! is everyone's ancestor). Both documents are walked together, once, and pointers are only
//! spelled out while a difference could still be above them.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::Difference;

/// `(fields compared, fields matching)` for `expected` against `actual` with `diffs`.
pub fn field_counts(expected: &Value, actual: &Value, diffs: &[Difference]) -> (usize, usize) {
    let pointers: HashSet<&str> = diffs.iter().map(|d| d.pointer.as_str()).collect();
    let mut c = Counter {
        pointers,
        path: String::new(),
        total: 0,
        differing: 0,
    };
    let under = c.pointers.contains("");
    c.walk(Some(expected), Some(actual), under);
    (c.total, c.total - c.differing)
}

struct Counter<'d> {
    /// Pointers with a difference.
    pointers: HashSet<&'d str>,
    /// The pointer of the place being walked (kept only while `pointers` is not empty).
    path: String,
    total: usize,
    differing: usize,
}

/// A non-empty object or array: a leaf otherwise.
fn container(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    })
}

impl Counter<'_> {
    /// Counts the leaves at and below the current place. `under`: a difference sits at or above it.
    fn walk(&mut self, e: Option<&Value>, a: Option<&Value>, under: bool) {
        let (ec, ac) = (container(e), container(a));
        if (e.is_some() && ec.is_none()) || (a.is_some() && ac.is_none()) {
            self.total += 1;
            self.differing += usize::from(under);
        }
        match (ec, ac) {
            (None, None) => {}
            (Some(Value::Object(em)), Some(Value::Object(am))) => {
                for (k, ev) in em {
                    self.child(k, Some(ev), am.get(k), under);
                }
                for (k, av) in am {
                    if !em.contains_key(k) {
                        self.child(k, None, Some(av), under);
                    }
                }
            }
            (Some(Value::Array(ea)), Some(Value::Array(aa))) => {
                for i in 0..ea.len().max(aa.len()) {
                    self.child(&i.to_string(), ea.get(i), aa.get(i), under);
                }
            }
            (Some(one), None) => self.children_of_one(one, true, under),
            (None, Some(one)) => self.children_of_one(one, false, under),
            // An object on one side, an array on the other: key "0" and index 0 are the same
            // pointer, so merge by token.
            (Some(e), Some(a)) => {
                let tokens: BTreeSet<String> = tokens(e).into_iter().chain(tokens(a)).collect();
                for t in tokens {
                    self.child(&t, member(e, &t), member(a, &t), under);
                }
            }
        }
    }

    fn children_of_one(&mut self, v: &Value, expected_side: bool, under: bool) {
        let each = |this: &mut Self, token: &str, child: &Value| {
            let (e, a) = if expected_side {
                (Some(child), None)
            } else {
                (None, Some(child))
            };
            this.child(token, e, a, under);
        };
        match v {
            Value::Object(m) => m.iter().for_each(|(k, child)| each(self, k, child)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, child)| each(self, &i.to_string(), child)),
            _ => {}
        }
    }

    /// One token deeper.
    fn child(&mut self, token: &str, e: Option<&Value>, a: Option<&Value>, under: bool) {
        if under || self.pointers.is_empty() {
            self.walk(e, a, under);
            return;
        }
        let len = self.path.len();
        self.path.push('/');
        self.path.push_str(&crate::pointer::escape(token));
        let under = self.pointers.contains(self.path.as_str());
        self.walk(e, a, under);
        self.path.truncate(len);
    }
}

fn tokens(v: &Value) -> Vec<String> {
    match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => (0..a.len()).map(|i| i.to_string()).collect(),
        _ => vec![],
    }
}

fn member<'v>(v: &'v Value, token: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(token),
        Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::DiffKind;
    use serde_json::json;

    /// The definition, spelled out: every leaf pointer of both sides in a set.
    fn by_definition(expected: &Value, actual: &Value, diffs: &[Difference]) -> (usize, usize) {
        fn leaves(v: &Value, at: String, out: &mut BTreeSet<String>) {
            match v {
                Value::Object(m) if !m.is_empty() => {
                    for (k, v) in m {
                        leaves(v, crate::pointer::push(&at, k), out);
                    }
                }
                Value::Array(a) if !a.is_empty() => {
                    for (i, v) in a.iter().enumerate() {
                        leaves(v, format!("{at}/{i}"), out);
                    }
                }
                _ => {
                    out.insert(at);
                }
            }
        }
        let mut all = BTreeSet::new();
        leaves(expected, String::new(), &mut all);
        leaves(actual, String::new(), &mut all);
        let differing = all
            .iter()
            .filter(|p| {
                diffs.iter().any(|d| {
                    d.pointer == **p
                        || p.starts_with(&format!("{}/", d.pointer))
                        || d.pointer.is_empty() && d.kind != DiffKind::StatusChanged
                })
            })
            .count();
        (all.len(), all.len() - differing)
    }

    fn d(pointer: &str, kind: DiffKind) -> Difference {
        Difference {
            pointer: pointer.into(),
            kind,
            expected: None,
            actual: None,
        }
    }

    #[test]
    fn agrees_with_the_definition() {
        let cases = [
            (
                json!({"a": 1, "b": {"c": [1, 2, {}]}}),
                json!({"a": 1, "b": {"c": [1]}, "d": []}),
            ),
            (json!({"x/y": {"~": 1}}), json!({"x/y": {"~": 2}})),
            (json!({"a": {"0": 1, "k": 2}}), json!({"a": [5, 6]})),
            (json!([1, [2, 3]]), json!({"0": 1})),
            (json!(null), json!({"a": {"b": 1}})),
            (json!({}), json!([])),
            (json!("s"), json!("s")),
        ];
        let diffs = [
            vec![],
            vec![d("/b/c/1", DiffKind::Missing)],
            vec![d("/x~1y/~0", DiffKind::ValueChanged)],
            vec![d("/a", DiffKind::TypeChanged)],
            vec![d("", DiffKind::StatusChanged)],
            vec![d("", DiffKind::TypeChanged), d("/a", DiffKind::Missing)],
            vec![d("/nowhere", DiffKind::Missing)],
        ];
        for (e, a) in &cases {
            for ds in &diffs {
                assert_eq!(
                    field_counts(e, a, ds),
                    by_definition(e, a, ds),
                    "{e} vs {a} with {ds:?}"
                );
            }
        }
    }
}
