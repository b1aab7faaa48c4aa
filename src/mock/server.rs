//! The HTTP layer: the order of the gates every request passes (auth → `Stripe-Version` →
//! route → form parsing → idempotency → validation → execution), latency, `Request-Id` and the
//! response headers. Every request goes through [`handle`]; the store lock is taken only around
//! the synchronous transition and rendering, never across an await.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::Value;

use super::auth::check_auth;
use super::error::ApiError;
use super::form;
use super::idempotency::{Begin, Keys, Limits, Stored};
use super::ids;
use super::routes::{execute, execute_read, read_only, route, served, validate};
use super::store::{Ctx, Store};
use super::versions::{self, Day};

/// Largest request body accepted; Stripe's own limits are far below this for form bodies.
const MAX_BODY: usize = 1 << 20;

/// What `MockOptions` configures for every request.
#[derive(Clone, Debug)]
pub struct Settings {
    pub latency: Duration,
    /// The date responses describe unless `Apiparity-As-Of` says otherwise.
    pub as_of: Day,
    pub webhook_endpoints: bool,
    pub account_country: Arc<str>,
    /// How long and how many idempotent results are kept.
    pub idempotency: Limits,
}

pub struct App {
    /// Shared by read-only routes, exclusive for transitions.
    store: RwLock<Store>,
    keys: Arc<Keys>,
    settings: Settings,
}

// A poisoned lock only means another request panicked mid-way; the data is still the last
// consistent state each transition left (they mutate only after their checks pass), hence the
// `into_inner` on both guards below.

/// The response header every answer carries: `Apiparity-Mock: <version>`.
pub const MOCK_HEADER: &str = "apiparity-mock";

