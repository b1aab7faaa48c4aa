//! Fuzzing the form encoder (`run::encode_params`) and templates with proptest.
//!
//! Properties: encoding never panics; the pairs survive URL-encoding (what the runner puts on
//! the wire) unchanged; and the Stripe bracket form is faithful — decoding the pairs gives
//! back the tree that was encoded (for names without brackets, which Stripe's form cannot
//! express unambiguously anyway).
//!
//! How to run (and run long): docs/fuzzing.md.

use std::collections::HashMap;

use apiparity::run::encode_params;
use apiparity::scenario::{render_template, Param, TemplateError};
use proptest::prelude::*;

use crate::support::strategies::{identity, name, unique};

/// Any text, weighted towards what breaks encoders: brackets, `&`, `=`, `%`, `+`, spaces,
/// non-ASCII, templates.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,8}",
        "[\\[\\]&=%+ ?#/a-z0-9]{0,10}",
        "\\PC{0,8}",
        any::<String>(),
        Just("{{ run_id }}".to_string()),
        Just("x{{invoice_id}}y".to_string()),
    ]
}

fn tree(name: BoxedStrategy<String>) -> impl Strategy<Value = Param> {
    text()
        .prop_map(Param::Scalar)
        .prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec((name.clone(), inner.clone()), 0..5)
                    .prop_map(|m| Param::Map(unique(m))),
                prop::collection::vec(inner, 0..5).prop_map(Param::List),
            ]
        })
}

fn params(name: BoxedStrategy<String>) -> impl Strategy<Value = Vec<(String, Param)>> {
    prop::collection::vec((name.clone(), tree(name)), 0..6).prop_map(unique)
}

fn leaves(p: &Param) -> usize {
    match p {
        Param::Scalar(_) => 1,
        Param::Map(m) => m.iter().map(|(_, v)| leaves(v)).sum(),
        Param::List(l) => l.iter().map(leaves).sum(),
    }
}

/// What a tree looks like after a round trip through the form: empty maps and lists vanish
/// (the form has no way to say "empty").
#[derive(Clone, Debug, PartialEq)]
enum Tree {
    Leaf(String),
    Map(Vec<(String, Tree)>),
    List(Vec<Tree>),
}

fn canonical(p: &Param) -> Option<Tree> {
    match p {
        Param::Scalar(s) => Some(Tree::Leaf(s.clone())),
        Param::Map(m) => {
            let mut out: Vec<(String, Tree)> = Vec::new();
            for (k, v) in m {
                if let Some(v) = canonical(v) {
                    insert(&mut out, k, v);
                }
            }
            (!out.is_empty()).then_some(Tree::Map(out))
        }
        Param::List(l) => {
            let items: Vec<Tree> = l.iter().filter_map(canonical).collect();
            (!items.is_empty()).then_some(Tree::List(items))
        }
    }
}

fn insert(map: &mut Vec<(String, Tree)>, k: &str, v: Tree) {
    match map.iter_mut().find(|(n, _)| n == k) {
        Some((_, existing)) => merge(existing, v),
        None => map.push((k.to_string(), v)),
    }
}

/// Two values under one name: maps merge, lists append, a scalar is replaced.
fn merge(into: &mut Tree, v: Tree) {
    match (into, v) {
        (Tree::Map(a), Tree::Map(b)) => {
            for (k, v) in b {
                insert(a, &k, v);
            }
        }
        (Tree::List(a), Tree::List(b)) => a.extend(b),
        (slot, v) => *slot = v,
    }
}

/// Decodes `a[b][0][c]=v` / `a[]=v` pairs into a tree, as a Stripe-compatible server would.
fn decode(pairs: &[(String, String)]) -> Vec<(String, Tree)> {
    let mut top: Vec<(String, Tree)> = Vec::new();
    for (key, value) in pairs {
        let (head, rest) = key
            .split_once('[')
            .map_or((key.as_str(), ""), |(h, r)| (h, r));
        let segs: Vec<&str> = if rest.is_empty() {
            vec![]
        } else {
            rest.trim_end_matches(']').split("][").collect()
        };
        let v = build(&segs, value);
        insert(&mut top, head, v);
    }
    // Indexed lists were built as maps keyed "0", "1", …: turn them back into lists.
    top.into_iter().map(|(k, v)| (k, relist(v))).collect()
}

fn build(segs: &[&str], value: &str) -> Tree {
    match segs.split_first() {
        None => Tree::Leaf(value.to_string()),
        Some((&"", rest)) => Tree::List(vec![build(rest, value)]),
        Some((seg, rest)) => Tree::Map(vec![(format!("#{seg}"), build(rest, value))]),
    }
}

