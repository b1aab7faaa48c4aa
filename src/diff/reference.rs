//! The differ as it was before it walked object keys in step and borrowed its path tokens:
//! every key looked up, every token cloned. Kept only as the reference the differ is tested
//! against (the same differences, in the same order).

use std::collections::HashMap;

use serde_json::Value;

use super::{keys_of, type_name, DiffKind, DiffOptions, Difference};
use crate::pointer;

/// The old `diff::diff`.
pub(super) fn diff(expected: &Value, actual: &Value, opts: &DiffOptions) -> Vec<Difference> {
    let mut d = Differ {
        opts,
        path: Vec::new(),
        out: Vec::new(),
    };
    d.value(expected, actual);
    d.out
}

struct Differ<'o> {
    opts: &'o DiffOptions,
    path: Vec<String>,
    out: Vec<Difference>,
}

impl Differ<'_> {
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
    fn at(&mut self, token: String, f: impl FnOnce(&mut Self)) {
        self.path.push(token);
        if !self.ignored() {
            f(self);
        }
        self.path.pop();
    }

    fn value(&mut self, e: &Value, a: &Value) {
        if self.path.is_empty() && self.ignored() {
            return;
        }
        match (e, a) {
            (Value::Object(em), Value::Object(am)) => {
                for (k, ev) in em {
                    match am.get(k) {
                        Some(av) => self.at(k.clone(), |d| d.value(ev, av)),
                        None => self.at(k.clone(), |d| d.emit(DiffKind::Missing, Some(ev), None)),
                    }
                }
                for (k, av) in am {
                    if !em.contains_key(k) {
                        self.at(k.clone(), |d| d.emit(DiffKind::Unexpected, None, Some(av)));
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

    fn indexed(&mut self, ea: &[Value], aa: &[Value]) {
        for (i, ev) in ea.iter().enumerate() {
            match aa.get(i) {
                Some(av) => self.at(i.to_string(), |d| d.value(ev, av)),
                None => self.at(i.to_string(), |d| d.emit(DiffKind::Missing, Some(ev), None)),
            }
        }
        for (i, av) in aa.iter().enumerate().skip(ea.len()) {
            self.at(i.to_string(), |d| {
                d.emit(DiffKind::Unexpected, None, Some(av))
            });
        }
    }

    fn keyed(&mut self, ea: &[Value], aa: &[Value], ek: &[String], ak: &[String]) {
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
                Some(&j) => self.at(i.to_string(), |d| d.value(ev, &aa[j])),
                None => self.at(i.to_string(), |d| d.emit(DiffKind::Missing, Some(ev), None)),
            }
        }
        for (j, av) in aa.iter().enumerate() {
            if !e_index.contains_key(ak[j].as_str()) {
                self.at(j.to_string(), |d| {
                    d.emit(DiffKind::Unexpected, None, Some(av))
                });
            }
        }
    }
}
