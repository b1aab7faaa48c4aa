//! Makes two honest runs comparable without hiding a real difference. Entry point:
//! [`Normalizer`] (one per scenario run, so id placeholders keep their identity across steps).
//!
//! What is replaced, and what is deliberately left visible, is decided by [`Rules`]: one file per
//! rule kind (`ids`, `timestamps`, `relative`, `urls`, `numbers`, `placeholders`) plus the rule
//! table `SECTIONS` below. The built-in rules are the `normalize:` section of the repository's
//! `apiparity.yaml`, embedded at build time (owned by `config::rules_file`), so the file and the defaults cannot drift.
//!
//! Never hidden: an id prefix change (`cus_` → `cust_`), null vs a value, a type change, a wrong
//! reference (ids keep identity), a changed enum value, a changed list order, a millisecond
//! timestamp, a `live_` token in a test run, a wrongly computed due date.
//!
//! ```
//! use std::sync::Arc;
//! use apiparity::normalize::Normalizer;
//! use serde_json::json;
//!
//! let mut n = Normalizer::new(Arc::new(apiparity::config::default_rules()));
//! n.mask("run-7f3a", "<run>");
//! let v = n.value(&json!({"id": "in_1MtGmCLkdIwHu7ix6PgS6g8S", "created": 1680641304,
//!     "due_date": 1681246104, "metadata": {"run": "run-7f3a"}}));
//! assert_eq!(v, json!({"id": "in_1", "created": "<timestamp>",
//!     "due_date": "<created+604800>", "metadata": {"run": "<run>"}}));
//! // Identity across calls: the same invoice in a later request path.
//! assert_eq!(n.text("/v1/invoices/in_1MtGmCLkdIwHu7ix6PgS6g8S/pay"), "/v1/invoices/in_1/pay");
//! ```

mod ids;
mod numbers;
mod placeholders;
mod relative;
mod timestamps;
mod urls;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::input::diag::Diagnostics;
use crate::input::yaml::Node;

use crate::input::reader::Reader;

/// Normalization rules. Start from the built-in set (`config::default_rules`, the embedded
/// `apiparity.yaml`) or [`Rules::empty`], then layer files over it with [`Rules::merged`].
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    ids: ids::IdRule,
    timestamps: timestamps::TimestampRule,
    relative: relative::RelativeRule,
    urls: urls::UrlRule,
    numbers: numbers::NumberRule,
    placeholders: placeholders::PlaceholderRule,
}

type MergeFn = fn(&mut Rules, &Node, &mut Reader);

/// The rule table: `normalize:` keys and the rule kind each one configures.
const SECTIONS: &[(&str, MergeFn)] = &[
    ("ids", |r, n, c| ids::merge(&mut r.ids, n, c)),
    ("timestamps", |r, n, c| {
        timestamps::merge(&mut r.timestamps, n, c)
    }),
    ("relative_timestamps", |r, n, c| {
        relative::merge(&mut r.relative, n, c)
    }),
    ("urls", |r, n, c| urls::merge(&mut r.urls, n, c)),
    ("invoice_numbers", |r, n, c| {
        numbers::merge(&mut r.numbers, n, c)
    }),
    ("placeholders", |r, n, c| {
        placeholders::merge(&mut r.placeholders, n, c)
    }),
];

impl Rules {
    /// No rules at all: every value passes through unchanged (except masks).
    pub fn empty() -> Rules {
        Rules {
            ids: Default::default(),
            timestamps: Default::default(),
            relative: Default::default(),
            urls: Default::default(),
            numbers: Default::default(),
            placeholders: Default::default(),
        }
    }

    /// Parses a `normalize:` mapping (from apiparity.yaml or a scenario's `normalize:` key) over
    /// `self`, returning the merged rules; errors carry file:line:col (crate::input::diag).
    pub fn merged(&self, node: &Node, file: &Path) -> Result<Rules, Diagnostics> {
        let mut out = self.clone();
        let mut ctx = Reader::new(file);
        if node.is_null() {
            return Ok(out);
        }
        if let Some(entries) = ctx.map(node, "normalize") {
            for (k, v) in entries {
                match SECTIONS.iter().find(|(name, _)| *name == k.name) {
                    Some((_, merge)) => merge(&mut out, v, &mut ctx),
                    None => {
                        let known: Vec<&str> = SECTIONS.iter().map(|(n, _)| *n).collect();
                        ctx.unknown_key(k, "`normalize`", &known, None);
                    }
                }
            }
        }
        ctx.finish(out)
    }
}

/// Normalizes the responses (and requests) of one scenario run. Id and invoice-prefix
/// placeholders keep their identity across every call on the same Normalizer.
#[derive(Debug)]
pub struct Normalizer {
    rules: Arc<Rules>,
    ids: ids::IdState,
    prefixes: numbers::PrefixState,
    /// (literal, placeholder), longest literal first so a literal that contains another wins.
    masks: Vec<(String, String)>,
}