fn relist(t: Tree) -> Tree {
    match t {
        Tree::Map(m) => {
            let indexed = m.iter().all(|(k, _)| k[1..].parse::<usize>().is_ok());
            if indexed && !m.is_empty() {
                let mut items: Vec<(usize, Tree)> = m
                    .into_iter()
                    .map(|(k, v)| (k[1..].parse().unwrap_or(0), relist(v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Tree::List(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Tree::Map(
                    m.into_iter()
                        .map(|(k, v)| (k[1..].to_string(), relist(v)))
                        .collect(),
                )
            }
        }
        Tree::List(l) => Tree::List(l.into_iter().map(relist).collect()),
        leaf => leaf,
    }
}

proptest! {
    #[test]
    fn never_panics_and_round_trips_through_url_encoding(p in params(text().boxed())) {
        let pairs = encode_params(&p, &identity).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(pairs.len(), p.iter().map(|(_, v)| leaves(v)).sum::<usize>());
        // Each pair's name starts with the top-level name it came from.
        let mut i = 0;
        for (name, v) in &p {
            for _ in 0..leaves(v) {
                prop_assert!(pairs[i].0.starts_with(name.as_str()), "{:?} from {}", pairs[i], name);
                i += 1;
            }
        }
        // What goes on the wire (query string or form body) decodes to the same pairs.
        let wire = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        prop_assert!(wire.is_ascii());
        prop_assert!(!wire.contains(' '));
        let back: Vec<(String, String)> =
            url::form_urlencoded::parse(wire.as_bytes()).into_owned().collect();
        prop_assert_eq!(back, pairs);
    }

    #[test]
    fn the_bracket_form_is_faithful(p in params(name().boxed())) {
        let pairs = encode_params(&p, &identity).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected: Vec<(String, Tree)> = Vec::new();
        for (k, v) in &p {
            if let Some(v) = canonical(v) {
                insert(&mut expected, k, v);
            }
        }
        prop_assert_eq!(decode(&pairs), expected, "pairs: {:?}", pairs);
    }

    /// Templates render through `encode_params` without panicking, whatever the text; an
    /// error is always a TemplateError naming the problem.
    #[test]
    fn templates_in_values_never_panic(p in params(text().boxed()), defined in any::<bool>()) {
        let vars: HashMap<&str, &str> = [("run_id", "r1"), ("invoice_id", "in_1")].into();
        let lookup = |n: &str| -> Option<String> {
            vars.get(n).map(|v| v.to_string()).or_else(|| defined.then(|| format!("<{n}>")))
        };
        let render = |s: &str| render_template(s, &lookup);
        match encode_params(&p, &render) {
            Ok(pairs) => {
                // Rendering substitutes values, never adds or drops a parameter.
                prop_assert_eq!(pairs.len(), p.iter().map(|(_, v)| leaves(v)).sum::<usize>());
                for (_, v) in &pairs {
                    prop_assert!(!v.contains("{{ run_id }}") && !v.contains("{{invoice_id}}"));
                }
            }
            Err(TemplateError::Undefined(n)) => prop_assert!(!defined && !n.is_empty()),
            Err(TemplateError::Malformed(t, why)) => {
                prop_assert!(t.contains("{{"));
                prop_assert!(!why.is_empty());
            }
        }
    }
}

#[test]
fn encodes_the_stripe_way() {
    let p = vec![
        ("customer".to_string(), Param::Scalar("cus_1".into())),
        (
            "metadata".to_string(),
            Param::Map(vec![("order".into(), Param::Scalar("42".into()))]),
        ),
        (
            "expand".to_string(),
            Param::List(vec![
                Param::Scalar("customer".into()),
                Param::Scalar("lines".into()),
            ]),
        ),
        (
            "lines".to_string(),
            Param::List(vec![Param::Map(vec![(
                "amount".into(),
                Param::Scalar("5".into()),
            )])]),
        ),
    ];
    let pairs = encode_params(&p, &identity).unwrap();
    let want: Vec<(String, String)> = [
        ("customer", "cus_1"),
        ("metadata[order]", "42"),
        ("expand[]", "customer"),
        ("expand[]", "lines"),
        ("lines[0][amount]", "5"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(pairs, want);
    // And the decoder used by the property above reads it back.
    let decoded = decode(&pairs);
    assert_eq!(decoded.len(), 4);
}
