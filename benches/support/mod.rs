//! Shared by the benchmarks in `benches/`: the built `apiparity` binary, a mock process on a
//! loopback port, timed child processes (wall time and peak RSS), an in-process HTTP proxy that
//! counts and may rewrite what passes, medians, and the BENCHMARKS.md writer.
//!
//! The benchmarks drive the binary over HTTP wherever they can, so they keep measuring the same
//! thing while `src/` is reorganised. Only 127.0.0.1 is ever contacted.

#![allow(dead_code)] // each benchmark uses a different part

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test: `APIPARITY_BENCH_BIN` (e.g. an older build, to compare builds in one
/// sitting), else the one cargo built for this benchmark.
pub fn bin() -> PathBuf {
    std::env::var_os("APIPARITY_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_apiparity")))
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A positive number from the environment, or the default.
pub fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| *v > 0.0 && v.is_finite())
        .unwrap_or(default)
}

/// A command for the binary with nothing from the caller's environment that could change the
/// target or the snapshot mode: no STRIPE_API_KEY, no APIPARITY_* settings, not in CI.
pub fn apiparity(args: &[&str]) -> Command {
    apiparity_at(&bin(), args)
}

/// [`apiparity`] for a given build of the binary (to run two builds in one sitting).
pub fn apiparity_at(bin: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(args);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k == "STRIPE_API_KEY" || k == "CI" || k.starts_with("APIPARITY_") {
            c.env_remove(&k);
        }
    }
    c.env("NO_COLOR", "1");
    c.stdin(Stdio::null());
    c
}

/// The suite as the main job runs it, against a mock at `base`: `apiparity run scenarios
/// --base-url BASE --report-dir REPORTS --baseline mocks/embedded.yaml EXTRA…` in the
/// repository, with `CI=1` (nothing written beside the snapshots), output discarded. The main
/// job's baseline applies: an `apiparity mock` at a URL gets each scenario's account and day
/// as the embedded mock does, so its known gaps are the same.
pub fn suite(base: &str, reports: &Path, extra: &[&str]) -> Command {
    let reports = reports.to_str().expect("a UTF-8 report dir");
    let mut args = vec![
        "run",
        "scenarios",
        "--base-url",
        base,
        "--report-dir",
        reports,
        "--baseline",
        "mocks/embedded.yaml",
    ];
    args.extend_from_slice(extra);
    let mut cmd = apiparity(&args);
    cmd.current_dir(repo())
        .env("CI", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Is `prog` on PATH?
pub fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_listening(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the mock exited before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the mock did not listen on {addr} within 20 s");
}

/// `apiparity mock` as a child process on a free loopback port; killed when dropped.
pub struct MockProc {
    child: Child,
    pub port: u16,
}

impl MockProc {
    pub fn start(extra: &[&str]) -> MockProc {
        Self::start_at(&bin(), extra)
    }

    /// `bin mock …`: a given build's mock.
    pub fn start_at(bin: &Path, extra: &[&str]) -> MockProc {
        let port = free_port();
        let port_s = port.to_string();
        let mut args = vec!["mock", "--port", &port_s];
        args.extend_from_slice(extra);
        let mut child = apiparity_at(bin, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start apiparity mock");
        wait_listening(SocketAddr::from(([127, 0, 0, 1], port)), &mut child);
        MockProc { child, port }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    /// Peak resident set size so far, in KiB.
    pub fn hwm_kib(&self) -> u64 {
        proc_status_kib(self.pid(), "VmHWM:")
    }

    /// CPU time (user + system) the mock has used so far, from `/proc/<pid>/stat`.
    pub fn cpu(&self) -> Duration {
        proc_cpu(self.pid())
    }
}

/// User + system CPU time of a process so far (`utime`, `stime`: fields 14 and 15 of
/// `/proc/<pid>/stat`, counted after the parenthesised command name, which may hold spaces).
pub fn proc_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    // After ")": state is field 3, so utime (14) and stime (15) are the 12th and 13th here.
    let f: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64(f.iter().sum::<u64>() as f64 / hz)
}

impl Drop for MockProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(format!("/proc/{pid}/status")) {
        let _ = f.read_to_string(&mut s);
    }
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// How a child process ended.
#[derive(Clone, Copy, Debug)]
pub struct Finished {
    pub wall: Duration,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Peak resident set size over the whole life of the process (wait4's ru_maxrss), KiB.
    pub max_rss_kib: u64,
    /// User plus system CPU time.
    pub cpu: Duration,
}

/// Runs a command to completion: wall time from spawn to exit, exit code, peak RSS.
pub fn run_measured(cmd: &mut Command) -> Finished {
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4: {err}");
        }
    }
    let wall = start.elapsed();
    // Reaped above; dropping the handle only closes its pipes.
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Finished {
        wall,
        code,
        max_rss_kib: usage.ru_maxrss as u64,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    }
}

pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Replaces this benchmark's block in BENCHMARKS.md (between `<!-- bench:NAME -->` and
/// `<!-- /bench:NAME -->`), or appends it; every other part of the file is left as written.
pub fn write_section(name: &str, body: &str) {
    let path = repo().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_string());
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let when = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let block = format!(
        "{begin}\n_Measured {when} by `cargo bench --bench {name}`._\n\n{}\n{end}",
        body.trim_end()
    );
    let new = match (old.find(&begin), old.find(&end)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &old[..b], &old[e + end.len()..]),
        _ => format!("{}\n\n{block}\n", old.trim_end()),
    };
    // Temp file and rename: an interrupted benchmark never leaves half a file.
    let tmp = path.with_extension("md.tmp");
    match std::fs::write(&tmp, new).and_then(|()| std::fs::rename(&tmp, &path)) {
        Ok(()) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("could not write {}: {e}", path.display()),
    }
}

