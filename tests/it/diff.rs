//! The diff: every kind, pointers, array modes, options, and the patch / unified renderings.

use std::path::Path;

use apiparity::diff::{diff, diff_response, patch, unified, DiffKind, DiffOptions, Difference};
use apiparity::pointer::Selector;
use serde_json::{json, Value};

fn d(pointer: &str, kind: DiffKind, expected: Option<Value>, actual: Option<Value>) -> Difference {
    Difference {
        pointer: pointer.into(),
        kind,
        expected,
        actual,
    }
}

fn keyed(sel: &str, key: &str) -> DiffOptions {
    DiffOptions {
        array_keys: vec![(Selector::parse(sel).unwrap(), key.into())],
        ..DiffOptions::default()
    }
}

#[test]
fn every_kind_in_document_order() {
    let e = json!({"a": 1, "b": "x", "c": null, "d": {"e": true}, "f": [1, 2]});
    let a = json!({"new": 0, "f": [1, 3, 4], "d": {}, "c": 5, "b": "y"});
    assert_eq!(
        diff(&e, &a, &DiffOptions::default()),
        vec![
            d("/a", DiffKind::Missing, Some(json!(1)), None),
            d(
                "/b",
                DiffKind::ValueChanged,
                Some(json!("x")),
                Some(json!("y"))
            ),
            d(
                "/c",
                DiffKind::TypeChanged,
                Some(Value::Null),
                Some(json!(5))
            ),
            d("/d/e", DiffKind::Missing, Some(json!(true)), None),
            d(
                "/f/1",
                DiffKind::ValueChanged,
                Some(json!(2)),
                Some(json!(3))
            ),
            d("/f/2", DiffKind::Unexpected, None, Some(json!(4))),
            d("/new", DiffKind::Unexpected, None, Some(json!(0))),
        ]
    );
}

#[test]
fn type_changes() {
    let opts = DiffOptions::default();
    for (e, a) in [
        (json!(1), json!("1")),
        (json!(null), json!({})),
        (json!([]), json!({})),
        (json!(true), json!(1)),
        (json!({"x": 1}), json!(null)),
    ] {
        assert_eq!(
            diff(&e, &a, &opts),
            vec![d(
                "",
                DiffKind::TypeChanged,
                Some(e.clone()),
                Some(a.clone())
            )]
        );
    }
    // Both numbers: a value change, even int vs float.
    assert_eq!(
        diff(&json!(1), &json!(1.5), &opts)[0].kind,
        DiffKind::ValueChanged
    );
}

#[test]
fn key_order_is_never_a_difference() {
    let e: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap();
    let a: Value = serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap();
    assert!(diff(&e, &a, &DiffOptions::default()).is_empty());
    assert_eq!(unified(&e, &a, false), "");
}

#[test]
fn pointers_are_escaped() {
    let e = json!({"a/b": {"c~d": 1}, "": 2});
    let a = json!({"a/b": {"c~d": 2}, "": 3});
    let ds = diff(&e, &a, &DiffOptions::default());
    assert_eq!(ds[0].pointer, "/a~1b/c~0d");
    assert_eq!(ds[1].pointer, "/");
}

#[test]
fn index_mode_lengths() {
    let e = json!({"l": [1, 2, 3]});
    let a = json!({"l": [1]});
    assert_eq!(
        diff(&e, &a, &DiffOptions::default()),
        vec![
            d("/l/1", DiffKind::Missing, Some(json!(2)), None),
            d("/l/2", DiffKind::Missing, Some(json!(3)), None),
        ]
    );
}

#[test]
fn keyed_mode_order_missing_unexpected_and_changes() {
    let e = json!({"data": [{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}]});
    let a = json!({"data": [{"id": "d", "v": 4}, {"id": "b", "v": 2}, {"id": "a", "v": 9}]});
    assert_eq!(
        diff(&e, &a, &keyed("/data", "id")),
        vec![
            d(
                "/data",
                DiffKind::OrderChanged,
                Some(json!(["a", "b", "c"])),
                Some(json!(["d", "b", "a"]))
            ),
            d(
                "/data/0/v",
                DiffKind::ValueChanged,
                Some(json!(1)),
                Some(json!(9))
            ),
            d(
                "/data/2",
                DiffKind::Missing,
                Some(json!({"id": "c", "v": 3})),
                None
            ),
            d(
                "/data/0",
                DiffKind::Unexpected,
                None,
                Some(json!({"id": "d", "v": 4}))
            ),
        ]
    );
    // Same keys in the same order, with an element removed: no order change.
    let a = json!({"data": [{"id": "a", "v": 1}, {"id": "c", "v": 3}]});
    assert_eq!(
        diff(&e, &a, &keyed("data", "id")),
        vec![d(
            "/data/1",
            DiffKind::Missing,
            Some(json!({"id": "b", "v": 2})),
            None
        )]
    );
}

