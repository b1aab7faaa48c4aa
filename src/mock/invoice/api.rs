//! The `/v1/invoices` endpoints: create (with the pending-item sweep), retrieve, update, list,
//! search and the line list. State transitions live in `transitions.rs`.

use base64::Engine;
use indexmap::IndexMap;
use serde_json::{json, Value};

use super::{self as invoice, get, money, Invoice, Status};
use crate::mock::customer;
use crate::mock::error::ApiError;
use crate::mock::ids;
use crate::mock::list::{self, paginate};
use crate::mock::params::{apply_metadata, P};
use crate::mock::render::{self, Expand};
use crate::mock::search::{self, Doc};
use crate::mock::store::{Ctx, SortKey, Store};

/// Expandable paths of one invoice for the request's version.
pub fn invoice_expands(ctx: &Ctx) -> Vec<String> {
    let line_price = if ctx.basil {
        "lines.data.pricing.price_details.price"
    } else {
        "lines.data.price.product"
    };
    vec!["customer".into(), line_price.into()]
}

/// Expandable paths on the invoice list and search (`data.` prefixed; search adds `total_count`).
pub fn list_expands(ctx: &Ctx, search: bool) -> Vec<String> {
    let mut v: Vec<String> = invoice_expands(ctx)
        .into_iter()
        .map(|p| format!("data.{p}"))
        .collect();
    if search {
        v.push("total_count".into());
    }
    v
}

pub fn lines_expands(ctx: &Ctx) -> Vec<String> {
    vec![if ctx.basil {
        "data.pricing.price_details.price".into()
    } else {
        "data.price.product".into()
    }]
}

pub fn item_expands(ctx: &Ctx) -> Vec<String> {
    vec![
        "customer".into(),
        if ctx.basil {
            "pricing.price_details.price".into()
        } else {
            "price.product".into()
        },
    ]
}

/// The values `pending_invoice_items_behavior` takes at the request's version (§5.2).
fn pending_behaviors(ctx: &Ctx) -> &'static [&'static str] {
    if ctx.legacy_pending_items {
        &["exclude", "include", "include_and_require"]
    } else {
        &["exclude", "include"]
    }
}

/// Version-dependent parameter checks that belong to validation (nothing stored for idempotency).
pub fn check_create(p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    if let Some(v) = p.str("pending_invoice_items_behavior") {
        let allowed = pending_behaviors(ctx);
        if !allowed.contains(&v) {
            return Err(ApiError::bad_enum(
                "pending_invoice_items_behavior",
                allowed,
            ));
        }
    }
    Ok(())
}

fn check_collection(method: &str, days: Option<i64>, due: Option<i64>) -> Result<(), ApiError> {
    if method == "send_invoice" && days.is_none() && due.is_none() {
        return Err(ApiError::invalid(
            "If invoice collection method is 'send_invoice', you must specify 'due_date' or \
             'days_until_due'.",
        ));
    }
    if method == "charge_automatically" && (days.is_some() || due.is_some()) {
        return Err(ApiError::invalid(
            "You can only specify 'due_date' or 'days_until_due' if invoice collection method \
             is 'send_invoice'.",
        ));
    }
    Ok(())
}

fn custom_fields(v: &Value) -> Option<Vec<(String, String)>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|x| {
                let s = |k: &str| {
                    x.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                (s("name"), s("value"))
            })
            .collect()
    })
}

fn check_custom_fields(v: Option<&Value>) -> Result<(), ApiError> {
    if v.and_then(Value::as_array).is_some_and(|a| a.len() > 4) {
        return Err(
            ApiError::invalid("You can have at most 4 custom fields.").param("custom_fields")
        );
    }
    Ok(())
}