impl Normalizer {
    pub fn new(rules: Arc<Rules>) -> Normalizer {
        Normalizer {
            rules,
            ids: ids::IdState::default(),
            prefixes: numbers::PrefixState::default(),
            masks: Vec::new(),
        }
    }

    /// Replace every occurrence of a literal (e.g. the run id, an idempotency key) by a placeholder.
    pub fn mask(&mut self, literal: &str, placeholder: &str) {
        if literal.is_empty() {
            return;
        }
        match self.masks.iter_mut().find(|(l, _)| l == literal) {
            Some(m) => m.1 = placeholder.to_string(),
            None => self
                .masks
                .push((literal.to_string(), placeholder.to_string())),
        }
        self.masks.sort_by_key(|m| std::cmp::Reverse(m.0.len()));
    }

    /// Normalizes a JSON value (response body, or a request rendered as JSON). Id placeholders
    /// keep identity across calls on the same Normalizer.
    pub fn value(&mut self, v: &Value) -> Value {
        let mut path = Vec::new();
        self.walk(v, &mut path, None)
    }

    /// Normalizes free text (a request path, a header value): masks, then ids.
    pub fn text(&mut self, s: &str) -> String {
        let masked = self.apply_masks(s);
        self.ids.replace(&masked, &self.rules.ids)
    }

    /// The ids replaced so far, as (original, placeholder) in order of first appearance: lets a
    /// report say which real object `cus_2` was.
    pub fn ids(&self) -> Vec<(String, String)> {
        self.ids
            .known()
            .map(|(id, p)| (id.to_string(), p.to_string()))
            .collect()
    }

    fn apply_masks(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (literal, placeholder) in &self.masks {
            if out.contains(literal.as_str()) {
                out = out.replace(literal.as_str(), placeholder);
            }
        }
        out
    }

