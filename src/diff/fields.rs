//! Field counts for the scorecard: how many leaf fields a comparison covered and how many of
//! them no difference touches.
//!
//! A leaf is a scalar or an empty object or array, named by its JSON pointer; the fields compared
//! are the union of both documents' leaves. A leaf differs when a difference's pointer is the
//! leaf's own or one of its ancestors' (the empty pointer — a status change, a root type change —
//! is everyone's ancestor). Both documents are walked together, once, and pointers are only
//! spelled out while a difference could still be above them.

use std::collections::BTreeSet;

use fnv::FnvHashSet;
use serde_json::Value;

use super::Difference;

/// `(fields compared, fields matching)` for `expected` against `actual` with `diffs`.
pub fn field_counts(expected: &Value, actual: &Value, diffs: &[Difference]) -> (usize, usize) {
    // A step whose response is its snapshot's text compares the body with itself: every leaf
    // matches, and there is nothing to pair.
    if std::ptr::eq(expected, actual) && diffs.is_empty() {
        let n = leaves(expected);
        return (n, n);
    }
    let pointers: FnvHashSet<&str> = diffs.iter().map(|d| d.pointer.as_str()).collect();
    // Every proper prefix of a difference's pointer: below these a difference may still come.
    let mut ancestors = FnvHashSet::default();
    for p in &pointers {
        for (i, _) in p.match_indices('/').skip(1) {
            ancestors.insert(&p[..i]);
        }
    }
    let at_root = if pointers.contains("") {
        Place::Under
    } else if pointers.is_empty() {
        Place::Clear
    } else {
        Place::Above
    };
    let mut c = Counter {
        pointers,
        ancestors,
        path: String::new(),
        total: 0,
        differing: 0,
    };
    c.walk(Some(expected), Some(actual), at_root);
    (c.total, c.total - c.differing)
}

/// The leaves of one document.
fn leaves(v: &Value) -> usize {
    match container(Some(v)) {
        Some(Value::Object(m)) => m.values().map(leaves).sum(),
        Some(Value::Array(a)) => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

/// Where the walk is relative to the differences.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A difference sits at or above this place: every leaf below differs.
    Under,
    /// No difference at or below: nothing below needs its pointer spelled out.
    Clear,
    /// A difference may sit below: pointers are spelled out and looked up.
    Above,
}

struct Counter<'d> {
    /// Pointers with a difference.
    pointers: FnvHashSet<&'d str>,
    /// Proper prefixes of `pointers` (but the root).
    ancestors: FnvHashSet<&'d str>,
    /// The pointer of the place being walked (kept only while at [`Place::Above`]).
    path: String,
    total: usize,
    differing: usize,
}

