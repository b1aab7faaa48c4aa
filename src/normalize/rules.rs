//! Normalization rules: the [`Rule`] trait every rule implements, and [`Rules`], one of each
//! rule of the table in `rule/mod.rs` (a rule is one file in `rule/`, one line in that table,
//! and its commented defaults section in `apiparity.yaml`).
//!
//! How a value goes through the table: masks first (the Normalizer's own), then every rule in
//! table order. A rule may rewrite the value and let the next rules see the result
//! ([`Change::Continue`]: an URL token, then the ids inside the URL), or settle it
//! ([`Change::Final`]: a fixed placeholder, a timestamp).

use std::any::Any;
use std::fmt::Debug;
use std::path::Path;

use serde_json::{Map, Value};

use crate::input::diag::Diagnostics;
use crate::input::reader::Reader;
use crate::input::yaml::Node;

use super::rule::TABLE;

/// One line of the rule table.
pub(crate) struct Entry {
    /// The rule's key under `normalize:`.
    pub key: &'static str,
    /// The rule with no settings (the built-in ones come from `apiparity.yaml`).
    pub new: fn() -> Box<dyn Rule>,
}

pub(crate) const fn entry<T: Rule + Default + Clone + PartialEq + 'static>(
    key: &'static str,
) -> Entry {
    Entry {
        key,
        new: new_rule::<T>,
    }
}

fn new_rule<T: Rule + Default + Clone + PartialEq + 'static>() -> Box<dyn Rule> {
    Box::new(T::default())
}

/// Where a value sits, and what a rule may look at besides the value.
pub(crate) struct At<'a> {
    /// The keys and indices from the document root to the value.
    pub path: &'a [String],
    /// The object holding the value (for rules relative to a sibling field).
    pub parent: Option<&'a Map<String, Value>>,
    /// Every rule (a rule may read another's settings, as relative timestamps read the
    /// plausible range of absolute ones).
    pub rules: &'a Rules,
}

/// What a rule did to a value.
#[derive(Debug)]
pub(crate) enum Change {
    /// Replaced; the later rules see the new value.
    Continue(Value),
    /// Replaced; no later rule touches it.
    Final(Value),
}

/// A normalization rule.
pub(crate) trait Rule: DynRule + Debug + Send + Sync {
    /// Reads this rule's `normalize:` section over the inherited settings (the merge
    /// semantics are the reader's, see `crate::input::reader`).
    fn merge(&mut self, node: &Node, r: &mut Reader);

    /// The change to `v` at `at`, if the rule applies. `state` is this rule's own state in
    /// the current Normalizer (see [`Rule::new_state`]).
    fn apply(&self, v: &Value, at: &At<'_>, state: &mut dyn Any) -> Option<Change>;

    /// State kept across every value one Normalizer sees (placeholder numbering), if any.
    fn new_state(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
}

/// What makes a `Box<dyn Rule>` clonable and comparable; implemented for every rule.
pub(crate) trait DynRule {
    fn clone_box(&self) -> Box<dyn Rule>;
    fn same(&self, other: &dyn Rule) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Rule + Clone + PartialEq + 'static> DynRule for T {
    fn clone_box(&self) -> Box<dyn Rule> {
        Box::new(self.clone())
    }
    fn same(&self, other: &dyn Rule) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Normalization rules: one of each table entry, in table order. Start from the built-in
/// set (`config::default_rules`, the embedded `apiparity.yaml`) or [`Rules::empty`], then
/// layer files over it with [`Rules::merged`].
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Box<dyn Rule>>,
}

impl Clone for Rules {
    fn clone(&self) -> Self {
        Rules {
            rules: self.rules.iter().map(|r| r.clone_box()).collect(),
        }
    }
}

impl PartialEq for Rules {
    fn eq(&self, other: &Self) -> bool {
        self.rules.len() == other.rules.len()
            && self
                .rules
                .iter()
                .zip(&other.rules)
                .all(|(a, b)| a.same(b.as_ref()))
    }
}

impl Rules {
    /// No rules at all: every value passes through unchanged (except masks).
    pub fn empty() -> Rules {
        Rules {
            rules: TABLE.iter().map(|e| (e.new)()).collect(),
        }
    }

    /// Parses a `normalize:` mapping (from apiparity.yaml or a scenario's `normalize:` key) over
    /// `self`, returning the merged rules; errors carry file:line:col (crate::input::diag).
    pub fn merged(&self, node: &Node, file: &Path) -> Result<Rules, Diagnostics> {
        let mut out = self.clone();
        let mut r = Reader::new(file);
        if node.is_null() {
            return Ok(out);
        }
        if let Some(entries) = r.map(node, "normalize") {
            for (k, v) in entries {
                match TABLE.iter().position(|e| e.key == k.name) {
                    Some(i) => out.rules[i].merge(v, &mut r),
                    None => {
                        let known: Vec<&str> = TABLE.iter().map(|e| e.key).collect();
                        r.unknown_key(k, "`normalize`", &known, None);
                    }
                }
            }
        }
        r.finish(out)
    }

    /// The rules, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &dyn Rule> {
        self.rules.iter().map(|r| r.as_ref())
    }

    /// The rule of type `T`.
    pub(crate) fn get<T: Rule + 'static>(&self) -> Option<&T> {
        self.iter().find_map(|r| r.as_any().downcast_ref::<T>())
    }
}
