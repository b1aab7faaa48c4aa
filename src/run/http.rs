//! One shared reqwest client per run: timeouts, rate limiting and transport retries. The
//! system's TLS roots are loaded only when the target is `https` (parsing the CA bundle is most
//! of a short run's CPU), and then once per run.

use std::time::Duration;

use super::progress::{self, Event, Progress, Wait};
use super::ratelimit::Window;
use super::retry::{Attempt, RetryPolicy};
use super::sched::LatencyObserver;
use super::{Body, Response, RunOptions, TransportError};

/// Bodies larger than this are cut (a mock streaming garbage must not exhaust memory).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Non-JSON bodies are kept up to this many bytes for the report.
const MAX_TEXT: usize = 64 * 1024;

#[derive(Clone)]
pub(crate) struct Client {
    inner: reqwest::Client,
    base_url: String,
    timeout: Duration,
    retry: RetryPolicy,
    all: Option<Window>,
    search: Option<Window>,
    latency: LatencyObserver,
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
        let mut builder = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("apiparity/", env!("CARGO_PKG_VERSION")));
        if !opts.target.base_url.starts_with("https:") {
            // Plain http: no certificate is ever checked, so the system roots are not loaded.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let inner = builder
            .build()
            // Building only fails when the TLS backend cannot initialise: nothing a user can fix
            // per request, so fall back to the default client, which reports it on first use.
            .unwrap_or_default();
        Client {
            inner,
            base_url: opts.target.base_url.trim_end_matches('/').to_string(),
            timeout: opts.timeout,
            retry: opts.retry.clone(),
            all: opts.rate_limit.map(|r| Window::new(r.per_second)),
            search: opts.rate_limit.map(|r| Window::new(r.search_per_second)),
            latency: LatencyObserver::none(),
        }
    }

    /// The same client, telling `observer` how long every answer took.
    pub(crate) fn with_latency_observer(mut self, observer: LatencyObserver) -> Client {
        self.latency = observer;
        self
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
                Err(TransportError::Request(_)) => return (result, attempts),
                Err(_) => Attempt::Transport,
            };
            match self.retry.delay(attempts, decision) {
                Some(wait) => {
                    notify.waiting(Wait::Backoff, wait);
                    tokio::time::sleep(wait).await
                }
                None => return (result, attempts),
            }
        }
    }

    async fn send_once(&self, req: &Prepared) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.base_url, req.path_and_query);
        let mut builder = self.inner.request(req.method.clone(), &url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(form) = &req.form {
            builder = builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.clone());
        }
        let resp = builder.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let bytes = read_limited(resp).await.map_err(|e| self.classify(e))?;
        Ok(Response {
            status,
            headers,
            body: parse_body(&bytes),
        })
    }

    fn classify(&self, e: reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if e.is_connect() {
            TransportError::Connect(root_cause(&e))
        } else if e.is_builder() {
            TransportError::Request(root_cause(&e))
        } else {
            TransportError::Connection(root_cause(&e))
        }
    }
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_BODY.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(buf)
}

fn parse_body(bytes: &[u8]) -> Body {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Body::Empty;
    }
    match serde_json::from_slice(bytes) {
        Ok(v) => Body::Json(v),
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT)]).into_owned();
            Body::Text(text)
        }
    }
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
    fn bodies() {
        assert!(matches!(parse_body(b""), Body::Empty));
        assert!(matches!(parse_body(b"{\"a\":1}"), Body::Json(_)));
        assert!(matches!(parse_body(b"<html>oops"), Body::Text(t) if t == "<html>oops"));
        assert!(matches!(parse_body(b"{\"a\":"), Body::Text(_)));
    }
}
