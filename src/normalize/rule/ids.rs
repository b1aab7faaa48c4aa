//! Object ids (`cus_NeZw0zvTyquTfF`, `in_1MtGmCLkdIwHu7ix6PgS6g8S`) → `<prefix>_<n>`, numbered per
//! prefix in order of first appearance, the same id always mapping to the same placeholder.
//! Within one document, objects are visited in sorted key order (arrays in their order), so key
//! order never changes the numbering while list order still does.
//!
//! An id is found anywhere inside a string (URLs, error messages) when all of these hold:
//! 1. it starts the string or follows a character that is not a letter, digit or `_`;
//! 2. it is `<prefix>_<suffix>` with `<prefix>` in the configured list (longest first) and
//!    `<suffix>` the longest run of ASCII letters and digits after it;
//! 3. the suffix is not followed by `_` (so `pm_card_visa`, `pi_…_secret_…`, `send_invoice`-like
//!    compound words are never split into an id);
//! 4. the suffix looks random: at least `min_suffix_len` (8) characters containing a digit or an
//!    uppercase letter, or at least `long_suffix_len` (14) characters. So `price_details`,
//!    `card_present` or a placeholder `cus_1` are never ids (the rule is idempotent; a suffix of
//!    at most 6 digits without a leading zero is always taken for a placeholder);
//! 5. for test-token prefixes (`tok`, `pm`), the suffix is not camelCase words
//!    (`tok_chargeDeclined`, `tok_threeDSecure2Required`): it starts with a lowercase letter, every
//!    lowercase run has ≥ 3 letters, every uppercase run ≤ 2, and at most one digit. Real ids of
//!    these kinds start with a digit or have short lowercase runs.

use std::any::Any;
use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value;

use crate::input::yaml::Node;

use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ids {
    pub prefixes: Vec<String>,
    pub test_token_prefixes: Vec<String>,
    pub min_suffix_len: usize,
    pub long_suffix_len: usize,
}

impl Default for Ids {
    /// No prefixes; the documented length thresholds (apiparity.yaml states them explicitly).
    fn default() -> Self {
        Ids {
            prefixes: Vec::new(),
            test_token_prefixes: Vec::new(),
            min_suffix_len: 8,
            long_suffix_len: 14,
        }
    }
}

pub(crate) const KEYS: &[&str] = &[
    "prefixes",
    "test_token_prefixes",
    "min_suffix_len",
    "long_suffix_len",
];

fn valid_prefix(p: &str) -> bool {
    let b = p.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'_'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn merge(rule: &mut Ids, node: &Node, ctx: &mut Reader) {
    let Some(entries) = ctx.map(node, "normalize.ids") else {
        return;
    };
    let mut prefix = |ctx: &mut Reader, n: &Node| {
        let s = ctx.string(n, "normalize.ids.prefixes")?;
        if valid_prefix(&s) {
            Some(s)
        } else {
            ctx.error(
                n.span,
                format!("`{s}` is not an id prefix (lowercase letters, digits and inner `_`, without the trailing `_`)"),
            );
            None
        }
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "prefixes" => ctx.list(&mut rule.prefixes, v, "normalize.ids.prefixes", &mut prefix),
            "test_token_prefixes" => ctx.list(
                &mut rule.test_token_prefixes,
                v,
                "normalize.ids.test_token_prefixes",
                &mut prefix,
            ),
            "min_suffix_len" => {
                if let Some(n) = ctx.count(v, "normalize.ids.min_suffix_len") {
                    rule.min_suffix_len = n.max(2);
                }
            }
            "long_suffix_len" => {
                if let Some(n) = ctx.count(v, "normalize.ids.long_suffix_len") {
                    rule.long_suffix_len = n.max(2);
                }
            }
            _ => ctx.unknown_key(k, "`normalize.ids`", KEYS, None),
        }
    }
}

