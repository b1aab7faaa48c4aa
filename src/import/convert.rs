//! One cassette → one scenario and its snapshots: what is kept, the id flow, the versions, the
//! redactions the recorder applied, and the provenance.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::emit::{self, ScenarioDoc, StepDoc};
use super::{Cassette, Dropped, Exchange, ImportError, ImportOptions, Rendered, Scope};
use crate::normalize::Normalizer;
use crate::snapshot::{Meta, SnapResponse, Snapshot};

/// The placeholder the run id is normalized to in snapshots (`RunOptions` masks it so).
const RUN_ID_PLACEHOLDER: &str = "<run_id>";

/// Request headers worth replaying; everything else (Authorization, cookies, user agents,
/// the SDK's telemetry) is dropped.
const KEPT_REQUEST_HEADERS: &[&str] = &["stripe-version", "idempotency-key", "stripe-account"];

/// Resource words (the first path segment after `/v1/`) the invoice API reaches, by scope.
const INVOICE_API: &[&str] = &[
    "invoices",
    "invoiceitems",
    "invoice_payments",
    "invoice_rendering_templates",
    "customers",
    "coupons",
    "tax_rates",
    "credit_notes",
];

/// Why a resource outside the invoice API is dropped, by its word.
const OUTSIDE: &[(&str, &str)] = &[
    ("subscriptions", "subscriptions are outside the invoice API"),
    (
        "subscription_items",
        "subscriptions are outside the invoice API",
    ),
    (
        "subscription_schedules",
        "subscriptions are outside the invoice API",
    ),
    ("checkout", "checkout sessions are outside the invoice API"),
    (
        "payment_methods",
        "payment methods with real card tokens are outside the invoice API",
    ),
    (
        "setup_intents",
        "setup intents (card setup) are outside the invoice API",
    ),
    (
        "payment_intents",
        "payment intents are outside the invoice API",
    ),
    ("charges", "charges are outside the invoice API"),
    (
        "prices",
        "prices are not modelled by the mock (outside the invoice API)",
    ),
    (
        "plans",
        "plans are not modelled by the mock (outside the invoice API)",
    ),
    (
        "products",
        "products are not modelled by the mock (outside the invoice API)",
    ),
    ("tokens", "card tokens are outside the invoice API"),
    ("sources", "sources are outside the invoice API"),
    ("events", "events are outside the invoice API"),
    (
        "billing_portal",
        "the billing portal is outside the invoice API",
    ),
    ("refunds", "refunds are outside the invoice API"),
];

/// Sub-resources of customers that are outside the invoice API.
const CUSTOMER_OUTSIDE: &[&str] = &["sources", "payment_methods", "cards", "subscriptions"];

/// Friendly variable names by id prefix.
const VAR_NAMES: &[(&str, &str)] = &[
    ("cus", "customer"),
    ("in", "invoice"),
    ("ii", "invoice_item"),
    ("il", "line"),
    ("inpay", "invoice_payment"),
    ("price", "price"),
    ("prod", "product"),
    ("pm", "payment_method"),
    ("pi", "payment_intent"),
    ("ch", "charge"),
    ("sub", "subscription"),
    ("si", "subscription_item"),
    ("txr", "tax_rate"),
    ("di", "discount"),
    ("cn", "credit_note"),
];

/// Whether a string is an object id (`in_1MtG…`, `cus_NffrFeUfNV2Hib`): a lower-case prefix,
/// `_`, then at least 8 alphanumerics with a digit or capital among them.
pub(super) fn is_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.len() <= 12
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 8
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        && rest
            .bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Every id-looking token inside a string (paths, search queries), in order.
fn ids_in(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| is_id(t))
        .collect()
}

/// Whether a `Stripe-Version` value is one (`2024-06-20`, `2025-03-31.basil`), not a mask.
pub fn is_version(v: &str) -> bool {
    let date = v.split('.').next().unwrap_or("");
    let b = date.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && v[10..]
            .strip_prefix('.')
            .is_none_or(|r| !r.is_empty() && r.bytes().all(|c| c.is_ascii_lowercase()))
        && (v.len() == 10 || v.as_bytes()[10] == b'.')
}

/// Replaces key-shaped strings (`sk_test_…`, `rk_live_…`, `pk_…`) by `<kind>_<mode>_REDACTED`.
pub(super) fn scrub_keys(s: &str) -> String {
    static KEY: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = KEY.get_or_init(|| {
        regex::Regex::new(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]+").expect("valid regex")
    });
    re.replace_all(s, |c: &regex::Captures| {
        if &c[0][c[1].len() + c[2].len() + 2..] == "REDACTED" {
            c[0].to_string()
        } else {
            format!("{}_{}_REDACTED", &c[1], &c[2])
        }
    })
    .into_owned()
}

