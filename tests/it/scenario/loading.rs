//! Loading scenario files from a hostile file system: a FIFO named `*.yaml` (used to hang
//! `check`), a symlink to `/dev/zero` (read until memory ran out), a 5 MB scenario (read whole),
//! a UTF-8 BOM (rejected with an invisible character in the message) and a second YAML document
//! after `---` (silently ignored).

use std::path::Path;
use std::time::Duration;

use crate::support::bin::apiparity;
use apiparity::scenario;

const OK: &str = "steps:\n  - id: list\n    request: {method: GET, path: /v1/invoices}\n";

fn load_err(root: &Path) -> String {
    let diags = scenario::load(&[root], root).expect_err("must not load");
    diags.render(false)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_and_a_device_are_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    let fifo = root.join("scenarios/pipe.yaml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", root.join("scenarios/zero.yaml")).unwrap();
    std::fs::write(root.join("scenarios/good.yaml"), OK).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        apiparity(root, &["check", "scenarios"], &[]),
    )
    .await
    .expect("check must not block on a FIFO nor read /dev/zero forever");
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("pipe.yaml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("not a regular file (a FIFO)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("zero.yaml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("not a regular file (a device)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut big = String::from(OK);
    while big.len() < 5 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(root.join("big.yaml"), &big).unwrap();
    let msg = load_err(root);
    assert!(msg.contains("big.yaml:1:1"), "{msg}");
    assert!(msg.contains("over the 4194304-byte limit"), "{msg}");
    assert!(msg.contains("APIPARITY_MAX_FILE_SIZE"), "{msg}");
}

#[test]
fn a_utf8_bom_is_accepted_and_positions_stay_right() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("bom.yaml"), format!("\u{feff}{OK}")).unwrap();
    let loaded = scenario::load(&[root], root).expect("a BOM is fine");
    assert_eq!(loaded[0].steps[0].id, "list");
    std::fs::write(root.join("bom.yaml"), "\u{feff}stepz: []\n").unwrap();
    let msg = load_err(root);
    assert!(msg.contains("bom.yaml:1:1"), "{msg}");
    assert!(
        !msg.contains('\u{feff}'),
        "no invisible character in: {msg:?}"
    );
}

#[test]
fn a_second_yaml_document_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("two.yaml"),
        format!("{OK}---\nsteps:\n  - id: other\n    request: {{method: GET, path: /v1/x}}\n"),
    )
    .unwrap();
    let msg = load_err(root);
    assert!(msg.contains("two.yaml:4:1"), "{msg}");
    assert!(msg.contains("a second YAML document"), "{msg}");
    // A leading `---` starts the one document: fine.
    std::fs::write(root.join("two.yaml"), format!("---\n{OK}")).unwrap();
    assert!(scenario::load(&[root], root).is_ok());
}