pub fn create(store: &mut Store, p: &P, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    let customer_id = p.str("customer").unwrap_or_default().to_string();
    let cust = customer::live(store, &customer_id, "customer").map_err(|e| e.status(400))?;
    let method = p
        .str("collection_method")
        .unwrap_or("charge_automatically")
        .to_string();
    let days = p.int("days_until_due");
    let due = p.int("due_date");
    check_collection(&method, days, due)?;
    check_custom_fields(p.get("custom_fields"))?;
    if let Some(pm) = p.str("default_payment_method") {
        customer::check_payment_method(pm, "default_payment_method")?;
    }
    let currency = match p.str("currency") {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            c.to_ascii_lowercase()
        }
        Some(c) => {
            return Err(ApiError::invalid(format!("Invalid currency: {c}")).param("currency"))
        }
        None => cust.currency.clone().unwrap_or_else(|| "usd".into()),
    };
    let footer = match p.tri_str("footer") {
        Some(f) => f,
        None => cust.footer.clone(),
    };
    let behavior = p
        .str("pending_invoice_items_behavior")
        .unwrap_or(if ctx.legacy_pending_items {
            "include_and_require"
        } else {
            "exclude"
        });
    // Sweep: all pending items of the customer in the invoice's currency, newest first (§5.2).
    let mut pending: Vec<(SortKey, String)> = if behavior == "exclude" {
        Vec::new()
    } else {
        store
            .items
            .values()
            .filter(|i| !i.deleted && i.invoice.is_none())
            .filter(|i| i.customer == customer_id && i.currency == currency)
            .map(|i| (i.sort_key(), i.id.clone()))
            .collect()
    };
    if behavior == "include_and_require" && pending.is_empty() {
        return Err(ApiError::invalid("Nothing to invoice for customer")
            .code("invoice_no_customer_line_items"));
    }
    pending.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let seq = store.next_seq();
    let id = ids::object_id("in", ctx.now);
    let inv = Invoice {
        id: id.clone(),
        seq,
        created: ctx.now,
        customer: customer_id,
        status: Status::Draft,
        deleted: false,
        currency,
        due_date: due.or(days.map(|d| ctx.now + d * 86_400)),
        collection_method: method,
        auto_advance: p.bool("auto_advance").unwrap_or(false),
        automatically_finalizes_at: p.int("automatically_finalizes_at"),
        custom_fields: p.get("custom_fields").and_then(custom_fields),
        days_until_due: days,
        default_payment_method: p.str("default_payment_method").map(str::to_string),
        description: p.str("description").map(str::to_string),
        footer,
        statement_descriptor: p.str("statement_descriptor").map(str::to_string),
        metadata,
        number: p.str("number").map(str::to_string),
        effective_at: p.int("effective_at"),
        items: pending.iter().map(|(_, id)| id.clone()).collect(),
        starting_balance: None,
        ending_balance: None,
        amount_due: None,
        amount_paid: 0,
        paid_out_of_band: false,
        attempted: false,
        attempt_count: 0,
        finalized_at: None,
        marked_uncollectible_at: None,
        paid_at: None,
        voided_at: None,
        url_token: None,
        customer_copy: None,
        charge: None,
        payment_intent: None,
    };
    for (_, item_id) in &pending {
        if let Some(item) = store.items.get_mut(item_id) {
            item.invoice = Some(id.clone());
            item.line_id = Some(ids::object_id("il", ctx.now));
        }
    }
    store.invoices.insert(id.clone(), inv);
    render_by_id(store, &id, ctx, expand)
}

pub fn render_by_id(
    store: &Store,
    id: &str,
    ctx: &Ctx,
    expand: &Expand,
) -> Result<Value, ApiError> {
    let inv = get(store, id, "id")?;
    Ok(render::invoice(store, inv, ctx, expand))
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    let inv = get(store, id, "invoice")?;
    Ok(render::invoice(store, inv, ctx, expand))
}

