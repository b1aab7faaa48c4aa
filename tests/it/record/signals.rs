//! The real binary: SIGINT mid-flow writes every answered exchange; SIGKILL loses none either,
//! because the next `apiparity record` into the same directory finishes the journal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{cassette, json, FormExt};

struct Proxy {
    child: Child,
    base_url: String,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `apiparity record` on a free port and waits for its banner (printed once bound).
fn start(upstream: &str, out: &Path, extra: &[&str]) -> Proxy {
    let session: &[&str] = if extra.contains(&"--session") {
        &[]
    } else {
        &["--session", "flow"]
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_apiparity"))
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(out.parent().unwrap())
        .args(["record", "--upstream", upstream, "--listen", "127.0.0.1:0"])
        .arg("--out")
        .arg(out)
        .args(session)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the apiparity binary");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let base_url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("record exited before listening:\n{seen}"))
            .unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let stderr = std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            seen.push_str(&l);
            seen.push('\n');
        }
        seen
    });
    Proxy {
        child,
        base_url,
        stderr,
    }
}

impl Proxy {
    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill");
    }

    /// Waits (bounded) for the exit: its code, stdout and stderr.
    async fn wait(mut self) -> (Option<i32>, String, String) {
        let out = tokio::task::spawn_blocking(move || {
            for _ in 0..200 {
                if let Some(status) = self.child.try_wait().unwrap() {
                    let mut stdout = String::new();
                    use std::io::Read;
                    self.child
                        .stdout
                        .take()
                        .unwrap()
                        .read_to_string(&mut stdout)
                        .unwrap();
                    return (status.code(), stdout, self.stderr.join().unwrap());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            panic!("record did not exit within 10 s");
        });
        out.await.unwrap()
    }
}

async fn create_customer(http: &reqwest::Client, base: &str, n: usize) -> Value {
    let resp = http
        .post(format!("{base}/v1/customers"))
        .bearer_auth(crate::support::TEST_KEY)
        .form_pairs(&[("name", format!("customer {n}"))])
        .send()
        .await
        .unwrap();
    json(resp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_flow_keeps_every_answered_exchange() {
    // A slow upstream, so the SIGINT lands while a request is in flight.
    let mock = apiparity::mock::spawn(apiparity::mock::MockOptions {
        latency: Duration::from_millis(300),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    let proxy = start(&mock.base_url(), &out, &[]);
    let http = reqwest::Client::new();
    let mut answered = Vec::new();
    for n in 0..3 {
        answered.push(create_customer(&http, &proxy.base_url, n).await);
    }
    let base = proxy.base_url.clone();
    let in_flight = tokio::spawn({
        let http = http.clone();
        async move {
            http.post(format!("{base}/v1/customers"))
                .bearer_auth(crate::support::TEST_KEY)
                .form_pairs(&[("name", "in flight")])
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.signal(libc::SIGINT);
    let last = in_flight.await.unwrap();
    let (code, stdout, stderr) = proxy.wait().await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("SIGINT; writing"), "{stderr}");
    // The request in flight when the signal came is finished and answered, then recorded.
    if let Ok(r) = last {
        if r.status().is_success() {
            answered.push(json(r).await);
        }
    }
    let recorded = cassette(&out, "flow");
    let ids: Vec<&Value> = recorded.iter().map(|e| &e.body["id"]).collect();
    let want: Vec<&Value> = answered.iter().map(|b| &b["id"]).collect();
    assert_eq!(ids, want, "every answered exchange, in order:\n{stdout}");
    assert!(answered.len() >= 3);
    assert!(
        stdout.contains(&format!("flow: {} exchanges", answered.len())),
        "{stdout}"
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_idle_write_too() {
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    let out = dir.path().join("term");
    let proxy = start(&mock.base_url(), &out, &[]);
    create_customer(&http, &proxy.base_url, 0).await;
    proxy.signal(libc::SIGTERM);
    let (code, _, stderr) = proxy.wait().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(cassette(&out, "flow").len(), 1);

    let out = dir.path().join("idle");
    let proxy = start(&mock.base_url(), &out, &["--idle", "1500ms"]);
    create_customer(&http, &proxy.base_url, 0).await;
    create_customer(&http, &proxy.base_url, 1).await;
    // No signal: the recorder stops on its own once idle.
    let (code, _, stderr) = proxy.wait().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("idle; writing"), "{stderr}");
    assert_eq!(cassette(&out, "flow").len(), 2);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_session_is_finished_by_the_next_one() {
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    let http = reqwest::Client::new();
    let proxy = start(&mock.base_url(), &out, &[]);
    let a = create_customer(&http, &proxy.base_url, 0).await;
    let b = create_customer(&http, &proxy.base_url, 1).await;
    // SIGKILL: no handler runs, nothing is written at the end.
    proxy.signal(libc::SIGKILL);
    let _ = proxy.wait().await;
    assert!(!out.join("cassettes").exists());
    let journaled = super::files(&out.join(apiparity::record::journal::DIR));
    assert_eq!(journaled.len(), 3, "two exchanges and the session's meta");

    let proxy = start(&mock.base_url(), &out, &["--idle", "100ms"]);
    let (code, stdout, stderr) = proxy.wait().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("finished an interrupted session: flow (2 exchanges)"),
        "{stderr}"
    );
    assert!(stdout.contains("flow: 2 exchanges"), "{stdout}");
    let ids: Vec<Value> = cassette(&out, "flow")
        .into_iter()
        .map(|e| e.body["id"].clone())
        .collect();
    assert_eq!(ids, [a["id"].clone(), b["id"].clone()]);
    assert!(!out.join(apiparity::record::journal::DIR).exists());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_reaches_the_terminal_or_any_file() {
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    let proxy = start(&mock.base_url(), &out, &["--session", "keys"]);
    let http = reqwest::Client::new();
    // Built at run time: no key-shaped literal in the repository.
    let body_of = "Qw3Er4Ty5Ui6Op7As8Df9Gh0";
    let test_key = format!("sk_{}_{body_of}", "test");
    let live_key = format!("rk_{}_{body_of}", "live");
    let r = http
        .get(format!("{}/v1/customers/{test_key}", proxy.base_url))
        .bearer_auth(crate::support::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "forwarded, answered by the mock");
    let r = http
        .get(format!("{}/v1/customers/{live_key}", proxy.base_url))
        .bearer_auth(crate::support::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "refused");
    let r = http
        .get(format!("{}/v1/invoices", proxy.base_url))
        .bearer_auth(&live_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "refused");
    proxy.signal(libc::SIGINT);
    let (code, stdout, stderr) = proxy.wait().await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("refused GET /v1/customers/rk_live_REDACTED"),
        "{stderr}"
    );
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(body_of), "{what}: {text}");
    }
    let written = super::files(&out);
    assert!(!written.is_empty());
    for (path, bytes) in written {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(body_of), "{}: {text}", path.display());
    }
    let recorded = cassette(&out, "keys");
    assert_eq!(recorded.len(), 1, "refused requests are not recorded");
    assert_eq!(recorded[0].path, "/v1/customers/sk_test_REDACTED");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_session_s_journal_is_left_to_it() {
    let mock = apiparity::mock::spawn(Default::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    let http = reqwest::Client::new();
    let first = start(&mock.base_url(), &out, &[]);
    let a = create_customer(&http, &first.base_url, 0).await;
    // A second recorder into the same directory, while the first still runs.
    let second = start(
        &mock.base_url(),
        &out,
        &["--idle", "100ms", "--session", "other"],
    );
    let (code, stdout, stderr) = second.wait().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("still runs; left alone"), "{stderr}");
    assert!(!stdout.contains("flow:"), "{stdout}");
    let b = create_customer(&http, &first.base_url, 1).await;
    first.signal(libc::SIGINT);
    let (code, _, stderr) = first.wait().await;
    assert_eq!(code, Some(0), "{stderr}");
    let ids: Vec<Value> = cassette(&out, "flow")
        .into_iter()
        .map(|e| e.body["id"].clone())
        .collect();
    assert_eq!(ids, [a["id"].clone(), b["id"].clone()]);
    mock.shutdown().await;
}
