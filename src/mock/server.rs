//! The HTTP layer: auth (§1.2), `Stripe-Version`, routing, parameter parsing and validation,
//! idempotency (§1.6), latency, `Request-Id`. Every request goes through [`handle`]; the store
//! lock is taken only around the synchronous transition and rendering, never across an await.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine;
use serde_json::Value;

use super::error::ApiError;
use super::form::{self, Params};
use super::params::{self, Field, P};
use super::render::{check_expand, Expand};
use super::store::{Ctx, Store};
use super::{customer, ids, invoice, invoice_api, invoice_item};
use crate::version::DEFAULT_STRIPE_VERSION;

/// Largest request body accepted; Stripe's own limits are far below this for form bodies.
const MAX_BODY: usize = 1 << 20;
/// Stripe caps idempotency keys at 255 characters (§1.4).
const MAX_IDEMPOTENCY_KEY: usize = 255;
/// Stored idempotent results may be pruned after 24 hours (§1.6).
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

enum Idem {
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        status: u16,
        body: Bytes,
        version: String,
        at: Instant,
    },
}

struct IdemTable {
    keys: HashMap<String, Idem>,
    last_prune: Instant,
}

impl IdemTable {
    /// Drops results older than the TTL, at most once a minute (not on every request).
    fn prune(&mut self) {
        if self.last_prune.elapsed() < Duration::from_secs(60) {
            return;
        }
        self.last_prune = Instant::now();
        self.keys
            .retain(|_, v| !matches!(v, Idem::Done { at, .. } if at.elapsed() > IDEMPOTENCY_TTL));
    }
}

pub struct App {
    store: Mutex<Store>,
    idempotency: Mutex<IdemTable>,
    latency: Duration,
}

