//! A newcomer's first hour, as the binary behaves: an unreachable target stops every command at
//! once with one message and exit 2; the project root is found from the scenario paths, and
//! outside any project the message says what was looked for and where; `sweep` defaults to the
//! embedded mock like `run`; `review` says when its filter is why nothing matched.

use std::path::Path;

use crate::support::bin::apiparity;

const LIST: &str = "\
steps:
  - id: list
    request: {method: GET, path: /v1/invoices, query: {limit: 1}}
    expect: {status: 200}
";

/// `<tmp>/proj/scenarios/basics/list.yaml` and an empty `<tmp>/elsewhere`.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("proj/scenarios/basics");
    std::fs::create_dir_all(&s).unwrap();
    std::fs::write(s.join("list.yaml"), LIST).unwrap();
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    dir
}

/// A loopback port nothing listens on.
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_stops_every_command_with_one_message_and_exit_2() {
    let dir = layout();
    let proj = dir.path().join("proj");
    let url = closed_port_url();
    let cases: [Vec<&str>; 4] = [
        vec!["run", "--base-url", &url],
        vec!["learn-noise", "--base-url", &url],
        vec!["sweep", "--base-url", &url],
        vec!["diff", "--left", "embedded", "--right", &url],
    ];
    for args in cases {
        let out = apiparity(&proj, &args, &[]).await;
        assert_eq!(
            out.code,
            Some(2),
            "{args:?}\n{}\n{}",
            out.stdout,
            out.stderr
        );
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {}", out.stderr);
        assert!(
            errors[0].contains(&format!("cannot reach the target at {url}"))
                && errors[0].contains("refused"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("refused"), "{args:?}: {}", out.stdout);
    }
    assert!(
        !proj.join("reports").exists(),
        "nothing ran, nothing is reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_live_in_the_project_whatever_the_current_directory() {
    let dir = layout();
    let proj = dir.path().join("proj");
    let elsewhere = dir.path().join("elsewhere");
    let scenarios = proj.join("scenarios").display().to_string();
    let out = apiparity(&elsewhere, &["run", &scenarios], &[]).await;
    // No snapshot yet: a pending one, in the project's tree.
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(proj
        .join("snapshots/basics/list/01-list.json.new")
        .is_file());
    assert!(
        !elsewhere.join("snapshots").exists(),
        "a stray snapshot tree was created"
    );

    // From a subdirectory with no arguments, the project's scenarios and snapshots.
    let out = apiparity(&proj.join("scenarios/basics"), &["review"], &[]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("1 pending"), "{}", out.stdout);
    let out = apiparity(
        &proj.join("scenarios/basics"),
        &["review", "nothing-like-this"],
        &[],
    )
    .await;
    assert!(
        out.stdout
            .contains("no pending snapshot matches `nothing-like-this` (1 pending under"),
        "{}",
        out.stdout
    );
    let out = apiparity(&proj.join("scenarios/basics"), &["check"], &[]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("1 scenarios, 1 steps: all valid"),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_any_project_the_message_says_what_was_looked_for_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let out = apiparity(dir.path(), &["run"], &[]).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let here = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        out.stderr.contains(&format!(
            "not in an apiparity project: looked for apiparity.yaml or a scenarios/ directory in {}",
            here.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    assert!(!Path::new(&dir.path().join("snapshots")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_defaults_to_the_embedded_mock_like_run() {
    let dir = layout();
    let out = apiparity(&dir.path().join("proj"), &["sweep", "--dry-run"], &[]).await;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("scanned 0 customers"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_display_is_silent_when_stderr_is_not_a_terminal() {
    let dir = layout();
    let proj = dir.path().join("proj");
    for args in [vec!["run"], vec!["run", "--quiet"]] {
        let out = apiparity(&proj, &args, &[]).await;
        assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
        for drawn in ["scenarios ·", "ETA", "requests"] {
            assert!(!out.stderr.contains(drawn), "{args:?}: {}", out.stderr);
        }
    }
}
