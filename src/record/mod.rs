//! `apiparity record`: a recording reverse proxy. A team points its own test suite (any
//! language, any SDK) at it instead of Stripe; it forwards every request to the upstream (Stripe
//! test mode, a mock) and records what was answered, as references the rest of apiparity runs.
//!
//! * Safety: a live-mode key (`sk_live_`, `rk_live_`) anywhere in a request is refused and
//!   nothing is forwarded; keys, `Authorization` and cookies never reach disk (headers are kept
//!   by allowlist, [`capture::REQUEST_HEADERS`]; every key-shaped string and the request's own key
//!   in its other encodings are scrubbed, [`capture::Scrubber`]); requests are paced by the run's
//!   rate limiter (Stripe test mode's limit unless the upstream is on loopback).
//! * Grouping: one scenario per value of the `Apiparity-Scenario` request header, else the
//!   session's default scenario.
//! * Nothing answered is lost: every exchange is journaled atomically before its answer goes
//!   back ([`journal`]). [`Recorder::finish`] (on SIGINT/SIGTERM or `--idle`) turns the journal
//!   into one cassette per scenario, in the `../shared/recordings` shape, under
//!   `OUT/cassettes/<source>/`, and hands each to [`crate::import`], which writes the scenario
//!   (`OUT/scenarios/recorded/<source>/`) and its snapshots (`OUT/snapshots/recorded/<source>/`);
//!   a journal a kill left behind is finished by the next [`start`] into the same `OUT`.
//! * Loopback only, unless [`RecordOptions::allow_remote_listen`] says otherwise.
//!
//! ```no_run
//! # async fn demo() -> Result<(), apiparity::record::RecordError> {
//! use apiparity::record::{self, RecordOptions};
//! let rec = record::start(RecordOptions::new("http://127.0.0.1:12111", "recorded".into())).await?;
//! // … point a test suite at rec.base_url() …
//! let done = rec.finish().await?;
//! println!("{} exchanges recorded", done.recorded);
//! # Ok(()) }
//! ```

pub mod capture;
pub mod journal;
mod proxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::import;
use crate::run::ratelimit::Window;
use crate::run::{RateLimit, Target, TargetKind};

pub use capture::Exchange;
pub use journal::SessionMeta;
pub use proxy::scenario_name;

use journal::Journal;

/// Where the proxy listens unless told otherwise (the embedded mock's 12111, plus one).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:12112";
/// The request header that names the scenario a request belongs to (lower case, as HTTP/2
/// spells it; any case is accepted).
pub const SCENARIO_HEADER: &str = "apiparity-scenario";
/// Request and response bodies larger than this are refused, never buffered whole.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Where finished cassettes go under `--out` (`cassettes/<source>/<scenario>.json`).
pub const CASSETTES: &str = "cassettes";
/// The source recorded scenarios are filed under unless told otherwise.
pub const DEFAULT_SOURCE: &str = "record";
/// How the recorder names itself in provenance (`meta.source`).
pub const RECORDER: &str = "apiparity record";

/// Why recording could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// `--upstream` is not a usable base URL.
    #[error("--upstream {url}: {reason}")]
    Upstream {
        /// The URL as given (never with its credentials: see [`RecordOptions::validate`]).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A flag's value is not usable.
    #[error("{flag} {value}: {reason}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--listen` is not on loopback and that was not allowed.
    #[error(
        "--listen {addr}: not a loopback address; the proxy forwards with whatever key a \
         client sends, so it listens on loopback unless --allow-remote-listen is given"
    )]
    RemoteListen {
        /// The address.
        addr: SocketAddr,
    },
    /// The listen address could not be bound.
    #[error("--listen {addr}: cannot listen: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A journal entry cannot be read back (written by something else, or damaged).
    #[error("{}: unreadable journal entry: {message}", path.display())]
    Journal {
        /// The entry.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Exchanges were answered but could not be journaled.
    #[error("some exchanges were answered but not journaled (first: {0})")]
    NotJournaled(String),
}