/// One step down: an object member or an array element (spelled out only when needed).
#[derive(Clone, Copy)]
enum Token<'a> {
    Key(&'a str),
    Index(usize),
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
    /// Counts the leaves at and below the current place.
    fn walk(&mut self, e: Option<&Value>, a: Option<&Value>, at: Place) {
        let (ec, ac) = (container(e), container(a));
        if (e.is_some() && ec.is_none()) || (a.is_some() && ac.is_none()) {
            self.total += 1;
            self.differing += usize::from(at == Place::Under);
        }
        match (ec, ac) {
            (None, None) => {}
            (Some(Value::Object(em)), Some(Value::Object(am))) => {
                // As in the differ: pair members in step while both sides list the same keys
                // in the same order, look keys up (a SipHash each) only after they part.
                let mut in_step = Some(am.iter());
                let mut paired = 0;
                for (k, ev) in em {
                    let av = match in_step.as_mut().and_then(Iterator::next) {
                        Some((ak, av)) if ak == k => Some(av),
                        _ => {
                            in_step = None;
                            am.get(k)
                        }
                    };
                    paired += usize::from(av.is_some());
                    self.child(Token::Key(k), Some(ev), av, at);
                }
                // Keys are unique: when every actual member was paired, none is left over.
                if paired < am.len() {
                    for (k, av) in am {
                        if !em.contains_key(k) {
                            self.child(Token::Key(k), None, Some(av), at);
                        }
                    }
                }
            }
            (Some(Value::Array(ea)), Some(Value::Array(aa))) => {
                for i in 0..ea.len().max(aa.len()) {
                    self.child(Token::Index(i), ea.get(i), aa.get(i), at);
                }
            }
            (Some(one), None) => self.children_of_one(one, true, at),
            (None, Some(one)) => self.children_of_one(one, false, at),
            // An object on one side, an array on the other: key "0" and index 0 are the same
            // pointer, so merge by token.
            (Some(e), Some(a)) => {
                let tokens: BTreeSet<String> = tokens(e).into_iter().chain(tokens(a)).collect();
                for t in &tokens {
                    self.child(Token::Key(t), member(e, t), member(a, t), at);
                }
            }
        }
    }

    fn children_of_one(&mut self, v: &Value, expected_side: bool, at: Place) {
        let each = |this: &mut Self, token: Token, child: &Value| {
            let (e, a) = if expected_side {
                (Some(child), None)
            } else {
                (None, Some(child))
            };
            this.child(token, e, a, at);
        };
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, child)| each(self, Token::Key(k), child)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, child)| each(self, Token::Index(i), child)),
            _ => {}
        }
    }

    /// One token deeper.
    fn child(&mut self, token: Token, e: Option<&Value>, a: Option<&Value>, at: Place) {
        if at != Place::Above {
            self.walk(e, a, at);
            return;
        }
        let len = self.path.len();
        self.path.push('/');
        match token {
            Token::Key(k) => crate::pointer::escape_into(&mut self.path, k),
            Token::Index(i) => {
                use std::fmt::Write;
                let _ = write!(self.path, "{i}");
            }
        }
        let here = self.path.as_str();
        let at = if self.pointers.contains(here) {
            Place::Under
        } else if self.ancestors.contains(here) {
            Place::Above
        } else {
            Place::Clear
        };
        self.walk(e, a, at);
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The walk (keys in step, pointers spelled out only where a difference may sit below)
        /// counts what the definition counts, for the differences the differ really finds.
        #[test]
        fn counts_by_definition(e in crate::diff::tests::doc(), other in crate::diff::tests::doc(), seed in 1u64..) {
            let mut rng = seed;
            let near = crate::diff::tests::edited(&e, &mut rng);
            for opts in crate::diff::tests::options() {
                for a in [&e, &near, &other] {
                    let ds = crate::diff::diff(&e, a, &opts);
                    proptest::prop_assert_eq!(field_counts(&e, a, &ds), by_definition(&e, a, &ds));
                }
            }
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
            (
                json!({"a": {"k": [1, {"c": 2}]}, "b": {"c": [0, 1, 2]}, "x/y": {"~": 1}}),
                json!({"a": {"k": [1, {"c": 3}]}, "b": {"c": [0]}, "x/y": {"~": [1]}}),
            ),
        ];
        let diffs = [
            vec![],
            vec![d("/b/c/1", DiffKind::Missing)],
            vec![d("/x~1y/~0", DiffKind::ValueChanged)],
            vec![d("/a", DiffKind::TypeChanged)],
            vec![d("", DiffKind::StatusChanged)],
            vec![d("", DiffKind::TypeChanged), d("/a", DiffKind::Missing)],
            vec![d("/nowhere", DiffKind::Missing)],
            // Deep differences, siblings clear of them (the walk stops spelling pointers there).
            vec![
                d("/b/c/1", DiffKind::Missing),
                d("/x~1y/~0", DiffKind::ValueChanged),
            ],
            vec![
                d("/a/k", DiffKind::Missing),
                d("/b/c/2", DiffKind::Unexpected),
            ],
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
