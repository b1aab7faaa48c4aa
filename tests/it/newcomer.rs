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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_takes_runs_target_default_for_its_left_side() {
    let dir = layout();
    let out = apiparity(
        &dir.path().join("proj"),
        &["diff", "--right", "embedded"],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("left:  http://127.0.0.1:"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("1 identical"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learn_noise_that_compared_nothing_says_so_and_exits_2() {
    use apiparity::config::{RunConfig, Settings, TargetSpec};
    use apiparity::pipeline::{self, noise};
    let cfg = RunConfig::new(Settings {
        paths: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")],
        target: TargetSpec::EmbeddedMock,
        ..Settings::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (target, server) = pipeline::start_target(&cfg.target).await.unwrap();
    let report = noise::learn_noise(&[], target, &cfg, 2).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    let text = report.terminal();
    assert!(text.contains("Nothing compared"), "{text}");
    assert!(
        !text.contains("every normalized value was stable"),
        "{text}"
    );
    assert_eq!(report.exit_code(), 2);
}

/// A loopback listener that is no TLS server: each connection gets `reply` (nothing: closed at
/// once) and is closed. Returns its `https://` URL and the number of connections it took.
async fn not_tls(reply: &'static [u8]) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let conns = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&conns);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = s.write_all(reply).await;
            let _ = s.shutdown().await;
        }
    });
    (format!("https://127.0.0.1:{port}"), conns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_target_whose_tls_handshake_fails_stops_the_run_with_one_message_and_exit_2() {
    let dir = layout();
    let proj = dir.path().join("proj");
    for reply in [&b"garbage, not TLS\r\n\r\n"[..], &b""[..]] {
        let (url, conns) = not_tls(reply).await;
        for args in [
            vec!["run", "--base-url", &url],
            vec!["diff", "--left", "embedded", "--right", &url],
        ] {
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
                errors[0].contains(&format!(
                    "cannot reach the target at {url}: the TLS handshake failed"
                )),
                "{args:?}: {}",
                out.stderr
            );
            assert!(!out.stdout.contains("could not connect"), "{}", out.stdout);
        }
        // The TCP check and the handshake (no retries): a few connections, not one per step.
        let n = conns.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=6).contains(&n), "{n} connections");
    }
    assert!(
        !proj.join("reports").exists(),
        "nothing ran, nothing is reported"
    );
}

/// An http target that answers `n` requests (`200 {"object": "list", "data": []}`, one
/// connection each) and then stops listening, as a mock that crashes mid-run would.
async fn serves_then_stops(n: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..n {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => buf.extend_from_slice(&chunk[..k]),
                }
            }
            let body = br#"{"object": "list", "data": []}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body).await;
            let _ = s.shutdown().await;
        }
        // The listener drops here: every later connect is refused.
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_goes_away_mid_run_cuts_the_run_short_with_one_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("proj");
    let s = proj.join("scenarios/gone");
    std::fs::create_dir_all(&s).unwrap();
    let scenario = "\
steps:
  - id: one
    request: {method: GET, path: /v1/invoices, query: {limit: 1}}
    expect: {status: 200}
  - id: two
    request: {method: GET, path: /v1/invoices, query: {limit: 2}}
    expect: {status: 200}
  - id: three
    request: {method: GET, path: /v1/invoices, query: {limit: 3}}
    expect: {status: 200}
teardown:
  - id: cleanup
    request: {method: GET, path: /v1/invoices, query: {limit: 4}}
";
    let scenarios = 20;
    for i in 0..scenarios {
        std::fs::write(s.join(format!("s{i:02}.yaml")), scenario).unwrap();
    }
    // Four steps, then nothing listens.
    let url = serves_then_stops(4).await;
    let out = apiparity(&proj, &["run", "--base-url", &url, "--jobs", "2"], &[]).await;
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(
        errors[0].contains(&format!(
            "the run was cut short: the target at {url} stopped answering"
        )) && errors[0].contains("refused"),
        "{}",
        out.stderr
    );

    // Reports are written and say so; far fewer requests were tried than the suite has steps.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(proj.join("reports/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["exit_code"], 2);
    assert!(
        json["summary"]["cut_short"]
            .as_str()
            .is_some_and(|c| c.contains(&url)),
        "{}",
        json["summary"]
    );
    let steps: Vec<&serde_json::Value> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .collect();
    assert_eq!(steps.len(), scenarios * 4);
    let attempts: u64 = steps.iter().map(|s| s["attempts"].as_u64().unwrap()).sum();
    assert!(
        attempts <= 20,
        "{attempts} attempts for {} steps",
        steps.len()
    );
    // The scenarios never started are not run, not passed.
    let not_run = json["summary"]["scenarios_not_run"].as_u64().unwrap();
    assert!(not_run >= 10, "{}", json["summary"]);
    assert_eq!(
        json["summary"]["scenarios_passed"], 0,
        "{}",
        json["summary"]
    );
    assert!(
        out.stdout.contains(&format!(", {not_run} not run;")),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("PASS"), "{}", out.stdout);
    let md = std::fs::read_to_string(proj.join("reports/summary.md")).unwrap();
    assert!(md.contains("the run was cut short"), "{md}");
    let junit = std::fs::read_to_string(proj.join("reports/junit.xml")).unwrap();
    assert!(junit.contains("cut_short"), "{junit}");
    let html = std::fs::read_to_string(proj.join("reports/report.html")).unwrap();
    assert!(html.contains("id=\"cut-short\""));
}
