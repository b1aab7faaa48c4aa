//! Properties of the normalizer on arbitrary JSON, biased towards the shapes its rules act on
//! (rule field names, id-like strings, plausible and millisecond timestamps, invoice numbers,
//! hosted URLs): it never panics, and normalizing is idempotent.

use std::sync::Arc;

use apiparity::diff::{diff, DiffOptions};
use apiparity::normalize::Normalizer;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "id", "created", "due_date", "period_start", "period_end", "period", "start", "end",
            "date", "number", "invoice_prefix", "hosted_invoice_url", "invoice_pdf",
            "account_name", "next_page", "client_secret", "status_transitions", "paid_at",
            "customer", "lines", "data", "url", "message",
        ])
        .prop_map(String::from),
        1 => "[a-z_/~]{0,8}",
        1 => any::<String>(),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(in|cus|pm|tok|acct|price|cust|il)_[A-Za-z0-9]{0,26}",
        "[ '/]?(in|cus|tok)_[A-Za-z0-9_]{0,20}[ '/]?(in|cus)_[A-Za-z0-9]{6,20}",
        "https://[a-z.]{1,12}/i/acct_[A-Za-z0-9]{0,16}/(test|live|x)_[A-Za-z0-9]{0,12}(\\?s=ap)?",
        "[A-Z0-9a-z<>_]{0,13}-[0-9]{0,5}",
        "[A-Z0-9]{0,13}",
        "<[a-z_0-9+-]{0,12}>",
        any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (946_684_800i64..4_102_444_800).prop_map(Value::from),
        (1_600_000_000_000i64..1_800_000_000_000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        string().prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn idempotent_and_never_panics(v in json()) {
        let rules = Arc::new(apiparity::config::default_rules());
        let mut n = Normalizer::new(rules.clone());
        let once = n.value(&v);
        // Twice on the same Normalizer (as across steps of one run)…
        let twice = n.value(&once);
        prop_assert_eq!(&twice, &once);
        // …and on a fresh one (re-normalizing a stored snapshot).
        let fresh = Normalizer::new(rules).value(&once);
        prop_assert_eq!(&fresh, &once);
        prop_assert!(diff(&once, &twice, &apiparity::config::default_diff_options()).is_empty());
    }

    /// Key order never changes what a value normalizes to (placeholder numbering included).
    #[test]
    fn key_order_does_not_matter(v in json()) {
        let rules = Arc::new(apiparity::config::default_rules());
        let plain = Normalizer::new(rules.clone()).value(&v);
        let rev = Normalizer::new(rules).value(&reversed(&v));
        prop_assert_eq!(rev, plain);
    }

    #[test]
    fn text_is_idempotent(s in string()) {
        let mut n = Normalizer::new(Arc::new(apiparity::config::default_rules()));
        n.mask("r4nd0m", "<run>");
        let once = n.text(&s);
        prop_assert_eq!(n.text(&once), once);
    }

    #[test]
    fn diff_of_a_value_with_itself_is_empty(v in json()) {
        prop_assert!(diff(&v, &v, &apiparity::config::default_diff_options()).is_empty());
        prop_assert!(diff(&v, &v, &DiffOptions::default()).is_empty());
    }
}

/// Reverses the key order of every object.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reversed).collect()),
        _ => v.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The diff misses nothing and invents nothing: empty exactly when the documents are equal
    /// (object key order aside), in index and in keyed mode; and the patch is exact.
    #[test]
    fn diff_is_empty_iff_equal(a in json(), b in json(), same in any::<bool>()) {
        let b = if same { reversed(&a) } else { b };
        for opts in [DiffOptions::default(), apiparity::config::default_diff_options()] {
            prop_assert_eq!(diff(&a, &b, &opts).is_empty(), a == b);
        }
        let mut doc = a.clone();
        prop_assert!(json_patch::patch(&mut doc, &apiparity::diff::patch(&a, &b)).is_ok());
        prop_assert_eq!(doc, b);
    }
}
