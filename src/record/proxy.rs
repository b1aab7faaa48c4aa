//! The reverse proxy: one handler for every path. A request is checked (live keys, the scenario
//! header), paced by the rate limiter, forwarded as sent, and its answer journaled — scrubbed —
//! before it goes back to the client.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::capture::{self, Exchange, Scrubber, REQUEST_HEADERS, RESPONSE_HEADERS};
use super::journal::Journal;
use super::{MAX_BODY, SCENARIO_HEADER};
use crate::run::ratelimit::Window;

/// What every request shares.
pub(super) struct Shared {
    pub client: reqwest::Client,
    /// The upstream's base URL, without a trailing slash.
    pub upstream: String,
    pub journal: Journal,
    pub default_scenario: String,
    pub all: Option<Window>,
    pub search: Option<Window>,
    pub seq: AtomicU64,
    pub activity: Activity,
    pub counts: Counts,
    /// The first journal write that failed: the session then ends with an error.
    pub journal_error: Mutex<Option<String>>,
}

/// Requests in flight and when the last one started or ended, for `--idle`.
pub(super) struct Activity {
    pub in_flight: AtomicUsize,
    pub last: Mutex<Instant>,
}

impl Activity {
    pub fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }
    /// How long nothing has been in flight (zero while something is).
    pub fn idle_for(&self) -> std::time::Duration {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return std::time::Duration::ZERO;
        }
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }
}

/// Counts the session reports at the end.
#[derive(Default)]
pub(super) struct Counts {
    pub recorded: AtomicUsize,
    pub refused: AtomicUsize,
    pub failed: AtomicUsize,
}

struct InFlight<'a>(&'a Activity);

impl<'a> InFlight<'a> {
    fn begin(a: &'a Activity) -> InFlight<'a> {
        a.in_flight.fetch_add(1, Ordering::SeqCst);
        a.touch();
        InFlight(a)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hop-by-hop headers and what the proxy sets itself. `accept-encoding` is dropped so the
/// upstream answers uncompressed and the recording holds the body as JSON.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "accept-encoding",
    SCENARIO_HEADER,
];
const NOT_RETURNED: &[&str] = &[
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "trailer",
    "upgrade",
];

/// An error in Stripe's shape, so any SDK surfaces the message.
fn error(status: StatusCode, code: &str, message: String) -> Response {
    let body =
        json!({"error": {"type": "invalid_request_error", "code": code, "message": message}});
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// A scenario name from the header: a file name of letters, digits, `.`, `_` and `-` (the
/// scenario file, its cassette and its snapshot directory are named after it), at most 120
/// characters, not starting with `.`.
pub fn scenario_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 120
        && !v.starts_with('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(
            "the Apiparity-Scenario header must be a scenario name: letters, digits, `.`, `_` \
             and `-`, not starting with `.`, at most 120 characters (e.g. `pay-by-card`)"
                .to_string(),
        );
    }
    Ok(v.to_string())
}

pub(super) async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let _flight = InFlight::begin(&s.activity);
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "apiparity_request_too_large",
                format!("apiparity record: request bodies are limited to {MAX_BODY} bytes"),
            )
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let key = capture::key_of(header("authorization"));
    let scrub = Scrubber::new(key.as_ref());
    // What messages name the request by: scrubbed, since a path can hold a key too.
    let shown = format!("{} {}", parts.method, scrub.text(parts.uri.path()));
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    if let Some(place) = capture::live_key_in(key.as_ref(), &headers, &path_and_query, &body) {
        s.counts.refused.fetch_add(1, Ordering::SeqCst);
        eprintln!(
            "apiparity record: refused {shown}: a live-mode key in {place}; nothing forwarded"
        );
        return error(
            StatusCode::FORBIDDEN,
            "apiparity_live_key_refused",
            format!(
                "apiparity record refuses live-mode keys (sk_live_, rk_live_): one is in {place}. \
                 Nothing was forwarded; record against test mode with a test key."
            ),
        );
    }
    let scenario = match header(SCENARIO_HEADER) {
        None => s.default_scenario.clone(),
        Some(v) => match scenario_name(v) {
            Ok(name) => name,
            Err(message) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "apiparity_bad_scenario_header",
                    format!("apiparity record: {message}; nothing was forwarded"),
                )
            }
        },
    };
    // Numbered on arrival: the scenario keeps the order the client sent its requests in.
    let seq = s.seq.fetch_add(1, Ordering::SeqCst);
    if let Some(w) = &s.all {
        w.acquire(|_| {}).await;
    }
    if parts.uri.path().ends_with("/search") {
        if let Some(w) = &s.search {
            w.acquire(|_| {}).await;
        }
    }
    let answer = match forward(
        &s,
        &parts.method,
        &parts.headers,
        &path_and_query,
        body.clone(),
    )
    .await
    {
        Ok(a) => a,
        Err(message) => {
            s.counts.failed.fetch_add(1, Ordering::SeqCst);
            let message = scrub.text(&message);
            eprintln!("apiparity record: {shown}: {message} (not recorded)");
            return error(
                StatusCode::BAD_GATEWAY,
                "apiparity_upstream_failed",
                format!("apiparity record: {message}"),
            );
        }
    };
    let exchange = Exchange {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: capture::pairs(parts.uri.query().unwrap_or("").as_bytes()),
        form: if is_form(header("content-type"), &body) {
            capture::pairs(&body)
        } else {
            Vec::new()
        },
        request_headers: capture::kept_headers(&headers, REQUEST_HEADERS),
        status: answer.status.as_u16(),
        response_headers: capture::kept_headers(&answer.header_pairs(), RESPONSE_HEADERS),
        body: capture::body_value(&answer.body),
    };
    let exchange = scrub.exchange(exchange);
    if capture::is_live_mode(&exchange.body) {
        eprintln!("apiparity record: {shown}: the upstream answered in live mode; not recorded");
    } else {
        let shared = s.clone();
        let written =
            tokio::task::spawn_blocking(move || shared.journal.append(&scenario, seq, &exchange))
                .await;
        match written {
            Ok(Ok(())) => {
                s.counts.recorded.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Err(e)) => journal_failed(&s, e.to_string()),
            Err(e) => journal_failed(&s, e.to_string()),
        }
    }
    answer.into_response()
}

