//! Fuzzing the embedded mock's parsers with proptest: the form parser (`mock::form::parse`,
//! which reads every request body and query string) and the search-query parser
//! (`mock::search::parse`).

use apiparity::mock::{form, search};
use apiparity::run::encode_params;
use apiparity::scenario::Param;
use indexmap::IndexMap;
use proptest::prelude::*;

use crate::support::strategies::{identity, name, unique};

/// Parameter trees as scenarios write them; at most 4 deep (the mock allows 16).
fn tree() -> impl Strategy<Value = Param> {
    prop_oneof!["[ -~]{0,8}", "\\PC{0,6}", any::<String>()]
        .prop_map(Param::Scalar)
        .prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec((name(), inner.clone()), 1..5)
                    .prop_map(|m| Param::Map(unique(m))),
                prop::collection::vec(inner, 1..5).prop_map(Param::List),
            ]
        })
}

fn params() -> impl Strategy<Value = Vec<(String, Param)>> {
    prop::collection::vec((name(), tree()), 0..6).prop_map(unique)
}

/// One shape for both sides: the mock keeps `a[0]` lists as integer-keyed maps until a schema
/// asks for an array, so compare through `form::as_list`.
#[derive(Debug, PartialEq)]
enum Tree {
    Leaf(String),
    Map(Vec<(String, Tree)>),
    List(Vec<Tree>),
}

fn from_param(p: &Param) -> Option<Tree> {
    match p {
        Param::Scalar(s) => Some(Tree::Leaf(s.clone())),
        Param::Map(m) => {
            let items: Vec<(String, Tree)> = m
                .iter()
                .filter_map(|(k, v)| from_param(v).map(|t| (k.clone(), t)))
                .collect();
            (!items.is_empty()).then_some(Tree::Map(items))
        }
        Param::List(l) => {
            let items: Vec<Tree> = l.iter().filter_map(from_param).collect();
            (!items.is_empty()).then_some(Tree::List(items))
        }
    }
}

fn from_form(v: &form::FormValue) -> Tree {
    match v {
        form::FormValue::Str(s) => Tree::Leaf(s.clone()),
        form::FormValue::List(items) => Tree::List(items.iter().map(from_form).collect()),
        form::FormValue::Map(m) => match form::as_list(v) {
            Some(items) if !m.is_empty() => {
                Tree::List(items.into_iter().map(|(_, x)| from_form(x)).collect())
            }
            _ => Tree::Map(m.iter().map(|(k, x)| (k.clone(), from_form(x))).collect()),
        },
    }
}

fn wire(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}

fn depth(p: &Param) -> usize {
    match p {
        Param::Scalar(_) => 0,
        Param::Map(m) => 1 + m.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        Param::List(l) => 1 + l.iter().map(depth).max().unwrap_or(0),
    }
}

/// Search clauses that are valid by construction: (text, field).
fn clause() -> impl Strategy<Value = String> {
    let word = "[a-z0-9]{3,8}";
    prop_oneof![
        (
            prop::sample::select(vec!["status", "number", "receipt_number", "subscription"]),
            word
        )
            .prop_map(|(f, v)| format!("{f}:\"{v}\"")),
        (prop::sample::select(vec!["status", "number"]), word)
            .prop_map(|(f, v)| format!("{f}~\"{v}\"")),
        (prop::sample::select(vec!["currency", "customer"]), word)
            .prop_map(|(f, v)| format!("{f}:\"{v}\"")),
        (
            prop::sample::select(vec!["created", "total"]),
            prop::sample::select(vec![":", ">", "<", ">=", "<=", "="]),
            any::<i32>()
        )
            .prop_map(|(f, op, n)| format!("{f}{op}{n}")),
        ("[a-z_]{1,10}", word).prop_map(|(k, v)| format!("metadata[\"{k}\"]:\"{v}\"")),
        ("[a-z_]{1,10}", word).prop_map(|(k, v)| format!("metadata['{k}']:\"{v}\"")),
    ]
}

