//! Fuzzing the normalize stage with proptest, on the inputs a live run feeds it:
//!
//! * real recorded Stripe responses (tests/fixtures/normalize_seeds) with random mutations,
//!   under the default rules and under rules a user wrote (random `normalize:` sections): never
//!   panics, idempotent, and the same on a fresh normalizer;
//! * a `normalize:` section of arbitrary YAML: `Rules::merged` returns rules or diagnostics;
//! * secrets: whatever JSON a target echoes the key in, redaction then normalization (the order
//!   the pipeline uses) leaves no trace of the key.
//!
//! normalize/props.rs covers the normalizer on synthetic JSON; this file adds real
//! shapes, user rules and secrets. How to run (and run long): docs/fuzzing.md.

use std::path::Path;
use std::sync::Arc;

use apiparity::normalize::Normalizer;
use apiparity::secret::{Redactor, Secret};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn seeds() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/normalize_seeds");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (946_684_800i64..4_102_444_800).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "(in|cus|il|pm|acct)_[A-Za-z0-9]{6,24}".prop_map(Value::String),
        "[A-Z0-9]{3,12}-[0-9]{4}".prop_map(Value::String),
        "https://invoice.stripe.com/i/acct_[A-Za-z0-9]{8,16}/(test|live)_[A-Za-z0-9]{4,30}"
            .prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        Just(Value::Array(vec![])),
        Just(Value::Object(Map::new())),
    ]
}

#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value at the n-th node (in walk order) with a leaf.
    Replace(usize, Value),
    /// Remove the n-th node from its parent.
    Remove(usize),
    /// Add a key to the n-th object.
    Add(usize, String, Value),
    /// Wrap the n-th node in an array.
    Wrap(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), leaf()).prop_map(|(n, v)| Edit::Replace(n, v)),
        any::<usize>().prop_map(Edit::Remove),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "id", "created", "due_date", "number", "customer", "x", "data"
            ]),
            leaf()
        )
            .prop_map(|(n, k, v)| Edit::Add(n, k.to_string(), v)),
        any::<usize>().prop_map(Edit::Wrap),
    ]
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// Applies `edit` at node number `target` (pre-order). Returns true when applied.
fn apply(v: &mut Value, target: &mut usize, e: &Edit) -> bool {
    if *target == 0 {
        match e {
            Edit::Replace(_, new) => *v = new.clone(),
            Edit::Add(_, k, new) => {
                if let Value::Object(m) = v {
                    m.insert(k.clone(), new.clone());
                }
            }
            Edit::Wrap(_) => *v = Value::Array(vec![v.take()]),
            Edit::Remove(_) => return false, // handled by the parent
        }
        return true;
    }
    *target -= 1;
    match v {
        Value::Array(a) => {
            let mut i = 0;
            while i < a.len() {
                if *target == 0 && matches!(e, Edit::Remove(_)) {
                    a.remove(i);
                    return true;
                }
                if apply(&mut a[i], target, e) {
                    return true;
                }
                i += 1;
            }
            false
        }
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if *target == 0 && matches!(e, Edit::Remove(_)) {
                    m.remove(&k);
                    return true;
                }
                if let Some(child) = m.get_mut(&k) {
                    if apply(child, target, e) {
                        return true;
                    }
                }
            }
            false
        }
        _ => false,
    }
}

fn mutate(mut v: Value, edits: &[Edit]) -> Value {
    for e in edits {
        let n = match e {
            Edit::Replace(n, _) | Edit::Remove(n) | Edit::Add(n, _, _) | Edit::Wrap(n) => *n,
        };
        let mut target = n % count(&v);
        apply(&mut v, &mut target, e);
    }
    v
}

/// `normalize:` sections, valid and not, from the rule grammar.
fn rules_yaml() -> impl Strategy<Value = String> {
    let section = prop_oneof![
        Just("ids:\n  prefixes: [in, cus, zz]\n  min_suffix_len: 3\n".to_string()),
        Just("ids:\n  prefixes: {remove: [in]}\n".to_string()),
        Just("ids:\n  prefixes: {replace: []}\n  long_suffix_len: 0\n".to_string()),
        Just("ids:\n  min_suffix_len: -1\n".to_string()),
        Just(
            "timestamps:\n  fields: [x, /**/y, /*/z, \"/**\", \"\"]\n  min: 0\n  max: 1\n"
                .to_string()
        ),
        Just("timestamps:\n  fields: {remove: [nope]}\n".to_string()),
        Just("timestamps:\n  min: 10\n  max: 1\n".to_string()),
        Just("relative_timestamps:\n  due_date: null\n  created: due_date\n  x: x\n".to_string()),
        Just("urls:\n  fields: [\"\", number, id]\n".to_string()),
        Just(
            "invoice_numbers:\n  number_fields: [id, customer]\n  prefix_fields: [number]\n"
                .to_string()
        ),
        Just("placeholders:\n  id: \"<id>\"\n  created: \"\"\n  number: null\n".to_string()),
        Just("idz: 1\n".to_string()),
        "[a-z_]{1,12}: [ -~]{0,16}\n",
        "  [a-z_]{1,12}: \\[[a-z_/*, ]{0,16}\\]\n",
    ];
    prop::collection::vec(section, 0..5).prop_map(|s| s.concat())
}

