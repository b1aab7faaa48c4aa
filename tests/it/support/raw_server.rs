//! A raw HTTP/1.1 test server for the fault, rate-limit, sweep, live-guard and secret tests.
//!
//! The server speaks HTTP/1.1 on a raw `tokio::net::TcpListener` (no HTTP library) so a test
//! controls every byte: it can answer, close the connection after reading a request, hang, or
//! send a truncated body. Every request it reads is logged with its arrival time, so tests can
//! count attempts and measure rates from the server's side.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Requests larger than this are refused (the tests never send one).
const MAX_REQUEST: usize = 1024 * 1024;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    /// 0-based, in order of arrival across all connections.
    pub seq: usize,
    pub method: String,
    /// Path and query, as on the request line.
    pub target: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self) -> Vec<(String, String)> {
        let q = self.target.split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }
}

/// What the server does with a request it has read.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response; the connection stays open for the next request.
    Respond(Resp),
    /// Close the connection without sending a byte (the response is lost).
    Close,
    /// Never answer; keep the connection open until the client gives up.
    Hang,
    /// Write these bytes verbatim, then close (malformed or truncated responses).
    Raw(Vec<u8>),
    /// Write these bytes, then stall with the connection open (a body that stops arriving).
    Stall(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, body: &Value) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
    pub fn text(status: u16, content_type: &str, body: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn reply(self) -> Reply {
        Reply::Respond(self)
    }
    /// The bytes on the wire, with a correct Content-Length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running test server. Dropping it stops accepting connections.
pub struct TestServer {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl TestServer {
    /// Starts on an ephemeral loopback port, on the current tokio runtime.
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let log: Arc<Mutex<Vec<Request>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let seq = Arc::new(AtomicUsize::new(0));
        let log2 = Arc::clone(&log);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (handler, log, seq) =
                    (Arc::clone(&handler), Arc::clone(&log2), Arc::clone(&seq));
                tokio::spawn(serve_conn(stream, handler, log, seq));
            }
        });
        TestServer { addr, log, accept }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request read so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.log.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Every request but the keyless `HEAD /` a run sends a URL target first to learn what it
    /// is (`pipeline::reachable`), which is checked here to carry nothing of the run's: no
    /// key, no scenario header, no body.
    pub fn steps(&self) -> Vec<Request> {
        let all = self.requests();
        for probe in all.iter().filter(|r| r.is_probe()) {
            for (k, v) in &probe.headers {
                assert!(
                    !matches!(k.as_str(), "authorization" | "stripe-version")
                        && !k.starts_with("apiparity-")
                        && !v.contains("sk_")
                        && !v.contains("rk_"),
                    "the probe carried {k}: {v}"
                );
            }
            assert!(probe.body.is_empty(), "the probe carried a body");
        }
        all.into_iter().filter(|r| !r.is_probe()).collect()
    }
}

impl Request {
    /// The reachability probe (see [`TestServer::steps`]).
    pub fn is_probe(&self) -> bool {
        self.method == "HEAD" && self.target == "/"
    }
}

async fn serve_conn(
    mut stream: TcpStream,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Request>>>,
    seq: Arc<AtomicUsize>,
) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf, &seq).await else {
            return;
        };
        if let Ok(mut l) = log.lock() {
            l.push(req.clone());
        }
        match handler(&req) {
            Reply::Respond(resp) => {
                if stream.write_all(&resp.to_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Hang => {
                // Long past any timeout a test uses; the runtime ends first.
                tokio::time::sleep(Duration::from_secs(600)).await;
                return;
            }
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                return;
            }
            Reply::Stall(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_secs(600)).await;
                return;
            }
        }
    }
}

/// Reads one request (head and Content-Length body). `None` when the client closed.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    seq: &AtomicUsize,
) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_REQUEST || !fill(stream, buf).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        if buf.len() > MAX_REQUEST || !fill(stream, buf).await {
            return None;
        }
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Some(Request {
        seq: seq.fetch_add(1, Ordering::SeqCst),
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
