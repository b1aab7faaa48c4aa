//! The `apiparity` binary as a user runs it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apiparity"));
    // A clean environment: no key, no target, no update, no pending files.
    for v in [
        "STRIPE_API_KEY",
        "APIPARITY_BASE_URL",
        "APIPARITY_UPDATE",
        "APIPARITY_STRIPE_VERSION",
    ] {
        c.env_remove(v);
    }
    c.env("CI", "true").env("NO_COLOR", "1");
    c
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A workspace with one scenario and its snapshots.
fn workspace(key: &str) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let scen = dir.path().join("scenarios").join(format!("{key}.yaml"));
    std::fs::create_dir_all(scen.parent().expect("parent")).expect("mkdir");
    std::fs::copy(root.join("scenarios").join(format!("{key}.yaml")), &scen)
        .expect("copy scenario");
    copy_dir(
        &root.join("snapshots").join(key),
        &dir.path().join("snapshots").join(key),
    );
    dir
}

#[test]
fn a_changed_snapshot_value_fails_and_every_output_names_it() {
    let ws = workspace("finalize/with-amount");
    let snap: PathBuf = ws
        .path()
        .join("snapshots/finalize/with-amount/04-finalize.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).expect("snapshot")).expect("json");
    assert_eq!(
        v["response"]["body"]["amount_due"], 1099,
        "the fixture we edit"
    );
    v["response"]["body"]["amount_due"] = 4242.into();
    std::fs::write(&snap, serde_json::to_string_pretty(&v).expect("json")).expect("write");

    let out = bin()
        .current_dir(ws.path())
        .args(["run", "--report-dir", "out"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let terminal = text(&out);
    let json = std::fs::read_to_string(ws.path().join("out/report.json")).expect("report.json");
    let junit = std::fs::read_to_string(ws.path().join("out/junit.xml")).expect("junit.xml");
    let md = std::fs::read_to_string(ws.path().join("out/summary.md")).expect("summary.md");
    for (name, doc) in [
        ("terminal", &terminal),
        ("report.json", &json),
        ("junit.xml", &junit),
        ("summary.md", &md),
    ] {
        for needle in [
            "finalize/with-amount",
            "finalize",
            "/amount_due",
            "4242",
            "1099",
        ] {
            assert!(
                doc.contains(needle),
                "{name} does not name {needle}:\n{doc}"
            );
        }
    }
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let d = &report["scenarios"][0]["steps"][3]["differences"][0];
    assert_eq!(d["pointer"], "/amount_due");
    assert_eq!(d["kind"], "value_changed");
    assert_eq!(d["expected"], 4242);
    assert_eq!(d["actual"], 1099);
    // CI is set: no pending file was written.
    assert!(!ws
        .path()
        .join("snapshots/finalize/with-amount/04-finalize.json.new")
        .exists());
}

#[test]
fn outside_ci_a_difference_is_written_beside_the_snapshot_for_review() {
    let ws = workspace("delete/draft");
    let snap = ws.path().join("snapshots/delete/draft/03-delete.json");
    let original = std::fs::read_to_string(&snap).expect("snapshot");
    std::fs::write(
        &snap,
        original.replace("\"deleted\": true", "\"deleted\": false"),
    )
    .expect("write");
    let out = bin()
        .env_remove("CI")
        .current_dir(ws.path())
        .args(["run", "--report-dir", "out"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let pending = ws.path().join("snapshots/delete/draft/03-delete.json.new");
    assert!(pending.exists(), "{}", text(&out));
    // accept puts the new version in place; the next run passes.
    let acc = bin()
        .current_dir(ws.path())
        .args(["accept"])
        .output()
        .expect("accept");
    assert_eq!(acc.status.code(), Some(0), "{}", text(&acc));
    assert!(!pending.exists());
    let again = bin()
        .current_dir(ws.path())
        .args(["run", "--report-dir", "out"])
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}

/// Counts connections; a malformed scenario must not cause a single one.
fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&count);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if conn.is_ok() {
                c.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (format!("http://{addr}"), count)
}

#[test]
fn malformed_scenarios_give_positions_and_send_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scen = dir.path().join("scenarios");
    std::fs::create_dir_all(&scen).expect("mkdir");
    std::fs::write(
        scen.join("bad.yaml"),
        "steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n    expct: {status: 200}\n  - id: b\n    request: {method: GET, path: \"/v1/invoices/{{nope}}\"}\n",
    )
    .expect("write");
    std::fs::write(
        scen.join("ok.yaml"),
        "steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n",
    )
    .expect("write");
    let (url, count) = counting_server();
    let out = bin()
        .current_dir(dir.path())
        .args(["run", "--base-url", &url])
        .output()
        .expect("run");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("bad.yaml:4:5"), "unknown key position: {t}");
    assert!(t.contains("did you mean `expect`?"), "{t}");
    assert!(
        t.contains("bad.yaml:6:"),
        "undefined variable position: {t}"
    );
    assert!(t.contains("nope"), "{t}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "no request may be sent");

    let check = bin()
        .current_dir(dir.path())
        .args(["check"])
        .output()
        .expect("check");
    assert_eq!(check.status.code(), Some(2));
    assert!(text(&check).contains("bad.yaml:4:5"));
}

#[test]
fn check_passes_on_the_suite() {
    let out = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check"])
        .output()
        .expect("check");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("all valid"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = bin()
        .args(["run", "--timeout", "soon"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--timeout"), "{}", text(&out));
    let out = bin()
        .args(["run", "--base-url", "ftp://x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--base-url"), "{}", text(&out));
    let out = bin()
        .args(["run", "--stripe-version", "basil"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// `--timeout 0s` made every request race the clock (results differed run to run): refused at
/// flag validation, before anything is started or sent. So is a size that is not one.
#[test]
fn a_zero_timeout_and_a_bad_max_body_are_refused() {
    for args in [
        &["run", "--timeout", "0s"][..],
        &["run", "--timeout", "0ms"][..],
    ] {
        let out = bin().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("--timeout must be longer than 0s"),
            "{}",
            text(&out)
        );
        assert!(
            !text(&out).contains("target:"),
            "nothing ran: {}",
            text(&out)
        );
    }
    let out = bin()
        .args(["run", "--max-body", "lots"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--max-body"), "{}", text(&out));
    assert!(text(&out).contains("16MiB"), "{}", text(&out));
}

/// src/main.rs sets mimalloc's arena commit option by its number in the vendored version's
/// enum, so an upgrade that renumbers it must fail here, not quietly triple a run's memory
/// (eager commit: 102 MB peak for the default run, against 38 MB). mimalloc names every option
/// with its value when asked to be verbose.
#[test]
#[cfg(target_os = "linux")]
fn the_allocator_commits_its_arenas_on_demand() {
    let out = bin()
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .output()
        .expect("run apiparity");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("option 'arena_eager_commit': 0"), "{err}");
}
