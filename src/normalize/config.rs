//! Reading rule settings from YAML (`apiparity.yaml`'s `normalize:`/`diff:` sections and a
//! scenario's `normalize:` key) over inherited settings, collecting every error with its position.
//!
//! Merge semantics, the same for every rule kind:
//! - a scalar setting replaces the inherited one;
//! - a list setting given as a sequence ADDS to the inherited list; given as a mapping it may say
//!   `add: [...]`, `remove: [...]` (each must be in the inherited list) or `replace: [...]`;
//! - a map setting (`field: value`) adds or overrides entries; `field: null` removes one.

use std::path::Path;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::pointer::Selector;
use crate::yaml::{Key, Kind, Node, Scalar, Span};

/// Where we are reading from, and what went wrong so far.
pub(crate) struct Ctx<'a> {
    pub file: &'a Path,
    pub diags: Diagnostics,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a Path) -> Self {
        Ctx {
            file,
            diags: Diagnostics::default(),
        }
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.file, span, message));
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn finish<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.diags.is_empty() {
            Ok(value)
        } else {
            Err(self.diags)
        }
    }

    /// The node as a mapping, or an error naming `what`.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match node.as_map() {
            Some(m) => Some(m),
            None => {
                self.push(
                    Diagnostic::new(
                        self.file,
                        node.span,
                        format!("`{what}` must be a mapping, found {}", node.describe()),
                    )
                    .label("expected a mapping"),
                );
                None
            }
        }
    }

    /// Reports an unknown key, suggesting the closest known one.
    pub fn unknown_key(&mut self, section: &str, key: &Key, known: &[&str]) {
        let mut d = Diagnostic::new(
            self.file,
            key.span,
            format!("unknown key `{}` in `{section}`", key.name),
        )
        .label("unknown key");
        d = match did_you_mean(&key.name, known) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("known keys: {}", known.join(", "))),
        };
        self.push(d);
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar(Scalar::Str(s)) => Some(s.clone()),
            _ => {
                self.error(
                    node.span,
                    format!("`{what}` must be a string, found {}", node.describe()),
                );
                None
            }
        }
    }

    pub fn int(&mut self, node: &Node, what: &str) -> Option<i64> {
        match &node.kind {
            Kind::Scalar(Scalar::Int(i)) => Some(*i),
            _ => {
                self.error(
                    node.span,
                    format!("`{what}` must be an integer, found {}", node.describe()),
                );
                None
            }
        }
    }

    pub fn usize(&mut self, node: &Node, what: &str) -> Option<usize> {
        let i = self.int(node, what)?;
        match usize::try_from(i) {
            Ok(u) => Some(u),
            Err(_) => {
                self.error(node.span, format!("`{what}` must not be negative"));
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.kind {
            Kind::Scalar(Scalar::Bool(b)) => Some(*b),
            _ => {
                self.error(
                    node.span,
                    format!("`{what}` must be true or false, found {}", node.describe()),
                );
                None
            }
        }
    }

    pub fn selector(&mut self, text: &str, span: Span) -> Option<Selector> {
        match Selector::parse(text) {
            Ok(s) => Some(s),
            Err(e) => {
                self.push(Diagnostic::new(self.file, span, format!("bad selector: {e}")).help(
                    "a selector is a key name (`created`) or a pointer with `*`/`**` (`/lines/data/*/period/start`)",
                ));
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
        parse: &mut dyn FnMut(&mut Ctx<'_>, &Node) -> Option<T>,
    ) {
        let mut items = |ctx: &mut Ctx<'_>, node: &Node, what: &str| -> Vec<(T, Span)> {
            match node.as_seq() {
                Some(seq) => seq
                    .iter()
                    .filter_map(|n| parse(ctx, n).map(|t| (t, n.span)))
                    .collect(),
                None if node.is_null() => Vec::new(),
                None => {
                    ctx.error(
                        node.span,
                        format!("`{what}` must be a sequence, found {}", node.describe()),
                    );
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
                        _ => self.unknown_key(what, k, &["add", "remove", "replace"]),
                    }
                }
            }
            _ => self.error(
                node.span,
                format!(
                    "`{what}` must be a sequence (added to the inherited list) or a mapping with `add`/`remove`/`replace`, found {}",
                    node.describe()
                ),
            ),
        }
    }

    /// Merges a list of selectors.
    pub fn selectors(&mut self, list: &mut Vec<Selector>, node: &Node, what: &str) {
        self.list(list, node, what, &mut |ctx, n| {
            let s = ctx.string(n, what)?;
            ctx.selector(&s, n.span)
        });
    }

    /// Merges a `selector: value` map; `null` removes an entry.
    pub fn selector_map<V>(
        &mut self,
        map: &mut Vec<(Selector, V)>,
        node: &Node,
        what: &str,
        parse: &mut dyn FnMut(&mut Ctx<'_>, &Node) -> Option<V>,
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