/// Update (§4.3): drafts take every supported field; finalized invoices take `metadata` (and
/// `auto_advance` while open), anything else is E19 naming that parameter.
pub fn update(
    store: &mut Store,
    id: &str,
    p: &P,
    ctx: &Ctx,
    expand: &Expand,
) -> Result<Value, ApiError> {
    let inv = get(store, id, "id")?;
    if inv.status != Status::Draft {
        for k in p.0.keys() {
            let editable = k == "metadata"
                || k == "expand"
                || (k == "auto_advance" && inv.status == Status::Open);
            if !editable {
                return Err(
                    ApiError::invalid("Finalized invoices can't be updated in this way")
                        .param(k.as_str()),
                );
            }
        }
    }
    let mut next = inv.clone();
    apply_metadata(&mut next.metadata, p.get("metadata"))?;
    if let Some(a) = p.bool("auto_advance") {
        next.auto_advance = a;
    }
    if inv.status == Status::Draft {
        if let Some(m) = p.str("collection_method") {
            next.collection_method = m.to_string();
            if m == "charge_automatically" {
                // Automatic collection has no due date.
                next.days_until_due = None;
                next.due_date = None;
            }
        }
        let days = p.int("days_until_due");
        let due = p.int("due_date");
        if next.charge_automatically() {
            check_collection(&next.collection_method, days, due)?;
        } else {
            if let Some(d) = days {
                next.days_until_due = Some(d);
                next.due_date = Some(next.created + d * 86_400);
            }
            if let Some(d) = due {
                next.due_date = Some(d);
            }
            check_collection(&next.collection_method, next.days_until_due, next.due_date)?;
        }
        check_custom_fields(p.get("custom_fields"))?;
        if let Some(v) = p.get("custom_fields") {
            next.custom_fields = custom_fields(v);
        }
        if let Some(v) = p.tri_int("automatically_finalizes_at") {
            next.automatically_finalizes_at = v;
        }
        if let Some(v) = p.tri_int("effective_at") {
            next.effective_at = v;
        }
        if let Some(v) = p.tri_str("default_payment_method") {
            if let Some(pm) = &v {
                customer::check_payment_method(pm, "default_payment_method")?;
            }
            next.default_payment_method = v;
        }
        for (k, dst) in [
            ("description", &mut next.description),
            ("footer", &mut next.footer),
            ("number", &mut next.number),
            ("statement_descriptor", &mut next.statement_descriptor),
        ] {
            if let Some(v) = p.tri_str(k) {
                *dst = v;
            }
        }
    }
    store.invoices.insert(id.to_string(), next);
    render_by_id(store, id, ctx, expand)
}

fn invoice_cursor(store: &Store, id: &str, param: &str) -> Result<SortKey, ApiError> {
    match store.invoices.get(id) {
        Some(i) if !i.deleted => Ok(i.sort_key()),
        _ => Err(list::bad_cursor("invoice", id, param)),
    }
}

