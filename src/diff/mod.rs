//! Field-by-field differences between a snapshot (expected) and a normalized response (actual).
//!
//! Pointers are RFC 6901 pointers into the EXPECTED document where the place exists there
//! (missing, changed and matched keyed elements), into the actual one for `unexpected` elements.
//! Object key order is never a difference. Arrays compare by index, or by a key (e.g. `id`)
//! when an [`DiffOptions::array_keys`] selector matches the array's pointer.

mod fields;
#[cfg(test)]
mod reference;
mod unified;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::input::diag::Diagnostics;
use crate::input::reader::Reader;
use crate::input::yaml::Node;
use crate::pointer::{self, Selector};

pub use fields::field_counts;
pub use unified::unified;

/// What kind of difference (Stripe's versioning policy calls only `unexpected` additive).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// A field the snapshot has and the response lacks.
    Missing,
    /// A field the response has and the snapshot lacks.
    Unexpected,
    /// The same field with another JSON type.
    TypeChanged,
    /// The same field with another value.
    ValueChanged,
    /// The same keyed elements in another order.
    OrderChanged,
    /// Another HTTP status.
    StatusChanged,
}

impl DiffKind {
    /// The kind as reports and baselines write it (`missing`, `type_changed`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Unexpected => "unexpected",
            DiffKind::TypeChanged => "type_changed",
            DiffKind::ValueChanged => "value_changed",
            DiffKind::OrderChanged => "order_changed",
            DiffKind::StatusChanged => "status_changed",
        }
    }
}

impl std::fmt::Display for DiffKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between a snapshot (expected) and a response (actual).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Difference {
    /// RFC 6901 pointer (into the expected document where the place exists there).
    pub pointer: String,
    /// What kind of difference.
    pub kind: DiffKind,
    /// The snapshot's value (`None`: absent there).
    pub expected: Option<Value>,
    /// The response's value (`None`: absent there).
    pub actual: Option<Value>,
}

impl Difference {
    /// Stripe's versioning policy: a new field (`unexpected`) is additive, a backwards-compatible
    /// change; everything else (missing, type, value, order, status) is breaking.
    pub fn is_additive(&self) -> bool {
        self.kind == DiffKind::Unexpected
    }
}

/// How responses are compared (the `diff:` section of apiparity.yaml).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffOptions {
    /// Arrays whose pointer matches the selector compare elements by that key.
    pub array_keys: Vec<(Selector, String)>,
    /// Do not report fields present only in the actual response.
    pub allow_unexpected: bool,
    /// Places (and their subtrees) never compared.
    pub ignore: Vec<Selector>,
}

const KEYS: &[&str] = &["allow_unexpected", "array_keys", "ignore"];

impl DiffOptions {
    /// Parses a `diff:` mapping over `self` (same merge semantics as `normalize:`).
    pub fn merged(&self, node: &Node, file: &Path) -> Result<DiffOptions, Diagnostics> {
        let mut out = self.clone();
        let mut ctx = Reader::new(file);
        if node.is_null() {
            return Ok(out);
        }
        if let Some(entries) = ctx.map(node, "diff") {
            for (k, v) in entries {
                match k.name.as_str() {
                    "allow_unexpected" => {
                        if let Some(b) = ctx.boolean(v, "diff.allow_unexpected") {
                            out.allow_unexpected = b;
                        }
                    }
                    "array_keys" => {
                        ctx.selector_map(&mut out.array_keys, v, "diff.array_keys", &mut |c, n| {
                            c.string(n, "diff.array_keys.<selector>")
                        })
                    }
                    "ignore" => ctx.selectors(&mut out.ignore, v, "diff.ignore"),
                    _ => ctx.unknown_key(k, "`diff`", KEYS, None),
                }
            }
        }
        ctx.finish(out)
    }
}

