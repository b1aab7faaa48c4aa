//! Invoice numbers: `number` = `<customer.invoice_prefix>-<sequence>`. The prefix is random per
//! customer, the sequence is deterministic (`-0001` for a fresh customer), so only the prefix is
//! replaced: `9545A614-0001` → `<prefix_1>-0001`, and the same prefix seen in an
//! `invoice_prefix` field (an expanded customer) → `<prefix_1>`, keeping identity.
//! Formats (fixed): a number is `^[A-Z0-9]{3,12}-\d+$`, a prefix `^[A-Z0-9]{3,12}$`; anything else
//! (lowercase, another shape) stays visible.

use std::any::Any;
use std::collections::HashMap;

use serde_json::Value;

use crate::input::yaml::Node;
use crate::pointer::Selector;

use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule};

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct InvoiceNumbers {
    pub number_fields: Vec<Selector>,
    pub prefix_fields: Vec<Selector>,
}

pub(crate) const KEYS: &[&str] = &["number_fields", "prefix_fields"];

fn merge(rule: &mut InvoiceNumbers, node: &Node, ctx: &mut Reader) {
    let Some(entries) = ctx.map(node, "normalize.invoice_numbers") else {
        return;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "number_fields" => ctx.selectors(
                &mut rule.number_fields,
                v,
                "normalize.invoice_numbers.number_fields",
            ),
            "prefix_fields" => ctx.selectors(
                &mut rule.prefix_fields,
                v,
                "normalize.invoice_numbers.prefix_fields",
            ),
            _ => ctx.unknown_key(k, "`normalize.invoice_numbers`", KEYS, None),
        }
    }
}

fn is_prefix(s: &str) -> bool {
    (3..=12).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Prefix placeholders of one Normalizer.
#[derive(Debug, Default)]
pub(crate) struct PrefixState {
    seen: HashMap<String, String>,
}

impl PrefixState {
    fn placeholder(&mut self, prefix: &str) -> String {
        let n = self.seen.len() + 1;
        self.seen
            .entry(prefix.to_string())
            .or_insert_with(|| format!("<prefix_{n}>"))
            .clone()
    }

    /// Normalizes `s` found at `path`, if a number or prefix field.
    pub fn replace(&mut self, rule: &InvoiceNumbers, s: &str, path: &[String]) -> Option<String> {
        if rule.number_fields.iter().any(|sel| sel.matches(path)) {
            let (prefix, seq) = s.rsplit_once('-')?;
            if is_prefix(prefix) && !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) {
                return Some(format!("{}-{seq}", self.placeholder(prefix)));
            }
            return None;
        }
        if rule.prefix_fields.iter().any(|sel| sel.matches(path)) && is_prefix(s) {
            return Some(self.placeholder(s));
        }
        None
    }
}

impl Rule for InvoiceNumbers {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, state: &mut dyn Any) -> Option<Change> {
        let (s, prefixes) = (v.as_str()?, state.downcast_mut::<PrefixState>()?);
        let n = prefixes.replace(self, s, at.path)?;
        Some(Change::Continue(Value::String(n)))
    }
    fn new_state(&self) -> Box<dyn Any + Send> {
        Box::new(PrefixState::default())
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: false,
            only: Some(self.number_fields.iter().chain(&self.prefix_fields).collect()),
        }
    }
}
