//! Makes two honest runs comparable without hiding a real difference. Entry point:
//! [`normalize_run`] (one [`Normalizer`] per scenario run, so id placeholders keep their
//! identity across steps).
//!
//! What is replaced, and what is deliberately left visible, is decided by [`Rules`]: one file per
//! rule kind in `rule/` (`placeholders`, `urls`, `numbers`, `ids`, `relative`, `timestamps`),
//! each one line in the ordered table of `rule/mod.rs`. The Normalizer itself holds only what every
//! rule builds on: masks (run-specific literals) and each rule's state. The built-in rules are
//! the `normalize:` section of the repository's `apiparity.yaml`, embedded at build time (owned
//! by `config::rules_file`), so the file and the defaults cannot drift.
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

#[cfg(test)]
mod reference;
mod rule;
mod rules;

use std::any::Any;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::literals::Literals;
use crate::run::{ScenarioRun, SentRequest, StepRun};
use crate::secret::Redactor;

use rule::ids::{IdState, Ids};
use rules::{At, Change, Siblings};

pub use rules::Rules;

/// The keys and indices from the document root to the value being normalized. Segments are
/// reused between siblings, so walking a document allocates a segment per depth, not per key.
#[derive(Default)]
struct KeyPath {
    segments: Vec<String>,
    depth: usize,
}

impl KeyPath {
    fn push(&mut self, segment: &str) {
        match self.segments.get_mut(self.depth) {
            Some(s) => {
                s.clear();
                s.push_str(segment);
            }
            None => self.segments.push(segment.to_string()),
        }
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.depth -= 1;
    }

    fn as_slice(&self) -> &[String] {
        &self.segments[..self.depth]
    }
}

fn itoa_buf() -> String {
    String::with_capacity(8)
}

/// `i` as decimal text, in `buf`.
fn index_str(buf: &mut String, i: usize) -> &str {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{i}");
    buf
}

/// Normalizes the responses (and requests) of one scenario run. Id and invoice-prefix
/// placeholders keep their identity across every call on the same Normalizer.
#[derive(Debug)]
pub struct Normalizer {
    rules: Arc<Rules>,
    /// Each rule's state (placeholder numbering), in table order.
    states: Vec<Box<dyn Any + Send>>,
    /// Run-specific literals (the run id, idempotency keys) and their placeholders.
    masks: Literals,
}

impl Normalizer {
    /// A Normalizer for one scenario run with these rules.
    pub fn new(rules: Arc<Rules>) -> Normalizer {
        let states = rules.iter().map(|r| r.new_state()).collect();
        Normalizer {
            rules,
            states,
            masks: Literals::default(),
        }
    }

    /// Replace every occurrence of a literal (e.g. the run id, an idempotency key) by a placeholder.
    pub fn mask(&mut self, literal: &str, placeholder: &str) {
        self.masks.set(literal, placeholder);
    }

    /// Normalizes a JSON value (response body, or a request rendered as JSON). Id placeholders
    /// keep identity across calls on the same Normalizer.
    pub fn value(&mut self, v: &Value) -> Value {
        let mut out = v.clone();
        self.normalize(&mut out);
        out
    }

    /// [`Normalizer::value`] in place, for a document the caller owns (no copy is made).
    pub fn normalize(&mut self, v: &mut Value) {
        let mut path = KeyPath::default();
        self.walk(v, &mut path);
    }

    /// Normalizes free text (a request path, a header value): masks, then ids.
    pub fn text(&mut self, s: &str) -> String {
        let masked = self.masks.apply(s);
        match self.id_rule() {
            Some((rule, ids)) => ids.replace(&masked, rule),
            None => masked,
        }
    }