/// Differences between the expected and actual response: status first (`StatusChanged`,
/// pointer ""), then the bodies.
pub fn diff_response(
    exp_status: u16,
    exp_body: &Value,
    act_status: u16,
    act_body: &Value,
    opts: &DiffOptions,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if exp_status != act_status {
        out.push(Difference {
            pointer: String::new(),
            kind: DiffKind::StatusChanged,
            expected: Some(Value::from(exp_status)),
            actual: Some(Value::from(act_status)),
        });
    }
    out.extend(diff(exp_body, act_body, opts));
    out
}

/// Differences between two JSON documents, in document order.
pub fn diff(expected: &Value, actual: &Value, opts: &DiffOptions) -> Vec<Difference> {
    let mut d = Differ {
        opts,
        path: Vec::new(),
        out: Vec::new(),
    };
    d.value(expected, actual);
    d.out
}

/// RFC 6902 patch turning `expected` into `actual`.
pub fn patch(expected: &Value, actual: &Value) -> json_patch::Patch {
    json_patch::diff(expected, actual)
}

fn type_name(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

struct Differ<'o, 'v> {
    opts: &'o DiffOptions,
    /// Tokens from the root: object keys borrowed from the documents, indices spelled out.
    path: Vec<Cow<'v, str>>,
    out: Vec<Difference>,
}

impl<'v> Differ<'_, 'v> {
    fn pointer(&self) -> String {
        pointer::join(&self.path)
    }

    fn ignored(&self) -> bool {
        self.opts.ignore.iter().any(|s| s.matches(&self.path))
    }

    fn emit(&mut self, kind: DiffKind, expected: Option<&Value>, actual: Option<&Value>) {
        if kind == DiffKind::Unexpected && self.opts.allow_unexpected {
            return;
        }
        self.out.push(Difference {
            pointer: self.pointer(),
            kind,
            expected: expected.cloned(),
            actual: actual.cloned(),
        });
    }

    /// Runs `f` one token deeper, unless that place is ignored.
    fn at(&mut self, token: Cow<'v, str>, f: impl FnOnce(&mut Self)) {
        self.path.push(token);
        if !self.ignored() {
            f(self);
        }
        self.path.pop();
    }

    fn value(&mut self, e: &'v Value, a: &'v Value) {
        if self.path.is_empty() && self.ignored() {
            return;
        }
        match (e, a) {
            (Value::Object(em), Value::Object(am)) => {
                // Both sides usually list the same keys in the same order (the same code
                // rendered them): pair members in step while they do, look keys up after.
                let mut in_step = Some(am.iter());
                let mut paired = 0;
                for (k, ev) in em {
                    let next = in_step.as_mut().and_then(Iterator::next);
                    let av = match next {
                        Some((ak, av)) if ak == k => Some(av),
                        _ => {
                            in_step = None;
                            am.get(k)
                        }
                    };
                    let token = Cow::Borrowed(k.as_str());
                    match av {
                        Some(av) => {
                            paired += 1;
                            self.at(token, |d| d.value(ev, av))
                        }
                        None => self.at(token, |d| d.emit(DiffKind::Missing, Some(ev), None)),
                    }
                }
                // Keys are unique: when every actual member was paired, none is unexpected.
                if paired < am.len() {
                    for (k, av) in am {
                        if !em.contains_key(k) {
                            self.at(Cow::Borrowed(k.as_str()), |d| {
                                d.emit(DiffKind::Unexpected, None, Some(av))
                            });
                        }
                    }
                }
            }
            (Value::Array(ea), Value::Array(aa)) => {
                let key = self
                    .opts
                    .array_keys
                    .iter()
                    .find(|(s, _)| s.matches(&self.path))
                    .map(|(_, k)| k.clone());
                let keyed = key
                    .as_deref()
                    .and_then(|k| Some((keys_of(ea, k)?, keys_of(aa, k)?)));
                match keyed {
                    Some((ek, ak)) => self.keyed(ea, aa, &ek, &ak),
                    None => self.indexed(ea, aa),
                }
            }
            _ if type_name(e) != type_name(a) => self.emit(DiffKind::TypeChanged, Some(e), Some(a)),
            _ if e != a => self.emit(DiffKind::ValueChanged, Some(e), Some(a)),
            _ => {}
        }
    }

    fn indexed(&mut self, ea: &'v [Value], aa: &'v [Value]) {
        for (i, ev) in ea.iter().enumerate() {
            match aa.get(i) {
                Some(av) => self.at(index(i), |d| d.value(ev, av)),
                None => self.at(index(i), |d| d.emit(DiffKind::Missing, Some(ev), None)),
            }
        }
        for (i, av) in aa.iter().enumerate().skip(ea.len()) {
            self.at(index(i), |d| d.emit(DiffKind::Unexpected, None, Some(av)));
        }
    }

    fn keyed(&mut self, ea: &'v [Value], aa: &'v [Value], ek: &[String], ak: &[String]) {
        // The same keys in the same order (the common case) pair by index: no reordering, no
        // element missing or unexpected.
        if ek == ak {
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                self.at(index(i), |d| d.value(ev, av));
            }
            return;
        }
        let a_index: HashMap<&str, usize> = ak
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let e_index: HashMap<&str, usize> = ek
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        // Order of the elements both sides have: a pure reordering is one difference.
        let e_common: Vec<&str> = ek
            .iter()
            .map(String::as_str)
            .filter(|k| a_index.contains_key(k))
            .collect();
        let a_common: Vec<&str> = ak
            .iter()
            .map(String::as_str)
            .filter(|k| e_index.contains_key(k))
            .collect();
        if e_common != a_common {
            let to_json =
                |ks: &[String]| Value::Array(ks.iter().cloned().map(Value::String).collect());
            self.emit(
                DiffKind::OrderChanged,
                Some(&to_json(ek)),
                Some(&to_json(ak)),
            );
        }
        for (i, ev) in ea.iter().enumerate() {
            match a_index.get(ek[i].as_str()) {
                Some(&j) => self.at(index(i), |d| d.value(ev, &aa[j])),
                None => self.at(index(i), |d| d.emit(DiffKind::Missing, Some(ev), None)),
            }
        }
        for (j, av) in aa.iter().enumerate() {
            if !e_index.contains_key(ak[j].as_str()) {
                self.at(index(j), |d| d.emit(DiffKind::Unexpected, None, Some(av)));
            }
        }
    }
}

