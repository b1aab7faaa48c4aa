//! Replays the real Stripe recordings in `../shared/recordings` (2022-11-15 or later) against
//! the embedded mock, with ids mapped, and compares every invoice-API exchange strictly: after
//! the project's normalizer, one difference anywhere fails the exchange.
//!
//! Per cassette, a fresh mock. Each exchange is sent with its recorded `Stripe-Version` (the
//! pinned version where the source masked it) and `Apiparity-As-Of: <the day it was recorded>`
//! (the newest `created` stamp of its response, else the previous exchange's day), so additive
//! fields appear exactly when real Stripe had them. Ids a recorded response introduced are
//! mapped to the mock's ids in later requests; ids nobody introduced stay literal.
//!
//! Exchanges are classified, and only the last class is compared:
//! * **not modelled**: versions before 2023-10-16 — the mock must refuse them clearly;
//! * **outside the surface**: subscriptions, checkout, charges, payment intents, payment methods
//!   (not sent); prices and products are sent as setup but not compared;
//! * **outside state**: the request names an object of the invoice API that the recording did
//!   not create (it existed in the recorder's account), or lists the whole account;
//! * **compared**: strict match, or a mismatch listed in [`KNOWN`] with its reason.
//!
//! Without `../shared` the test skips with one line, unless `CI` is set.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use apiparity::diff;
use apiparity::normalize::Normalizer;
use reqwest::Method;
use serde_json::Value;

use super::Api;

/// The recorders' accounts, by the 10-character account fragment Stripe puts in object ids: the
/// replay configures the mock's account like theirs (`MockOptions`), from what the recordings
/// show of it.
const ACCOUNTS: &[(&str, &str, bool, &str)] = &[
    (
        "KXBGcbgpbZ",
        "US",
        false,
        "pay-rails: webhooks_delivered_at == created on 24 of 28 invoices",
    ),
    (
        "H54PcLeqtY",
        "CA",
        false,
        "onetimesecret (Dec 2025): == created on 48 of 50 invoices",
    ),
    (
        "H7zmouMIBX",
        "CA",
        true,
        "onetimesecret (2026): null on every create response, 14 of 14",
    ),
];

/// The account fragment of an id like `in_1SOMb8KXBGcbgpbZaPVAMLBv`.
fn fragment_of(v: &Value) -> Option<String> {
    let mut ids = Vec::new();
    collect_ids(v, &mut ids);
    ids.iter().find_map(|id| {
        let (prefix, rest) = id.split_once('_')?;
        let stamped = [
            "in", "ii", "il", "price", "pi", "ch", "pm", "inpay", "di", "txr",
        ];
        (stamped.contains(&prefix) && rest.len() == 24 && rest.starts_with('1'))
            .then(|| rest[6..16].to_string())
    })
}

async fn mock_for(fragment: Option<&str>) -> Api {
    let (country, endpoints) = ACCOUNTS
        .iter()
        .find(|(f, ..)| Some(*f) == fragment)
        .map_or(("US", false), |(_, c, e, _)| (*c, *e));
    Api::start_with(apiparity::mock::MockOptions {
        account_country: country.to_string(),
        webhook_endpoints: endpoints,
        ..Default::default()
    })
    .await
}

/// Mismatches with their reason, by `folder/cassette#index`.
const KNOWN: &[(&str, &str)] = &[
    (
        "onetimesecret__onetimesecret/Billing_Controllers_BillingController__GET__returns_list_of_invoices_for_organization#2",
        "webhooks_delivered_at null on a create response of an account where it equals created on 48 of 50 invoices: delivery timing, not modelled",
    ),
    (
        "onetimesecret__onetimesecret/Billing_Controllers_BillingController__GET__returns_list_of_invoices_for_organization#3",
        "the same invoice listed before its webhooks were delivered (see #2)",
    ),
    (
        "pay-rails__pay/test_sync_stripe_invoice_discounts_and_coupons#10",
        "the expanded discount's `start` is a timestamp the normalizer does not cover (apiparity.yaml lists no `start`), and the stand-in coupon's `times_redeemed` cannot know the recorder's 4 earlier redemptions",
    ),
];

fn recordings_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    dir.is_dir().then_some(dir)
}

