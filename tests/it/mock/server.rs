//! `apiparity mock` as a process, and its connections: the banner comes only after the bind
//! succeeds and names the real port (`--port 0`), a connection that sends nothing is closed
//! after `--idle-timeout`, and a malformed key is echoed as a short prefix at most.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apiparity::mock::{self, MockOptions};

fn mock_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apiparity"));
    c.arg("mock")
        .args(args)
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Kills the child it holds (by its own handle) when the test ends, pass or fail.
struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Before: "serving … on :PORT" was printed, then the bind failed with "Address already in use".
#[test]
fn a_failed_bind_prints_no_banner() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = mock_cmd(&["--port", &port]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("serving"),
        "no banner before a failed bind: {err}"
    );
    assert!(err.contains(&port), "{err}");
}

/// Before: `--port 0` printed port 0. Now the banner's URL is the one to connect to, and it
/// closes a connection that sends nothing (before: held open forever).
#[test]
fn port_zero_prints_the_real_port_and_idle_connections_are_closed() {
    let mut child = Guard(
        mock_cmd(&["--port", "0", "--idle-timeout", "1s"])
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let addr = url.trim_start_matches("http://");
    assert!(!addr.ends_with(":0"), "{line}");

    // The port answers.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /v1/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_apiparity\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");

    // A connection that sends nothing is closed after about a second.
    let mut idle = std::net::TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let n = idle.read(&mut buf);
    let waited = started.elapsed();
    assert!(
        matches!(n, Ok(0))
            || n.as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "closed, not timed out on our side: {n:?} after {waited:?}"
    );
    assert!(waited < Duration::from_secs(8), "{waited:?}");
}

/// Before: a malformed key came back as its whole length in stars plus up to its first parts
/// verbatim (`hello_world_…`). Now: at most 4 characters of it, and a bounded message.
#[tokio::test]
async fn a_malformed_key_is_echoed_as_a_short_prefix_at_most() {
    let server = mock::spawn(MockOptions::default()).await.unwrap();
    let secret = format!("hello_world_{}", "Z".repeat(4000));
    for auth in [format!("Bearer {secret}"), format!("Token {secret}")] {
        let r = reqwest::Client::new()
            .get(format!("{}/v1/invoices", server.base_url()))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let body = r.text().await.unwrap();
        assert!(!body.contains("hello_"), "{body}");
        assert!(!body.contains("ZZZZ"), "{body}");
        assert!(body.len() < 1000, "bounded: {} bytes", body.len());
    }
    server.shutdown().await;
}
