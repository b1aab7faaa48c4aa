//! `run --partition k/n` and `report merge`: the slices of a suite are disjoint, cover it, and
//! their merged report set says what one run of the whole suite says.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bin(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apiparity"));
    c.current_dir(cwd)
        .env_clear()
        .env("CI", "true")
        .env("NO_COLOR", "1");
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// The shipped suite with two snapshots edited, so the run has differences in two scenarios.
fn workspace() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root.join("scenarios"), &dir.path().join("scenarios"));
    copy_dir(&root.join("snapshots"), &dir.path().join("snapshots"));
    // The embedded mock's baseline (the recorded suite's known gaps), applied by default.
    copy_dir(&root.join("mocks"), &dir.path().join("mocks"));
    std::fs::copy(
        root.join("apiparity.yaml"),
        dir.path().join("apiparity.yaml"),
    )
    .expect("copy apiparity.yaml");
    for (file, field, value) in [
        (
            "finalize/with-amount/04-finalize.json",
            "amount_due",
            Value::from(4242),
        ),
        (
            "create/draft-with-pending-items/04-create.json",
            "account_country",
            Value::from("CA"),
        ),
    ] {
        let snap = dir.path().join("snapshots").join(file);
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(&snap).expect("snapshot")).expect("json");
        assert!(
            v["response"]["body"].get(field).is_some(),
            "{file} has {field}"
        );
        v["response"]["body"][field] = value;
        std::fs::write(&snap, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    }
    dir
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
        .expect("report json")
}

fn keys(r: &Value) -> Vec<String> {
    r["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["key"].as_str().expect("key").to_string())
        .collect()
}

/// What a merged report must agree on with the whole run's.
fn outcome(r: &Value) -> Value {
    let statuses: Vec<Value> = r["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| serde_json::json!([s["key"], s["status"], s["steps"].as_array().map(Vec::len)]))
        .collect();
    serde_json::json!({
        "summary": r["summary"],
        "scorecard": r["scorecard"],
        "scenarios": statuses,
    })
}

#[test]
fn partitions_cover_the_suite_and_merge_into_its_report() {
    let ws = workspace();
    let cwd = ws.path();
    let full = bin(cwd)
        .args(["run", "--report-dir", "full"])
        .output()
        .expect("run");
    assert_eq!(full.status.code(), Some(1), "{}", text(&full));
    let whole = report(&cwd.join("full"));
    assert_eq!(
        whole["summary"]["scenarios_failed"], 2,
        "the two edited snapshots"
    );

    for (scheme, n) in [("count", 3), ("hash", 2)] {
        let mut dirs = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for k in 1..=n {
            let dir = format!("{scheme}-{k}");
            let part = format!("{scheme}:{k}/{n}");
            let out = bin(cwd)
                .args(["run", "--partition", &part, "--report-dir", &dir])
                .output()
                .expect("run a partition");
            assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
            let r = report(&cwd.join(&dir));
            let ks = keys(&r);
            assert!(!ks.is_empty(), "{part} is empty");
            assert!(ks.iter().all(|k| !seen.contains(k)), "{part} overlaps");
            seen.extend(ks);
            dirs.push(dir);
        }
        seen.sort();
        let mut all = keys(&whole);
        all.sort();
        assert_eq!(seen, all, "{scheme}: the slices together are the suite");

        let out_dir = format!("{scheme}-merged");
        let mut args = vec!["report", "merge", "--report-dir", out_dir.as_str()];
        args.extend(dirs.iter().rev().map(String::as_str));
        let merged = bin(cwd).args(&args).output().expect("merge");
        assert_eq!(merged.status.code(), Some(1), "{}", text(&merged));
        assert!(
            text(&merged).contains(&format!("merged {n} report(s)")),
            "{}",
            text(&merged)
        );
        let m = report(&cwd.join(&out_dir));
        assert_eq!(outcome(&m), outcome(&whole), "{scheme}");
        for f in ["junit.xml", "summary.md", "report.html"] {
            let body = std::fs::read_to_string(cwd.join(&out_dir).join(f)).expect("merged file");
            assert!(body.contains("finalize/with-amount"), "{f} names a failure");
        }
    }

    // The same slice twice is refused, not double counted.
    let twice = bin(cwd)
        .args([
            "report",
            "merge",
            "--report-dir",
            "twice",
            "count-1",
            "count-1",
        ])
        .output()
        .expect("merge");
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        text(&twice).contains("in more than one report"),
        "{}",
        text(&twice)
    );
    // Something that is not a report is named with its line and column.
    std::fs::write(cwd.join("bad.json"), "{\n  \"tool\": 3\n}\n").expect("write");
    let bad = bin(cwd)
        .args(["report", "merge", "count-1", "bad.json"])
        .output()
        .expect("merge");
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("bad.json:2:"), "{}", text(&bad));
    // A bad partition is a usage error naming the flag.
    let e = bin(cwd)
        .args(["run", "--partition", "3/2"])
        .output()
        .expect("run");
    assert_eq!(e.status.code(), Some(2));
    assert!(text(&e).contains("--partition"), "{}", text(&e));
}