pub fn router(settings: Settings) -> Router {
    let app = Arc::new(App {
        store: RwLock::new(Store::default()),
        keys: Keys::new(settings.idempotency),
        settings,
    });
    Router::new().fallback(handle).with_state(app)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

struct Reply {
    status: u16,
    body: Bytes,
    version: String,
    replayed: bool,
}

/// Pretty-printed as Stripe answers, with a trailing newline.
fn json_bytes(v: &Value) -> Bytes {
    crate::pretty::with_printed(v, 0, |buf| {
        buf.push(b'\n');
        Bytes::copy_from_slice(buf)
    })
}

fn error_reply(e: &ApiError, rid: &str, now: i64, version: &str) -> Reply {
    Reply {
        status: e.status,
        body: json_bytes(&e.body(rid, now)),
        version: version.to_string(),
        replayed: false,
    }
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let rid = ids::request_id();
    let (parts, body) = req.into_parts();
    let idem_key = parts.headers.get("idempotency-key").cloned();
    let reply = process(app, &rid, parts.method, parts.uri, &parts.headers, body).await;
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    // Says who answers, so a runner pointed at this process by URL sends it the mock-only
    // headers (a scenario's day and account) as it does to the in-process mock.
    h.insert(
        MOCK_HEADER,
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    if let Ok(v) = HeaderValue::from_str(&rid) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&reply.version) {
        h.insert("stripe-version", v);
    }
    if let Some(k) = idem_key {
        h.insert("idempotency-key", k);
    }
    if reply.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// The mock-only account headers (a scenario's `account:`), over the process's options for
/// this one request: `Apiparity-Account-Id`, `Apiparity-Account-Country`,
/// `Apiparity-Account-Currency`, `Apiparity-Webhook-Endpoints`. A bad value is refused, naming
/// the header.
fn account_headers(
    ctx: &mut Ctx,
    header: &impl Fn(&str) -> Option<String>,
) -> Result<(), ApiError> {
    let bad = |name: &str, v: &str, expected: &str| {
        ApiError::invalid(format!("Invalid {name} header: {v:?}. Send {expected}.")).param(name)
    };
    if let Some(v) = header("apiparity-account-id") {
        if super::account_id(&v).is_none() {
            return Err(bad(
                "Apiparity-Account-Id",
                &v,
                "acct_ and 16 letters or digits, e.g. acct_1MoCk0ApPrtyMck0",
            ));
        }
        ctx.account_id = v.into();
    }
    if let Some(v) = header("apiparity-account-country") {
        if super::account_country(&v).is_none() {
            return Err(bad(
                "Apiparity-Account-Country",
                &v,
                "a two-letter ISO country code in capitals, e.g. CA",
            ));
        }
        ctx.account_country = v.into();
    }
    if let Some(v) = header("apiparity-account-currency") {
        if super::account_currency(&v).is_none() {
            return Err(bad(
                "Apiparity-Account-Currency",
                &v,
                "a lowercase three-letter ISO currency code, e.g. cad",
            ));
        }
        ctx.default_currency = v.into();
    }
    if let Some(v) = header("apiparity-webhook-endpoints") {
        ctx.webhook_endpoints = match v.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(bad("Apiparity-Webhook-Endpoints", &v, "true or false")),
        };
    }
    Ok(())
}

async fn process(
    app: Arc<App>,
    rid: &str,
    method: Method,
    uri: axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Reply {
    let now = unix_now();
    let fail = |e: ApiError, version: &str| error_reply(&e, rid, now, version);
    let newest = versions::newest().name;
    if let Err(e) = check_auth(headers) {
        return fail(e, newest);
    }
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
    };
    let (version, as_of) = match versions::resolve(
        header("stripe-version").as_deref(),
        header("apiparity-as-of").as_deref(),
        app.settings.as_of,
    ) {
        Ok(r) => r,
        Err(e) => return fail(e, newest),
    };
    let mut ctx = Ctx::new(version, as_of, now);
    ctx.webhook_endpoints = app.settings.webhook_endpoints;
    ctx.account_country = Arc::clone(&app.settings.account_country);
    let version = version.name;
    if let Err(e) = account_headers(&mut ctx, &header) {
        return fail(e, version);
    }
    let path = uri.path().to_string();
    let Some(route) = route(&method, &path).filter(|r| served(*r, &ctx)) else {
        let e = ApiError::invalid(format!(
            "Unrecognized request URL ({}: {path}). Please see https://stripe.com/docs or we \
             can help at https://support.stripe.com/.",
            method.as_str()
        ))
        .status(404);
        return fail(e, version);
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return fail(
                ApiError::invalid(format!("The request body is larger than {MAX_BODY} bytes.")),
                version,
            )
        }
    };
    let raw: &[u8] = if method == Method::POST && !bytes.is_empty() {
        &bytes
    } else {
        uri.query().unwrap_or_default().as_bytes()
    };
    let tree = match form::parse(raw) {
        Ok(t) => t,
        Err(e) => return fail(ApiError::invalid(e.message).param(e.param), version),
    };

    // Idempotency (§1.6): POST only. Claim the key before validating so a concurrent duplicate
    // sees it in flight; a validation failure releases the claim (nothing is stored).
    let mut claim = None;
    if method == Method::POST {
        if let Some(k) = headers.get("idempotency-key") {
            let key = String::from_utf8_lossy(k.as_bytes()).into_owned();
            let fingerprint = format!("{} {path} {}", method.as_str(), form::canonical(&tree));
            match app.keys.begin(&key, &fingerprint, now) {
                Begin::Replay(stored) => {
                    return Reply {
                        status: stored.status,
                        body: stored.body,
                        version: stored.version,
                        replayed: true,
                    }
                }
                Begin::Refused(e) => return fail(e, version),
                Begin::Claimed(c) => claim = Some(c),
            }
        }
    }

    let valid = match validate(route, &tree, &ctx) {
        Ok(v) => v,
        // Dropping the claim releases the key.
        Err(e) => return fail(e, version),
    };
    if !app.settings.latency.is_zero() {
        tokio::time::sleep(app.settings.latency).await;
    }
    let result = if read_only(route) {
        let store = app.store.read().unwrap_or_else(|e| e.into_inner());
        execute_read(&store, route, &valid, &ctx)
    } else {
        let mut store = app.store.write().unwrap_or_else(|e| e.into_inner());
        execute(&mut store, route, &valid, &ctx)
    };
    let reply = match result {
        Ok(v) => Reply {
            status: 200,
            body: json_bytes(&v),
            version: version.to_string(),
            replayed: false,
        },
        Err(e) => fail(e, version),
    };
    if let Some(c) = claim {
        c.complete(
            Stored {
                status: reply.status,
                body: reply.body.clone(),
                version: reply.version.clone(),
            },
            now,
        );
    }
    reply
}

/// Accepts like a `TcpListener`, handing out connections that close once idle ([`IdleStream`]).
pub(super) struct IdleListener {
    inner: tokio::net::TcpListener,
    idle: Duration,
}

impl IdleListener {
    pub(super) fn new(inner: tokio::net::TcpListener, idle: Duration) -> IdleListener {
        IdleListener { inner, idle }
    }
}

impl axum::serve::Listener for IdleListener {
    type Io = IdleStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (IdleStream, std::net::SocketAddr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (IdleStream::new(io, self.idle), addr)
    }

    fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection that fails its next read once no byte has moved either way for `idle`: a client
/// that connects and sends nothing (or keeps a connection open forever) is closed, so it cannot
/// hold a connection slot — the server's file descriptors — indefinitely.
pub(super) struct IdleStream {
    io: tokio::net::TcpStream,
    idle: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl IdleStream {
    fn new(io: tokio::net::TcpStream, idle: Duration) -> IdleStream {
        IdleStream {
            io,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }
    fn touch(&mut self) {
        let at = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(at);
    }
}

impl tokio::io::AsyncRead for IdleStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::future::Future;
        use std::task::Poll;
        let before = buf.filled().len();
        match std::pin::Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connection idle",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl tokio::io::AsyncWrite for IdleStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
