//! One shared HTTP client per run: timeouts, rate limiting and transport retries. Plain
//! `http` targets (the embedded mock, loopback mocks) go through hyper-util's pooled client
//! directly; `https` ones through reqwest with native-tls, whose system TLS roots are loaded only
//! then, and once per process (parsing the CA bundle is most of a short run's CPU, and a native-tls
//! reqwest client parses it even when told to trust nothing).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::progress::{self, Event, Progress, Wait};
use super::ratelimit::Window;
use super::retry::{Attempt, RetryPolicy};
use super::sched::{LatencyObserver, StopSignal};
use super::{Body, Response, RunOptions, TransportError};

/// Non-JSON bodies are kept up to this many bytes for the report (cut after redaction).
const MAX_TEXT: usize = 64 * 1024;

/// Sent unless a step sets its own (reqwest's defaults, so both transports send the same).
const USER_AGENT: &str = concat!("apiparity/", env!("CARGO_PKG_VERSION"));
const ACCEPT: &str = "*/*";

#[derive(Clone)]
pub(crate) struct Client {
    inner: Transport,
    base_url: String,
    timeout: Duration,
    retry: RetryPolicy,
    all: Option<Window>,
    search: Option<Window>,
    latency: LatencyObserver,
    stop: StopSignal,
    redactor: crate::secret::Redactor,
    max_body: usize,
}

/// hyper-util's pooled client, for plain http.
type PlainClient = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// How requests go out: both keep connections alive, never follow a redirect, time out the
/// connect at `min(timeout, 10 s)` and the whole exchange (body included) at `timeout`.
#[derive(Clone)]
enum Transport {
    /// `http://`: no TLS, so no roots to load. (Shared: the client is ten times the size of
    /// reqwest's handle, and every scenario task holds a clone.)
    Plain(std::sync::Arc<PlainClient>),
    /// `https://`: reqwest with native-tls and the system roots.
    Tls(reqwest::Client),
}

impl Transport {
    fn new(base_url: &str, timeout: Duration) -> Transport {
        if base_url.starts_with("https:") {
            Transport::Tls(reqwest_client(base_url, timeout))
        } else {
            Transport::Plain(std::sync::Arc::new(plain_client(timeout)))
        }
    }
}

/// A fresh pool per run, with reqwest's settings for plain http (no delay, keep-alive, idle
/// connections dropped after 90 s). hyper never follows redirects.
fn plain_client(timeout: Duration) -> PlainClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector)
}

/// The reqwest client every `https` request of a run goes through, and the reachability probe
/// too ([`probe`]), so both check the same roots with the same settings. It is built once per
/// process and timeout and shared (a reqwest client is a handle), so the system roots are
/// parsed once even though the probe runs before the run.
fn reqwest_client(base_url: &str, timeout: Duration) -> reqwest::Client {
    type Key = (bool, Duration);
    static CLIENTS: std::sync::Mutex<Vec<(Key, reqwest::Client)>> =
        std::sync::Mutex::new(Vec::new());
    let key = (base_url.starts_with("https:"), timeout);
    if !key.0 {
        // No roots to parse: a fresh client (and connection pool) per run, as before.
        return build_client(false, timeout);
    }
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = clients.iter().find(|(k, _)| *k == key) {
        return c.clone();
    }
    let client = build_client(key.0, timeout);
    clients.push((key, client.clone()));
    client
}

fn build_client(https: bool, timeout: Duration) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(USER_AGENT)
        // Stripe never redirects an API call: a 3xx is the step's answer, and following it
        // would resend the body, key and Idempotency-Key to wherever the target points.
        .redirect(reqwest::redirect::Policy::none());
    if !https {
        // Plain http: no certificate is ever checked, so the system roots are not loaded.
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder
        .build()
        // Building only fails when the TLS backend cannot initialise: nothing a user can fix
        // per request, so fall back to the default client, which reports it on first use.
        .unwrap_or_default()
}