/// `GET /v1/invoices` (§6): newest first, creation order breaking same-second ties.
pub fn list(store: &Store, p: &P, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let after = after
        .map(|c| invoice_cursor(store, c, "starting_after"))
        .transpose()?;
    let before = before
        .map(|c| invoice_cursor(store, c, "ending_before"))
        .transpose()?;
    let mut rows: Vec<(SortKey, &Invoice)> = store
        .invoices
        .values()
        .filter(|i| !i.deleted)
        .filter(|i| p.str("customer").is_none_or(|c| i.customer == c))
        .filter(|i| p.str("status").is_none_or(|s| i.status.as_str() == s))
        .filter(|i| {
            p.str("collection_method")
                .is_none_or(|m| i.collection_method == m)
        })
        // The mock has no subscriptions: a subscription filter matches nothing.
        .filter(|_| !p.has("subscription"))
        .filter(|i| list::in_range(p.get("created"), Some(i.created)))
        .filter(|i| list::in_range(p.get("due_date"), i.due_date))
        .map(|i| (i.sort_key(), i))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let page = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, before);
    let e = expand.sub("data");
    let data = page
        .items
        .into_iter()
        .map(|i| render::invoice(store, i, ctx, e))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/invoices"))
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn page_token(query: &str, key: SortKey) -> String {
    let raw = format!("v1:{:x}:{}:{}", fnv(query), key.0, key.1);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_page(query: &str, token: &str) -> Result<SortKey, ApiError> {
    let bad = || {
        ApiError::invalid(format!(
            "Invalid page: '{token}' is not a page token of this query. Pass the next_page \
             value of the previous search with the same query."
        ))
        .param("page")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        ["v1", h, created, seq] if *h == format!("{:x}", fnv(query)) => Ok((
            created.parse().map_err(|_| bad())?,
            seq.parse().map_err(|_| bad())?,
        )),
        _ => Err(bad()),
    }
}

/// `GET /v1/invoices/search` (§7): zero lag, newest first, `page` cursor.
pub fn search(store: &Store, p: &P, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    if crate::version::version_date(&ctx.version).is_some_and(|d| d < "2020-08-27") {
        return Err(ApiError::invalid(format!(
            "Search is not available at API version {}; it needs 2020-08-27 or later.",
            ctx.version
        )));
    }
    let query = p.str("query").unwrap_or_default();
    let q = search::parse(query).map_err(|m| ApiError::invalid(m).param("query"))?;
    let after = p.str("page").map(|t| decode_page(query, t)).transpose()?;
    let mut rows: Vec<(SortKey, &Invoice)> = store
        .invoices
        .values()
        .filter(|i| !i.deleted)
        .filter(|i| {
            let doc = Doc {
                created: i.created,
                total: money(store, i).total,
                currency: &i.currency,
                customer: &i.customer,
                status: i.status.as_str(),
                number: i.number.as_deref(),
                metadata: &i.metadata,
            };
            q.matches(&doc)
        })
        .map(|i| (i.sort_key(), i))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let total_count = rows.len();
    let page = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, None);
    let next_page = if page.has_more {
        page.items.last().map(|i| page_token(query, i.sort_key()))
    } else {
        None
    };
    let e = expand.sub("data");
    let data: Vec<Value> = page
        .items
        .into_iter()
        .map(|i| render::invoice(store, i, ctx, e))
        .collect();
    let mut body = json!({
        "object": "search_result",
        "url": "/v1/invoices/search",
        "has_more": page.has_more,
        "data": data,
        "next_page": next_page,
    });
    if expand.has("total_count") {
        body["total_count"] = json!(total_count);
    }
    Ok(body)
}

/// `GET /v1/invoices/:id/lines` (§8.3): the full line list, in line order.
pub fn lines(
    store: &Store,
    id: &str,
    p: &P,
    ctx: &Ctx,
    expand: &Expand,
) -> Result<Value, ApiError> {
    let inv = get(store, id, "invoice")?;
    let items = render::lines_of(store, inv);
    let key_of = |line_id: &str, param: &str| -> Result<SortKey, ApiError> {
        items
            .iter()
            .position(|i| i.line_id.as_deref() == Some(line_id))
            .map(|pos| (-(pos as i64), 0))
            .ok_or_else(|| list::bad_cursor("line item", line_id, param))
    };
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let after = after.map(|c| key_of(c, "starting_after")).transpose()?;
    let before = before.map(|c| key_of(c, "ending_before")).transpose()?;
    let rows: Vec<(SortKey, _)> = items
        .iter()
        .enumerate()
        .map(|(pos, i)| ((-(pos as i64), 0), *i))
        .collect();
    let page = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, before);
    let e = expand.sub("data");
    let data = page
        .items
        .into_iter()
        .map(|i| render::line(store, inv, i, ctx, e))
        .collect();
    Ok(list::list_body(
        data,
        page.has_more,
        &format!("/v1/invoices/{id}/lines"),
    ))
}

/// Finalize: E2 first, then the transition.
pub fn finalize(
    store: &mut Store,
    id: &str,
    p: &P,
    ctx: &Ctx,
    expand: &Expand,
) -> Result<Value, ApiError> {
    invoice::check_finalizable(get(store, id, "id")?)?;
    invoice::finalize(store, id, ctx.now, p.bool("auto_advance"))?;
    render_by_id(store, id, ctx, expand)
}