#[test]
fn pure_reordering_is_one_difference_in_keyed_mode_and_many_in_index_mode() {
    let e = json!({"data": [{"id": "a", "v": 1}, {"id": "b", "v": 2}]});
    let a = json!({"data": [{"id": "b", "v": 2}, {"id": "a", "v": 1}]});
    let ds = diff(&e, &a, &keyed("/data", "id"));
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].kind, DiffKind::OrderChanged);
    assert_eq!(ds[0].pointer, "/data");
    let ds = diff(&e, &a, &DiffOptions::default());
    assert_eq!(ds.len(), 4, "{ds:#?}");
    assert!(ds.iter().all(|d| d.kind == DiffKind::ValueChanged));
}

#[test]
fn keyed_mode_falls_back_to_index_mode() {
    // An element without the key, or repeated keys: compare by index.
    let e = json!({"data": [{"id": "a"}, {"x": 1}]});
    let a = json!({"data": [{"x": 1}, {"id": "a"}]});
    let ds = diff(&e, &a, &keyed("/data", "id"));
    assert!(
        ds.iter().all(|d| d.kind != DiffKind::OrderChanged),
        "{ds:#?}"
    );
    assert!(!ds.is_empty());
    let e = json!({"data": [{"id": "a", "v": 1}, {"id": "a", "v": 2}]});
    let a = json!({"data": [{"id": "a", "v": 2}, {"id": "a", "v": 1}]});
    let ds = diff(&e, &a, &keyed("/data", "id"));
    assert_eq!(ds.len(), 2);
    assert_eq!(ds[0].pointer, "/data/0/v");
}

#[test]
fn keyed_by_non_string_keys_and_nested_selectors() {
    let e = json!({"x": {"items": [{"n": 1}, {"n": 2}]}});
    let a = json!({"x": {"items": [{"n": 2}, {"n": 1}]}});
    let ds = diff(&e, &a, &keyed("/**/items", "n"));
    assert_eq!(
        ds,
        vec![d(
            "/x/items",
            DiffKind::OrderChanged,
            Some(json!(["1", "2"])),
            Some(json!(["2", "1"]))
        )]
    );
}

#[test]
fn allow_unexpected_and_ignore() {
    let e = json!({"a": 1, "t": {"x": 1}, "l": [1]});
    let a = json!({"a": 1, "b": 2, "t": {"x": 2, "y": 3}, "l": [1, 2]});
    let opts = DiffOptions {
        allow_unexpected: true,
        ..DiffOptions::default()
    };
    assert_eq!(
        diff(&e, &a, &opts),
        vec![d(
            "/t/x",
            DiffKind::ValueChanged,
            Some(json!(1)),
            Some(json!(2))
        )]
    );
    let opts = DiffOptions {
        ignore: vec![
            Selector::parse("/t").unwrap(),
            Selector::parse("b").unwrap(),
        ],
        ..DiffOptions::default()
    };
    assert_eq!(
        diff(&e, &a, &opts),
        vec![d("/l/1", DiffKind::Unexpected, None, Some(json!(2)))]
    );
    let all = DiffOptions {
        ignore: vec![Selector::parse("/**").unwrap()],
        ..DiffOptions::default()
    };
    assert!(diff(&e, &a, &all).is_empty());
}

#[test]
fn status_comes_first() {
    let ds = diff_response(
        200,
        &json!({"id": "in_1"}),
        404,
        &json!({"error": {}}),
        &DiffOptions::default(),
    );
    assert_eq!(
        ds[0],
        d(
            "",
            DiffKind::StatusChanged,
            Some(json!(200)),
            Some(json!(404))
        )
    );
    assert_eq!(ds[1].pointer, "/id");
    assert_eq!(ds[1].kind, DiffKind::Missing);
    assert_eq!(ds[2].pointer, "/error");
    assert!(diff_response(200, &json!(1), 200, &json!(1), &DiffOptions::default()).is_empty());
}