fn scrub_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(scrub_keys(s)),
        Value::Array(a) => Value::Array(a.iter().map(scrub_value).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (scrub_keys(k), scrub_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn has_live_key(s: &str) -> bool {
    s.contains("sk_live_") || s.contains("rk_live_")
}

/// `exchange N: …` when the exchange recorded live mode.
fn live_detail(i: usize, e: &Exchange) -> Option<String> {
    fn livemode(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                m.get("livemode") == Some(&Value::Bool(true)) || m.values().any(livemode)
            }
            Value::Array(a) => a.iter().any(livemode),
            _ => false,
        }
    }
    fn live_string(v: &Value) -> bool {
        match v {
            Value::String(s) => has_live_key(s),
            Value::Object(m) => m.iter().any(|(k, v)| has_live_key(k) || live_string(v)),
            Value::Array(a) => a.iter().any(live_string),
            _ => false,
        }
    }
    let n = i + 1;
    if livemode(&e.body) {
        return Some(format!("exchange {n}: livemode: true in the response"));
    }
    let pairs = e
        .query
        .iter()
        .chain(&e.form)
        .chain(&e.request_headers)
        .chain(&e.response_headers);
    if has_live_key(&e.path)
        || pairs
            .into_iter()
            .any(|(k, v)| has_live_key(k) || has_live_key(v))
    {
        return Some(format!("exchange {n}: a live-mode key in the request"));
    }
    live_string(&e.body).then(|| format!("exchange {n}: a live-mode key in the response"))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `[A-Za-z0-9_.-]`, others `-`: file and directory names.
pub(super) fn file_name(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match out.trim_start_matches('.') {
        "" => "cassette".into(),
        t => t.to_string(),
    }
}

/// A Stripe test token attached as a payment method (`POST /v1/payment_methods/pm_card_visa/
/// attach`): outside the invoice API, but what a later pay depends on (the customer's card),
/// and reproducible on any test account. Replayed for that state, its answer not compared.
fn state_only(e: &Exchange) -> bool {
    let segs: Vec<&str> = e.path.trim_start_matches('/').split('/').collect();
    e.method == "POST"
        && matches!(segs.as_slice(), ["v1", "payment_methods", token, "attach"]
            if token.starts_with("pm_card_"))
}

/// What a [`state_only`] step says of itself in the scenario.
const STATE_ONLY_NOTE: &str = "a test card for the customer: replayed for the state a later \
     exchange depends on, not compared (payment methods are outside the invoice API)";

/// Why an exchange is left out, if it is.
fn drop_reason(e: &Exchange, opts: &ImportOptions) -> Option<String> {
    if let Some(h) = &e.host {
        if !h.eq_ignore_ascii_case(&opts.host) {
            return Some(format!("host {h}, not {}", opts.host));
        }
    }
    if !matches!(e.method.as_str(), "GET" | "POST" | "DELETE") {
        return Some(format!("method {} is not replayed", e.method));
    }
    if !e.path.starts_with('/') {
        return Some("no request path recorded".into());
    }
    // A list of the whole account answers with everything else in it (other tests, other
    // runs, other scenarios running at the same time): nothing this flow decides. Dropped in
    // the invoice scope; `all` keeps every exchange, as recorded.
    let scoped = e.query.iter().any(|(k, _)| {
        matches!(
            k.as_str(),
            "customer" | "subscription" | "invoice" | "ids[]"
        )
    });
    if opts.scope == Scope::InvoiceApi
        && e.method == "GET"
        && matches!(
            e.path.as_str(),
            "/v1/invoices" | "/v1/customers" | "/v1/invoiceitems"
        )
        && !scoped
    {
        return Some(
            "lists the whole account (its answer depends on everything else in it, not on this flow)"
                .into(),
        );
    }
    // A path some recorder rewrote (zulip replaced ids with its fixture's file name).
    if e.path
        .split('/')
        .any(|seg| seg.ends_with(".json") || seg.contains("--"))
    {
        return Some(
            "request path redacted by the recorder (it names a fixture, not an object)".into(),
        );
    }
    if opts.scope == Scope::InvoiceApi && !state_only(e) {
        let mut segs = e.path.trim_start_matches('/').split('/');
        let first = segs.next().unwrap_or("");
        let word = if first == "v1" {
            segs.next().unwrap_or("")
        } else {
            first
        };
        if word == "customers" {
            let _id = segs.next();
            if let Some(sub) = segs.next() {
                if CUSTOMER_OUTSIDE.contains(&sub) {
                    return Some(format!("customer {sub} are outside the invoice API"));
                }
            }
        }
        if !INVOICE_API.contains(&word) {
            return Some(
                OUTSIDE
                    .iter()
                    .find(|(w, _)| *w == word)
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_else(|| format!("/{first}/{word} is outside the invoice API")),
            );
        }
    }
    None
}

/// The day of a Unix timestamp (UTC), `YYYY-MM-DD` (humantime's RFC 3339, cut to the date).
/// Only stamps after 2004 reach here ([`newest_stamp`] skips recorder placeholders).
pub(super) fn day_of(t: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0).unsigned_abs());
    let mut text = humantime::format_rfc3339_seconds(at).to_string();
    text.truncate(10);
    text
}

/// The newest `created` (or `date`) stamp in a body: when the exchange happened, at the latest.
fn newest_stamp(v: &Value) -> Option<i64> {
    fn walk(v: &Value, best: &mut Option<i64>) {
        match v {
            Value::Object(m) => {
                for k in ["created", "date"] {
                    if let Some(t) = m.get(k).and_then(Value::as_i64) {
                        // 1000000000 is a recorder's normalized placeholder, not a date.
                        if t > 1_100_000_000 {
                            *best = Some(best.map_or(t, |b| b.max(t)));
                        }
                    }
                }
                m.values().for_each(|x| walk(x, best));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, best)),
            _ => {}
        }
    }
    let mut best = None;
    walk(v, &mut best);
    best
}