impl RecordError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> RecordError {
        RecordError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// How to record.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// The upstream's base URL (`https://api.stripe.com`, `http://127.0.0.1:12111`).
    pub upstream: String,
    /// Where the proxy listens.
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen`.
    pub allow_remote_listen: bool,
    /// Where cassettes (and the journal) go.
    pub out: PathBuf,
    /// The scenario for requests without an `Apiparity-Scenario` header.
    pub session: String,
    /// The source scenarios are filed under: `OUT/scenarios/recorded/<source>/`.
    pub source: String,
    /// The Stripe-Version the scenarios use where a request and its answer recorded none
    /// (provenance then says it was supplied).
    pub stripe_version: Option<String>,
    /// Per-request timeout towards the upstream.
    pub timeout: Duration,
    /// Requests per second towards the upstream; `None`: the run's default for that target
    /// (Stripe test mode's limit, unlimited on loopback).
    pub rate: Option<f64>,
}

impl RecordOptions {
    /// Defaults: listen on [`DEFAULT_LISTEN`], session `session-<UTC start time>`, 30 s timeout.
    pub fn new(upstream: &str, out: PathBuf) -> RecordOptions {
        RecordOptions {
            upstream: upstream.to_string(),
            listen: DEFAULT_LISTEN.parse().expect("valid address"),
            allow_remote_listen: false,
            out,
            session: format!("session-{}", compact(&now_rfc3339())),
            source: DEFAULT_SOURCE.to_string(),
            stripe_version: None,
            timeout: Duration::from_secs(30),
            rate: None,
        }
    }

    /// Checks the options; returns the upstream base URL without a trailing slash.
    pub fn validate(&self) -> Result<String, RecordError> {
        let bad = |reason: &str| RecordError::Upstream {
            url: self.upstream.clone(),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(&self.upstream).map_err(|e| RecordError::Upstream {
            url: self.upstream.clone(),
            reason: format!("not a URL ({e}); expected e.g. https://api.stripe.com"),
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            // Said without echoing the URL: its userinfo may be a key.
            return Err(RecordError::Upstream {
                url: "(not shown: it carries credentials)".into(),
                reason: "must not carry credentials: clients send their own key".into(),
            });
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must be http:// or https://"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must be a base URL, without a query or fragment"));
        }
        if !self.allow_remote_listen && !self.listen.ip().is_loopback() {
            return Err(RecordError::RemoteListen { addr: self.listen });
        }
        if self.listen.port() != 0
            && url.port_or_known_default() == Some(self.listen.port())
            && (Target {
                base_url: self.upstream.clone(),
                api_key: None,
                kind: TargetKind::Custom,
                probed_at: None,
            })
            .is_loopback()
        {
            return Err(bad("is the proxy's own --listen address"));
        }
        for (flag, v) in [("--session", &self.session), ("--source", &self.source)] {
            if let Err(e) = scenario_name(v) {
                return Err(RecordError::Flag {
                    flag,
                    value: v.clone(),
                    reason: e.replace("the Apiparity-Scenario header", "it"),
                });
            }
        }
        if let Some(r) = self.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
            return Err(RecordError::Flag {
                flag: "--rate",
                value: r.to_string(),
                reason: "must be a number of requests per second above 0".into(),
            });
        }
        if self.timeout.is_zero() {
            return Err(RecordError::Flag {
                flag: "--timeout",
                value: "0s".into(),
                reason: "must be longer than 0s".into(),
            });
        }
        if let Some(v) = &self.stripe_version {
            if !crate::import::is_version(v) {
                return Err(RecordError::Flag {
                    flag: "--stripe-version",
                    value: v.clone(),
                    reason: "not a Stripe-Version (YYYY-MM-DD or YYYY-MM-DD.name)".into(),
                });
            }
        }
        Ok(self.upstream.trim_end_matches('/').to_string())
    }
}

/// A running recorder.
pub struct Recorder {
    addr: SocketAddr,
    shared: Arc<proxy::Shared>,
    out: PathBuf,
    recovered: Vec<Written>,
    held: Vec<PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    timeout: Duration,
}

/// One scenario written.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    /// The scenario's name.
    pub scenario: String,
    /// Its exchanges.
    pub exchanges: usize,
    /// The cassette, `OUT/cassettes/<source>/<scenario>.json`: every exchange, scrubbed, in
    /// the `../shared/recordings` shape (`apiparity import` reads it).
    pub cassette: PathBuf,
    /// The scenario file the importer wrote (`None`: it refused the cassette, see `refused`).
    pub scenario_file: Option<PathBuf>,
    /// The snapshot files, in step order.
    pub snapshots: Vec<PathBuf>,
    /// Exchanges the importer left out of the scenario, each with its reason.
    pub dropped: Vec<String>,
    /// Why the importer refused the cassette (it is kept: `apiparity import` can be run on it
    /// again).
    pub refused: Option<String>,
}

/// What a session left.
#[derive(Debug)]
pub struct Finished {
    /// Every scenario written, in name order.
    pub written: Vec<Written>,
    /// Exchanges recorded.
    pub recorded: usize,
    /// Requests refused (a live key) and never forwarded.
    pub refused: usize,
    /// Requests the upstream did not answer (not recorded).
    pub failed: usize,
}

/// Finishes any journal a killed session left in `out`, then binds and starts forwarding.
pub async fn start(opts: RecordOptions) -> Result<Recorder, RecordError> {
    let upstream = opts.validate()?;
    let mut recovered = Vec::new();
    let (abandoned, held) = Journal::leftovers(&opts.out);
    for dir in abandoned {
        recovered.extend(finalize(&dir, &opts.out)?);
    }
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| RecordError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| RecordError::Bind {
        addr: opts.listen,
        source,
    })?;
    let started_at = now_rfc3339();
    let journal = Journal::create(
        &opts.out,
        &session_id(&started_at),
        &SessionMeta {
            upstream: upstream.clone(),
            started_at,
            default_scenario: opts.session.clone(),
            source: opts.source.clone(),
            stripe_version: opts.stripe_version.clone(),
            pid: Some(std::process::id()),
        },
    )?;
    let target = Target {
        base_url: upstream.clone(),
        api_key: None,
        kind: TargetKind::Custom,
        probed_at: None,
    };
    let rate: Option<RateLimit> = crate::config::target::rate_limit(opts.rate, &target);
    let mut client = reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        // Stripe never redirects an API call: a redirect is the answer, passed back as is.
        .redirect(reqwest::redirect::Policy::none());
    if !upstream.starts_with("https:") {
        client = client.tls_certs_only(std::iter::empty());
    }
    let shared = Arc::new(proxy::Shared {
        client: client.build().unwrap_or_default(),
        upstream,
        journal,
        default_scenario: opts.session.clone(),
        all: rate.map(|r| Window::new(r.per_second)),
        search: rate.map(|r| Window::new(r.search_per_second)),
        seq: AtomicU64::new(1),
        activity: proxy::Activity::new(),
        counts: proxy::Counts::default(),
        journal_error: Mutex::new(None),
    });
    let app = axum::Router::new()
        .fallback(proxy::handle)
        .with_state(shared.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Recorder {
        addr,
        shared,
        out: opts.out,
        recovered,
        held,
        stop: Some(tx),
        task: Some(task),
        timeout: opts.timeout,
    })
}

impl Recorder {
    /// The address it listens on (the real port when `--listen` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`: what a client's `api_base` is set to.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Scenarios finished at start from journals of sessions that were killed.
    pub fn recovered(&self) -> &[Written] {
        &self.recovered
    }