/// A markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        " --- |".repeat(header.len())
    );
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// Rewrites a response body on its way back through the [`Proxy`] (path and query, body).
pub type Rewrite = fn(&str, &[u8]) -> Option<Vec<u8>>;

/// An HTTP proxy on a loopback port in front of `upstream`: records when each request arrived
/// and, with a [`Rewrite`], changes response bodies. Runs on the given tokio runtime.
pub struct Proxy {
    pub addr: SocketAddr,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Proxy {
    pub fn start(rt: &tokio::runtime::Runtime, upstream: &str, rewrite: Option<Rewrite>) -> Proxy {
        use axum::body::Body;
        use axum::extract::Request;
        use axum::response::Response;

        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let upstream = upstream.trim_end_matches('/').to_string();
        let client = reqwest::Client::new();
        let log = arrivals.clone();
        let handler = move |req: Request| {
            let client = client.clone();
            let upstream = upstream.clone();
            let log = log.clone();
            async move {
                log.lock().unwrap().push(Instant::now());
                let (parts, body) = req.into_parts();
                let pq = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                let bytes = axum::body::to_bytes(body, 16 << 20)
                    .await
                    .unwrap_or_default();
                let mut rb = client.request(parts.method.clone(), format!("{upstream}{pq}"));
                for (k, v) in &parts.headers {
                    if k != "host" && k != "content-length" {
                        rb = rb.header(k, v);
                    }
                }
                let resp = match rb.body(bytes).send().await {
                    Ok(r) => r,
                    Err(e) => {
                        let mut r = Response::new(Body::from(format!("proxy: {e}")));
                        *r.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
                        return r;
                    }
                };
                let status = resp.status();
                let headers = resp.headers().clone();
                let body = resp.bytes().await.unwrap_or_default().to_vec();
                let body = rewrite.and_then(|f| f(&pq, &body)).unwrap_or(body);
                let mut out = Response::new(Body::from(body));
                *out.status_mut() = status;
                for (k, v) in &headers {
                    if k != "content-length" && k != "transfer-encoding" && k != "connection" {
                        out.headers_mut().insert(k, v.clone());
                    }
                }
                out
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Proxy {
            addr,
            arrivals,
            stop: Some(tx),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Arrival times so far, and clears them.
    pub fn take_arrivals(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.arrivals.lock().unwrap())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// The most requests that arrived in any one-second window (sliding, starting at an arrival).
pub fn max_per_second(arrivals: &[Instant]) -> usize {
    let mut t = arrivals.to_vec();
    t.sort();
    let mut best = 0;
    let mut j = 0;
    for i in 0..t.len() {
        while j < t.len() && t[j].duration_since(t[i]) < Duration::from_secs(1) {
            j += 1;
        }
        best = best.max(j - i);
    }
    best
}

/// A small async client for the mock's API (form bodies, test key, basil).
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Sends and returns (status, body bytes). `key`: an Idempotency-Key for POSTs.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &str,
        key: Option<&str>,
    ) -> (u16, axum::body::Bytes) {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("Authorization", "Bearer sk_test_apiparity")
            .header("Stripe-Version", "2025-03-31.basil");
        if method == reqwest::Method::POST {
            rb = rb
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_string());
        }
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        let resp = rb.send().await.expect("the mock answers");
        let status = resp.status().as_u16();
        (status, resp.bytes().await.expect("a body"))
    }

    pub async fn post(&self, path: &str, form: &str) -> serde_json::Value {
        let (status, body) = self.send(reqwest::Method::POST, path, form, None).await;
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    pub async fn get(&self, path: &str) -> (u16, axum::body::Bytes) {
        self.send(reqwest::Method::GET, path, "", None).await
    }
}

pub fn id_of(v: &serde_json::Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}