/// The pointers of values the recorder replaced with placeholders (`NORMALIZED…` strings, and
/// the `1000000000` timestamps that go with them), with the placeholder.
fn redacted_pointers(
    v: &Value,
    normalized_cassette: bool,
    at: &mut String,
    out: &mut Vec<(String, String)>,
) {
    match v {
        Value::String(s) if s.contains("NORMALIZED") => out.push((
            at.clone(),
            "value normalized by the recorder (NORMALIZED…)".into(),
        )),
        Value::String(s) if s.contains("_REDACTED") => out.push((
            at.clone(),
            "holds a key the recording redacted (…_REDACTED)".into(),
        )),
        Value::Number(n) if normalized_cassette && n.as_i64() == Some(1_000_000_000) => out.push((
            at.clone(),
            "timestamp normalized by the recorder (1000000000)".into(),
        )),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                redacted_pointers(x, normalized_cassette, at, out);
                at.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                redacted_pointers(x, normalized_cassette, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every whole-string id in a body with its pointer, in document order.
fn body_ids(v: &Value, at: &mut String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if is_id(s) => out.push((s.clone(), at.clone())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                body_ids(x, at, out);
                at.truncate(len);
            }
        }
        Value::Object(m) => {
            // `id` first: the object's own id is the natural capture.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by_key(|k| k.as_str() != "id");
            for k in keys {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                body_ids(&m[k], at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// `base`, or `base-2`, … when taken.
fn step_id_from(base: &str, taken: &mut HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// What the recording shows of a customer it did not create: its own object if a response
/// holds it (a deletion's `{id, object, deleted}` stub tells nothing and is passed over), else
/// what the first invoice made for it says of it (`customer_email`, `customer_name`,
/// `customer_phone`, `customer_address`, `customer_shipping`, `customer_tax_exempt`): the
/// customer's details when that invoice was made, which is what the replay's invoices copy.
fn customer_fields(cus: &str, kept: &[Kept]) -> Vec<(String, String)> {
    fn find<'a>(v: &'a Value, cus: &str, own: &mut Option<&'a Value>, inv: &mut Option<&'a Value>) {
        match v {
            Value::Object(m) => {
                let object = m.get("object").and_then(Value::as_str);
                if m.get("id").and_then(Value::as_str) == Some(cus)
                    && object == Some("customer")
                    && m.get("deleted") != Some(&Value::Bool(true))
                    && own.is_none()
                {
                    *own = Some(v);
                }
                // The first invoice that tells its customer's details.
                if m.get("customer").and_then(Value::as_str) == Some(cus)
                    && object == Some("invoice")
                    && inv.is_none()
                    && m.contains_key("customer_email")
                {
                    *inv = Some(v);
                }
                m.values().for_each(|x| find(x, cus, own, inv));
            }
            Value::Array(a) => a.iter().for_each(|x| find(x, cus, own, inv)),
            _ => {}
        }
    }
    let (mut own, mut invoice) = (None, None);
    for k in kept {
        find(&k.exchange.body, cus, &mut own, &mut invoice);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut form = Vec::new();
    // `address[line1]=…`, `shipping[address][city]=…`: the non-null strings of an object.
    fn flatten(prefix: &str, v: &Value, form: &mut Vec<(String, String)>) {
        match v {
            Value::String(s) => form.push((prefix.to_string(), s.clone())),
            Value::Object(m) => {
                for (k, x) in m {
                    flatten(&format!("{prefix}[{k}]"), x, form);
                }
            }
            _ => {}
        }
    }
    // `tax_exempt` only when it is not the default, as a client would send it.
    let exempt = |v: Option<&Value>, form: &mut Vec<(String, String)>| {
        if let Some(t) = text(v).filter(|t| t != "none") {
            form.push(("tax_exempt".into(), t));
        }
    };
    if let Some(c) = own {
        for f in ["email", "name", "description", "phone"] {
            if let Some(t) = text(c.get(f)) {
                form.push((f.to_string(), t));
            }
        }
        for f in ["address", "shipping"] {
            if let Some(v) = c.get(f) {
                flatten(f, v, &mut form);
            }
        }
        exempt(c.get("tax_exempt"), &mut form);
        if let Some(Value::Object(meta)) = c.get("metadata") {
            for (k, v) in meta {
                if let Some(t) = v.as_str() {
                    form.push((format!("metadata[{k}]"), t.to_string()));
                }
            }
        }
    } else if let Some(i) = invoice {
        for (from, to) in [
            ("customer_email", "email"),
            ("customer_name", "name"),
            ("customer_phone", "phone"),
        ] {
            if let Some(t) = text(i.get(from)) {
                form.push((to.to_string(), t));
            }
        }
        for (from, to) in [
            ("customer_address", "address"),
            ("customer_shipping", "shipping"),
        ] {
            if let Some(v) = i.get(from) {
                flatten(to, v, &mut form);
            }
        }
        exempt(i.get("customer_tax_exempt"), &mut form);
    }
    form
}

/// Coupons of the recorder's account that the cassette uses (`discounts[0][coupon]`, `coupon`)
/// but did not create, and that a recorded object shows: each with the creation form that
/// rebuilds it (its id, amount or percentage, duration, name, limits, metadata). A coupon the
/// recording never shows stays as it is (nothing to rebuild it from); a refused use is a probe.
fn account_coupons(kept: &[Kept]) -> Vec<(String, Vec<(String, String)>)> {
    fn find<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
        match v {
            Value::Object(m) => {
                if m.get("object").and_then(Value::as_str) == Some("coupon")
                    && m.get("id").and_then(Value::as_str) == Some(id)
                {
                    return Some(v);
                }
                m.values().find_map(|x| find(x, id))
            }
            Value::Array(a) => a.iter().find_map(|x| find(x, id)),
            _ => None,
        }
    }
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut shown: HashSet<String> = HashSet::new();
    for (i, k) in kept.iter().enumerate() {
        let e = k.exchange;
        let uses = e.form.iter().chain(&e.query).filter(|(name, _)| {
            name == "coupon" || (name.starts_with("discounts[") && name.ends_with("][coupon]"))
        });
        for (_, coupon) in uses {
            let created_here = e.method == "POST" && e.path == "/v1/coupons";
            if created_here
                || shown.contains(coupon)
                || out.iter().any(|(c, _)| c == coupon)
                || !(200..300).contains(&e.status)
            {
                continue;
            }
            let Some(obj) = kept[i..]
                .iter()
                .find_map(|k| find(&k.exchange.body, coupon))
            else {
                continue;
            };
            let mut form = vec![("id".to_string(), coupon.clone())];
            for f in [
                "amount_off",
                "currency",
                "duration",
                "duration_in_months",
                "name",
            ] {
                match obj.get(f) {
                    Some(Value::String(s)) => form.push((f.into(), s.clone())),
                    Some(Value::Number(n)) => form.push((f.into(), n.to_string())),
                    _ => {}
                }
            }
            if let Some(p) = obj.get("percent_off").and_then(Value::as_f64) {
                // `50.0` as Stripe takes it: `50`.
                let text = if p.fract() == 0.0 {
                    format!("{}", p as i64)
                } else {
                    p.to_string()
                };
                form.push(("percent_off".into(), text));
            }
            for f in ["max_redemptions", "redeem_by"] {
                if let Some(n) = obj.get(f).and_then(Value::as_i64) {
                    form.push((f.into(), n.to_string()));
                }
            }
            if let Some(Value::Object(meta)) = obj.get("metadata") {
                for (mk, mv) in meta {
                    if let Some(t) = mv.as_str() {
                        form.push((format!("metadata[{mk}]"), t.to_string()));
                    }
                }
            }
            out.push((coupon.clone(), form));
        }
        // Coupons a response showed (the cassette created or fetched them): not the account's.
        let mut ids = Vec::new();
        body_ids_of_coupons(&e.body, &mut ids);
        shown.extend(ids);
    }
    out
}

fn body_ids_of_coupons(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.get("object").and_then(Value::as_str) == Some("coupon") {
                if let Some(id) = m.get("id").and_then(Value::as_str) {
                    out.push(id.to_string());
                }
            }
            m.values().for_each(|x| body_ids_of_coupons(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| body_ids_of_coupons(x, out)),
        _ => {}
    }
}

/// `times_redeemed` of a rebuilt coupon wherever a body shows it: it counts the redemptions of
/// the recorder's whole account, before this cassette too, which a rebuilt coupon has not had.
fn redemptions_of(v: &Value, coupon: &str, at: &mut String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if m.get("object").and_then(Value::as_str) == Some("coupon")
                && m.get("id").and_then(Value::as_str) == Some(coupon)
                && m.contains_key("times_redeemed")
            {
                out.push((
                    format!("{at}/times_redeemed"),
                    format!(
                        "counts the redemptions of coupon {coupon} in the recorder's account, \
                         also before this cassette (rebuilt by a setup step, it has only this \
                         flow's)"
                    ),
                ));
            }
            for (k, x) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                redemptions_of(x, coupon, at, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                redemptions_of(x, coupon, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The invoice prefix of a customer the recording did not create: its own `invoice_prefix`,
/// else the prefix of an invoice number of one of its invoices.
fn invoice_prefix_of(cus: &str, kept: &[Kept]) -> Option<String> {
    fn walk(v: &Value, cus: &str) -> Option<String> {
        match v {
            Value::Object(m) => {
                let object = m.get("object").and_then(Value::as_str);
                if object == Some("customer") && m.get("id").and_then(Value::as_str) == Some(cus) {
                    if let Some(p) = m.get("invoice_prefix").and_then(Value::as_str) {
                        return Some(p.to_string());
                    }
                }
                if object == Some("invoice")
                    && m.get("customer").and_then(Value::as_str) == Some(cus)
                {
                    if let Some((p, _)) = m
                        .get("number")
                        .and_then(Value::as_str)
                        .and_then(|n| n.rsplit_once('-'))
                    {
                        return Some(p.to_string());
                    }
                }
                m.values().find_map(|x| walk(x, cus))
            }
            Value::Array(a) => a.iter().find_map(|x| walk(x, cus)),
            _ => None,
        }
    }
    kept.iter().find_map(|k| walk(&k.exchange.body, cus))
}

/// Sent where the recording got 401 for its key: a key no account has (the shape Stripe and
/// the mock both refuse), never a real one.
const REJECTED_KEY: &str = "sk_test_rejected_by_recording";

/// Step id from the request: `post-invoices-pay`, `get-customers`, made unique.
fn step_id(method: &str, path: &str, taken: &mut HashSet<String>) -> String {
    let mut words = vec![method.to_ascii_lowercase()];
    for seg in path.trim_start_matches('/').split('/') {
        if seg == "v1" || seg.is_empty() {
            continue;
        }
        if is_id(seg) || seg.contains('{') {
            continue;
        }
        let w: String = seg
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '_' | '-' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '-',
            })
            .collect();
        if !w.is_empty() {
            words.push(w);
        }
    }
    let base = words.join("-");
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// One kept exchange on its way to a step.
struct Kept<'a> {
    index: usize,
    exchange: &'a Exchange,
    version: String,
    version_supplied: bool,
    /// The day it was recorded, when anything tells.
    as_of: Option<String>,
}

/// Renders the scenario and snapshots of one cassette.
pub(super) fn render(c: &Cassette, opts: &ImportOptions) -> Result<Rendered, ImportError> {
    let source_dir = file_name(&c.source.name);
    let name = file_name(&c.name);
    let label = format!("{source_dir}/{name}");
    for (i, e) in c.exchanges.iter().enumerate() {
        if let Some(detail) = live_detail(i, e) {
            return Err(ImportError::Live {
                cassette: label,
                detail,
            });
        }
    }
    // Scrub keys before anything else looks at the exchanges.
    let exchanges: Vec<Exchange> = c.exchanges.iter().map(scrub_exchange).collect();

    // What is kept, at which version and date; what is dropped and why.
    let mut dropped: Vec<Dropped> = Vec::new();
    let mut kept: Vec<Kept> = Vec::new();
    let mut introduced_by_dropped: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    // Invoices of the recorder's account that the cassette uses but never created, and its
    // payment intents that a request names before any response showed them.
    let mut foreign: HashSet<String> = HashSet::new();
    let mut last_day = c.source.recorded_on.clone();
    // Each exchange's recording day: a cassette's sessions, for their account settings.
    let mut days: Vec<Option<String>> = Vec::with_capacity(exchanges.len());
    let mut masked = None;
    for (i, e) in exchanges.iter().enumerate() {
        let request = format!("{} {}", e.method, e.path);
        let day = e
            .recorded_on
            .clone()
            .or_else(|| newest_stamp(&e.body).map(day_of))
            .or_else(|| last_day.clone());
        last_day = day.clone().or(last_day);
        days.push(day.clone());
        let uses = request_ids(e);
        let mut reason = drop_reason(e, opts);
        // An invoice of the recorder's account that the cassette never created (no earlier
        // response showed it): a fresh account, mock or Stripe, has no such object, so the
        // recorded answer cannot be replayed. A recorded error (`in_invalid` → 404) replays.
        // The same for a payment intent (the recorder's subscriptions paid invoices through
        // them): one named before any response showed it is the account's, whichever
        // exchange names it first, and what lists its payments lists the account's history.
        for id in uses
            .iter()
            .filter(|id| id.starts_with("pi_") && !seen.contains(**id))
        {
            foreign.insert(id.to_string());
        }
        if reason.is_none() && opts.scope == Scope::InvoiceApi && (200..300).contains(&e.status) {
            if let Some(id) = uses.iter().find(|id| {
                id.starts_with("in_") && (!seen.contains(**id) || foreign.contains(**id))
            }) {
                foreign.insert(id.to_string());
                reason = Some(format!(
                    "names {id}, an invoice of the recorder's account that the cassette did not \
                     create: a fresh account has no such object"
                ));
            } else if let Some(id) = uses
                .iter()
                .find(|id| id.starts_with("pi_") && foreign.contains(**id))
            {
                reason = Some(format!(
                    "names {id}, a payment intent of the recorder's account that the cassette \
                     did not create (its payments were made outside the cassette): a fresh \
                     account has no such object"
                ));
            }
        }
        if reason.is_none() {
            if let Some((id, n)) = uses
                .iter()
                .find_map(|id| introduced_by_dropped.get(*id).map(|n| (*id, *n)))
            {
                reason = Some(format!("uses {id}, which dropped exchange {n} introduced"));
            }
        }
        let fresh: Vec<String> = {
            let mut ids = Vec::new();
            body_ids(&e.body, &mut String::new(), &mut ids);
            ids.into_iter()
                .map(|(id, _)| id)
                .filter(|id| !seen.contains(id) && !uses.contains(&id.as_str()))
                .collect()
        };
        for id in &uses {
            seen.insert(id.to_string());
        }
        if let Some(reason) = reason {
            for id in fresh {
                introduced_by_dropped.entry(id.clone()).or_insert(i + 1);
                seen.insert(id);
            }
            dropped.push(Dropped {
                index: i + 1,
                request,
                reason,
            });
            continue;
        }
        for id in fresh {
            seen.insert(id);
        }
        let recorded = header(&e.request_headers, "Stripe-Version")
            .or_else(|| header(&e.response_headers, "Stripe-Version"));
        let (version, supplied) = match recorded {
            Some(v) if is_version(v) => (v.to_string(), false),
            other => {
                if let Some(v) = other {
                    masked = Some(v.to_string());
                }
                match opts.supplied_version(&c.source.name) {
                    Some(v) => (v.to_string(), true),
                    None => {
                        return Err(ImportError::NoVersion {
                            cassette: label,
                            detail: match other {
                                Some(v) => format!("exchange {} has it masked as {v}", i + 1),
                                None => format!("exchange {} has none", i + 1),
                            },
                        })
                    }
                }
            }
        };
        kept.push(Kept {
            index: i + 1,
            exchange: e,
            version,
            version_supplied: supplied,
            as_of: day,
        });
    }
    if kept.is_empty() {
        return Err(ImportError::Empty { cassette: label });
    }
    let _ = masked;

    let key = format!("{}/{source_dir}/{name}", opts.subdir);
    let normalized_cassette = kept
        .iter()
        .any(|k| serde_json::to_string(&k.exchange.body).is_ok_and(|s| s.contains("NORMALIZED")));

    // The id flow: ids a kept response introduced, and which later kept request uses them.
    let mut introduced: HashMap<String, (usize, String)> = HashMap::new();
    let mut seen_request: HashSet<String> = HashSet::new();
    let mut used: BTreeSet<(usize, String)> = BTreeSet::new(); // (step position, id)
    for (pos, k) in kept.iter().enumerate() {
        for id in request_ids(k.exchange) {
            if introduced.contains_key(id) {
                used.insert((introduced[id].0, id.to_string()));
            }
            seen_request.insert(id.to_string());
        }
        let mut ids = Vec::new();
        body_ids(&k.exchange.body, &mut String::new(), &mut ids);
        for (id, ptr) in ids {
            if !seen_request.contains(&id) && !introduced.contains_key(&id) {
                introduced.insert(id, (pos, ptr));
            }
        }
    }
    // Customers of the recorder's account: used by a request, introduced by no response, and
    // not a probe (the first request naming one did not get a 404). A replay rebuilds each in
    // a setup step from what the recording shows of it, so the flow can run on a fresh account.
    let mut account_customers: Vec<String> = Vec::new();
    {
        let mut introduced_so_far: HashSet<String> = HashSet::new();
        for k in &kept {
            for id in request_ids(k.exchange) {
                let fresh = id.starts_with("cus_")
                    && !introduced_so_far.contains(id)
                    && !account_customers.iter().any(|c| c == id);
                if fresh && k.exchange.status != 404 {
                    account_customers.push(id.to_string());
                }
                introduced_so_far.insert(id.to_string());
            }
            let mut ids = Vec::new();
            body_ids(&k.exchange.body, &mut String::new(), &mut ids);
            introduced_so_far.extend(ids.into_iter().map(|(id, _)| id));
        }
    }
    // Created customers and invoices: tagged, captured and torn down.
    let mut created: Vec<(usize, String, &'static str)> = Vec::new();
    for (pos, k) in kept.iter().enumerate() {
        let e = k.exchange;
        let what = match e.path.as_str() {
            "/v1/customers" => "customers",
            "/v1/invoices" => "invoices",
            _ => continue,
        };
        if e.method != "POST" || !(200..300).contains(&e.status) {
            continue;
        }
        if let Some(id) = e.body.get("id").and_then(Value::as_str) {
            if introduced.get(id).is_some_and(|(p, _)| *p == pos) {
                created.push((pos, id.to_string(), what));
                used.insert((pos, id.to_string()));
            }
        }
    }
    let mut tagged: HashSet<String> = created
        .iter()
        .filter(|(pos, _, _)| {
            !kept[*pos]
                .exchange
                .form
                .iter()
                .any(|(k, _)| k == "metadata")
        })
        .map(|(_, id, _)| id.clone())
        .collect();
    tagged.extend(account_customers.iter().cloned());

    // Variable names, in order of first capture.
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut captures: HashMap<usize, Vec<(String, String)>> = HashMap::new();
    for id in &account_customers {
        let n = counts.entry("customer").or_insert(0);
        *n += 1;
        let var = if *n == 1 {
            "customer_id".to_string()
        } else {
            format!("customer_{n}_id")
        };
        vars.insert(id.clone(), var);
    }
    let mut order: Vec<&(usize, String)> = used.iter().collect();
    order.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| introduced[&a.1].1.cmp(&introduced[&b.1].1))
    });
    for (pos, id) in order {
        let prefix = id.split('_').next().unwrap_or("id");
        let base = VAR_NAMES
            .iter()
            .find(|(p, _)| *p == prefix)
            .map_or(prefix, |(_, n)| n);
        let n = counts.entry(base).or_insert(0);
        *n += 1;
        let var = if *n == 1 {
            format!("{base}_id")
        } else {
            format!("{base}_{n}_id")
        };
        vars.insert(id.clone(), var.clone());
        captures
            .entry(*pos)
            .or_default()
            .push((var, introduced[id].1.clone()));
    }
    for list in captures.values_mut() {
        list.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    }

    // Idempotency keys the cassette reuses keep their meaning; single ones are dropped (the
    // runner sends a fresh key per step and run).
    let mut idem_counts: HashMap<&str, usize> = HashMap::new();
    for k in &kept {
        if let Some(v) = header(&k.exchange.request_headers, "Idempotency-Key") {
            *idem_counts.entry(v).or_insert(0) += 1;
        }
    }
    let mut idem_names: HashMap<&str, String> = HashMap::new();

    // The scenario's version and as-of: the first kept step's; steps that differ say theirs.
    let scenario_version = kept[0].version.clone();
    let scenario_as_of = kept[0].as_of.clone();
    // The account: what the whole recording shows, and per session what differs from it.
    let mut account = super::account::account_of(&exchanges);
    let ids: Vec<String> = exchanges.iter().fold(Vec::new(), |mut all, e| {
        for id in super::account::account_ids(&e.body) {
            if !all.contains(&id) {
                all.push(id);
            }
        }
        all
    });
    if ids.len() > 1 {
        account.id = Some(ids[0].clone());
    }
    let sessions = super::account::per_session(&exchanges, &days, &account);
    let session_account = |day: &Option<String>| {
        sessions
            .iter()
            .find(|(d, _)| d == day)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };
    let substitute = |s: &str| -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        for id in ids_in(s) {
            if let Some(var) = vars.get(id) {
                let at = rest.find(id).unwrap_or(0);
                out.push_str(&rest[..at]);
                out.push_str(&format!("{{{{{var}}}}}"));
                rest = &rest[at + id.len()..];
            }
        }
        out.push_str(rest);
        out
    };

    let mut taken = HashSet::new();
    let mut steps: Vec<StepDoc> = Vec::new();
    let mut snapshots: Vec<(PathBuf, Snapshot)> = Vec::new();
    let mut normalizer = Normalizer::new(opts.rules.clone());
    normalizer.mask("{{run_id}}", RUN_ID_PLACEHOLDER);
    for cus in &account_customers {
        let id = step_id_from("setup-customer", &mut taken);
        let mut form = customer_fields(cus, &kept);
        form.push(("metadata[apiparity_run]".into(), "{{run_id}}".into()));
        // The replay numbers this customer (and its invoice prefix) first, from the setup
        // response: the recorded ones must get the same placeholders.
        let prefix =
            invoice_prefix_of(cus, &kept).unwrap_or_else(|| format!("SETUP{}", steps.len() + 1));
        let _ = normalizer.value(&json!({ "id": cus, "invoice_prefix": prefix }));
        steps.push(StepDoc {
            id,
            recorded: 0,
            note: Some(format!(
                "the recorder's customer {cus}, which the cassette uses but did not create"
            )),
            method: "POST".into(),
            path: "/v1/customers".into(),
            query: vec![],
            form,
            headers: vec![],
            auth: None,
            as_of: None,
            account: Default::default(),
            status: 200,
            snapshot: false,
            ignore: vec![],
            capture: vec![(vars[cus].clone(), "/id".into())],
        });
    }
    // Coupons of the recorder's account: rebuilt from what the recording shows of them.
    let account_coupons = account_coupons(&kept);
    for (coupon, form) in &account_coupons {
        let id = step_id_from("setup-coupon", &mut taken);
        steps.push(StepDoc {
            id,
            recorded: 0,
            note: Some(format!(
                "the recorder's coupon {coupon}, which the cassette uses but did not create"
            )),
            method: "POST".into(),
            path: "/v1/coupons".into(),
            query: vec![],
            form: form.clone(),
            headers: vec![],
            auth: None,
            as_of: None,
            account: Default::default(),
            status: 200,
            snapshot: false,
            ignore: vec![],
            capture: vec![],
        });
    }
    let setup = steps.len();
    for (pos, k) in kept.iter().enumerate() {
        let e = k.exchange;
        let id = step_id(&e.method, &e.path, &mut taken);
        let path = substitute(&e.path);
        let mut query: Vec<(String, String)> = e
            .query
            .iter()
            .map(|(n, v)| (n.clone(), substitute(v)))
            .collect();
        let mut form: Vec<(String, String)> = e
            .form
            .iter()
            .map(|(n, v)| (n.clone(), substitute(v)))
            .collect();
        // Some clients sent a GET's parameters in a body; Stripe read them as the query.
        if e.method != "POST" {
            query.append(&mut form);
        }
        let tag = created
            .iter()
            .any(|(p, cid, _)| *p == pos && tagged.contains(cid));
        if tag {
            form.push(("metadata[apiparity_run]".into(), "{{run_id}}".into()));
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        if k.version != scenario_version {
            headers.push(("Stripe-Version".into(), k.version.clone()));
        }
        for (name, value) in &e.request_headers {
            let lower = name.to_ascii_lowercase();
            if !KEPT_REQUEST_HEADERS.contains(&lower.as_str()) || lower == "stripe-version" {
                continue;
            }
            if lower == "idempotency-key" {
                if idem_counts.get(value.as_str()).copied().unwrap_or(0) > 1 {
                    let next = idem_names.len() + 1;
                    let v = idem_names.entry(value.as_str()).or_insert_with(|| {
                        format!("apiparity-{{{{run_id}}}}-{{{{scenario}}}}-key{next}")
                    });
                    headers.push(("Idempotency-Key".into(), v.clone()));
                }
                continue;
            }
            headers.push((canonical_header(name), substitute(value)));
        }
        let mut ignore = Vec::new();
        redacted_pointers(
            &e.body,
            normalized_cassette,
            &mut String::new(),
            &mut ignore,
        );
        for (coupon, _) in &account_coupons {
            redemptions_of(&e.body, coupon, &mut String::new(), &mut ignore);
        }
        let capture = captures.remove(&pos).unwrap_or_default();

        // The snapshot: the request as the replay will send it, then the response, normalized
        // on one Normalizer so ids keep their identity across steps (as a run's do).
        let mut req_headers = Map::new();
        req_headers.insert("Stripe-Version".into(), Value::String(k.version.clone()));
        for (n, v) in &headers {
            if !n.eq_ignore_ascii_case("stripe-version") {
                req_headers.insert(n.clone(), Value::String(v.clone()));
            }
        }
        if e.method == "POST"
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("idempotency-key"))
        {
            req_headers.insert(
                "Idempotency-Key".into(),
                Value::String(format!(
                    "apiparity-{{{{run_id}}}}-{}-{id}",
                    key.replace('/', "-")
                )),
            );
        }
        let pairs = |p: &[(String, String)]| -> Value {
            Value::Array(
                p.iter()
                    .map(|(k, v)| Value::String(format!("{k}={v}")))
                    .collect(),
            )
        };
        let mut request = json!({"method": e.method, "path": unsubstitute(&path, &vars)});
        if !query.is_empty() {
            request["query"] = pairs(&unsubstitute_pairs(&query, &vars));
        }
        if !form.is_empty() {
            request["form"] = pairs(&unsubstitute_pairs(&form, &vars));
        }
        request["headers"] = Value::Object(req_headers);
        request["auth"] = Value::String("bearer".into());
        let request = normalizer.value(&request);
        let mut body = e.body.clone();
        if !tagged.is_empty() {
            tag_metadata(&mut body, &tagged);
        }
        let body = normalizer.value(&body);
        let index = setup + pos + 1;
        let file = crate::snapshot::path_for(&opts.snapshots_root, &key, index, &id);
        let source_text = provenance(c, k, opts);
        let compared = !state_only(e);
        if compared {
            snapshots.push((
                file,
                Snapshot {
                    meta: Meta {
                        scenario: key.clone(),
                        step: id.clone(),
                        source: source_text,
                        stripe_version: k.version.clone(),
                        recorded_at: k
                            .as_of
                            .as_ref()
                            .map_or_else(|| "unknown".into(), |d| format!("{d}T00:00:00Z")),
                    },
                    request,
                    response: SnapResponse {
                        status: e.status,
                        body,
                    },
                },
            ));
        }
        steps.push(StepDoc {
            id,
            recorded: k.index,
            note: (!compared).then(|| STATE_ONLY_NOTE.to_string()),
            auth: (e.status == 401).then(|| REJECTED_KEY.to_string()),
            snapshot: compared,
            method: e.method.clone(),
            path,
            query,
            form,
            headers,
            as_of: k
                .as_of
                .clone()
                .filter(|d| Some(d) != scenario_as_of.as_ref()),
            account: session_account(&k.as_of),
            status: e.status,
            ignore,
            capture,
        });
    }
    let mut teardown = Vec::new();
    let account_deletes: Vec<(String, String)> = account_customers
        .iter()
        .map(|c| {
            (
                "delete-customer".to_string(),
                format!("/v1/customers/{{{{{}}}}}", vars[c]),
            )
        })
        .collect();
    // Invoices first (a draft is deleted; a finalized one stays, as on Stripe), then customers.
    for what in ["invoices", "customers"] {
        for (_, id, w) in &created {
            if *w == what {
                teardown.push((
                    format!("delete-{}", &what[..what.len() - 1]),
                    format!("/v1/{what}/{{{{{}}}}}", vars[id]),
                ));
            }
        }
    }
    teardown.extend(account_deletes);
    for (coupon, _) in &account_coupons {
        teardown.push(("delete-coupon".into(), format!("/v1/coupons/{coupon}")));
    }
    let teardown = teardown
        .into_iter()
        .map(|(base, path)| {
            let mut id = base.clone();
            let mut n = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            (id, path)
        })
        .collect();
    let supplied = kept.iter().any(|k| k.version_supplied);
    let doc = ScenarioDoc {
        modeline: modeline(opts),
        source: &c.source,
        cassette: &c.name,
        description: format!(
            "Recorded by {} in {} ({}): {} of {} exchanges replayed as recorded.",
            c.source.recorder,
            c.source.file,
            c.source
                .recorded_on
                .as_deref()
                .or(scenario_as_of.as_deref())
                .unwrap_or("date unknown"),
            kept.len(),
            exchanges.len()
        ),
        tags: vec!["recorded".into(), source_dir.clone()],
        stripe_version: scenario_version,
        version_note: supplied.then(|| {
            format!(
                "Stripe-Version not recorded{}: supplied at import",
                masked_note(&exchanges)
            )
        }),
        as_of: scenario_as_of,
        account,
        dropped: &dropped,
        steps: &steps,
        teardown,
    };
    let scenario_file = opts
        .scenarios_root
        .join(&opts.subdir)
        .join(&source_dir)
        .join(format!("{name}.yaml"));
    let mut files = vec![(scenario_file, emit::scenario(&doc))];
    for (path, snap) in snapshots {
        let mut text = serde_json::to_string_pretty(&snap).expect("a snapshot serializes");
        text.push('\n');
        files.push((path, text));
    }
    Ok(Rendered {
        key,
        files,
        steps: steps.len(),
        dropped,
    })
}

fn masked_note(exchanges: &[Exchange]) -> String {
    exchanges
        .iter()
        .find_map(|e| {
            header(&e.request_headers, "Stripe-Version")
                .or_else(|| header(&e.response_headers, "Stripe-Version"))
                .filter(|v| !is_version(v))
                .map(|v| format!(" (masked by the recorder as {v})"))
        })
        .unwrap_or_default()
}

/// `meta.source`: who recorded it, where it is, when.
fn provenance(c: &Cassette, k: &Kept, opts: &ImportOptions) -> String {
    // Say what answered: Stripe test mode only when it was Stripe's API.
    let origin = match (&c.source.origin, opts.host.as_str()) {
        (Some(o), _) => o.clone(),
        (None, "api.stripe.com") => "Stripe test mode".to_string(),
        (None, host) => host.to_string(),
    };
    let mut s = format!(
        "recorded from {origin} by {} ({}, {})",
        c.source.recorder,
        c.source.file,
        k.as_of.as_deref().unwrap_or("date unknown")
    );
    if k.version_supplied {
        s.push_str(&format!(
            "; Stripe-Version {} supplied at import",
            k.version
        ));
    }
    s
}

/// The modeline pointing at `scenarios/schema.json`, when the output lies under a
/// `scenarios` directory.
fn modeline(opts: &ImportOptions) -> Option<String> {
    let dir = opts.scenarios_root.join(&opts.subdir);
    let parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().rposition(|p| p == "scenarios")?;
    // The file lies in <dir>/<source>/: one more level.
    let depth = parts.len() - at;
    Some(format!(
        "# yaml-language-server: $schema={}schema.json",
        "../".repeat(depth)
    ))
}

fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `{{var}}` back to the recorded id, for the snapshot's request (normalized afterwards, so
/// the replay's own ids and the recorded ones land on the same placeholders).
fn unsubstitute(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = s.to_string();
    for (id, var) in vars {
        out = out.replace(&format!("{{{{{var}}}}}"), id);
    }
    out
}

fn unsubstitute_pairs(
    p: &[(String, String)],
    vars: &HashMap<String, String>,
) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.clone(), unsubstitute(v, vars)))
        .collect()
}

/// The ids a request names (path, query and form values), in order.
fn request_ids(e: &Exchange) -> Vec<&str> {
    let mut out = ids_in(&e.path);
    for (_, v) in e.query.iter().chain(&e.form) {
        out.extend(ids_in(v));
    }
    out
}

fn scrub_exchange(e: &Exchange) -> Exchange {
    let pairs = |p: &[(String, String)]| -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (scrub_keys(k), scrub_keys(v)))
            .collect()
    };
    let headers = |p: &[(String, String)]| -> Vec<(String, String)> {
        p.iter()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !matches!(
                    k.as_str(),
                    "authorization" | "cookie" | "set-cookie" | "proxy-authorization"
                )
            })
            .map(|(k, v)| (k.clone(), scrub_keys(v)))
            .collect()
    };
    Exchange {
        method: e.method.to_ascii_uppercase(),
        host: e.host.clone(),
        path: scrub_keys(&e.path),
        query: pairs(&e.query),
        form: pairs(&e.form),
        request_headers: headers(&e.request_headers),
        status: e.status,
        response_headers: headers(&e.response_headers),
        body: scrub_value(&e.body),
        recorded_on: e.recorded_on.clone(),
    }
}

/// Adds the replay's tag to the metadata of every tagged object, as the replay's responses
/// will carry it.
fn tag_metadata(v: &mut Value, tagged: &HashSet<String>) {
    match v {
        Value::Object(m) => {
            let is_tagged = m
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| tagged.contains(id));
            if is_tagged {
                if let Some(Value::Object(meta)) = m.get_mut("metadata") {
                    meta.insert(
                        "apiparity_run".into(),
                        Value::String(RUN_ID_PLACEHOLDER.into()),
                    );
                }
            }
            for x in m.values_mut() {
                tag_metadata(x, tagged);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| tag_metadata(x, tagged)),
        _ => {}
    }
}