/// An array index as a path token.
fn index<'v>(i: usize) -> Cow<'v, str> {
    Cow::Owned(i.to_string())
}

/// The key of every element, or `None` when one lacks it or keys repeat (index mode then).
fn keys_of(items: &[Value], key: &str) -> Option<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .map(|item| {
            let k = match item.get(key)? {
                Value::String(s) => s.clone(),
                Value::Null => return None,
                other => other.to_string(),
            };
            seen.insert(k.clone()).then_some(k)
        })
        .collect()
}

/// A value for a one-line message: compact JSON, cut to `max` characters with `…`
/// (a whole response body as one "value" would drown the line).
pub fn abbreviate(v: &Value, max: usize) -> String {
    shorten(&v.to_string(), max)
}

/// `s` cut to `max` characters with `…`: the one truncation every message and report uses.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Map};

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0i64..4).prop_map(Value::from),
            Just(json!(1.5)),
            prop::sample::select(vec!["a", "b", "in_1", "cus_2", "1"]).prop_map(Value::from),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["id", "data", "lines", "a", "b", "c", "x/y", "~"])
            .prop_map(String::from)
    }

    /// Small JSON documents (also used by `fields`' tests).
    pub(super) fn doc() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    /// A small deterministic generator (xorshift), so one seed picks every edit below.
    fn next(rng: &mut u64) -> u64 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    }

    /// `v` with a few edits of the kinds a target makes: a member dropped, added or moved, an
    /// element dropped or two swapped, a scalar changed.
    pub(super) fn edited(v: &Value, rng: &mut u64) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(String, Value)> =
                    m.iter().map(|(k, v)| (k.clone(), edited(v, rng))).collect();
                match next(rng) % 8 {
                    0 if !entries.is_empty() => {
                        let i = next(rng) as usize % entries.len();
                        entries.remove(i);
                    }
                    1 => entries.push(("new".into(), json!(1))),
                    2 if entries.len() > 1 => {
                        let i = next(rng) as usize % entries.len();
                        let e = entries.remove(i);
                        entries.insert(0, e);
                    }
                    _ => {}
                }
                Value::Object(entries.into_iter().collect())
            }
            Value::Array(a) => {
                let mut items: Vec<Value> = a.iter().map(|v| edited(v, rng)).collect();
                match next(rng) % 6 {
                    0 if !items.is_empty() => {
                        items.pop();
                    }
                    1 if items.len() > 1 => items.swap(0, 1),
                    2 => items.push(json!({"id": "z"})),
                    _ => {}
                }
                Value::Array(items)
            }
            other => match next(rng) % 10 {
                0 => json!("changed"),
                1 => json!([other.clone()]),
                _ => other.clone(),
            },
        }
    }

    pub(super) fn options() -> Vec<DiffOptions> {
        let sel = |s: &str| Selector::parse(s).unwrap();
        vec![
            crate::config::default_diff_options(),
            DiffOptions::default(),
            DiffOptions {
                array_keys: vec![(sel("data"), "id".into()), (sel("/lines"), "a".into())],
                allow_unexpected: true,
                ignore: vec![sel("/a/**"), sel("c")],
            },
            DiffOptions {
                array_keys: vec![(sel("/**"), "id".into())],
                allow_unexpected: false,
                ignore: vec![sel("/**/x~1y")],
            },
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The differ finds exactly what the old one did, in the same order, whether the sides
        /// are unrelated or one is an edited copy of the other (keys in step, then not).
        #[test]
        fn same_differences_as_the_reference(e in doc(), other in doc(), seed in 1u64..) {
            let mut rng = seed;
            let near = edited(&e, &mut rng);
            for opts in options() {
                for a in [&e, &near, &other] {
                    prop_assert_eq!(diff(&e, a, &opts), reference::diff(&e, a, &opts));
                    prop_assert_eq!(diff(a, &e, &opts), reference::diff(a, &e, &opts));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// What lets a snapshot whose body text is the response's skip the diff.
        #[test]
        fn a_value_never_differs_from_itself(e in doc(), seed in 1u64..) {
            let mut rng = seed;
            let near = edited(&e, &mut rng);
            for opts in options() {
                for v in [&e, &near] {
                    prop_assert_eq!(diff(v, &v.clone(), &opts), vec![]);
                    prop_assert_eq!(diff_response(200, v, 200, &v.clone(), &opts), vec![]);
                }
            }
        }
    }

    #[test]
    fn keyed_arrays_in_step_and_reordered() {
        let opts = crate::config::default_diff_options();
        let e = json!({"data": [{"id": "a", "v": 1}, {"id": "b", "v": 2}]});
        let same_order = json!({"data": [{"id": "a", "v": 1}, {"id": "b", "v": 3}]});
        let d = diff(&e, &same_order, &opts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].pointer, "/data/1/v");
        let swapped = json!({"data": [{"id": "b", "v": 2}, {"id": "a", "v": 1}]});
        let d = diff(&e, &swapped, &opts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind, DiffKind::OrderChanged);
        // Keys in another order are no difference; a key only one side has is one.
        let moved = json!({"x": 1, "data": [{"v": 1, "id": "a"}, {"id": "b", "v": 2}]});
        let d = diff(&e, &moved, &opts);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].pointer.as_str(), &d[0].kind),
            ("/x", &DiffKind::Unexpected)
        );
    }
}