    fn walk(
        &mut self,
        v: &Value,
        path: &mut Vec<String>,
        parent: Option<&Map<String, Value>>,
    ) -> Value {
        match v {
            Value::Object(map) => {
                // Visit keys sorted, so placeholder numbers never depend on key order (an
                // honest target may order keys differently); the output keeps the input order.
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut done: HashMap<&str, Value> = HashMap::with_capacity(map.len());
                for k in keys {
                    path.push(k.clone());
                    let n = self.walk(&map[k], path, Some(map));
                    path.pop();
                    done.insert(k, n);
                }
                Value::Object(
                    map.keys()
                        .map(|k| (k.clone(), done.remove(k.as_str()).unwrap_or(Value::Null)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, child) in items.iter().enumerate() {
                    path.push(i.to_string());
                    out.push(self.walk(child, path, None));
                    path.pop();
                }
                Value::Array(out)
            }
            Value::String(s) => Value::String(self.string_at(s, path)),
            Value::Number(_) => {
                let rules = &self.rules;
                rules
                    .relative
                    .apply(v, path, parent, &rules.timestamps)
                    .or_else(|| rules.timestamps.apply(v, path))
                    .unwrap_or_else(|| v.clone())
            }
            Value::Null | Value::Bool(_) => v.clone(),
        }
    }

    fn string_at(&mut self, s: &str, path: &[String]) -> String {
        let rules = &self.rules;
        if let Some(p) = rules.placeholders.apply(path) {
            return p.to_string();
        }
        let mut s = self.apply_masks(s);
        if rules.urls.applies(path) {
            s = urls::tokenize(&s);
        }
        if let Some(n) = self.prefixes.apply(&rules.numbers, &s, path) {
            s = n;
        }
        self.ids.replace(&s, &rules.ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n() -> Normalizer {
        Normalizer::new(Arc::new(crate::config::default_rules()))
    }

    #[test]
    fn built_in_config_parses_and_has_the_documented_rules() {
        let r = crate::config::default_rules();
        for p in ["in", "il", "cus", "acct", "price", "link", "inpay"] {
            assert!(r.ids.prefixes.iter().any(|x| x == p), "{p}");
        }
        assert_eq!(r.ids.min_suffix_len, 8);
        assert!(r.timestamps.applies(&["created".to_string()]));
        let p: Vec<String> = ["lines", "data", "0", "period", "start"]
            .map(String::from)
            .into();
        assert!(r.timestamps.applies(&p));
        assert_eq!(r.relative.pairs.len(), 3);
        assert!(r.placeholders.apply(&["next_page".to_string()]) == Some("<page_token>"));
        assert!(r
            .placeholders
            .apply(&["receipt_number".to_string()])
            .is_none());
    }

    #[test]
    fn timestamps_relative_and_visible_mistakes() {
        let mut n = n();
        let v = n.value(&json!({
            "created": 1680641304, "due_date": 1681246104, "period_start": 1680641304,
            "effective_at": null, "webhooks_delivered_at": 1680641304000i64,
            "next_payment_attempt": "1680641304", "date": 1680641304.5,
            "status_transitions": {"paid_at": 1680641305, "voided_at": null},
            "amount_due": 1680641304
        }));
        assert_eq!(
            v,
            json!({
                "created": "<timestamp>", "due_date": "<created+604800>",
                "period_start": "<created+0>", "effective_at": null,
                "webhooks_delivered_at": 1680641304000i64,
                "next_payment_attempt": "1680641304", "date": 1680641304.5,
                "status_transitions": {"paid_at": "<timestamp>", "voided_at": null},
                "amount_due": 1680641304
            })
        );
        let early = n.value(&json!({"created": 1680641304, "due_date": 1680641000}));
        assert_eq!(early["due_date"], json!("<created-304>"));
        // Without a plausible base, the plain rule decides.
        let no_base = n.value(&json!({"due_date": 1680641000}));
        assert_eq!(no_base["due_date"], json!("<timestamp>"));
    }

    #[test]
    fn masks_and_text() {
        let mut n = n();
        n.mask("r4nd0mrun", "<run>");
        n.mask("", "<ignored>");
        assert_eq!(
            n.text("/v1/invoices/in_1MtGmCLkdIwHu7ix6PgS6g8S?x=r4nd0mrun"),
            "/v1/invoices/in_1?x=<run>"
        );
        let v = n.value(&json!({"metadata": {"run": "apiparity-r4nd0mrun"},
            "id": "in_1MtGmCLkdIwHu7ix6PgS6g8S"}));
        assert_eq!(
            v,
            json!({"metadata": {"run": "apiparity-<run>"}, "id": "in_1"})
        );
    }

    #[test]
    fn placeholders_only_replace_strings() {
        let mut n = n();
        let v = n.value(&json!({"account_name": "Stripe Docs", "next_page": null,
            "confirmation_secret": {"client_secret": 7}, "receipt_number": "1234-5678"}));
        assert_eq!(
            v,
            json!({"account_name": "<account_name>", "next_page": null,
                "confirmation_secret": {"client_secret": 7}, "receipt_number": "1234-5678"})
        );
    }

    #[test]
    fn invoice_numbers_share_prefix_identity() {
        let mut n = n();
        let v = n.value(&json!({"number": "9545A614-0001",
            "customer": {"invoice_prefix": "9545A614"}}));
        assert_eq!(
            v,
            json!({"number": "<prefix_1>-0001", "customer": {"invoice_prefix": "<prefix_1>"}})
        );
        let v = n.value(&json!({"number": "3AB9C0CA-0002", "other": "9545A614-0001"}));
        assert_eq!(
            v,
            json!({"number": "<prefix_2>-0002", "other": "9545A614-0001"})
        );
        // Shapes the rule does not know stay visible.
        assert_eq!(
            n.value(&json!({"number": "abc-1"})),
            json!({"number": "abc-1"})
        );
    }

    #[test]
    fn merge_errors_have_positions_and_suggestions() {
        let src = "ids:\n  prefixs: [in]\ntimestamps:\n  fields: [\"/a/~2\"]\nplaceholders:\n  nope: null\nextra: 1\n";
        let node = crate::input::yaml::parse(src).unwrap().unwrap();
        let err = crate::config::default_rules()
            .merged(&node, Path::new("s.yaml"))
            .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 4, "{text}");
        assert!(text.contains("s.yaml:2:3: unknown key `prefixs`"), "{text}");
        assert!(text.contains("did you mean `prefixes`?"), "{text}");
        assert!(text.contains("s.yaml:4:12: bad selector"), "{text}");
        assert!(text.contains("s.yaml:6:3: cannot remove `nope`"), "{text}");
        assert!(text.contains("s.yaml:7:1: unknown key `extra`"), "{text}");
    }

    #[test]
    fn merge_adds_removes_and_replaces() {
        let src = "ids:\n  prefixes: {remove: [cus], add: [cust]}\nplaceholders:\n  account_name: null\n  customer_email: \"<email>\"\ntimestamps:\n  fields: {replace: [created]}\nrelative_timestamps:\n  due_date: null\n";
        let node = crate::input::yaml::parse(src).unwrap().unwrap();
        let r = crate::config::default_rules()
            .merged(&node, Path::new("s.yaml"))
            .unwrap();
        let mut n = Normalizer::new(Arc::new(r));
        let v = n.value(
            &json!({"a": "cus_NeZw0zvTyquTfF", "b": "cust_NeZw0zvTyquTfF",
            "account_name": "X", "customer_email": "j@example.com",
            "created": 1680641304, "due_date": 1680641304, "period_start": 1680641304}),
        );
        assert_eq!(
            v,
            json!({"a": "cus_NeZw0zvTyquTfF", "b": "cust_1", "account_name": "X",
                "customer_email": "<email>", "created": "<timestamp>",
                "due_date": 1680641304, "period_start": "<created+0>"})
        );
        // An empty `normalize:` changes nothing.
        let null = crate::input::yaml::parse("a: ~\n").unwrap().unwrap();
        let same = crate::config::default_rules()
            .merged(null.get("a").unwrap(), Path::new("s.yaml"))
            .unwrap();
        assert_eq!(same, crate::config::default_rules());
    }
}

mod scenario;
pub use scenario::{normalize_run, request_json, NormalizedScenario, NormalizedStep};
