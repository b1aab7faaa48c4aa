//! Absolute timestamps: an integer in a plausible range of Unix SECONDS at a configured field
//! becomes `"<timestamp>"`. Everything else at those fields stays as it is, on purpose: `null`
//! (not set yet), a string or a float (wrong type), and an out-of-range integer (milliseconds,
//! or zero) must all show up in the diff.

use std::any::Any;

use serde_json::Value;

use crate::input::yaml::Node;
use crate::pointer::Selector;

use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule};

pub(crate) const PLACEHOLDER: &str = "<timestamp>";

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timestamps {
    pub fields: Vec<Selector>,
    /// Inclusive bounds of a plausible Unix time in seconds.
    pub min: i64,
    pub max: i64,
}

impl Default for Timestamps {
    /// No fields; the range 2000-01-01 .. 2100-01-01 so a file that only adds fields still gets a
    /// sensible range (apiparity.yaml states the same values explicitly).
    fn default() -> Self {
        Timestamps {
            fields: Vec::new(),
            min: 946_684_800,
            max: 4_102_444_800,
        }
    }
}

pub(crate) const KEYS: &[&str] = &["fields", "min", "max"];

fn merge(rule: &mut Timestamps, node: &Node, ctx: &mut Reader) {
    let Some(entries) = ctx.map(node, "normalize.timestamps") else {
        return;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "fields" => ctx.selectors(&mut rule.fields, v, "normalize.timestamps.fields"),
            "min" => {
                if let Some(n) = ctx.integer(v, "normalize.timestamps.min") {
                    rule.min = n;
                }
            }
            "max" => {
                if let Some(n) = ctx.integer(v, "normalize.timestamps.max") {
                    rule.max = n;
                }
            }
            _ => ctx.unknown_key(k, "`normalize.timestamps`", KEYS, None),
        }
    }
    if rule.min > rule.max {
        ctx.error(
            node.span,
            format!(
                "`normalize.timestamps`: min ({}) is greater than max ({})",
                rule.min, rule.max
            ),
        );
    }
}

impl Timestamps {
    pub fn in_range(&self, v: &Value) -> Option<i64> {
        v.as_i64().filter(|t| (self.min..=self.max).contains(t))
    }

    pub fn applies(&self, path: &[String]) -> bool {
        self.fields.iter().any(|s| s.matches(path))
    }

    /// The replacement for `v` at `path`, if the rule applies.
    pub fn replace(&self, v: &Value, path: &[String]) -> Option<Value> {
        self.in_range(v)?;
        self.applies(path)
            .then(|| Value::String(PLACEHOLDER.to_string()))
    }
}

impl Rule for Timestamps {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, _: &mut dyn Any) -> Option<Change> {
        self.replace(v, at.path).map(Change::Final)
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: false,
            numbers: true,
            only: Some(self.fields.iter().collect()),
        }
    }
}