proptest! {
    #[test]
    fn form_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = form::parse(&bytes) {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn form_parser_on_bracket_soup(s in "[a-z\\[\\]=&%0-9]{0,60}") {
        if let Ok(p) = form::parse(s.as_bytes()) {
            let _ = form::canonical(&p);
        }
    }

    /// What apiparity sends is what the mock reads: encode_params → the wire → form::parse
    /// gives back the scenario's parameter tree.
    #[test]
    fn the_mock_reads_what_apiparity_encodes(p in params()) {
        prop_assume!(p.iter().all(|(_, v)| depth(v) < form::MAX_DEPTH));
        let pairs = encode_params(&p, &identity).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = form::parse(wire(&pairs).as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e:?} for {pairs:?}")))?;
        let expected: Vec<(String, Tree)> = p
            .iter()
            .filter_map(|(k, v)| from_param(v).map(|t| (k.clone(), t)))
            .collect();
        let got: Vec<(String, Tree)> = parsed.iter().map(|(k, v)| (k.clone(), from_form(v))).collect();
        prop_assert_eq!(got, expected, "pairs: {:?}", pairs);
    }

    /// Idempotency compares "the same parameters" (reference §1.6): the order of the fields
    /// in the body must not matter.
    #[test]
    fn canonical_form_ignores_field_order(p in params()) {
        let pairs = encode_params(&p, &identity).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Reverse the order of the top-level parameters, keeping each one's own pairs in
        // order (the order inside `a[]` lists is meaningful).
        let mut groups: IndexMap<String, Vec<(String, String)>> = IndexMap::new();
        for (k, v) in &pairs {
            let top = k.split('[').next().unwrap_or("").to_string();
            groups.entry(top).or_default().push((k.clone(), v.clone()));
        }
        let reversed: Vec<(String, String)> = groups.into_values().rev().flatten().collect();
        let a = form::parse(wire(&pairs).as_bytes());
        let b = form::parse(wire(&reversed).as_bytes());
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(form::canonical(&a), form::canonical(&b)),
            (a, b) => prop_assert_eq!(a.is_err(), b.is_err()),
        }
    }

    #[test]
    fn search_parser_never_panics(q in prop_oneof![any::<String>(), "[a-z_:~<>=\"'\\[\\] -]{0,80}"]) {
        match search::parse(&q) {
            Ok(query) => prop_assert!(!query.clauses.is_empty() && query.clauses.len() <= search::MAX_CLAUSES),
            // The message becomes a 400 `error.message`: never empty.
            Err(msg) => prop_assert!(!msg.trim().is_empty()),
        }
    }

    #[test]
    fn valid_queries_parse_and_match_without_panicking(
        clauses in prop::collection::vec((any::<bool>(), clause()), 1..=search::MAX_CLAUSES),
        or in any::<bool>(),
        created in any::<i64>(),
        total in any::<i64>(),
        status in "\\PC{0,12}",
    ) {
        let join = if or { " OR " } else { " AND " };
        let text = clauses
            .iter()
            .map(|(neg, c)| if *neg { format!("-{c}") } else { c.clone() })
            .collect::<Vec<_>>()
            .join(join);
        let query = search::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(query.clauses.len(), clauses.len());
        let metadata = IndexMap::from([("order".to_string(), "42".to_string())]);
        let doc = search::Doc {
            created,
            total,
            currency: "usd",
            customer: "cus_1",
            status: &status,
            number: Some("ABC-0001"),
            metadata: &metadata,
        };
        let _ = query.matches(&doc);
    }

    #[test]
    fn too_many_clauses_are_refused(n in (search::MAX_CLAUSES + 1)..30) {
        let text = vec!["status:\"open\""; n].join(" AND ");
        prop_assert!(search::parse(&text).is_err());
    }
}

#[test]
fn the_form_parser_refuses_deep_nesting() {
    let key = format!("a{}", "[b]".repeat(form::MAX_DEPTH + 1));
    assert!(form::parse(format!("{key}=1").as_bytes()).is_err());
}