    /// The ids replaced so far, as (original, placeholder) in order of first appearance: lets a
    /// report say which real object `cus_2` was.
    pub fn ids(&self) -> Vec<(String, String)> {
        self.id_index()
            .and_then(|i| self.states[i].downcast_ref::<IdState>())
            .map(|ids| {
                ids.known()
                    .map(|(id, p)| (id.to_string(), p.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where the id rule sits in the table: `text` applies it alone.
    fn id_index(&self) -> Option<usize> {
        self.rules.iter().position(|r| r.as_any().is::<Ids>())
    }

    /// The id rule and its state.
    fn id_rule(&mut self) -> Option<(&Ids, &mut IdState)> {
        let i = self.id_index()?;
        let rule = self.rules.get::<Ids>()?;
        let state = self.states.get_mut(i)?.downcast_mut::<IdState>()?;
        Some((rule, state))
    }

    fn walk(&mut self, v: &mut Value, path: &mut KeyPath) {
        match v {
            Value::Object(map) => self.object(map, path),
            Value::Array(items) => {
                let mut index = itoa_buf();
                for (i, child) in items.iter_mut().enumerate() {
                    path.push(index_str(&mut index, i));
                    self.walk(child, path);
                    path.pop();
                }
            }
            scalar => {
                if let Some(new) = self.scalar(scalar, path.as_slice(), None) {
                    *scalar = new;
                }
            }
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, path: &mut KeyPath) {
        // Visit keys sorted, so placeholder numbers never depend on key order (an honest
        // target may order keys differently); the map keeps the input order.
        let mut members: Vec<Member<'_>> = map
            .iter_mut()
            .map(|(key, value)| Member {
                head: head(key),
                key,
                value,
            })
            .collect();
        let before =
            |a: &Member<'_>, b: &Member<'_>| a.head.cmp(&b.head).then_with(|| a.key.cmp(b.key));
        if !members.is_sorted_by(|a, b| before(a, b).is_le()) {
            members.sort_unstable_by(before);
        }
        // Scalars are written back after every member was seen, so a rule reading a sibling
        // (a relative timestamp's base) reads it as the target sent it.
        let mut changed: Vec<(usize, Value)> = Vec::new();
        for i in 0..members.len() {
            path.push(members[i].key);
            if matches!(members[i].value, Value::Object(_) | Value::Array(_)) {
                self.walk(members[i].value, path);
            } else {
                let siblings = SortedMembers(&members);
                if let Some(new) = self.scalar(&*members[i].value, path.as_slice(), Some(&siblings))
                {
                    changed.push((i, new));
                }
            }
            path.pop();
        }
        for (i, new) in changed {
            *members[i].value = new;
        }
    }

    /// What scalar `v` at `path` becomes, or `None` when it stays: masks, then every rule that
    /// may change it (the dispatch's candidates), in table order, until one settles it.
    fn scalar(
        &mut self,
        v: &Value,
        path: &[String],
        parent: Option<&dyn Siblings>,
    ) -> Option<Value> {
        let mut current = match v {
            // Masks first; `None` when no literal occurs (most strings: no copy).
            Value::String(s) => self.masks.replaced(s).map(Value::String),
            _ => None,
        };
        let rules = &*self.rules;
        let last = path.last().map(String::as_str);
        let mut todo = rules.dispatch().candidates(v, last);
        if todo == 0 {
            return current;
        }
        let at = At {
            path,
            parent,
            rules,
        };
        for (i, (rule, state)) in rules.iter().zip(self.states.iter_mut()).enumerate() {
            if todo & (1 << i) == 0 {
                continue;
            }
            match rule.apply(current.as_ref().unwrap_or(v), &at, state.as_mut()) {
                Some(Change::Final(done)) => return Some(done),
                Some(Change::Continue(next)) => {
                    // A rewrite may change the kind, and with it which later rules apply.
                    todo = rules.dispatch().candidates(&next, last);
                    current = Some(next);
                }
                None => {}
            }
        }
        current
    }
}

/// A member of the object being walked.
struct Member<'m> {
    /// [`head`] of the key.
    head: u64,
    key: &'m String,
    value: &'m mut Value,
}

/// The first 8 bytes of `key` as a big-endian number, zero-padded: ordering by it, then by the
/// key, is the keys' byte order, and most comparisons stop at the number (no `memcmp`).
fn head(key: &str) -> u64 {
    let mut buf = [0u8; 8];
    for (b, k) in buf.iter_mut().zip(key.bytes()) {
        *b = k;
    }
    u64::from_be_bytes(buf)
}

/// An object's members sorted by key, as [`Siblings`].
struct SortedMembers<'a, 'm>(&'a [Member<'m>]);

impl Siblings for SortedMembers<'_, '_> {
    fn get(&self, key: &str) -> Option<&Value> {
        let i = self.0.binary_search_by(|m| m.key.as_str().cmp(key)).ok()?;
        Some(&*self.0[i].value)
    }
}

// ---- the stage's entry point: one scenario run ----

/// One step of a scenario run, normalized.
#[derive(Clone, Debug)]
pub struct NormalizedStep {
    /// Index into `ScenarioRun::steps`.
    pub position: usize,
    /// The request as sent, normalized: `{method, path, query, form, headers}`.
    pub request: Value,
    /// `None` when no response arrived (skipped step, transport error).
    pub status: Option<u16>,
    /// The response body, normalized (`null` without a response).
    pub body: Value,
}

/// A scenario run, normalized.
#[derive(Clone, Debug)]
pub struct NormalizedScenario {
    /// One per step run, in order.
    pub steps: Vec<NormalizedStep>,
}

/// Normalizes every step of a run. Secrets are scrubbed first, so a key a target echoes back
/// can never survive into a snapshot or report.
pub fn normalize_run(
    run: &ScenarioRun,
    rules: Arc<Rules>,
    redactor: &Redactor,
) -> NormalizedScenario {
    let mut n = normalizer_for(run, rules);
    let steps = run
        .steps
        .iter()
        .enumerate()
        .map(|(position, step)| normalize_step(&mut n, position, step, redactor))
        .collect();
    NormalizedScenario { steps }
}

/// The Normalizer for one scenario run (its masks set): feed it the run's steps in order with
/// [`normalize_step`] to normalize them one at a time, as [`normalize_run`] does all at once.
pub fn normalizer_for(run: &ScenarioRun, rules: Arc<Rules>) -> Normalizer {
    let mut n = Normalizer::new(rules);
    for (literal, placeholder) in &run.masks {
        n.mask(literal, placeholder);
    }
    n
}

/// Normalizes step `position` of a run (secrets scrubbed first). Steps must come in order, on
/// the run's own [`normalizer_for`], so ids keep their identity across steps.
pub fn normalize_step(
    n: &mut Normalizer,
    position: usize,
    step: &StepRun,
    redactor: &Redactor,
) -> NormalizedStep {
    normalize_step_with(n, position, step, None, redactor)
}

/// [`normalize_step`] with the step's JSON body already taken out of it
/// ([`crate::run::StepRun::take_body`]): normalized where it is instead of copied first.
pub fn normalize_step_with(
    n: &mut Normalizer,
    position: usize,
    step: &StepRun,
    taken: Option<Value>,
    redactor: &Redactor,
) -> NormalizedStep {
    // Request first: ids it carries were captured from earlier responses and already numbered.
    let mut request = request_json(&step.request);
    redactor.value_in_place(&mut request);
    n.normalize(&mut request);
    let (status, body) = match step.response() {
        Some(r) => {
            let mut body = taken.unwrap_or_else(|| r.body_value().into_owned());
            redactor.value_in_place(&mut body);
            n.normalize(&mut body);
            (Some(r.status), body)
        }
        None => (None, Value::Null),
    };
    NormalizedStep {
        position,
        request,
        status,
        body,
    }
}

/// The request as a JSON document: parameters as `name=value` strings in the order sent,
/// which keeps repeated keys (`expand[]`) and stays readable in a snapshot.
pub fn request_json(req: &SentRequest) -> Value {
    let pairs = |p: &[(String, String)]| -> Value {
        Value::Array(
            p.iter()
                .map(|(k, v)| Value::String(format!("{k}={v}")))
                .collect(),
        )
    };
    let mut headers = Map::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), Value::String(v.clone()));
    }
    let mut out = json!({
        "method": req.method,
        "path": req.path,
    });
    if !req.query.is_empty() {
        out["query"] = pairs(&req.query);
    }
    if !req.form.is_empty() {
        out["form"] = pairs(&req.form);
    }
    out["headers"] = Value::Object(headers);
    out["auth"] = Value::String(req.auth.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn n() -> Normalizer {
        Normalizer::new(Arc::new(crate::config::default_rules()))
    }

    #[test]
    fn built_in_config_parses_and_has_the_documented_rules() {
        use rule::{placeholders::Placeholders, relative::Relative, timestamps::Timestamps};
        let r = crate::config::default_rules();
        let ids = r.get::<Ids>().unwrap();
        for p in ["in", "il", "cus", "acct", "price", "link", "inpay"] {
            assert!(ids.prefixes.iter().any(|x| x == p), "{p}");
        }
        assert_eq!(ids.min_suffix_len, 8);
        let ts = r.get::<Timestamps>().unwrap();
        assert!(ts.applies(&["created".to_string()]));
        let p: Vec<String> = ["lines", "data", "0", "period", "start"]
            .map(String::from)
            .into();
        assert!(ts.applies(&p));
        assert_eq!(r.get::<Relative>().unwrap().pairs.len(), 3);
        let ph = r.get::<Placeholders>().unwrap();
        assert!(ph.lookup(&["next_page".to_string()]) == Some("<page_token>"));
        assert!(ph.lookup(&["receipt_number".to_string()]).is_none());
    }

    #[test]
    fn every_table_entry_is_a_different_rule_kind() {
        let r = Rules::empty();
        let kinds: Vec<_> = r.iter().map(|x| x.as_any().type_id()).collect();
        for (i, k) in kinds.iter().enumerate() {
            assert!(
                !kinds[..i].contains(k),
                "rule {} appears twice",
                rule::TABLE[i].key
            );
        }
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

    mod same_as_reference {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Map;

        fn key() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "id",
                "created",
                "due_date",
                "period_start",
                "period_end",
                "period",
                "start",
                "end",
                "number",
                "invoice_prefix",
                "account_name",
                "next_page",
                "hosted_invoice_url",
                "query",
                "form",
                "data",
                "status_transitions",
                "paid_at",
                "metadata",
                "amount_due",
                "customer",
                "discounts",
                "zz",
            ])
            .prop_map(String::from)
        }

        fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                prop::sample::select(vec![
                    json!(1680641304), json!(1680641000), json!(1681246104),
                    json!(1680641304000i64), json!(0), json!(7), json!(-5), json!(1.5),
                    json!(1680641304.5), json!("1680641304"),
                ]),
                prop::sample::select(vec![
                    "cus_NeZw0zvTyquTfF", "cus_OtherCustomer99", "in_1MtGmCLkdIwHu7ix6PgS6g8S",
                    "see in_1MtGmCLkdIwHu7ix6PgS6g8S/pay", "9545A614-0001", "9545A614",
                    "3AB9C0CA", "page=djE6YjhlOWE1", "limit=2",
                    "https://invoice.stripe.com/i/acct_1M2JTkLkdIwHu7ix/test_YWNjd10200x7P2wMSm?s=ap",
                    "run-7f3a", "x run-7f3a-k9 y", "charge_automatically", "pm_card_visa", "",
                    "Stripe Docs", "cus_1", "in_tmp_1MtGmCLkdIwHu7ix6PgS6g8S",
                ])
                .prop_map(Value::from),
            ]
        }

        /// Many of the fields rules read together (a relative timestamp and its base, a
        /// number and a prefix), in any order, mostly plausible timestamps.
        fn invoice_like() -> impl Strategy<Value = Value> {
            let keys = vec![
                "created",
                "due_date",
                "period_start",
                "period_end",
                "paid_at",
                "zz",
                "number",
                "invoice_prefix",
                "id",
            ];
            let value = prop_oneof![
                3 => prop::sample::select(vec![1680641304i64, 1680641000, 1681246104])
                    .prop_map(Value::from),
                1 => scalar(),
            ];
            prop::sample::subsequence(keys, 2..=9)
                .prop_shuffle()
                .prop_flat_map(move |ks| {
                    let n = ks.len();
                    (Just(ks), prop::collection::vec(value.clone(), n))
                })
                .prop_map(|(ks, vs)| {
                    Value::Object(ks.into_iter().map(String::from).zip(vs).collect())
                })
        }

        fn doc() -> impl Strategy<Value = Value> {
            prop_oneof![scalar(), invoice_like()].prop_recursive(4, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::vec((key(), inner), 0..8)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
                ]
            })
        }

        /// The built-in rules, and rules whose selectors end in wildcards or name the root,
        /// which the dispatch must never skip.
        fn rule_sets() -> Vec<Arc<Rules>> {
            let src = "placeholders:\n  \"/metadata/*\": \"<meta>\"\n  \"/\": \"<root>\"\ntimestamps:\n  fields: {add: [\"/data/*\", \"/**\"]}\nrelative_timestamps:\n  \"/**/zz\": paid_at\nurls:\n  fields: [\"/**\"]\nids:\n  prefixes: {add: [in_tmp]}\n";
            let node = crate::input::yaml::parse(src).unwrap().unwrap();
            let wild = crate::config::default_rules()
                .merged(&node, Path::new("s.yaml"))
                .unwrap();
            vec![Arc::new(crate::config::default_rules()), Arc::new(wild)]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Walking in place, asking only the dispatch's candidates, gives the documents
            /// the old walk gave, and the same placeholders across calls.
            #[test]
            fn in_place_walk_matches_the_old_one(docs in prop::collection::vec(doc(), 1..4)) {
                for rules in rule_sets() {
                    let mut new = Normalizer::new(Arc::clone(&rules));
                    let mut old = Normalizer::new(rules);
                    for n in [&mut new, &mut old] {
                        n.mask("run-7f3a", "<run>");
                        n.mask("7f3a", "<short>");
                    }
                    for d in &docs {
                        prop_assert_eq!(new.value(d), reference::value(&mut old, d));
                    }
                    prop_assert_eq!(new.ids(), old.ids());
                }
            }
        }

        /// The invoice bodies the `normalize` bench uses have every rule at work; a fixed
        /// one of them, against the reference.
        #[test]
        fn an_invoice_like_document() {
            let doc = json!({
                "id": "in_1MtGmCLkdIwHu7ix6PgS6g8S", "object": "invoice", "created": 1680641304,
                "due_date": 1681246104, "period_end": 1680641304, "period_start": 1680641000,
                "account_name": "Stripe Docs", "number": "9545A614-0001",
                "customer": {"id": "cus_NeZw0zvTyquTfF", "invoice_prefix": "9545A614"},
                "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1M2JTkLkdIwHu7ix/test_YWNjd10200x7P2wMSm?s=ap",
                "lines": {"data": [{"id": "il_1MtGmCLkdIwHu7ix6PgS6g8S",
                    "period": {"start": 1680641304, "end": 1680641305}}]},
                "status_transitions": {"finalized_at": 1680641304, "paid_at": null},
                "metadata": {"apiparity_run": "run-7f3a"}
            });
            for rules in rule_sets() {
                let mut new = Normalizer::new(Arc::clone(&rules));
                let mut old = Normalizer::new(rules);
                new.mask("run-7f3a", "<run>");
                old.mask("run-7f3a", "<run>");
                assert_eq!(new.value(&doc), reference::value(&mut old, &doc));
                assert_eq!(new.ids(), old.ids());
            }
        }
    }

    #[test]
    fn key_heads_then_keys_are_byte_order() {
        let mut keys = vec![
            "abcdefghi",
            "a\0b",
            "",
            "abcdefgh",
            "a",
            "abcdefgh\0",
            "é",
            "a\0",
            "abcdefgg",
            "zz",
            "period_start",
            "period_end",
            "period",
            "amount_remaining",
            "amount_paid",
        ];
        let mut by_head = keys.clone();
        by_head.sort_by(|a, b| head(a).cmp(&head(b)).then_with(|| a.cmp(b)));
        keys.sort();
        assert_eq!(by_head, keys);
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
