//! docs/mock.md's version table is the mock's (`apiparity::mock::version_facts`), row for row,
//! and docs/mock.md and the README name every modelled version.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_documented_fact_table_is_the_mocks() {
    let doc = read("docs/mock.md");
    let rows: Vec<String> = apiparity::mock::version_facts()
        .into_iter()
        .map(|(fact, gate, date, evidence)| format!("| {fact} | {gate} | {date} | {evidence} |"))
        .collect();
    let missing: Vec<&String> = rows.iter().filter(|r| !doc.contains(r.as_str())).collect();
    assert!(
        missing.is_empty(),
        "docs/mock.md lacks these rows of the version table:\n{}",
        missing
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // No stale rows: every documented fact row is one of the mock's.
    let table = doc
        .split("| fact | gate | from | evidence |")
        .nth(1)
        .expect("the fact table");
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        assert!(
            rows.iter().any(|r| r == line),
            "stale row in docs/mock.md: {line}"
        );
    }
}

#[test]
fn docs_name_every_modelled_version() {
    let doc = read("docs/mock.md");
    let readme = read("README.md");
    let versions = apiparity::mock::modelled_versions();
    assert_eq!(versions.len(), 29);
    for v in &versions {
        let date = &v[..10];
        assert!(doc.contains(date), "docs/mock.md does not name {v}");
    }
    assert!(
        readme.contains("2023-10-16") && readme.contains("2026-10-28.endive"),
        "README names the modelled range"
    );
}
