//! Normalization rules: the [`Rule`] trait every rule implements, and [`Rules`], one of each
//! rule of the table in `rule/mod.rs` (a rule is one file in `rule/`, one line in that table,
//! and its commented defaults section in `apiparity.yaml`).
//!
//! How a value goes through the table: masks first (the Normalizer's own), then every rule in
//! table order whose [`Rule::reach`] admits the value (see [`Dispatch`]; the others could not
//! change it). A rule may rewrite the value and let the next rules see the result
//! ([`Change::Continue`]: an URL token, then the ids inside the URL), or settle it
//! ([`Change::Final`]: a fixed placeholder, a timestamp).

use std::any::Any;
use std::fmt::Debug;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::input::diag::Diagnostics;
use crate::input::reader::Reader;
use crate::input::yaml::Node;
use crate::pointer::{self, Selector};

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

/// The other members of the object holding a value, by key.
pub(crate) trait Siblings {
    /// The member `key`: a scalar as the target sent it (the Normalizer writes an object's
    /// scalars back only after all of them were seen), a container maybe already normalized.
    fn get(&self, key: &str) -> Option<&Value>;
}

impl Siblings for Map<String, Value> {
    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
}

/// Where a value sits, and what a rule may look at besides the value.
pub(crate) struct At<'a> {
    /// The keys and indices from the document root to the value.
    pub path: &'a [String],
    /// The object holding the value (for rules relative to a sibling field).
    pub parent: Option<&'a dyn Siblings>,
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

    /// Which values [`Rule::apply`] can change at all. The Normalizer asks a rule only about
    /// those (the rule still decides), so this must never leave out a value `apply` changes.
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: true,
            only: None,
        }
    }
}

/// What a rule can change: values of these kinds, at places one of `only` matches (`None`:
/// anywhere).
pub(crate) struct Reach<'a> {
    pub strings: bool,
    pub numbers: bool,
    pub only: Option<Vec<&'a Selector>>,
}

/// A set of rules as bits (bit `i`: table entry `i`).
pub(crate) type RuleSet = u64;

/// The rules worth asking about a value, from its kind and the path's last token: most leaves
/// (`amount_due`, `currency`) are in reach of no rule but the id rule, and this finds that
/// without matching every selector of every rule against the path.
#[derive(Debug, Default)]
pub(crate) struct Dispatch {
    /// (last token a selector requires, rules with such a selector), sorted by token.
    by_last: Vec<(String, RuleSet)>,
    /// A bit per [`sketch`] of the tokens in `by_last`: a token whose bit is clear is not
    /// there, without a search.
    sketches: [u64; 16],
    /// Rules that may apply whatever the last token is.
    anywhere: RuleSet,
    strings: RuleSet,
    numbers: RuleSet,
}

/// The token a place must end with for `sel` to match it, if the selector fixes one: a key
/// selector's key, a pointer's last token unless it is `*` or `**`.
fn required_last(sel: &Selector) -> Option<String> {
    let text = sel.as_str();
    if !text.starts_with('/') {
        return Some(text.to_string());
    }
    let last = text.rsplit('/').next().unwrap_or_default();
    match last {
        "*" | "**" => None,
        _ => pointer::unescape(last),
    }
}

/// A cheap 10-bit digest of a token: its length, first and last byte.
fn sketch(token: &str) -> usize {
    let b = token.as_bytes();
    let (first, last) = (b.first().copied(), b.last().copied());
    let h = (b.len() as u32)
        .wrapping_mul(31)
        .wrapping_add(u32::from(first.unwrap_or(0)).wrapping_mul(7))
        .wrapping_add(u32::from(last.unwrap_or(0)).wrapping_mul(131));
    (h % 1024) as usize
}

impl Dispatch {
    fn new(rules: &[Box<dyn Rule>]) -> Dispatch {
        assert!(rules.len() <= RuleSet::BITS as usize, "rule table too long");
        let mut d = Dispatch::default();
        for (i, rule) in rules.iter().enumerate() {
            let bit: RuleSet = 1 << i;
            let reach = rule.reach();
            if reach.strings {
                d.strings |= bit;
            }
            if reach.numbers {
                d.numbers |= bit;
            }
            let Some(only) = reach.only else {
                d.anywhere |= bit;
                continue;
            };
            for sel in only {
                match required_last(sel) {
                    None => d.anywhere |= bit,
                    Some(last) => match d.by_last.binary_search_by(|(k, _)| k.cmp(&last)) {
                        Ok(j) => d.by_last[j].1 |= bit,
                        Err(j) => d.by_last.insert(j, (last, bit)),
                    },
                }
            }
        }
        for (token, _) in &d.by_last {
            let h = sketch(token);
            d.sketches[h / 64] |= 1 << (h % 64);
        }
        d
    }

    /// The rules that may change `v` at a place whose last token is `last` (`None`: the root).
    pub fn candidates(&self, v: &Value, last: Option<&str>) -> RuleSet {
        let kind = match v {
            Value::String(_) => self.strings,
            Value::Number(_) => self.numbers,
            _ => return 0,
        };
        let named = last
            .filter(|l| {
                let h = sketch(l);
                self.sketches[h / 64] & (1 << (h % 64)) != 0
            })
            .and_then(|l| {
                self.by_last
                    .binary_search_by(|(k, _)| k.as_str().cmp(l))
                    .ok()
            })
            .map_or(0, |j| self.by_last[j].1);
        kind & (self.anywhere | named)
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
    /// Built on first use from `rules`, which never change after that (a merge works on a
    /// clone, and a clone starts without one).
    dispatch: OnceLock<Dispatch>,
}

impl Clone for Rules {
    fn clone(&self) -> Self {
        Rules {
            rules: self.rules.iter().map(|r| r.clone_box()).collect(),
            dispatch: OnceLock::new(),
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
            dispatch: OnceLock::new(),
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

    /// Which rules to ask about a value (see [`Dispatch`]).
    pub(crate) fn dispatch(&self) -> &Dispatch {
        self.dispatch.get_or_init(|| Dispatch::new(&self.rules))
    }

    /// The rule of type `T`.
    pub(crate) fn get<T: Rule + 'static>(&self) -> Option<&T> {
        self.iter().find_map(|r| r.as_any().downcast_ref::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever a selector matches ends with the token `required_last` names, if it names one.
    #[test]
    fn required_last_token_holds_for_every_match() {
        let paths: &[&[&str]] = &[
            &[],
            &["created"],
            &["a", "b"],
            &["a", ""],
            &["x", "created"],
            &["period", "start"],
            &["data", "0", "period", "start"],
            &["a/b", "c~d"],
            &["status_transitions", "paid_at"],
        ];
        for text in [
            "created",
            "/a/b",
            "/a/",
            "/",
            "/**",
            "/**/period/start",
            "/status_transitions/*",
            "/a~1b/c~0d",
            "/a/**",
        ] {
            let sel = Selector::parse(text).unwrap();
            let last = required_last(&sel);
            for path in paths {
                if sel.matches(path) {
                    assert!(
                        last.is_none() || last.as_deref() == path.last().copied(),
                        "{text} matches {path:?} but requires {last:?}"
                    );
                }
            }
        }
        assert_eq!(
            required_last(&Selector::parse("/a~1b/c~0d").unwrap()).as_deref(),
            Some("c~d")
        );
        assert_eq!(required_last(&Selector::parse("/x/*").unwrap()), None);
    }
}