#[test]
fn additive_is_only_unexpected() {
    for (kind, additive) in [
        (DiffKind::Unexpected, true),
        (DiffKind::Missing, false),
        (DiffKind::TypeChanged, false),
        (DiffKind::ValueChanged, false),
        (DiffKind::OrderChanged, false),
        (DiffKind::StatusChanged, false),
    ] {
        assert_eq!(d("/x", kind, None, None).is_additive(), additive);
    }
}

#[test]
fn differences_serialize_in_snake_case() {
    let x = d("/a", DiffKind::TypeChanged, Some(json!(1)), None);
    let s = serde_json::to_value(&x).unwrap();
    assert_eq!(
        s,
        json!({"pointer": "/a", "kind": "type_changed", "expected": 1, "actual": null})
    );
    let back: Difference = serde_json::from_value(s).unwrap();
    assert_eq!(back, x);
    assert_eq!(DiffKind::OrderChanged.to_string(), "order_changed");
}

#[test]
fn patch_turns_expected_into_actual() {
    let e = json!({"a": 1, "b": [1, 2], "c": {"d": "x"}});
    let a = json!({"a": 2, "b": [1], "c": {"d": "x", "e": null}, "f": true});
    let p = patch(&e, &a);
    let mut doc = e.clone();
    json_patch::patch(&mut doc, &p).unwrap();
    assert_eq!(doc, a);
    assert!(patch(&a, &a).0.is_empty());
}

#[test]
fn unified_plain_and_colored() {
    let e = json!({"b": 1, "a": "x"});
    let a = json!({"a": "y", "b": 1});
    let plain = unified(&e, &a, false);
    assert_eq!(
        plain,
        "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n {\n-  \"a\": \"x\",\n+  \"a\": \"y\",\n   \"b\": 1\n }\n"
    );
    let colored = unified(&e, &a, true);
    assert!(
        colored.contains("\u{1b}[31m-  \"a\": \"x\",\u{1b}[0m"),
        "{colored:?}"
    );
    assert!(
        colored.contains("\u{1b}[32m+  \"a\": \"y\",\u{1b}[0m"),
        "{colored:?}"
    );
    assert!(!plain.contains('\u{1b}'));
}

#[test]
fn default_options_come_from_apiparity_yaml() {
    let o = apiparity::config::default_diff_options();
    assert!(!o.allow_unexpected);
    assert!(o.ignore.is_empty());
    assert_eq!(o.array_keys.len(), 1);
    assert_eq!(o.array_keys[0].0.as_str(), "data");
    assert_eq!(o.array_keys[0].1, "id");
}

#[test]
fn merged_options_and_their_errors() {
    let src = "allow_unexpected: true\nignore: [/livemode, created]\narray_keys:\n  data: null\n  /lines/data: invoice\n";
    let node = apiparity::input::yaml::parse(src).unwrap().unwrap();
    let o = apiparity::config::default_diff_options()
        .merged(&node, Path::new("x.yaml"))
        .unwrap();
    assert!(o.allow_unexpected);
    assert_eq!(o.ignore.len(), 2);
    assert_eq!(o.array_keys.len(), 1);
    assert_eq!(o.array_keys[0].0.as_str(), "/lines/data");

    let bad = "allow_unexpected: yes please\nignored: []\narray_keys: [data]\n";
    let node = apiparity::input::yaml::parse(bad).unwrap().unwrap();
    let err = apiparity::config::default_diff_options()
        .merged(&node, Path::new("x.yaml"))
        .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.0.len(), 3, "{text}");
    // The setting is named under the caret.
    assert_eq!(err.0[0].label.as_deref(), Some("`diff.allow_unexpected`"));
    assert!(
        text.contains("x.yaml:1:19: expected a boolean, found a string"),
        "{text}"
    );
    assert!(
        text.contains("x.yaml:2:1: unknown key `ignored` in `diff` (did you mean `ignore`?)"),
        "{text}"
    );
    assert!(
        text.contains("x.yaml:3:13: expected a mapping, found a sequence"),
        "{text}"
    );
}