/// Prefixes of the objects the mock stores or produces (and subscriptions, which it does not
/// model): a request naming one the replay has not seen the mock answer with depends on the
/// recorder's account or on an exchange outside the mock's surface.
const STORED: &[&str] = &[
    "cus_", "in_", "ii_", "il_", "price_", "prod_", "inpay_", "di_", "txr_", "pi_", "ch_", "sub_",
    "si_",
];

fn is_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 8
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        && rest
            .bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Every id-looking token inside a string (paths, search queries).
fn ids_in(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| is_id(t))
        .map(str::to_string)
        .collect()
}

fn collect_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if is_id(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_ids(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_ids(x, out)),
        _ => {}
    }
}

/// Pairs the ids of a recorded body with the mock's at the same places.
fn pair_ids(rec: &Value, got: &Value, map: &mut HashMap<String, String>) {
    match (rec, got) {
        (Value::String(a), Value::String(b)) if is_id(a) && a != b => {
            map.entry(a.clone()).or_insert_with(|| b.clone());
        }
        (Value::Array(a), Value::Array(b)) => {
            for (x, y) in a.iter().zip(b) {
                pair_ids(x, y, map);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                if let Some(y) = b.get(k) {
                    pair_ids(x, y, map);
                }
            }
        }
        _ => {}
    }
}

fn substitute(s: &str, map: &HashMap<String, String>) -> String {
    let mut out = s.to_string();
    for id in ids_in(s) {
        if let Some(m) = map.get(&id) {
            out = out.replace(&id, m);
        }
    }
    out
}

