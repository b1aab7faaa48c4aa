//! THE typed reader over [`yaml`](super::yaml) trees: scenarios, `apiparity.yaml` and baselines
//! all read their files through it, so one mistake is worded one way whichever file it is in.
//! A [`Reader`] collects every problem with its position instead of stopping at the first.
//!
//! One wording, rustc's:
//! - a wrong type reads "expected a mapping, found a sequence", labelled with the setting;
//! - an unknown key reads "unknown key `x` in `<place>`", with "did you mean" when a known key is
//!   close, else a place-specific hint, else the list of known keys;
//! - a missing key reads "missing required key `x` in `<place>`".
//!
//! Merge semantics of rule settings (`normalize:`, `diff:`), the same for every rule kind:
//! - a scalar setting replaces the inherited one;
//! - a list setting given as a sequence ADDS to the inherited list; given as a mapping it may say
//!   `add: [...]`, `remove: [...]` (each must be in the inherited list) or `replace: [...]`;
//! - a map setting (`field: value`) adds or overrides entries; `field: null` removes one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::diag::{did_you_mean, Diagnostic, Diagnostics};
use super::yaml::{Key, Kind, Node, Scalar, Span};
use crate::pointer::Selector;

/// Line 1, column 1: where file-level problems point.
pub const START: Span = Span { line: 1, col: 1 };

/// Where a node starts, for messages. yaml-rust2 marks a block mapping at its first `:`
/// (after the first key); the first key is where a reader looks.
pub fn start(node: &Node) -> Span {
    match node.as_map() {
        Some([(k, _), ..]) if k.span < node.span => k.span,
        _ => node.span,
    }
}

/// `` `a`, `b`, `c` ``: a list of names for a help line.
pub fn one_of_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one file's tree, collecting diagnostics.
#[derive(Debug)]
pub struct Reader {
    file: PathBuf,
    diags: Vec<Diagnostic>,
}

impl Reader {
    /// A reader for `file` (named in every diagnostic).
    pub fn new(file: impl Into<PathBuf>) -> Reader {
        Reader {
            file: file.into(),
            diags: Vec::new(),
        }
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// How many problems were found so far.
    pub fn error_count(&self) -> usize {
        self.diags.len()
    }

    /// The value when nothing went wrong, else every problem found, in reading order.
    pub fn finish<T>(self, value: T) -> Result<T, Diagnostics> {
        let diags = self.into_diagnostics();
        if diags.is_empty() {
            Ok(value)
        } else {
            Err(Diagnostics(diags))
        }
    }

    /// Every problem found, in reading order (checks that run after the whole file was read,
    /// such as variable resolution, report in place).
    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        self.diags.sort_by_key(|d| d.span);
        self.diags
    }

