//! `scenarios/schema.json`: generated from the validator's keyword tables, committed, referenced
//! by a yaml-language-server modeline in every scenario, and checked here by a real JSON Schema
//! validator (the `jsonschema` crate) against every scenario. Regenerate after a keyword
//! change with `APIPARITY_BLESS=1 cargo test --test it scenario::schema`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use apiparity::scenario::schema;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
    out.sort();
}

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => "null".to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("scenarios/schema.json"))
        .expect("scenarios/schema.json (APIPARITY_BLESS=1 cargo test --test it scenario::schema)");
    let schema: Value = serde_json::from_str(&text).expect("schema.json is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn errors(v: &jsonschema::Validator, yaml: &str) -> Vec<String> {
    let doc = YamlLoader::load_from_str(yaml).expect("YAML");
    let json = to_json(&doc[0]);
    v.iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = repo().join("scenarios/schema.json");
    let fresh = schema::schema_text();
    if std::env::var("APIPARITY_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "scenarios/schema.json is stale (a keyword table changed): regenerate it with \
         `APIPARITY_BLESS=1 cargo test --test it scenario::schema`"
    );
}

#[test]
fn every_scenario_names_the_schema_and_validates_against_it() {
    let v = validator();
    let mut files = Vec::new();
    scenario_files(&repo().join("scenarios"), &mut files);
    assert!(files.len() > 40, "the shipped suite: {}", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let rel = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| {
                panic!(
                    "{}: first line must be the schema modeline, is `{first}`",
                    f.display()
                )
            });
        let target = f.parent().unwrap().join(rel);
        assert_eq!(
            std::fs::canonicalize(&target).ok(),
            std::fs::canonicalize(repo().join("scenarios/schema.json")).ok(),
            "{}: the modeline points at {}",
            f.display(),
            target.display()
        );
        let errs = errors(&v, &text);
        assert!(errs.is_empty(), "{}:\n{}", f.display(), errs.join("\n"));
    }
}

#[test]
fn the_schema_rejects_what_check_rejects() {
    let v = validator();
    let ok = "steps:\n  - id: list\n    request: {method: GET, path: /v1/invoices}\n    expect:\n      status: 200\n      body:\n        /object: list\n        /data: {len: 0}\n        /x: {}\n";
    assert!(errors(&v, ok).is_empty(), "{:?}", errors(&v, ok));
    for (what, bad) in [
        ("unknown top key", "stepz: []\nsteps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n"),
        ("no steps", "name: x\n"),
        ("a method the runner does not send", "steps:\n  - id: a\n    request: {method: PUT, path: /v1/invoices}\n"),
        ("unknown operator", "steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n    expect:\n      body:\n        /x: {equals: 1}\n"),
        ("status out of range", "steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n    expect: {status: 99}\n"),
        ("unknown step key", "steps:\n  - id: a\n    requets: {method: GET, path: /v1/invoices}\n"),
    ] {
        assert!(!errors(&v, bad).is_empty(), "{what} passed the schema");
    }
}