fn journal_failed(s: &Shared, message: String) {
    eprintln!("apiparity record: cannot journal an exchange: {message}");
    let mut first = s.journal_error.lock().unwrap_or_else(|p| p.into_inner());
    first.get_or_insert(message);
}

/// Stripe's API takes forms; a POST without a content type is read as one too.
fn is_form(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type {
        Some(ct) => ct
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded"),
        None => !body.is_empty() && !body.starts_with(b"{"),
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        for (k, v) in &self.headers {
            if !NOT_RETURNED.contains(&k.as_str()) {
                builder = builder.header(k, v);
            }
        }
        builder.body(Body::from(self.body)).unwrap_or_default()
    }
}

async fn forward(
    s: &Shared,
    method: &axum::http::Method,
    headers: &HeaderMap,
    path_and_query: &str,
    body: Bytes,
) -> Result<Answer, String> {
    let url = format!("{}{}", s.upstream, path_and_query);
    let mut rb = s.client.request(method.clone(), &url);
    for (k, v) in headers {
        if !NOT_FORWARDED.contains(&k.as_str()) {
            rb = rb.header(k, v);
        }
    }
    if !body.is_empty() {
        rb = rb.body(body);
    }
    let mut resp = rb
        .send()
        .await
        .map_err(|e| format!("upstream {}: {}", s.upstream, describe(&e)))?;
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if let Ok(name) = HeaderName::from_bytes(k.as_str().as_bytes()) {
            headers.append(name, v.clone());
        }
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("upstream {}: {}", s.upstream, describe(&e)))?
    {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "upstream {}: the answer is larger than {MAX_BODY} bytes",
                s.upstream
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body: Bytes::from(buf),
    })
}

/// The error and its innermost cause ("connection refused"), which is what a user can act on.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names() {
        assert_eq!(scenario_name(" pay-by_card.2 ").unwrap(), "pay-by_card.2");
        for bad in [
            "",
            "../x",
            "/abs",
            "a//b",
            ".hidden",
            "a b",
            &"x".repeat(121),
        ] {
            assert!(scenario_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn forms() {
        assert!(is_form(Some("application/x-www-form-urlencoded"), b"a=b"));
        assert!(is_form(None, b"a=b"));
        assert!(!is_form(None, b"{\"a\":1}"));
        assert!(!is_form(Some("application/json"), b"a=b"));
    }
}