/// Whether the target can be talked to at all: one `HEAD` of the base URL, without a key,
/// through the run's client (TCP connect, then the TLS handshake for `https`). Any HTTP answer,
/// whatever its status, passes; so does a timeout (the steps will report it, step by step).
/// `Err` carries the innermost cause (a TLS handshake refused, the connection closed unanswered).
pub async fn probe(base_url: &str, timeout: Duration) -> Result<ProbeAnswer, String> {
    let url = probe_url(base_url);
    if !base_url.starts_with("https:") {
        // Plain http, built and sent as the steps' requests are: no TLS client is built.
        let head = Prepared {
            method: hyper::Method::HEAD,
            path_and_query: "/".into(),
            headers: Vec::new(),
            form: None,
        };
        let request = plain_request(&head, &url)?;
        let client = plain_client(timeout);
        return match tokio::time::timeout(timeout, client.request(request)).await {
            Err(_) => Ok(ProbeAnswer::default()),
            Ok(Ok(resp)) => Ok(ProbeAnswer {
                apiparity_mock: resp.headers().contains_key(crate::mock::MOCK_HEADER),
            }),
            Ok(Err(e)) => Err(root_cause(&e)),
        };
    }
    let client = reqwest_client(base_url, timeout);
    match client.head(&url).send().await {
        Ok(resp) => Ok(ProbeAnswer {
            apiparity_mock: resp.headers().contains_key(crate::mock::MOCK_HEADER),
        }),
        Err(e) if e.is_timeout() => Ok(ProbeAnswer::default()),
        Err(e) => Err(root_cause(&e)),
    }
}

/// `<base>/` without the userinfo a base URL may carry: the probe is keyless, so a key in the
/// URL (`http://user:sk_test_…@host`) is not sent as Basic auth before any step.
fn probe_url(base_url: &str) -> String {
    let mut url = format!("{}/", base_url.trim_end_matches('/'));
    if let Ok(mut u) = url::Url::parse(&url) {
        if u.set_username("").is_ok() && u.set_password(None).is_ok() {
            url = u.to_string();
        }
    }
    url
}

/// What the reachability probe's answer told about the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeAnswer {
    /// The answer carried `Apiparity-Mock`: the target is an `apiparity mock` process.
    pub apiparity_mock: bool,
}

/// Who a request is for, so its progress events name the scenario and step.
pub(crate) struct Notify<'a> {
    pub progress: Option<&'a Progress>,
    pub scenario: usize,
    pub step: &'a str,
    /// Requests this step already sent (polling sends several).
    pub sent_before: u32,
}

impl Notify<'_> {
    /// No one listens.
    pub(crate) const NONE: Notify<'static> = Notify {
        progress: None,
        scenario: 0,
        step: "",
        sent_before: 0,
    };

    fn waiting(&self, reason: Wait, wait: Duration) {
        progress::emit(self.progress, || Event::Waiting {
            scenario: self.scenario,
            step: self.step.to_string(),
            reason,
            wait,
        });
    }
}

/// A fully rendered request.
pub(crate) struct Prepared {
    pub method: reqwest::Method,
    /// Path and query, starting with `/`.
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub form: Option<String>,
}

impl Client {
    pub(crate) fn new(opts: &RunOptions) -> Client {
        let inner = Transport::new(&opts.target.base_url, opts.timeout);
        let all = opts.rate_limit.map(|r| Window::new(r.per_second));
        if let (Some(w), Some(at)) = (&all, opts.target.probed_at) {
            w.count_sent(at);
        }
        Client {
            inner,
            base_url: opts.target.base_url.trim_end_matches('/').to_string(),
            timeout: opts.timeout,
            retry: opts.retry.clone(),
            all,
            search: opts.rate_limit.map(|r| Window::new(r.search_per_second)),
            latency: LatencyObserver::none(),
            stop: StopSignal::default(),
            redactor: opts.redactor.clone(),
            max_body: opts.max_body,
        }
    }

    /// The same client, telling `observer` how long every answer took.
    pub(crate) fn with_latency_observer(mut self, observer: LatencyObserver) -> Client {
        self.latency = observer;
        self
    }

    /// The same client, cutting the run short through `stop` when the target goes away.
    pub(crate) fn with_stop(mut self, stop: StopSignal) -> Client {
        self.stop = stop;
        self
    }

    /// Why the run was cut short, once it was.
    pub(crate) fn stopped(&self) -> Option<super::CutShort> {
        self.stop.get().cloned()
    }