    /// A diagnostic in this file (not recorded: add a label or help, then [`Reader::push`]).
    pub fn diag(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.file, span, message)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Records a plain error at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        let d = self.diag(span, message);
        self.push(d);
    }

    /// Reads the file as text; a failure is recorded as "cannot read `<what>`: …".
    pub fn read(&mut self, what: &str) -> Option<String> {
        match super::source::read(&self.file) {
            Ok(text) => Some(text),
            Err(d) => {
                self.error(START, format!("cannot read {what}: {}", d.message));
                None
            }
        }
    }

    /// Parses YAML source. `None` when the file is empty (no document) or invalid; invalid YAML
    /// is recorded as an error, so [`Reader::error_count`] tells the two apart.
    pub fn parse(&mut self, source: &str) -> Option<Node> {
        match super::yaml::parse(source) {
            Ok(root) => root,
            Err(e) => {
                self.error(e.span, format!("invalid YAML: {}", e.message));
                None
            }
        }
    }

    /// "expected `expected`, found …", labelled with the setting `what` (not recorded: add
    /// a help line, then [`Reader::push`]).
    pub fn expected(&self, node: &Node, expected: &str, what: &str) -> Diagnostic {
        self.diag(
            start(node),
            format!("expected {expected}, found {}", node.describe()),
        )
        .label(format!("`{what}`"))
    }

    /// Records "expected `expected`, found …", labelled with the setting `what`.
    pub fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        let d = self.expected(node, expected, what);
        self.push(d);
    }

    /// The node as a mapping.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        let m = node.as_map();
        if m.is_none() {
            self.wrong_type(node, "a mapping", what);
        }
        m
    }

    /// The node as a sequence.
    pub fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        let s = node.as_seq();
        if s.is_none() {
            self.wrong_type(node, "a sequence", what);
        }
        s
    }

    /// A string scalar (quoted or plain text, not `7` or `true`).
    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
    }

    /// Any non-null scalar, as text (`7` and `"7"` alike).
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar(Scalar::Null) | Kind::Seq(_) | Kind::Map(_) => {
                self.wrong_type(node, "a scalar", what);
                None
            }
            Kind::Scalar(_) => node.scalar_text(),
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.kind {
            Kind::Scalar(Scalar::Bool(b)) => Some(b),
            _ => {
                self.wrong_type(node, "a boolean", what);
                None
            }
        }
    }

    /// An integer.
    pub fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
        match node.kind {
            Kind::Scalar(Scalar::Int(i)) => Some(i),
            _ => {
                self.wrong_type(node, "an integer", what);
                None
            }
        }
    }

    /// A non-negative integer.
    pub fn count(&mut self, node: &Node, what: &str) -> Option<usize> {
        let n = self.integer(node, what)?;
        match usize::try_from(n) {
            Ok(u) => Some(u),
            Err(_) => {
                self.error(
                    node.span,
                    format!("`{what}` must not be negative, found {n}"),
                );
                None
            }
        }
    }

    /// An integer or a float.
    pub fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        match node.kind {
            Kind::Scalar(Scalar::Int(i)) => Some(i as f64),
            Kind::Scalar(Scalar::Float(f)) => Some(f),
            _ => {
                self.wrong_type(node, "a number", what);
                None
            }
        }
    }

    /// A duration with a unit (`2s`, `90s`, `1m`).
    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let Some(text) = node.as_str() else {
            let d = self
                .diag(
                    node.span,
                    format!("expected a duration, found {}", node.describe()),
                )
                .label(format!("`{what}`"))
                .help("durations have a unit: `2s`, `90s`, `1m`");
            self.push(d);
            return None;
        };
        match humantime::parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let d = self
                    .diag(node.span, format!("invalid duration `{text}`: {e}"))
                    .help("durations have a unit: `2s`, `90s`, `1m`");
                self.push(d);
                None
            }
        }
    }

    /// "unknown key `x` in `<place>`": did-you-mean, else `hint`, else the known keys.
    pub fn unknown_key(&mut self, key: &Key, place: &str, known: &[&str], hint: Option<String>) {
        let d = self
            .diag(key.span, format!("unknown key `{}` in {place}", key.name))
            .label("unknown key");
        let d = match did_you_mean(&key.name, known) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => match hint {
                Some(h) => d.help(h),
                None => d.help(format!("expected one of {}", one_of_list(known))),
            },
        };
        self.push(d);
    }

    /// Reports every key of `entries` that is not in `allowed`.
    pub fn check_keys(&mut self, entries: &[(Key, Node)], allowed: &[&str], place: &str) {
        self.check_keys_hinted(entries, allowed, place, &|_| None);
    }

    /// [`Reader::check_keys`], with `hint` explaining a key that is known elsewhere
    /// ("`status` belongs under `expect:`").
    pub fn check_keys_hinted(
        &mut self,
        entries: &[(Key, Node)],
        allowed: &[&str],
        place: &str,
        hint: &dyn Fn(&str) -> Option<String>,
    ) {
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                self.unknown_key(k, place, allowed, hint(&k.name));
            }
        }
    }

    /// The value of `key`, or "missing required key" at `at`.
    pub fn require<'n>(
        &mut self,
        entries: &'n [(Key, Node)],
        at: Span,
        key: &str,
        place: &str,
    ) -> Option<&'n Node> {
        let found = entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v);
        if found.is_none() {
            let d = self
                .diag(at, format!("missing required key `{key}` in {place}"))
                .label(format!("this {place} needs `{key}`"));
            self.push(d);
        }
        found
    }

    /// A selector: a key name (`created`) or a pointer with `*`/`**`.
    pub fn selector(&mut self, text: &str, span: Span) -> Option<Selector> {
        match Selector::parse(text) {
            Ok(s) => Some(s),
            Err(e) => {
                let d = self.diag(span, format!("bad selector: {e}")).help(
                    "a selector is a key name (`created`) or a pointer with `*`/`**` (`/lines/data/*/period/start`)",
                );
                self.push(d);
                None
            }
        }
    }

    /// Merges a list setting (see the module docs) with `parse` reading each item.
    pub fn list<T: PartialEq>(
        &mut self,
        list: &mut Vec<T>,
        node: &Node,
        what: &str,
        parse: &mut dyn FnMut(&mut Reader, &Node) -> Option<T>,
    ) {
        let mut items = |r: &mut Reader, node: &Node, what: &str| -> Vec<(T, Span)> {
            match node.as_seq() {
                Some(seq) => seq
                    .iter()
                    .filter_map(|n| parse(r, n).map(|t| (t, n.span)))
                    .collect(),
                None if node.is_null() => Vec::new(),
                None => {
                    r.wrong_type(node, "a sequence", what);
                    Vec::new()
                }
            }
        };
        let add = |list: &mut Vec<T>, new: Vec<(T, Span)>| {
            for (t, _) in new {
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        };
        match &node.kind {
            Kind::Seq(_) | Kind::Scalar(Scalar::Null) => {
                let new = items(self, node, what);
                add(list, new);
            }
            Kind::Map(entries) => {
                for (k, v) in entries {
                    match k.name.as_str() {
                        "add" => {
                            let new = items(self, v, &format!("{what}.add"));
                            add(list, new);
                        }
                        "replace" => {
                            let new = items(self, v, &format!("{what}.replace"));
                            list.clear();
                            add(list, new);
                        }
                        "remove" => {
                            for (t, span) in items(self, v, &format!("{what}.remove")) {
                                match list.iter().position(|x| *x == t) {
                                    Some(i) => {
                                        list.remove(i);
                                    }
                                    None => self.error(
                                        span,
                                        format!("cannot remove from `{what}`: not in the inherited list"),
                                    ),
                                }
                            }
                        }
                        _ => self.unknown_key(
                            k,
                            &format!("`{what}`"),
                            &["add", "remove", "replace"],
                            None,
                        ),
                    }
                }
            }
            _ => {
                let d = self
                    .diag(
                        start(node),
                        format!(
                            "expected a sequence or a mapping with `add`/`remove`/`replace`, found {}",
                            node.describe()
                        ),
                    )
                    .label(format!("`{what}`"))
                    .help("a sequence adds to the inherited list; `{replace: [...]}` replaces it");
                self.push(d);
            }
        }
    }

    /// Merges a list of selectors.
    pub fn selectors(&mut self, list: &mut Vec<Selector>, node: &Node, what: &str) {
        self.list(list, node, what, &mut |r, n| {
            let s = r.string(n, what)?;
            r.selector(&s, n.span)
        });
    }

    /// Merges a `selector: value` map; `null` removes an entry.
    pub fn selector_map<V>(
        &mut self,
        map: &mut Vec<(Selector, V)>,
        node: &Node,
        what: &str,
        parse: &mut dyn FnMut(&mut Reader, &Node) -> Option<V>,
    ) {
        if node.is_null() {
            return;
        }
        let Some(entries) = self.map(node, what) else {
            return;
        };
        for (k, v) in entries {
            let Some(sel) = self.selector(&k.name, k.span) else {
                continue;
            };
            let pos = map.iter().position(|(s, _)| *s == sel);
            if v.is_null() {
                match pos {
                    Some(i) => {
                        map.remove(i);
                    }
                    None => self.error(
                        k.span,
                        format!(
                            "cannot remove `{}` from `{what}`: not in the inherited rules",
                            k.name
                        ),
                    ),
                }
                continue;
            }
            if let Some(val) = parse(self, v) {
                match pos {
                    Some(i) => map[i].1 = val,
                    None => map.push((sel, val)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(src: &str) -> Node {
        crate::input::yaml::parse(src).unwrap().unwrap()
    }

    #[test]
    fn one_wording_for_wrong_types_and_unknown_keys() {
        let n = node("a: [1]\nb: x\nzzz: 1\n");
        let mut r = Reader::new("f.yaml");
        let entries = r.map(&n, "root").unwrap();
        r.map(&entries[0].1, "a");
        r.integer(&entries[1].1, "b");
        r.check_keys(entries, &["a", "b", "c"], "thing");
        let text = r.finish(()).unwrap_err().to_string();
        assert_eq!(
            text,
            "f.yaml:1:4: expected a mapping, found a sequence\n\
             f.yaml:2:4: expected an integer, found a string\n\
             f.yaml:3:1: unknown key `zzz` in thing (expected one of `a`, `b`, `c`)\n"
        );
    }

    #[test]
    fn list_merge_semantics() {
        let mut list = vec!["a".to_string(), "b".to_string()];
        let mut r = Reader::new("f.yaml");
        let mut item = |r: &mut Reader, n: &Node| r.string(n, "x");
        r.list(&mut list, &node("[c]"), "x", &mut item);
        r.list(&mut list, &node("{remove: [a]}"), "x", &mut item);
        assert_eq!(list, ["b", "c"]);
        r.list(&mut list, &node("{replace: [z]}"), "x", &mut item);
        assert_eq!(list, ["z"]);
        r.list(&mut list, &node("{remove: [q]}"), "x", &mut item);
        r.list(&mut list, &node("7"), "x", &mut item);
        let text = r.finish(()).unwrap_err().to_string();
        assert!(text.contains("cannot remove from `x`"), "{text}");
        assert!(
            text.contains(
                "expected a sequence or a mapping with `add`/`remove`/`replace`, found an integer"
            ),
            "{text}"
        );
    }
}