/// A poisoned lock only means another request panicked mid-way; the data is still the last
/// consistent state each transition left (they mutate only after their checks pass).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn router(latency: Duration) -> Router {
    let app = Arc::new(App {
        store: Mutex::new(Store::default()),
        idempotency: Mutex::new(IdemTable {
            keys: HashMap::new(),
            last_prune: Instant::now(),
        }),
        latency,
    });
    Router::new().fallback(handle).with_state(app)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route<'a> {
    CustomerCreate,
    CustomerList,
    CustomerGet(&'a str),
    CustomerUpdate(&'a str),
    CustomerDelete(&'a str),
    ItemCreate,
    ItemList,
    ItemGet(&'a str),
    ItemDelete(&'a str),
    InvoiceCreate,
    InvoiceList,
    InvoiceSearch,
    InvoiceGet(&'a str),
    InvoiceUpdate(&'a str),
    InvoiceDelete(&'a str),
    Finalize(&'a str),
    Pay(&'a str),
    Send(&'a str),
    Void(&'a str),
    MarkUncollectible(&'a str),
    Lines(&'a str),
}

fn route<'a>(method: &Method, path: &'a str) -> Option<Route<'a>> {
    let rest = path.strip_prefix("/v1/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    use Route::*;
    let m = method.as_str();
    Some(match (m, segs.as_slice()) {
        ("POST", ["customers"]) => CustomerCreate,
        ("GET", ["customers"]) => CustomerList,
        ("GET", ["customers", id]) => CustomerGet(id),
        ("POST", ["customers", id]) => CustomerUpdate(id),
        ("DELETE", ["customers", id]) => CustomerDelete(id),
        ("POST", ["invoiceitems"]) => ItemCreate,
        ("GET", ["invoiceitems"]) => ItemList,
        ("GET", ["invoiceitems", id]) => ItemGet(id),
        ("DELETE", ["invoiceitems", id]) => ItemDelete(id),
        ("POST", ["invoices"]) => InvoiceCreate,
        ("GET", ["invoices"]) => InvoiceList,
        ("GET", ["invoices", "search"]) => InvoiceSearch,
        ("GET", ["invoices", id]) => InvoiceGet(id),
        ("POST", ["invoices", id]) => InvoiceUpdate(id),
        ("DELETE", ["invoices", id]) => InvoiceDelete(id),
        ("POST", ["invoices", id, "finalize"]) => Finalize(id),
        ("POST", ["invoices", id, "pay"]) => Pay(id),
        ("POST", ["invoices", id, "send"]) => Send(id),
        ("POST", ["invoices", id, "void"]) => Void(id),
        ("POST", ["invoices", id, "mark_uncollectible"]) => MarkUncollectible(id),
        ("GET", ["invoices", id, "lines"]) => Lines(id),
        _ => return None,
    })
}

/// The parameter schema and the expandable paths (and whether it is a list) of a route.
fn schema(route: Route, ctx: &Ctx) -> (&'static [Field], Vec<String>, bool) {
    use Route::*;
    match route {
        CustomerCreate => (params::CUSTOMER_CREATE, vec![], false),
        CustomerList => (params::CUSTOMER_LIST, vec![], true),
        CustomerGet(_) => (params::RETRIEVE, vec![], false),
        CustomerUpdate(_) => (params::CUSTOMER_UPDATE, vec![], false),
        CustomerDelete(_) | InvoiceDelete(_) | ItemDelete(_) => (params::NONE, vec![], false),
        ItemCreate => (params::ITEM_CREATE, invoice_api::item_expands(ctx), false),
        ItemList => (
            params::ITEM_LIST,
            invoice_api::item_expands(ctx)
                .into_iter()
                .map(|p| format!("data.{p}"))
                .collect(),
            true,
        ),
        ItemGet(_) => (params::RETRIEVE, invoice_api::item_expands(ctx), false),
        InvoiceCreate => (
            params::INVOICE_CREATE,
            invoice_api::invoice_expands(ctx),
            false,
        ),
        InvoiceList => (
            params::INVOICE_LIST,
            invoice_api::list_expands(ctx, false),
            true,
        ),
        InvoiceSearch => (
            params::INVOICE_SEARCH,
            invoice_api::list_expands(ctx, true),
            true,
        ),
        InvoiceGet(_) | Send(_) | Void(_) | MarkUncollectible(_) => {
            (params::RETRIEVE, invoice_api::invoice_expands(ctx), false)
        }
        InvoiceUpdate(_) => (
            params::INVOICE_UPDATE,
            invoice_api::invoice_expands(ctx),
            false,
        ),
        Finalize(_) => (params::FINALIZE, invoice_api::invoice_expands(ctx), false),
        Pay(_) => (params::PAY, invoice_api::invoice_expands(ctx), false),
        Lines(_) => (params::LINES, invoice_api::lines_expands(ctx), true),
    }
}

/// Schema validation plus the version-dependent checks: failures here are "before execution"
/// and are never stored for idempotency.
fn validate(route: Route, tree: &Params, ctx: &Ctx) -> Result<(P, Expand), ApiError> {
    let (fields, expandable, is_list) = schema(route, ctx);
    let p = P(params::validate(fields, tree)?);
    match route {
        Route::InvoiceCreate => invoice_api::check_create(&p, ctx)?,
        Route::ItemCreate => {
            // `price` became `pricing[price]` in basil.
            let stale = if ctx.basil { "price" } else { "pricing" };
            if p.has(stale) {
                return Err(ApiError::unknown_param(stale));
            }
        }
        _ => {}
    }
    let paths = p.expand();
    check_expand(&paths, &expandable, is_list)?;
    Ok((p, Expand::from_paths(&paths)))
}

fn execute(
    store: &mut Store,
    route: Route,
    p: &P,
    ctx: &Ctx,
    e: &Expand,
) -> Result<Value, ApiError> {
    use Route::*;
    let now = ctx.now;
    match route {
        CustomerCreate => customer::create(store, p, ctx),
        CustomerList => customer::list(store, p),
        CustomerGet(id) => customer::retrieve(store, id),
        CustomerUpdate(id) => customer::update(store, id, p),
        CustomerDelete(id) => customer::delete(store, id),
        ItemCreate => invoice_item::create(store, p, ctx, e),
        ItemList => invoice_item::list(store, p, ctx, e.sub("data")),
        ItemGet(id) => invoice_item::retrieve(store, id, ctx, e),
        ItemDelete(id) => invoice_item::delete(store, id),
        InvoiceCreate => invoice_api::create(store, p, ctx, e),
        InvoiceList => invoice_api::list(store, p, ctx, e),
        InvoiceSearch => invoice_api::search(store, p, ctx, e),
        InvoiceGet(id) => invoice_api::retrieve(store, id, ctx, e),
        InvoiceUpdate(id) => invoice_api::update(store, id, p, ctx, e),
        InvoiceDelete(id) => {
            invoice::delete(store, id)?;
            Ok(super::render::deleted(id, "invoice"))
        }
        Finalize(id) => invoice_api::finalize(store, id, p, ctx, e),
        Pay(id) => {
            let args = invoice::PayArgs {
                paid_out_of_band: p.bool("paid_out_of_band").unwrap_or(false),
                payment_method: p.str("payment_method"),
                source: p.str("source"),
            };
            invoice::pay(store, id, &args, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Send(id) => {
            invoice::send(store, id, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Void(id) => {
            invoice::void(store, id, ctx)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        MarkUncollectible(id) => {
            invoice::mark_uncollectible(store, id, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Lines(id) => invoice_api::lines(store, id, p, ctx, e),
    }
}

const NO_KEY: &str = "You did not provide an API key. You need to provide your API key in the \
Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See \
https://stripe.com/docs/api#authentication for details, or we can help at \
https://support.stripe.com/.";

/// Masks a key for error messages: a recognizable `xx_mode_` prefix stays, the rest becomes
/// stars except the last 4 characters (all stars when the rest is 4 characters or fewer).
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let parts: Vec<&str> = key.splitn(3, '_').collect();
    let prefix_len = if parts.len() == 3 {
        parts[0].chars().count() + parts[1].chars().count() + 2
    } else {
        0
    };
    let rest = &chars[prefix_len.min(chars.len())..];
    let prefix: String = chars[..prefix_len.min(chars.len())].iter().collect();
    if rest.len() <= 4 {
        return format!("{prefix}{}", "*".repeat(rest.len()));
    }
    let tail: String = rest[rest.len() - 4..].iter().collect();
    format!("{prefix}{}{tail}", "*".repeat(rest.len() - 4))
}

/// Accepts `sk_test_*` / `rk_test_*` via Bearer or Basic (key as the username), as stripe-mock
/// does: the key splits on `_` into exactly 3 parts.
fn check_auth(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(raw) = headers.get("authorization") else {
        return Err(ApiError::unauthorized(NO_KEY));
    };
    let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::unauthorized(NO_KEY));
    }
    let (scheme, cred) = raw.split_once(' ').unwrap_or((raw, ""));
    let cred = cred.trim();
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        cred.to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(cred)
            .map_err(|_| {
                ApiError::unauthorized(format!("Invalid API Key provided: {}", mask_key(cred)))
            })?;
        let text = String::from_utf8_lossy(&decoded).into_owned();
        text.split(':').next().unwrap_or_default().to_string()
    } else {
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask_key(raw)
        )));
    };
    if key.is_empty() {
        return Err(ApiError::unauthorized(NO_KEY));
    }
    let parts: Vec<&str> = key.split('_').collect();
    match parts.as_slice() {
        [kind, "test", secret] if (*kind == "sk" || *kind == "rk") && !secret.is_empty() => Ok(()),
        [kind, "live", _] if *kind == "sk" || *kind == "rk" => {
            Err(ApiError::unauthorized(format!(
                "The apiparity mock serves test mode only; it refuses live mode keys such as {}. \
             Use an sk_test_ or rk_test_ key.",
                mask_key(&key)
            )))
        }
        _ => Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask_key(&key)
        ))),
    }
}

/// First day of each named release (reference §0.2); a name must match its date range.
const RELEASES: &[(&str, &str)] = &[
    ("acacia", "2024-09-30"),
    ("basil", "2025-03-31"),
    ("clover", "2025-09-30"),
    ("dahlia", "2026-03-25"),
];

/// `YYYY-MM-DD` or `YYYY-MM-DD.release`. Known release names must fit their date range;
/// unknown (newer) names are accepted from the last known release on, so newer SDKs work.
pub fn check_version(v: &str) -> Result<(), ApiError> {
    let bad = || ApiError::invalid(format!("Invalid Stripe API version: {v}"));
    let date = crate::version::version_date(v).ok_or_else(bad)?;
    let month: u32 = date[5..7].parse().map_err(|_| bad())?;
    let day: u32 = date[8..10].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || date < "2011-01-01" {
        return Err(bad());
    }
    match v.get(10..) {
        None | Some("") => Ok(()),
        Some(rest) => {
            let name = rest.strip_prefix('.').ok_or_else(bad)?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(bad());
            }
            match RELEASES.iter().position(|(n, _)| *n == name) {
                Some(i) => {
                    let start = RELEASES[i].1;
                    let end = RELEASES.get(i + 1).map(|r| r.1);
                    if date >= start && end.is_none_or(|e| date < e) {
                        Ok(())
                    } else {
                        Err(bad())
                    }
                }
                None if RELEASES.last().is_some_and(|(_, d)| date >= *d) => Ok(()),
                None => Err(bad()),
            }
        }
    }
}

struct Reply {
    status: u16,
    body: Bytes,
    version: String,
    replayed: bool,
}

fn json_bytes(v: &Value) -> Bytes {
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    Bytes::from(out)
}

fn error_reply(e: &ApiError, rid: &str, now: i64, version: &str) -> Reply {
    Reply {
        status: e.status,
        body: json_bytes(&e.body(rid, now)),
        version: version.to_string(),
        replayed: false,
    }
}

/// Releases an in-flight idempotency claim unless the request completed (also when the request
/// future is dropped, e.g. the client went away).
struct Claim {
    app: Arc<App>,
    key: String,
    done: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.done {
            let mut t = lock(&self.app.idempotency);
            if matches!(t.keys.get(&self.key), Some(Idem::InFlight { .. })) {
                t.keys.remove(&self.key);
            }
        }
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
    if let Err(e) = check_auth(headers) {
        return fail(e, DEFAULT_STRIPE_VERSION);
    }
    let version = match headers.get("stripe-version") {
        None => DEFAULT_STRIPE_VERSION.to_string(),
        Some(v) => {
            let v = String::from_utf8_lossy(v.as_bytes()).trim().to_string();
            if let Err(e) = check_version(&v) {
                return fail(e, DEFAULT_STRIPE_VERSION);
            }
            v
        }
    };
    let ctx = Ctx::new(&version, now);
    let path = uri.path().to_string();
    let Some(route) = route(&method, &path) else {
        let e = ApiError::invalid(format!(
            "Unrecognized request URL ({}: {path}). Please see https://stripe.com/docs or we \
             can help at https://support.stripe.com/.",
            method.as_str()
        ))
        .status(404);
        return fail(e, &version);
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return fail(
                ApiError::invalid(format!("The request body is larger than {MAX_BODY} bytes.")),
                &version,
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
        Err(e) => return fail(ApiError::invalid(e.message).param(e.param), &version),
    };

    // Idempotency (§1.6): POST only. Claim the key before validating so a concurrent duplicate
    // sees it in flight; a validation failure releases the claim (nothing is stored).
    let mut claim = None;
    if method == Method::POST {
        if let Some(k) = headers.get("idempotency-key") {
            let key = String::from_utf8_lossy(k.as_bytes()).into_owned();
            if key.chars().count() > MAX_IDEMPOTENCY_KEY {
                return fail(
                    ApiError::invalid(format!(
                        "Keys for idempotent requests can be at most {MAX_IDEMPOTENCY_KEY} \
                         characters long."
                    ))
                    .param("Idempotency-Key"),
                    &version,
                );
            }
            let fingerprint = format!("{} {path} {}", method.as_str(), form::canonical(&tree));
            let mut table = lock(&app.idempotency);
            table.prune();
            match table.keys.get(&key) {
                Some(Idem::Done {
                    fingerprint: f,
                    status,
                    body,
                    version: v,
                    ..
                }) if *f == fingerprint => {
                    return Reply {
                        status: *status,
                        body: body.clone(),
                        version: v.clone(),
                        replayed: true,
                    };
                }
                Some(Idem::InFlight { fingerprint: f }) if *f == fingerprint => {
                    let e = ApiError::invalid(
                        "There is currently another in-progress request using this Idempotent \
                         Key (that probably means you submitted twice, and the other request is \
                         still going through)",
                    )
                    .status(409)
                    .code("idempotency_key_in_use");
                    return fail(e, &version);
                }
                Some(_) => {
                    let e = ApiError {
                        kind: "idempotency_error",
                        ..ApiError::invalid(format!(
                            "Keys for idempotent requests can only be used with the same \
                             parameters they were first used with. Try using a key other than \
                             '{key}' if you meant to execute a different request."
                        ))
                    };
                    return fail(e, &version);
                }
                None => {
                    table.keys.insert(
                        key.clone(),
                        Idem::InFlight {
                            fingerprint: fingerprint.clone(),
                        },
                    );
                    claim = Some((
                        Claim {
                            app: app.clone(),
                            key,
                            done: false,
                        },
                        fingerprint,
                    ));
                }
            }
        }
    }

    let (p, expand) = match validate(route, &tree, &ctx) {
        Ok(v) => v,
        // Dropping the claim releases the key.
        Err(e) => return fail(e, &version),
    };
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    let result = {
        let mut store = lock(&app.store);
        execute(&mut store, route, &p, &ctx, &expand)
    };
    let reply = match result {
        Ok(v) => Reply {
            status: 200,
            body: json_bytes(&v),
            version: version.clone(),
            replayed: false,
        },
        Err(e) => fail(e, &version),
    };
    if let Some((mut c, fingerprint)) = claim {
        lock(&app.idempotency).keys.insert(
            c.key.clone(),
            Idem::Done {
                fingerprint,
                status: reply.status,
                body: reply.body.clone(),
                version: reply.version.clone(),
                at: Instant::now(),
            },
        );
        c.done = true;
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_key("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask_key("pk_test_123"), "pk_test_***");
        assert_eq!(mask_key("garbage"), "***bage");
        assert_eq!(mask_key("ab"), "**");
    }

    #[test]
    fn versions() {
        assert!(check_version("2025-03-31.basil").is_ok());
        assert!(check_version("2023-10-16").is_ok());
        assert!(check_version("2026-10-28.endive").is_ok());
        assert!(check_version("2026-06-24.dahlia").is_ok());
        assert!(check_version("2023-10-16.basil").is_err());
        assert!(check_version("2025-13-01").is_err());
        assert!(check_version("basil").is_err());
        assert!(check_version("2025-03-31.").is_err());
        assert!(check_version("2025-03-31x").is_err());
        assert_eq!(
            check_version("nope").unwrap_err().message,
            "Invalid Stripe API version: nope"
        );
    }

    #[test]
    fn routes() {
        assert_eq!(
            route(&Method::GET, "/v1/invoices/search"),
            Some(Route::InvoiceSearch)
        );
        assert_eq!(
            route(&Method::POST, "/v1/invoices/in_1/pay"),
            Some(Route::Pay("in_1"))
        );
        assert_eq!(route(&Method::POST, "/v1/invoice_drafts"), None);
        assert_eq!(route(&Method::GET, "/v1/invoices/"), None);
        assert_eq!(route(&Method::PUT, "/v1/invoices"), None);
    }
}
