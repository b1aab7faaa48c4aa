//! Faults on disk: a corrupt snapshot or pending file, a killed `--update`, a full disk, the
//! umask. One bad file fails its step and nothing else; every file is written whole or not at
//! all, with normal permissions, and leftovers of a killed run are cleaned up.

use std::path::Path;
use std::process::Command;

use crate::support::bin::apiparity;
use crate::support::raw_server::{Resp, TestServer};
use serde_json::{json, Value};

fn suite(root: &Path) {
    std::fs::create_dir_all(root.join("scenarios/disk")).unwrap();
    for name in ["a", "b"] {
        std::fs::write(
            root.join(format!("scenarios/disk/{name}.yaml")),
            "steps:\n  - id: get\n    request: {method: GET, path: /v1/invoices/in_1}\n",
        )
        .unwrap();
    }
}

async fn server() -> TestServer {
    TestServer::start(|_| {
        Resp::json(
            200,
            &json!({"id": "in_1", "object": "invoice", "total": 100}),
        )
        .reply()
    })
    .await
}

fn args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        "scenarios",
        "--base-url",
        url,
        "--report-dir",
        "reports",
        "--snapshots",
        "snaps",
    ];
    a.extend_from_slice(extra);
    a
}

const KEY: (&str, &str) = ("STRIPE_API_KEY", "sk_test_apiparity");

fn report(root: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("reports/report.json")).unwrap())
        .unwrap()
}

/// Before: the run aborted on the first corrupt snapshot, wrote no report (the previous green
/// summary stayed), `--update` could not repair it and `reject` could not remove a corrupt
/// `.json.new`.
#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_snapshot_fails_its_step_only_and_update_repairs_it() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    suite(root);
    let url = server.base_url();
    let up = apiparity(root, &args(&url, &["--update"]), &[KEY]).await;
    assert_eq!(up.code, Some(0), "{up:?}");
    let green = report(root);
    assert_eq!(green["summary"]["exit_code"], 0);

    let bad = root.join("snaps/disk/a/01-get.json");
    std::fs::write(&bad, "{\"meta\": {\"scenario\": tru").unwrap();
    let run = apiparity(root, &args(&url, &[]), &[KEY]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("01-get.json:1:"),
        "names the file and line: {all}"
    );
    let r = report(root);
    assert_ne!(r["run_id"], green["run_id"], "a fresh report was written");
    let status = |key: &str| {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["status"].clone())
            .unwrap()
    };
    assert_eq!(status("disk/a"), json!("fail"));
    assert_eq!(
        status("disk/b"),
        json!("pass"),
        "the other scenario still compared"
    );
    assert!(root.join("snaps/disk/a/01-get.json.new").exists());

    // A corrupt pending file: review names it, reject removes it.
    std::fs::write(root.join("snaps/disk/a/01-get.json.new"), "garbage").unwrap();
    let review = apiparity(root, &["review", "--snapshots", "snaps"], &[]).await;
    assert_eq!(review.code, Some(0), "{review:?}");
    assert!(review.stderr.contains("corrupt pending file"), "{review:?}");
    let reject = apiparity(root, &["reject", "--snapshots", "snaps"], &[]).await;
    assert_eq!(reject.code, Some(0), "{reject:?}");
    assert!(!root.join("snaps/disk/a/01-get.json.new").exists());

    // --update repairs the corrupt snapshot.
    let repair = apiparity(root, &args(&url, &["--update"]), &[KEY]).await;
    assert_eq!(repair.code, Some(0), "{repair:?}");
    let fixed: Value = serde_json::from_str(&std::fs::read_to_string(&bad).unwrap()).unwrap();
    assert_eq!(fixed["response"]["body"]["total"], 100);
    let again = apiparity(root, &args(&url, &[]), &[KEY]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
}

/// A run through `sh`, for a umask or a file-size limit that only the child gets.
fn sh(root: &Path, prelude: &str, args: &[String]) -> std::process::Output {
    let mut line = format!("{prelude}; exec \"$0\"");
    for (i, _) in args.iter().enumerate() {
        line.push_str(&format!(" \"${}\"", i + 1));
    }
    Command::new("sh")
        .current_dir(root)
        .env_clear()
        .env("NO_COLOR", "1")
        .env(KEY.0, KEY.1)
        .arg("-c")
        .arg(line)
        .arg(env!("CARGO_BIN_EXE_apiparity"))
        .args(args)
        .output()
        .unwrap()
}

/// Before: rewritten snapshots were 0600 whatever the umask, and `.tmpXXXXXX` files of a
/// killed `--update` stayed forever.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn snapshots_get_the_umask_mode_and_stale_temp_files_are_removed() {
    use std::os::unix::fs::PermissionsExt;
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    suite(&root);
    let url = server.base_url();
    // What a kill -9 mid-write leaves: a temp file of a process that is gone.
    std::fs::create_dir_all(root.join("snaps/disk/a")).unwrap();
    let stale = root.join("snaps/disk/a/.apiparity-tmp-4194304-0000000000000000");
    std::fs::write(&stale, "{\"half\":").unwrap();
    let a: Vec<String> = args(&url, &["--update"])
        .iter()
        .map(|s| s.to_string())
        .collect();
    let r = tokio::task::spawn_blocking(move || sh(&root, "umask 022", &a))
        .await
        .unwrap();
    assert_eq!(r.status.code(), Some(0), "{r:?}");
    let root = dir.path();
    for f in ["snaps/disk/a/01-get.json", "reports/report.json"] {
        let mode = std::fs::metadata(root.join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o644, "{f}");
    }
    assert!(!stale.exists(), "the stale temp file was removed");
    let leftovers: Vec<_> = std::fs::read_dir(root.join("snaps/disk/a"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["01-get.json"]);
    let ignore =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".apiparity-tmp-*"));
}

/// Before: a full disk left a truncated report.json and the run did not say so. Here the
/// child may write no file over 1 KiB (EFBIG, as a full disk's ENOSPC): the run fails naming
/// the file, and the previous report.json is still whole.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_fails_is_reported_and_leaves_the_old_file_whole() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    suite(&root);
    let url = server.base_url();
    let first = apiparity(&root, &args(&url, &["--update"]), &[KEY]).await;
    assert_eq!(first.code, Some(0), "{first:?}");
    let before = std::fs::read_to_string(root.join("reports/report.json")).unwrap();
    assert!(
        before.len() > 1024,
        "the report is big enough to hit the limit"
    );
    let a: Vec<String> = args(&url, &[]).iter().map(|s| s.to_string()).collect();
    let r2 = root.clone();
    let out = tokio::task::spawn_blocking(move || sh(&r2, "ulimit -f 1; trap '' XFSZ", &a))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr.contains("reports/"), "names the file: {stderr}");
    let after = std::fs::read_to_string(root.join("reports/report.json")).unwrap();
    assert!(
        after == before || serde_json::from_str::<Value>(&after).is_ok(),
        "report.json is whole"
    );
    let stray: Vec<_> = std::fs::read_dir(root.join("reports"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".apiparity-tmp-")
        })
        .collect();
    assert!(stray.is_empty(), "no temp file left behind");
}