/// Placeholder state shared by every call on one Normalizer.
#[derive(Debug, Default)]
pub(crate) struct IdState {
    /// id → placeholder, in order of first appearance.
    seen: IndexMap<String, String>,
    counters: HashMap<String, usize>,
    /// The rule's prefixes by first letter (`a`..=`z`), longest first: an id can only start
    /// with one of its letter's, and most words start with a letter no prefix has. Built on
    /// first use; a state serves the one rule that made it.
    by_letter: Vec<Vec<usize>>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn looks_random(suffix: &str, rule: &Ids) -> bool {
    // Our own placeholders (`cus_12`) are never ids, whatever the length settings: idempotence.
    let placeholder =
        suffix.len() <= 6 && !suffix.starts_with('0') && suffix.bytes().all(|b| b.is_ascii_digit());
    if placeholder {
        return false;
    }
    let has_digit_or_upper = suffix
        .bytes()
        .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    (suffix.len() >= rule.min_suffix_len && has_digit_or_upper)
        || suffix.len() >= rule.long_suffix_len
}

/// camelCase English-ish words such as `chargeDeclinedInsufficientFunds`.
fn word_like(suffix: &str) -> bool {
    let b = suffix.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_lowercase) {
        return false;
    }
    let mut digits = 0;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_lowercase() {
            while i < b.len() && b[i].is_ascii_lowercase() {
                i += 1;
            }
            if i - start < 3 {
                return false;
            }
        } else if b[i].is_ascii_uppercase() {
            while i < b.len() && b[i].is_ascii_uppercase() {
                i += 1;
            }
            if i - start > 2 {
                return false;
            }
        } else {
            digits += 1;
            i += 1;
        }
    }
    digits <= 1
}