const KEY: &str = "sk_test_FAKEfuzz0123";

/// Text with the key somewhere in it, in the forms a target could echo.
fn with_key() -> impl Strategy<Value = String> {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    let form = prop::sample::select(vec![
        KEY.to_string(),
        format!("Bearer {KEY}"),
        format!("Basic {basic}"),
        format!("key%3D{KEY}"),
        format!("{KEY}{KEY}"),
        format!("sk_test_{KEY}"),
    ]);
    ("\\PC{0,8}", form, "\\PC{0,8}").prop_map(|(a, k, b)| format!("{a}{k}{b}"))
}

/// JSON with the key in string values and object keys at random places.
fn json_with_key() -> impl Strategy<Value = Value> {
    let l = prop_oneof![2 => leaf(), 1 => with_key().prop_map(Value::String)];
    l.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![3 => "[a-z_]{1,8}", 1 => with_key()], inner),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn leaks(s: &str) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    s.contains(KEY)
        || s.contains(&KEY["sk_test_".len()..])
        || s.contains(&b64.encode(format!("{KEY}:")))
}

proptest! {
    #[test]
    fn mutated_real_responses(pick in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 0..8)) {
        let seeds = seeds();
        prop_assume!(!seeds.is_empty());
        let v = mutate(seeds[pick.index(seeds.len())].clone(), &edits);
        let rules = Arc::new(apiparity::config::default_rules());
        let mut n = Normalizer::new(Arc::clone(&rules));
        let once = n.value(&v);
        prop_assert_eq!(&n.value(&once), &once, "idempotent on the same normalizer");
        prop_assert_eq!(&Normalizer::new(rules).value(&v), &once, "deterministic");
    }

    #[test]
    fn user_rules_never_panic(yaml in rules_yaml(), pick in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 0..4)) {
        let file = Path::new("apiparity.yaml");
        let node = match apiparity::input::yaml::parse(&yaml) {
            Ok(Some(node)) => node,
            Ok(None) | Err(_) => return Ok(()),
        };
        match apiparity::config::default_rules().merged(&node, file) {
            Err(diags) => {
                prop_assert!(!diags.is_empty());
                for d in &diags.0 {
                    prop_assert!(d.span.line >= 1 && d.span.col >= 1);
                    let _ = d.render(Some(&yaml), false);
                }
            }
            Ok(rules) => {
                let seeds = seeds();
                prop_assume!(!seeds.is_empty());
                let v = mutate(seeds[pick.index(seeds.len())].clone(), &edits);
                let rules = Arc::new(rules);
                let once = Normalizer::new(Arc::clone(&rules)).value(&v);
                prop_assert_eq!(Normalizer::new(rules).value(&v), once);
            }
        }
    }

    /// The pipeline redacts, then normalizes (normalize::normalize_run): no form of the key
    /// survives either step, wherever the target put it.
    #[test]
    fn an_echoed_key_never_survives_redaction_and_normalization(v in json_with_key()) {
        let redactor = Redactor::new().with(&Secret::new(KEY));
        let redacted = redactor.value(&v);
        let text = serde_json::to_string(&redacted).unwrap_or_default();
        prop_assert!(!leaks(&text), "redacted: {}", text);
        let normalized = Normalizer::new(Arc::new(apiparity::config::default_rules())).value(&redacted);
        let text = serde_json::to_string(&normalized).unwrap_or_default();
        prop_assert!(!leaks(&text), "normalized: {}", text);
        // And the reports' last pass over rendered text is a no-op by then.
        prop_assert_eq!(redactor.text(&text), text);
    }

    #[test]
    fn redacting_text_is_complete_and_idempotent(s in with_key(), plain in "\\PC{0,40}") {
        let r = Redactor::new().with(&Secret::new(KEY));
        let once = r.text(&s);
        prop_assert!(!leaks(&once), "{}", once);
        prop_assert!(once.contains("sk_test_…****"));
        prop_assert_eq!(r.text(&once), once.clone());
        // Text without the key is left alone.
        prop_assume!(!leaks(&plain));
        prop_assert_eq!(r.text(&plain), plain);
    }
}

#[test]
fn seeds_are_there() {
    assert!(
        seeds().len() >= 5,
        "tests/fixtures/normalize_seeds went missing"
    );
}