    /// Journals of other sessions into the same `--out` whose recorder still runs (left alone).
    pub fn held(&self) -> &[PathBuf] {
        &self.held
    }

    /// The journal of this session (every answered exchange is there before it is answered).
    pub fn journal_dir(&self) -> &Path {
        self.shared.journal.dir()
    }

    /// Returns once no request has been in flight for `idle`.
    pub async fn idle(&self, idle: Duration) {
        loop {
            let quiet = self.shared.activity.idle_for();
            if quiet >= idle {
                return;
            }
            let rest = idle - quiet;
            tokio::time::sleep(rest.clamp(Duration::from_millis(10), Duration::from_millis(250)))
                .await;
        }
    }

    /// Stops accepting, lets requests in flight finish (up to the timeout), and writes one
    /// cassette per scenario. The journal is removed once everything is written.
    pub async fn finish(mut self) -> Result<Finished, RecordError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            let grace = self.timeout + Duration::from_secs(1);
            if tokio::time::timeout(grace, &mut task).await.is_err() {
                // Whatever is still in flight was never answered, so nothing is lost.
                task.abort();
            }
        }
        let counts = &self.shared.counts;
        let failed_journal = self
            .shared
            .journal_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let dir = self.shared.journal.dir().to_path_buf();
        let out = self.out.clone();
        let mut written = std::mem::take(&mut self.recovered);
        written.extend(
            tokio::task::spawn_blocking(move || finalize(&dir, &out))
                .await
                .map_err(|e| RecordError::io(&self.out, std::io::Error::other(e)))??,
        );
        if let Some(first) = failed_journal {
            return Err(RecordError::NotJournaled(first));
        }
        Ok(Finished {
            written,
            recorded: counts.recorded.load(Ordering::SeqCst),
            refused: counts.refused.load(Ordering::SeqCst),
            failed: counts.failed.load(Ordering::SeqCst),
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Writes one session's cassettes from its journal, imports them as scenarios and snapshots
/// (`apiparity::import`), then removes the journal. A cassette the importer refuses is kept,
/// and the refusal said in its [`Written::refused`].
pub fn finalize(dir: &Path, out: &Path) -> Result<Vec<Written>, RecordError> {
    let (meta, recorded) = Journal::read(dir)?;
    let day = meta.started_at.get(..10).map(str::to_string);
    let mut opts = import::ImportOptions::into_root(out);
    opts.stripe_version = meta.stripe_version.clone();
    let mut written = Vec::new();
    for r in recorded {
        let relative = Path::new(CASSETTES)
            .join(&meta.source)
            .join(format!("{}.json", r.scenario));
        let cassette = out.join(&relative);
        let mut text = serde_json::to_vec_pretty(&r.exchanges).expect("plain data serializes");
        text.push(b'\n');
        journal::write_atomic(&cassette, &text)?;
        let c = import::Cassette {
            name: r.scenario.clone(),
            source: import::Source {
                name: meta.source.clone(),
                recorder: format!("{RECORDER} (upstream {})", meta.upstream),
                file: relative.to_string_lossy().into_owned(),
                recorded_on: day.clone(),
                origin: origin(&meta.upstream),
            },
            exchanges: r
                .exchanges
                .iter()
                .map(|e| to_import(e, day.as_deref()))
                .collect(),
        };
        // One cassette per call: each refusal belongs to its scenario.
        let mut report = import::import_cassettes(std::slice::from_ref(&c), &opts);
        let mut w = Written {
            scenario: r.scenario,
            exchanges: r.exchanges.len(),
            cassette,
            scenario_file: None,
            snapshots: Vec::new(),
            dropped: Vec::new(),
            refused: report.refused.first().map(ToString::to_string),
        };
        if let Some(done) = report.written.pop() {
            w.scenario_file = Some(done.scenario);
            w.snapshots = done.snapshots;
            w.dropped = done
                .dropped
                .iter()
                .map(|d| format!("exchange {} ({}): {}", d.index, d.request, d.reason))
                .collect();
        }
        written.push(w);
    }
    // Everything answered is in the cassettes now, so the journal can go even when the
    // importer refused one.
    Journal::remove(dir)?;
    Ok(written)
}

/// The importer's exchange for a recorded one.
fn to_import(e: &Exchange, day: Option<&str>) -> import::Exchange {
    let pairs = |m: &std::collections::BTreeMap<String, String>| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    import::Exchange {
        method: e.method.clone(),
        host: None,
        path: e.path.clone(),
        query: e.query.clone(),
        form: e.form.clone(),
        request_headers: pairs(&e.request_headers),
        status: e.status,
        response_headers: pairs(&e.response_headers),
        body: e.body.clone(),
        recorded_on: day.map(str::to_string),
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// `2026-12-02T05:30:00Z` → `20261202T053000Z`.
fn compact(rfc3339: &str) -> String {
    rfc3339.replace(['-', ':'], "")
}

/// Unique per process and start, sortable by time.
fn session_id(started_at: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        compact(started_at),
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// What answered a session, for provenance: `None` (Stripe test mode) when the upstream is
/// Stripe's API, else the upstream itself, so a session against a mock never claims Stripe.
fn origin(upstream: &str) -> Option<String> {
    let host = url::Url::parse(upstream)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    (host.as_deref() != Some("api.stripe.com")).then(|| upstream.to_string())
}