impl IdState {
    /// (original id, placeholder), in order of first appearance.
    pub fn known(&self) -> impl Iterator<Item = (&str, &str)> {
        self.seen.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Replaces every id inside `s`.
    pub fn replace(&mut self, s: &str, rule: &Ids) -> String {
        self.replace_if_any(s, rule)
            .unwrap_or_else(|| s.to_string())
    }

    /// `s` with every id inside replaced, or `None` when it holds no id (most strings: no
    /// copy is made for them).
    pub fn replace_if_any(&mut self, s: &str, rule: &Ids) -> Option<String> {
        if rule.prefixes.is_empty() || !s.contains('_') {
            return None;
        }
        if self.by_letter.is_empty() {
            self.by_letter = vec![Vec::new(); 26];
            for (i, p) in rule.prefixes.iter().enumerate() {
                // Valid prefixes start with a lowercase letter (checked when read).
                if let Some(&b @ b'a'..=b'z') = p.as_bytes().first() {
                    self.by_letter[usize::from(b - b'a')].push(i);
                }
            }
            for list in &mut self.by_letter {
                list.sort_by_key(|&i| std::cmp::Reverse(rule.prefixes[i].len()));
            }
        }
        let bytes = s.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let at_boundary = i == 0 || !is_word_byte(bytes[i - 1]);
            if at_boundary && bytes[i].is_ascii_lowercase() {
                if let Some((end, prefix)) = self.match_at(s, i, rule) {
                    if copied == 0 {
                        out.reserve(s.len());
                    }
                    out.push_str(&s[copied..i]);
                    out.push_str(self.placeholder(&s[i..end], prefix));
                    copied = end;
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&s[copied..]);
        Some(out)
    }

    /// The id starting at byte `i`, as (end, prefix).
    fn match_at<'r>(&self, s: &str, i: usize, rule: &'r Ids) -> Option<(usize, &'r str)> {
        let rest = &s[i..];
        let bytes = rest.as_bytes();
        // The caller saw a lowercase letter at `i`. Longest prefix first, so a configured
        // `il_tmp` wins over `il`.
        let prefix = self.by_letter[usize::from(bytes[0] - b'a')]
            .iter()
            .map(|&p| &rule.prefixes[p])
            .find(|p| {
                rest.len() > p.len() + 1 && bytes[p.len()] == b'_' && rest.starts_with(p.as_str())
            })?;
        let start = prefix.len() + 1;
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let end = start + len;
        if len == 0 || bytes.get(end) == Some(&b'_') {
            return None;
        }
        let suffix = &rest[start..end];
        if !looks_random(suffix, rule) {
            return None;
        }
        if rule.test_token_prefixes.iter().any(|p| p == prefix) && word_like(suffix) {
            return None;
        }
        Some((i + end, prefix.as_str()))
    }

    fn placeholder(&mut self, id: &str, prefix: &str) -> &str {
        // One lookup for a known id (the common case: ids repeat across a document).
        let i = match self.seen.get_index_of(id) {
            Some(i) => i,
            None => {
                let n = self.counters.entry(prefix.to_string()).or_insert(0);
                *n += 1;
                let p = format!("{prefix}_{n}");
                self.seen.insert_full(id.to_string(), p).0
            }
        };
        &self.seen[i]
    }
}

impl Rule for Ids {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, _: &At<'_>, state: &mut dyn Any) -> Option<Change> {
        let (s, ids) = (v.as_str()?, state.downcast_mut::<IdState>()?);
        let replaced = ids.replace_if_any(s, self)?;
        Some(Change::Continue(Value::String(replaced)))
    }
    fn new_state(&self) -> Box<dyn Any + Send> {
        Box::new(IdState::default())
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: false,
            only: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Ids {
        Ids {
            prefixes: [
                "in", "cus", "acct", "prod", "tok", "pm", "price", "card", "pi",
            ]
            .map(String::from)
            .to_vec(),
            test_token_prefixes: vec!["tok".into(), "pm".into()],
            min_suffix_len: 8,
            long_suffix_len: 14,
        }
    }

    fn norm(s: &str) -> String {
        IdState::default().replace(s, &rule())
    }

    #[test]
    fn ids_anywhere() {
        let mut st = IdState::default();
        let r = rule();
        assert_eq!(st.replace("cus_NeZw0zvTyquTfF", &r), "cus_1");
        assert_eq!(st.replace("prod_NcMtLgctyqlJDC", &r), "prod_1");
        assert_eq!(
            st.replace("No such invoice: 'in_1MtGmCLkdIwHu7ix6PgS6g8S'", &r),
            "No such invoice: 'in_1'"
        );
        assert_eq!(
            st.replace("/v1/invoices/in_1MtGmCLkdIwHu7ix6PgS6g8S/lines", &r),
            "/v1/invoices/in_1/lines"
        );
        assert_eq!(st.replace("cus_OtherCustomer99", &r), "cus_2");
        assert_eq!(st.replace("cus_NeZw0zvTyquTfF", &r), "cus_1");
        assert_eq!(
            st.replace(
                "https://x.test/i/acct_1M2JTkLkdIwHu7ix/y?customer=cus_NeZw0zvTyquTfF",
                &r
            ),
            "https://x.test/i/acct_1/y?customer=cus_1"
        );
    }

    #[test]
    fn enum_values_and_test_tokens_are_not_ids() {
        for s in [
            "price_details",
            "send_invoice",
            "charge_automatically",
            "invoice_item_details",
            "line_item",
            "card_present",
            "pm_card_visa",
            "pm_card_chargeDeclinedInsufficientFunds",
            "pm_card_threeDSecure2Required",
            "tok_visa",
            "tok_mastercard",
            "tok_chargeDeclined",
            "tok_threeDSecure2Required",
            "tok_chargeDeclinedInsufficientFunds",
            "cus_1",
            "in_12",
            "xcus_NeZw0zvTyquTfF",
            "a_cus_NeZw0zvTyquTfF",
            "cus_",
            "cus_NeZw0zvTyquTfF_extra",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        ] {
            assert_eq!(norm(s), s, "{s}");
        }
        assert_eq!(norm("tok_1MtwBwLkdIwHu7ixabcdefgh"), "tok_1");
        assert_eq!(norm("pm_1MtwBwLkdIwHu7ixabcdefgh"), "pm_1");
    }

    #[test]
    fn longest_prefix_wins_and_unicode_is_safe() {
        let mut r = rule();
        r.prefixes.push("in_tmp".into());
        let mut st = IdState::default();
        assert_eq!(
            st.replace("in_tmp_1MtGmCLkdIwHu7ix6PgS6g8S", &r),
            "in_tmp_1"
        );
        assert_eq!(
            st.replace("é in_1MtGmCLkdIwHu7ix6PgS6g8S ü", &r),
            "é in_1 ü"
        );
    }

    #[test]
    fn word_like_heuristic() {
        assert!(word_like("chargeDeclined"));
        assert!(word_like("threeDSecure2Required"));
        assert!(!word_like("NcMtLgctyqlJDC"));
        assert!(!word_like("1MtGmCLkdIwHu7ix6PgS6g8S"));
        assert!(!word_like("abcXYZdef"));
    }
}