fn newest_stamp(v: &Value) -> Option<i64> {
    let mut best: Option<i64> = None;
    fn walk(v: &Value, best: &mut Option<i64>) {
        match v {
            Value::Object(m) => {
                for k in ["created", "date"] {
                    if let Some(t) = m.get(k).and_then(Value::as_i64) {
                        // 1000000000 is a source's normalized placeholder, not a date.
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
    walk(v, &mut best);
    best
}

/// `YYYY-MM-DD` of a Unix timestamp (UTC).
fn day_of(t: i64) -> String {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `Wed, 31 Dec 2025 06:07:59 GMT` → `2025-12-31`.
fn http_day(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mon = *parts.get(2)?;
    let m = months.iter().position(|x| *x == mon)? + 1;
    let d: u32 = parts.get(1)?.parse().ok()?;
    Some(format!("{}-{m:02}-{d:02}", parts.get(3)?))
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    NotModelled,
    OutsideSurface,
    OutsideState,
    Matched,
    Known,
    Mismatch,
}

fn compared(path: &str) -> bool {
    ["customers", "invoiceitems", "invoices", "invoice_payments"]
        .iter()
        .any(|r| path == format!("/v1/{r}") || path.starts_with(&format!("/v1/{r}/")))
}

fn setup(path: &str) -> bool {
    ["prices", "products", "coupons", "tax_rates"]
        .iter()
        .any(|r| path == format!("/v1/{r}") || path.starts_with(&format!("/v1/{r}/")))
}

/// Recorded 401 bodies carry the converter's `sk_test_REDACTED`: the key part is not compared.
fn redact_key(v: &mut Value) {
    if let Some(m) = v.pointer_mut("/error/message") {
        if let Some(s) = m.as_str() {
            if let Some(rest) = s.strip_prefix("Invalid API Key provided: ") {
                let _ = rest;
                *m = Value::String("Invalid API Key provided: <redacted>".into());
            }
        }
    }
}

struct Outcome {
    version: String,
    key: String,
    class: Class,
    detail: String,
}

/// The fields the recording shows of each customer (`email`, `name`, `description`,
/// `metadata[…]`), from its customer objects or the `customer_*` copies of its invoices.
fn customers_seen(exchanges: &[Value]) -> HashMap<String, Vec<(String, String)>> {
    fn walk(v: &Value, out: &mut HashMap<String, Vec<(String, String)>>) {
        match v {
            Value::Object(m) => {
                let obj = m.get("object").and_then(Value::as_str);
                if obj == Some("customer") && m.get("deleted").is_none() {
                    if let Some(id) = m.get("id").and_then(Value::as_str) {
                        let mut f = Vec::new();
                        for k in ["email", "name", "description", "phone"] {
                            if let Some(x) = m.get(k).and_then(Value::as_str) {
                                f.push((k.to_string(), x.to_string()));
                            }
                        }
                        if let Some(md) = m.get("metadata").and_then(Value::as_object) {
                            for (k, x) in md {
                                if let Some(x) = x.as_str() {
                                    f.push((format!("metadata[{k}]"), x.to_string()));
                                }
                            }
                        }
                        out.insert(id.to_string(), f);
                    }
                }
                if obj == Some("invoice") {
                    if let Some(id) = m.get("customer").and_then(Value::as_str) {
                        out.entry(id.to_string()).or_insert_with(|| {
                            let mut f = Vec::new();
                            for (k, from) in
                                [("email", "customer_email"), ("name", "customer_name")]
                            {
                                if let Some(x) = m.get(from).and_then(Value::as_str) {
                                    f.push((k.to_string(), x.to_string()));
                                }
                            }
                            f
                        });
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for e in exchanges {
        walk(&e["body"], &mut out);
    }
    out
}

/// Product names the recording shows: product objects, else the description of an item priced
/// under the product (Stripe names such items after the product).
fn products_seen(exchanges: &[Value]) -> HashMap<String, String> {
    fn walk(v: &Value, out: &mut HashMap<String, String>) {
        match v {
            Value::Object(m) => {
                let obj = m.get("object").and_then(Value::as_str);
                if obj == Some("product") {
                    if let (Some(id), Some(n)) = (
                        m.get("id").and_then(Value::as_str),
                        m.get("name").and_then(Value::as_str),
                    ) {
                        out.insert(id.to_string(), n.to_string());
                    }
                }
                if obj == Some("invoiceitem") || obj == Some("line_item") {
                    let product = m
                        .get("pricing")
                        .and_then(|p| p.pointer("/price_details/product"))
                        .and_then(Value::as_str);
                    if let (Some(id), Some(d)) =
                        (product, m.get("description").and_then(Value::as_str))
                    {
                        out.entry(id.to_string()).or_insert_with(|| d.to_string());
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for e in exchanges {
        walk(&e["body"], &mut out);
    }
    out
}

/// Coupons the recording shows (expanded discounts carry them).
fn coupons_seen(exchanges: &[Value]) -> HashMap<String, serde_json::Map<String, Value>> {
    fn walk(v: &Value, out: &mut HashMap<String, serde_json::Map<String, Value>>) {
        match v {
            Value::Object(m) => {
                if m.get("object").and_then(Value::as_str) == Some("coupon") {
                    if let Some(id) = m.get("id").and_then(Value::as_str) {
                        out.insert(id.to_string(), m.clone());
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for e in exchanges {
        walk(&e["body"], &mut out);
    }
    out
}

fn pinned_version(prov: &Value) -> Option<String> {
    let text = prov["redactions_by_source"].as_str()?;
    let at = text.find("Pinned API version")?;
    let tail = &text[at..];
    let colon = tail.find(':')?;
    let v: String = tail[colon + 1..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    Some(v.trim_end_matches('.').to_string())
}

async fn replay_cassette(
    folder: &str,
    name: &str,
    exchanges: &[Value],
    prov: &Value,
    out: &mut Vec<Outcome>,
) {
    let cassette = prov["cassettes"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["cassette"] == name))
        .cloned()
        .unwrap_or(Value::Null);
    let listed: Vec<String> = cassette["stripe_versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|v| v.starts_with("20"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let fallback_version =
        pinned_version(prov).or_else(|| (listed.len() == 1).then(|| listed[0].clone()));
    let mut day = cassette["first_date"].as_str().and_then(http_day);
    let mut map: HashMap<String, String> = HashMap::new();
    // Ids the replay has seen introduced (by a response of an exchange sent to the mock).
    let mut introduced: Vec<String> = Vec::new();
    let rules = Arc::new(apiparity::config::default_rules());
    let mut n_rec = Normalizer::new(Arc::clone(&rules));
    let mut n_got = Normalizer::new(Arc::clone(&rules));
    // Each exchange's account: its own ids, else the next (or previous) exchange's.
    let mut accounts: Vec<Option<String>> =
        exchanges.iter().map(|e| fragment_of(&e["body"])).collect();
    // Objects without a fragment (customers) belong to the account of what follows them.
    for i in (0..accounts.len().saturating_sub(1)).rev() {
        if accounts[i].is_none() {
            accounts[i] = accounts[i + 1].clone();
        }
    }
    for i in 1..accounts.len() {
        if accounts[i].is_none() {
            accounts[i] = accounts[i - 1].clone();
        }
    }
    let known_customers = customers_seen(exchanges);
    let known_products = products_seen(exchanges);
    let known_coupons = coupons_seen(exchanges);
    // Recorded ids an exchange outside state would have touched: later exchanges naming them
    // depend on it.
    let mut tainted: Vec<(String, String)> = Vec::new();
    let mut current: Option<(Option<String>, Api)> = None;
    for (i, e) in exchanges.iter().enumerate() {
        // A new account (onetimesecret re-recorded in another account): a new mock, new ids.
        if current.as_ref().is_none_or(|(f, _)| *f != accounts[i]) {
            current = Some((accounts[i].clone(), mock_for(accounts[i].as_deref()).await));
            map.clear();
            introduced.clear();
            n_rec = Normalizer::new(Arc::clone(&rules));
            n_got = Normalizer::new(Arc::clone(&rules));
        }
        let base = &current.as_ref().expect("mock").1;
        let key = format!("{folder}/{name}#{i}");
        let recorded_version = e["request_headers"]["Stripe-Version"]
            .as_str()
            .or_else(|| e["response_headers"]["Stripe-Version"].as_str())
            .filter(|v| v.starts_with("20"))
            .map(str::to_string);
        let Some(version) = recorded_version.or_else(|| fallback_version.clone()) else {
            continue;
        };
        if version.as_str() < "2022-11-15" {
            continue;
        }
        if let Some(t) = newest_stamp(&e["body"]) {
            day = Some(day_of(t));
        }
        let path = e["path"].as_str().unwrap_or_default().to_string();
        let mut push = |class: Class, detail: String| {
            out.push(Outcome {
                version: version.clone(),
                key: key.clone(),
                class,
                detail,
            })
        };
        if !compared(&path) && !setup(&path) {
            push(Class::OutsideSurface, path.clone());
            continue;
        }
        let method = Method::from_bytes(e["method"].as_str().unwrap_or("GET").as_bytes())
            .unwrap_or(Method::GET);
        let pairs = |k: &str| -> Vec<(String, String)> {
            e[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut params = pairs("query");
        if method == Method::POST {
            params.extend(pairs("form"));
        }
        // Which stored objects does the request name?
        let mut named: Vec<String> = ids_in(&path);
        for (_, v) in &params {
            named.extend(ids_in(v));
        }
        // Coupon ids have no prefix; path ids may be a source's redaction (zulip's fixture names).
        for (k, v) in &params {
            if k == "coupon" || k.ends_with("[coupon]") {
                named.push(v.clone());
            }
        }
        let segs: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        if let Some(seg) = segs.get(1) {
            let keyword = ["search", "upcoming", "create_preview"].contains(seg);
            if !keyword && !is_id(seg) {
                named.push(seg.to_string());
            }
        }
        // A customer the recording never shows being created (a test's setup outside the
        // cassette) gets a stand-in with the fields the recording shows of it.
        let mut stand_ins = 0;
        for id in named.clone() {
            if let Some(c) = known_coupons.get(&id).filter(|_| !introduced.contains(&id)) {
                let mut f: Vec<(&str, String)> = vec![("id", id.clone())];
                for k in ["percent_off", "amount_off", "currency", "duration", "name"] {
                    match c.get(k) {
                        Some(Value::String(x)) => f.push((k, x.clone())),
                        Some(Value::Number(n)) => f.push((k, n.to_string())),
                        _ => {}
                    }
                }
                let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let made = base.post("/v1/coupons", &f).await;
                if made.status == 200 {
                    map.insert(id.clone(), id.clone());
                    introduced.push(id.clone());
                    stand_ins += 1;
                }
            }
            if id.starts_with("prod_") && !introduced.contains(&id) {
                if let Some(name) = known_products.get(&id) {
                    let made = base.post("/v1/products", &[("name", name.as_str())]).await;
                    if let Some(new) = made.body["id"].as_str() {
                        map.insert(id.clone(), new.to_string());
                        introduced.push(id.clone());
                        stand_ins += 1;
                    }
                }
            }
            if id.starts_with("cus_") && !introduced.contains(&id) {
                // Unseen fields stay unset: an exchange that shows them then differs.
                let none = Vec::new();
                let fields = known_customers.get(&id).unwrap_or(&none);
                {
                    let f: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    let api = base.at_version("2025-03-31.basil");
                    let made = api.post("/v1/customers", &f).await;
                    if let Some(new) = made.body["id"].as_str() {
                        map.insert(id.clone(), new.to_string());
                        introduced.push(id.clone());
                        stand_ins += 1;
                    }
                }
            }
        }
        let depends: Option<String> = named.iter().find_map(|id| {
            tainted
                .iter()
                .find(|(t, _)| t == id)
                .map(|(_, k)| k.clone())
        });
        let foreign: Vec<&String> = named
            .iter()
            .filter(|id| STORED.iter().any(|p| id.starts_with(p)) || !is_id(id))
            .filter(|id| !introduced.contains(id))
            .collect();
        let account_wide = method == Method::GET
            && (path == "/v1/invoices" || path == "/v1/invoiceitems" || path == "/v1/customers")
            && !params.iter().any(|(k, _)| k == "customer" || k == "email");
        if version.as_str() < "2023-10-16" {
            // The mock must refuse, clearly, rather than answer in another version's shape.
            let api = base.at_version(&version);
            let r = api.raw(method, &path, &[], &[]).await;
            let ok = r.status == 400
                && r.body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("does not model Stripe API version"));
            push(
                if ok {
                    Class::NotModelled
                } else {
                    Class::Mismatch
                },
                format!(
                    "not modelled; refusal {}",
                    if ok { "clear" } else { "MISSING" }
                ),
            );
            continue;
        }
        let sent_path = substitute(&path, &map);
        let sent: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.clone(), substitute(v, &map)))
            .collect();
        let sent_ref: Vec<(&str, &str)> =
            sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let Some(k) = e["request_headers"]["Idempotency-Key"].as_str() {
            headers.push(("Idempotency-Key", k.to_string()));
        }
        let recorded_status = e["status"].as_u64().unwrap_or(0) as u16;
        if recorded_status == 401 {
            headers.push(("Authorization", "Bearer sk_bogus".to_string()));
        }
        let api = match &day {
            Some(d) if d.as_str() >= &version[..10] => base.at(&version, d),
            _ => base.at_version(&version),
        };
        let hdr: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = api.raw(method.clone(), &sent_path, &sent_ref, &hdr).await;
        let rec_body = e["body"].clone();
        pair_ids(&rec_body, &r.body, &mut map);
        let outside = !foreign.is_empty() || account_wide || depends.is_some();
        if outside {
            let mut touched = named.clone();
            collect_ids(&rec_body, &mut touched);
            // A write also leaves what it names (a customer, an invoice) in a state the mock
            // does not know.
            let write = method != Method::GET;
            for t in touched {
                if !introduced.contains(&t) || (write && named.contains(&t)) {
                    tainted.push((t, key.clone()));
                }
            }
        }
        // Known to the mock: ids it answered with (mapped, or the same literal id).
        let mut rec_ids = Vec::new();
        collect_ids(&rec_body, &mut rec_ids);
        let mut got_ids = Vec::new();
        collect_ids(&r.body, &mut got_ids);
        for id in rec_ids {
            if map.contains_key(&id) || got_ids.contains(&id) {
                introduced.push(id);
            }
        }
        // Objects with free-form ids (coupons): the mock answered with the same id.
        if let (Some(a), Some(b)) = (rec_body["id"].as_str(), r.body["id"].as_str()) {
            if !is_id(a) && r.status == 200 {
                map.insert(a.to_string(), b.to_string());
                introduced.push(a.to_string());
            }
        }
        if !compared(&path) {
            continue;
        }
        if outside {
            let why = if account_wide {
                "lists the recorder's whole account".to_string()
            } else if let Some(first) = foreign.first() {
                format!("names {first} (created outside the recording)")
            } else {
                format!("depends on {}", depends.clone().unwrap_or_default())
            };
            push(Class::OutsideState, why);
            continue;
        }
        // Only compared exchanges number ids, so an exchange that failed for outside reasons
        // does not shift the placeholders of the rest.
        let mut rec_n = n_rec.value(&rec_body);
        let mut got_n = n_got.value(&r.body);
        if recorded_status == 401 {
            redact_key(&mut rec_n);
            redact_key(&mut got_n);
        }
        let diffs = diff::diff_response(
            recorded_status,
            &rec_n,
            r.status,
            &got_n,
            &apiparity::config::default_diff_options(),
        );
        let note = if stand_ins > 0 {
            "stand-in customer"
        } else {
            ""
        };
        if diffs.is_empty() {
            push(Class::Matched, note.to_string());
        } else {
            let first: Vec<String> = diffs
                .iter()
                .take(6)
                .map(|d| {
                    format!(
                        "{} {} want {} got {}",
                        d.kind.as_str(),
                        d.pointer,
                        d.expected
                            .as_ref()
                            .map_or("-".into(), |v| diff::abbreviate(v, 60)),
                        d.actual
                            .as_ref()
                            .map_or("-".into(), |v| diff::abbreviate(v, 60))
                    )
                })
                .collect();
            let class = if KNOWN.iter().any(|(k, _)| *k == key) {
                Class::Known
            } else {
                Class::Mismatch
            };
            push(
                class,
                format!(
                    "{} {sent_path}: {} differences: {}",
                    e["method"].as_str().unwrap_or(""),
                    diffs.len(),
                    first.join("; ")
                ),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_recordings_replay_against_the_mock() {
    let Some(dir) = recordings_dir() else {
        crate::support::tools::missing(
            crate::support::tools::Tool::Shared,
            "mock::recordings",
            "../shared/recordings",
        );
        return;
    };
    let mut outcomes = Vec::new();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("recordings")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let fname = folder.file_name().unwrap().to_string_lossy().into_owned();
        let prov: Value = std::fs::read_to_string(folder.join("provenance.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .expect("folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name().is_some_and(|n| n != "provenance.json")
            })
            .collect();
        files.sort();
        for f in files {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            let exchanges: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(&f).expect("cassette"))
                    .expect("cassette JSON");
            replay_cassette(&fname, &name, &exchanges, &prov, &mut outcomes).await;
        }
    }
    // Per version: compared exchanges and strict matches.
    let mut by_version: BTreeMap<String, BTreeMap<Class, usize>> = BTreeMap::new();
    for o in &outcomes {
        *by_version
            .entry(o.version.clone())
            .or_default()
            .entry(o.class)
            .or_default() += 1;
    }
    let mut lines = vec![format!(
        "{:<20} {:>8} {:>8} {:>6} {:>9} {:>8} {:>9}",
        "version", "compared", "matched", "known", "not-model", "outside", "out-state"
    )];
    for (v, c) in &by_version {
        let get = |k: Class| c.get(&k).copied().unwrap_or(0);
        let cmp = get(Class::Matched) + get(Class::Known) + get(Class::Mismatch);
        lines.push(format!(
            "{v:<20} {cmp:>8} {:>8} {:>6} {:>9} {:>8} {:>9}",
            get(Class::Matched),
            get(Class::Known),
            get(Class::NotModelled),
            get(Class::OutsideSurface),
            get(Class::OutsideState)
        ));
    }
    eprintln!(
        "recordings replay (strict, normalized):\n  {}",
        lines.join("\n  ")
    );
    let mismatches: Vec<String> = outcomes
        .iter()
        .filter(|o| o.class == Class::Mismatch)
        .map(|o| format!("{} [{}] {}", o.key, o.version, o.detail))
        .collect();
    for o in outcomes.iter().filter(|o| o.class == Class::OutsideState) {
        eprintln!("  outside state: {} {}", o.key, o.detail);
    }
    let stale: Vec<&str> = KNOWN
        .iter()
        .filter(|(k, _)| {
            !outcomes
                .iter()
                .any(|o| o.key == *k && o.class == Class::Known)
        })
        .map(|(k, _)| *k)
        .collect();
    assert!(
        stale.is_empty(),
        "KNOWN entries that no longer mismatch: {stale:?}"
    );
    assert!(
        mismatches.is_empty(),
        "{} exchanges differ from the recording:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