    /// Sends with transport retries. Returns the final outcome and the number of attempts.
    pub(crate) async fn send(
        &self,
        req: &Prepared,
        notify: &Notify<'_>,
    ) -> (Result<Response, TransportError>, u32) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let search = req
                .path_and_query
                .contains("/search")
                .then_some(self.search.as_ref())
                .flatten();
            Window::acquire_for(self.all.as_ref(), search, |w| {
                notify.waiting(Wait::RateLimit, w)
            })
            .await;
            progress::emit(notify.progress, || Event::RequestSent {
                scenario: notify.scenario,
                step: notify.step.to_string(),
                attempt: notify.sent_before + attempts,
            });
            let sent_at = std::time::Instant::now();
            let result = self.send_once(req).await;
            if result.is_ok() {
                self.latency.observe(sent_at.elapsed());
            }
            let decision = match &result {
                Ok(r) => Attempt::Response {
                    status: r.status,
                    should_retry: r.header("stripe-should-retry"),
                    retry_after: r.header("retry-after"),
                },
                Err(TransportError::Request(_) | TransportError::BodyTooLarge(_)) => {
                    return (result, attempts)
                }
                Err(_) => Attempt::Transport,
            };
            // Once the run is cut short nothing is retried: teardown gets one quick try.
            let delay = match self.stop.get() {
                Some(_) => None,
                None => self.retry.delay(attempts, decision),
            };
            match delay {
                Some(wait) => {
                    notify.waiting(Wait::Backoff, wait);
                    tokio::time::sleep(wait).await
                }
                None => {
                    if let Err(e) = &result {
                        if e.is_connection_level() {
                            self.stop.stop(super::CutShort {
                                url: self.base_url.clone(),
                                cause: e.to_string(),
                            });
                        }
                    }
                    return (result, attempts);
                }
            }
        }
    }

    async fn send_once(&self, req: &Prepared) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.base_url, req.path_and_query);
        let (status, headers, bytes) = match &self.inner {
            Transport::Tls(client) => self.send_tls(client, req, &url).await?,
            Transport::Plain(client) => self.send_plain(client, req, &url).await?,
        };
        let bytes = bytes.ok_or(TransportError::BodyTooLarge(self.max_body))?;
        let (body, duplicate_keys) = parse_body(&bytes, &self.redactor);
        Ok(Response {
            status,
            headers,
            body,
            duplicate_keys,
        })
    }

    /// The answer's headers, names lowercased, values scrubbed of secrets.
    fn headers(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    self.redactor
                        .scrub(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                )
            })
            .collect()
    }

    async fn send_tls(
        &self,
        client: &reqwest::Client,
        req: &Prepared,
        url: &str,
    ) -> Result<Exchange, TransportError> {
        let mut builder = client.request(req.method.clone(), url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(form) = &req.form {
            builder = builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.clone());
        }
        let resp = builder.send().await.map_err(|e| self.classify_sent(&e))?;
        let status = resp.status().as_u16();
        let headers = self.headers(resp.headers());
        let bytes = read_limited(resp, self.max_body)
            .await
            .map_err(|e| self.classify(&e))?;
        Ok((status, headers, bytes))
    }

    /// The same exchange as [`Client::send_tls`], through hyper: the same headers (reqwest's
    /// defaults added where a step set none), the same URL parsing and percent-encoding
    /// (`url::Url`, as reqwest does), the same errors for the same failures.
    async fn send_plain(
        &self,
        client: &PlainClient,
        req: &Prepared,
        url: &str,
    ) -> Result<Exchange, TransportError> {
        let request = plain_request(req, url).map_err(TransportError::Request)?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let resp = match tokio::time::timeout_at(deadline, client.request(request)).await {
            Err(_) => return Err(TransportError::Timeout(self.timeout)),
            Ok(r) => r.map_err(|e| self.classify_sent(&e))?,
        };
        let status = resp.status().as_u16();
        let headers = self.headers(resp.headers());
        let mut body = resp.into_body();
        let exact = hyper::body::Body::size_hint(&body).exact();
        if exact.is_some_and(|n| n > self.max_body as u64) {
            return Ok((status, headers, None));
        }
        let read = async {
            let mut buf = Vec::with_capacity((exact.unwrap_or(0) as usize).min(self.max_body));
            while let Some(frame) = body.frame().await {
                let Ok(chunk) = frame?.into_data() else {
                    continue; // trailers
                };
                if buf.len() + chunk.len() > self.max_body {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok::<_, hyper::Error>(Some(buf))
        };
        match tokio::time::timeout_at(deadline, read).await {
            Err(_) => Err(TransportError::Timeout(self.timeout)),
            Ok(r) => Ok((status, headers, r.map_err(|e| self.classify(&e))?)),
        }
    }

    /// An error before any byte of an answer: a reset there means the target is going or gone.
    fn classify_sent(&self, e: &(dyn std::error::Error + 'static)) -> TransportError {
        let reset = is_reset(e);
        match self.classify(e) {
            TransportError::Connection(cause) if reset => TransportError::Reset(cause),
            other => other,
        }
    }

    /// What reqwest's `is_timeout`, `is_connect` and `is_builder` tell, for either transport.
    fn classify(&self, e: &(dyn std::error::Error + 'static)) -> TransportError {
        if is_timeout(e) {
            TransportError::Timeout(self.timeout)
        } else if is_connect(e) {
            TransportError::Connect(root_cause(e))
        } else if e
            .downcast_ref::<reqwest::Error>()
            .is_some_and(|r| r.is_builder())
        {
            TransportError::Request(root_cause(e))
        } else {
            TransportError::Connection(root_cause(e))
        }
    }
}

/// Status, headers, and the body (`None`: longer than the limit).
type Exchange = (u16, Vec<(String, String)>, Option<Vec<u8>>);

/// The hyper request for `req`, built as reqwest builds it; `Err` is what reqwest's builder
/// error would say.
fn plain_request(req: &Prepared, url: &str) -> Result<hyper::Request<Full<Bytes>>, String> {
    let url = url::Url::parse(url).map_err(|e| root_cause(&e))?;
    let uri: hyper::Uri = url.as_str().parse().map_err(|e| root_cause(&e))?;
    let mut headers = HeaderMap::new();
    let mut append = |k: &str, v: &str| -> Result<(), String> {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| root_cause(&e))?;
        let value = HeaderValue::from_str(v).map_err(|e| root_cause(&e))?;
        headers.append(name, value);
        Ok(())
    };
    for (k, v) in &req.headers {
        append(k, v)?;
    }
    let body = match &req.form {
        Some(form) => {
            append("content-type", "application/x-www-form-urlencoded")?;
            Full::new(Bytes::from(form.clone()))
        }
        None => Full::new(Bytes::new()),
    };
    for (k, v) in [("user-agent", USER_AGENT), ("accept", ACCEPT)] {
        if let hyper::header::Entry::Vacant(slot) = headers.entry(k) {
            slot.insert(HeaderValue::from_static(v));
        }
    }
    let mut request = hyper::Request::new(body);
    *request.method_mut() = req.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// A timeout anywhere in the chain (reqwest's own, hyper's, or the OS's).
fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<reqwest::Error>()
        .is_some_and(|r| r.is_timeout())
    {
        return true;
    }
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_timeout())
            || err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The connection could not be made (refused, no route, DNS).
fn is_connect(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<reqwest::Error>()
        .is_some_and(|r| r.is_connect())
        || e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(|h| h.is_connect())
}

/// The body, or `None` when it is longer than `max` bytes (read no further than that).
async fn read_limited(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Ok(None);
    }
    let hint = resp.content_length().unwrap_or(0) as usize;
    let mut buf = Vec::with_capacity(hint.min(max));
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > max {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

/// The body, bounded ([`body`]) and scrubbed of every known secret — text before it is cut —
/// and the pointers of its duplicate keys.
fn parse_body(bytes: &[u8], redactor: &crate::secret::Redactor) -> (Body, Vec<String>) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return (Body::Empty, vec![]);
    }
    match super::body::parse(bytes, super::body::MAX_NODES) {
        Ok(mut p) => {
            redactor.value_in_place(&mut p.value);
            (Body::Json(p.value), p.duplicate_keys)
        }
        Err(_) => {
            let text = redactor.text(&String::from_utf8_lossy(bytes));
            let cut = floor_char_boundary(&text, MAX_TEXT);
            (Body::Text(text[..cut].to_string()), vec![])
        }
    }
}

/// The largest index `<= max` that is a char boundary of `s`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Whether the error is a reset (the connection torn down, not merely closed unanswered).
fn is_reset(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// The innermost error message ("connection reset by peer"), which is what a user can act on.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let msg = cur.to_string();
    if msg.is_empty() {
        e.to_string()
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_sends_no_userinfo() {
        assert_eq!(
            probe_url("http://u:sk_test_x@127.0.0.1:9/base/"),
            "http://127.0.0.1:9/base/"
        );
        assert_eq!(
            probe_url("https://api.stripe.com"),
            "https://api.stripe.com/"
        );
    }

    #[test]
    fn bodies() {
        let r = crate::secret::Redactor::new();
        assert!(matches!(parse_body(b"", &r).0, Body::Empty));
        assert!(matches!(parse_body(b"{\"a\":1}", &r).0, Body::Json(_)));
        assert!(matches!(parse_body(b"<html>oops", &r).0, Body::Text(t) if t == "<html>oops"));
        assert!(matches!(parse_body(b"{\"a\":", &r).0, Body::Text(_)));
        assert_eq!(parse_body(b"{\"a\":1,\"a\":2}", &r).1, vec!["/a"]);
    }

    #[test]
    fn text_is_redacted_before_it_is_cut() {
        let key = concat!("sk_test_", "cutcutcutcutcutcutcut");
        let r = crate::secret::Redactor::new();
        r.add(key);
        // The key straddles the cut: without redaction first, all but its tail would survive.
        let mut text = "x".repeat(MAX_TEXT - 20);
        text.push_str(key);
        text.push_str(&"y".repeat(100));
        let (Body::Text(t), _) = parse_body(text.as_bytes(), &r) else {
            panic!("text body")
        };
        assert!(!t.contains("cutcut"), "{}", &t[t.len() - 40..]);
        assert!(t.len() <= MAX_TEXT);
    }
}
