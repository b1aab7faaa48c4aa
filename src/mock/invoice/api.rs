//! The `/v1/invoices` endpoints: create (with the pending-item sweep and revisions), retrieve,
//! update, list and search. State transitions live in `transitions.rs`, line edits in
//! `lines.rs`.

use std::collections::BTreeMap;

use base64::Engine;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::{get, money, Invoice, Rendering, Shipping, Status};
use crate::mock::catalog::{self, check_currency, Owner};
use crate::mock::customer::{self, check_payment_method, check_source, custom_fields};
use crate::mock::error::ApiError;
use crate::mock::ids;
use crate::mock::list;
use crate::mock::params::{apply_metadata, unsupported, P};
use crate::mock::render::{self, Expand};
use crate::mock::search::{self, Doc};
use crate::mock::store::{Ctx, InvoiceIndex, SortKey, Store};
use crate::mock::versions::F;

/// Parameters of `POST /v1/invoices` the mock models (the rest are refused by name).
pub const CREATE_PARAMS: &[&str] = &[
    "account_tax_ids",
    "auto_advance",
    "automatic_tax",
    "automatically_finalizes_at",
    "collection_method",
    "currency",
    "custom_fields",
    "customer",
    "customer_account",
    "days_until_due",
    "default_payment_method",
    "default_source",
    "default_tax_rates",
    "description",
    "discounts",
    "due_date",
    "effective_at",
    "expand",
    "footer",
    "from_invoice",
    "issuer",
    "metadata",
    "number",
    "payment_settings",
    "pending_invoice_items_behavior",
    "rendering",
    "rendering_options",
    "shipping_cost",
    "shipping_details",
    "statement_descriptor",
];

/// Parameters of `POST /v1/invoices/:id`.
pub const UPDATE_PARAMS: &[&str] = &[
    "account_tax_ids",
    "auto_advance",
    "automatic_tax",
    "automatically_finalizes_at",
    "collection_method",
    "custom_fields",
    "days_until_due",
    "default_payment_method",
    "default_source",
    "default_tax_rates",
    "description",
    "discounts",
    "due_date",
    "effective_at",
    "expand",
    "footer",
    "issuer",
    "metadata",
    "number",
    "payment_settings",
    "rendering",
    "rendering_options",
    "shipping_cost",
    "shipping_details",
    "statement_descriptor",
];

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

/// Does the customer have the location automatic tax needs (country and postal code)?
pub fn has_tax_location(store: &Store, customer: &str) -> bool {
    store
        .customers
        .get(customer)
        .and_then(|c| c.address.as_ref())
        .is_some_and(|a| {
            a.get("country").and_then(Value::as_str).is_some()
                && a.get("postal_code").and_then(Value::as_str).is_some()
        })
}

/// `issuer` / `automatic_tax[liability]`: `{type: self}`; `account` needs Connect, which the
/// mock does not model.
fn self_only(v: &Value, param: &str) -> Result<Value, ApiError> {
    match v.get("type").and_then(Value::as_str) {
        Some("self") => Ok(json!({ "type": "self" })),
        _ => Err(unsupported(&format!("{param}[account]"))),
    }
}

/// Renders given `payment_method_options` over the version's option keys (each `null` unless
/// given; the newer keys arrive by date like any additive field).
pub fn payment_method_options(given: &Value, ctx: &Ctx) -> Value {
    let mut keys: BTreeMap<String, Value> = [
        "acss_debit",
        "bancontact",
        "card",
        "customer_balance",
        "konbini",
        "sepa_debit",
        "us_bank_account",
    ]
    .iter()
    .map(|k| (k.to_string(), Value::Null))
    .collect();
    if ctx.has(F::PmoPayto) {
        keys.insert("payto".into(), Value::Null);
    }
    if ctx.has(F::PmoPixUpi) {
        keys.insert("pix".into(), Value::Null);
        keys.insert("upi".into(), Value::Null);
    }
    if let Some(m) = given.as_object() {
        for (k, v) in m {
            keys.insert(k.clone(), v.clone());
        }
    }
    Value::Object(keys.into_iter().collect())
}

/// The settings create and update share, applied to `inv` (a copy: nothing is stored until
/// the caller does). Order follows the parameters' dependencies, not the request.
fn apply_settings(
    store: &mut Store,
    inv: &mut Invoice,
    p: &P,
    ctx: &Ctx,
    creating: bool,
) -> Result<(), ApiError> {
    apply_metadata(&mut inv.metadata, p.get("metadata"))?;
    if let Some(a) = p.bool("auto_advance") {
        inv.auto_advance = a;
    }
    if let Some(m) = p.str("collection_method") {
        inv.collection_method = m.to_string();
        if m == "charge_automatically" && !creating {
            // Automatic collection has no due date.
            inv.days_until_due = None;
            inv.due_date = None;
        }
    }
    let days = p.int("days_until_due");
    let due = p.int("due_date");
    if inv.charge_automatically() {
        check_collection(&inv.collection_method, days, due)?;
    } else {
        if let Some(d) = days {
            inv.days_until_due = Some(d);
            inv.due_date = Some(inv.created + d * 86_400);
        }
        if let Some(d) = due {
            inv.due_date = Some(d);
        }
        check_collection(&inv.collection_method, inv.days_until_due, inv.due_date)?;
    }
    if let Some(v) = p.get("custom_fields") {
        inv.custom_fields = custom_fields(v, "custom_fields")?;
    }
    if let Some(v) = p.tri_int("automatically_finalizes_at") {
        inv.automatically_finalizes_at = v;
    }
    if let Some(v) = p.tri_int("effective_at") {
        inv.effective_at = v;
    }
    if let Some(v) = p.tri_str("default_payment_method") {
        if let Some(pm) = &v {
            check_payment_method(pm, "default_payment_method")?;
        }
        inv.default_payment_method = v;
    }
    if let Some(v) = p.tri_str("default_source") {
        if let Some(s) = &v {
            check_source(s, "default_source")?;
        }
        inv.default_source = v;
    }
    for (k, dst) in [
        ("description", &mut inv.description),
        ("footer", &mut inv.footer),
        ("number", &mut inv.number),
        ("statement_descriptor", &mut inv.statement_descriptor),
    ] {
        if let Some(v) = p.tri_str(k) {
            *dst = v;
        }
    }
    if let Some(v) = p.get("account_tax_ids") {
        inv.account_tax_ids = match v.as_array() {
            Some(a) => {
                let mut out = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    let id = x.as_str().unwrap_or_default();
                    // Account tax ids are not stored objects: any `txi_` id is accepted.
                    if !(id.starts_with("txi_") && id.len() > 4) {
                        return Err(ApiError::no_such(
                            "tax ID",
                            id,
                            &format!("account_tax_ids[{i}]"),
                        )
                        .status(400));
                    }
                    out.push(id.to_string());
                }
                Some(out)
            }
            None => None,
        };
    }
    if let Some(v) = p.get("default_tax_rates") {
        inv.default_tax_rates = catalog::check_tax_rates(store, v, "default_tax_rates")?;
    }
    if let Some(v) = p.get("automatic_tax") {
        inv.automatic_tax = v.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        if let Some(l) = v.get("liability") {
            self_only(l, "automatic_tax[liability]")?;
        }
    }
    if let Some(v) = p.get("issuer") {
        inv.issuer = self_only(v, "issuer")?;
    }
    if let Some(v) = p.get("payment_settings") {
        let cur = inv.payment_settings.clone();
        let pick = |k: &str| v.get(k).cloned().unwrap_or_else(|| cur[k].clone());
        let pmo = match v.get("payment_method_options") {
            Some(Value::Null) => Value::Null,
            Some(o) => payment_method_options(o, ctx),
            None => cur["payment_method_options"].clone(),
        };
        inv.payment_settings = json!({
            "default_mandate": pick("default_mandate"),
            "payment_method_options": pmo,
            "payment_method_types": pick("payment_method_types"),
        });
    }
    if let Some(v) = p.get("rendering") {
        let mut r = inv.rendering.clone();
        if v.is_null() {
            r = Rendering::default();
        }
        if let Some(x) = v.get("amount_tax_display") {
            r.amount_tax_display = x.as_str().map(str::to_string);
        }
        if let Some(x) = v.pointer("/pdf/page_size") {
            r.page_size = x.as_str().map(str::to_string);
        }
        if let Some(x) = v.get("template") {
            r.template = x.as_str().map(str::to_string);
        }
        if let Some(x) = v.get("template_version") {
            r.template_version = x.as_i64();
        }
        inv.rendering = r;
    }
    if let Some(v) = p.get("rendering_options") {
        inv.rendering_options = (!v.is_null()).then(|| {
            json!({ "amount_tax_display": v.get("amount_tax_display").cloned().unwrap_or(Value::Null) })
        });
    }
    if let Some(v) = p.get("shipping_details") {
        inv.shipping_details = (!v.is_null()).then(|| customer::shipping(v));
    }
    if let Some(v) = p.get("shipping_cost") {
        inv.shipping_cost = match (v.get("shipping_rate"), v.get("shipping_rate_data")) {
            (Some(rate), _) => {
                // Shipping rates are not stored objects, so no id exists.
                let id = rate.as_str().unwrap_or_default();
                return Err(
                    ApiError::no_such("shipping rate", id, "shipping_cost[shipping_rate]")
                        .status(400),
                );
            }
            (None, Some(data)) => {
                let amount = data
                    .pointer("/fixed_amount/amount")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if let Some(c) = data
                    .pointer("/fixed_amount/currency")
                    .and_then(Value::as_str)
                {
                    if check_currency(
                        c,
                        "shipping_cost[shipping_rate_data][fixed_amount][currency]",
                    )? != inv.currency
                    {
                        return Err(ApiError::invalid(format!(
                            "The shipping rate's currency ({c}) must match the invoice's \
                             currency ({}).",
                            inv.currency
                        ))
                        .param("shipping_cost[shipping_rate_data][fixed_amount][currency]"));
                    }
                }
                Some(Shipping {
                    rate: ids::object_id("shr", ctx.now),
                    amount,
                })
            }
            (None, None) if v.is_null() => None,
            (None, None) => {
                return Err(ApiError::invalid(
                    "You must specify either `shipping_rate` or `shipping_rate_data`.",
                )
                .param("shipping_cost"))
            }
        };
    }
    if let Some(v) = p.get("discounts") {
        inv.discounts = catalog::apply_discounts(
            store,
            v,
            "discounts",
            &Owner {
                customer: &inv.customer,
                invoice: Some(&inv.id),
                invoice_item: None,
            },
            ctx.now,
        )?;
    }
    Ok(())
}

/// The currency of a new invoice: the parameter, else the currency of the customer's newest
/// pending item (recorded: a cad item makes a cad invoice even when it is not swept), else the
/// customer's, else the account's default (`usd` unless `Apiparity-Account-Currency`).
pub(super) fn currency_for(
    store: &Store,
    ctx: &Ctx,
    p: &P,
    customer: &str,
) -> Result<String, ApiError> {
    if let Some(c) = p.str("currency") {
        return check_currency(c, "currency");
    }
    let pending = store
        .customer_items(customer)
        .filter(|i| i.invoice.is_none())
        .max_by_key(|i| i.sort_key())
        .map(|i| i.currency.clone());
    Ok(pending
        .or_else(|| {
            store
                .customers
                .get(customer)
                .and_then(|c| c.currency.clone())
        })
        .unwrap_or_else(|| ctx.default_currency.to_string()))
}

/// A blank draft for `customer`.
pub(super) fn blank_draft(
    store: &mut Store,
    ctx: &Ctx,
    customer: &str,
    currency: String,
) -> Invoice {
    let cust = store.customers.get(customer);
    let footer = cust.and_then(|c| c.footer.clone());
    let discount = cust.and_then(|c| c.discount.clone());
    let customer_fields = cust.and_then(|c| c.custom_fields.clone());
    let seq = store.next_seq();
    Invoice {
        id: ids::object_id("in", ctx.now),
        seq,
        created: ctx.now,
        customer: customer.to_string(),
        status: Status::Draft,
        deleted: false,
        currency,
        due_date: None,
        collection_method: "charge_automatically".into(),
        auto_advance: false,
        automatically_finalizes_at: None,
        custom_fields: customer_fields,
        days_until_due: None,
        default_payment_method: None,
        description: None,
        // Create defaults the footer to the customer's `invoice_settings.footer`.
        footer,
        statement_descriptor: None,
        metadata: IndexMap::new(),
        number: None,
        effective_at: None,
        items: Vec::new(),
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
        // A customer discount (pre-basil `coupon`) applies unless `discounts` says otherwise.
        discounts: discount.into_iter().collect(),
        default_tax_rates: Vec::new(),
        account_tax_ids: None,
        default_source: None,
        payment_settings: json!({
            "default_mandate": null,
            "payment_method_options": null,
            "payment_method_types": null,
        }),
        rendering: Rendering::default(),
        rendering_options: None,
        shipping_cost: None,
        shipping_details: None,
        automatic_tax: false,
        issuer: json!({ "type": "self" }),
        from_invoice: None,
        latest_revision: None,
    }
}

/// A revision (`from_invoice[action]=revision`) copies the original's settings and lines.
fn revision_of(
    store: &mut Store,
    ctx: &Ctx,
    from: &Value,
) -> Result<(Invoice, Vec<String>), ApiError> {
    let action = from
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if action != "revision" {
        return Err(ApiError::bad_enum("from_invoice[action]", &["revision"]));
    }
    let orig_id = from
        .get("invoice")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let orig = get(store, orig_id, "from_invoice[invoice]")
        .map_err(|e| e.status(400))?
        .clone();
    if !matches!(orig.status, Status::Open | Status::Uncollectible) {
        return Err(ApiError::invalid(format!(
            "You can only revise an invoice that is open or uncollectible, and invoice \
             {orig_id} has status '{}'.",
            orig.status.as_str()
        ))
        .param("from_invoice[invoice]"));
    }
    let mut inv = blank_draft(store, ctx, &orig.customer, orig.currency.clone());
    inv.collection_method = orig.collection_method.clone();
    inv.days_until_due = orig.days_until_due;
    // due_date = created + days_until_due × 86400 holds for the revision too (reference
    // §timestamps invariant): counted from its own `created`, else the original's date is kept.
    inv.due_date = match orig.days_until_due {
        Some(d) => Some(inv.created + d * 86_400),
        None => orig.due_date,
    };
    inv.description = orig.description.clone();
    inv.footer = orig.footer.clone();
    inv.custom_fields = orig.custom_fields.clone();
    inv.metadata = orig.metadata.clone();
    inv.default_payment_method = orig.default_payment_method.clone();
    inv.default_tax_rates = orig.default_tax_rates.clone();
    inv.payment_settings = orig.payment_settings.clone();
    inv.rendering = orig.rendering.clone();
    inv.statement_descriptor = orig.statement_descriptor.clone();
    inv.discounts = orig.discounts.clone();
    // Revisions keep the original's number with a revision suffix ([U]).
    inv.number = orig.number.as_ref().map(|n| format!("{n}-1"));
    inv.from_invoice = Some(("revision".into(), orig_id.to_string()));
    let mut copies = Vec::new();
    for item_id in &orig.items {
        let Some(item) = store.items.get(item_id).cloned() else {
            continue;
        };
        let seq = store.next_seq();
        let copy = crate::mock::invoice_item::InvoiceItem {
            id: ids::object_id("ii", ctx.now),
            seq,
            created: ctx.now,
            invoice: Some(inv.id.clone()),
            line_id: Some(ids::object_id("il", ctx.now)),
            ..item
        };
        copies.push(copy.id.clone());
        store.insert_item(copy);
    }
    Ok((inv, copies))
}

pub fn create(store: &mut Store, p: &P, ctx: &Ctx) -> Result<String, ApiError> {
    if let Some(acct) = p.str("customer_account") {
        // Accounts v2 customers are not modelled: no account exists.
        return Err(ApiError::no_such("account", acct, "customer_account").status(400));
    }
    let (mut inv, copied) = match p.get("from_invoice") {
        Some(from) => revision_of(store, ctx, from)?,
        None => {
            let Some(customer_id) = p.str("customer") else {
                return Err(ApiError::missing_param("customer"));
            };
            customer::live(store, customer_id, "customer").map_err(|e| e.status(400))?;
            let currency = currency_for(store, ctx, p, customer_id)?;
            (blank_draft(store, ctx, customer_id, currency), Vec::new())
        }
    };
    if let Some(pm) = p.str("default_payment_method") {
        check_payment_method(pm, "default_payment_method")?;
    }
    // Validate everything on the blank draft before sweeping anything.
    apply_settings(store, &mut inv, p, ctx, true)?;
    let behavior = p
        .str("pending_invoice_items_behavior")
        // The default has been `exclude` since 2022-08-01, before every modelled version.
        .unwrap_or("exclude");
    // Sweep: all pending items of the customer in the invoice's currency, newest first (§5.2).
    let mut pending: Vec<(SortKey, String)> = if behavior == "exclude" {
        Vec::new()
    } else {
        store
            .customer_items(&inv.customer)
            .filter(|i| i.invoice.is_none())
            .filter(|i| i.currency == inv.currency)
            .map(|i| (i.sort_key(), i.id.clone()))
            .collect()
    };
    if behavior == "include_and_require" && pending.is_empty() {
        return Err(ApiError::invalid("Nothing to invoice for customer")
            .code("invoice_no_customer_line_items"));
    }
    pending.sort_by_key(|r| std::cmp::Reverse(r.0));
    inv.items = copied;
    inv.items.extend(pending.iter().map(|(_, id)| id.clone()));
    for (_, item_id) in &pending {
        if let Some(item) = store.items.get_mut(item_id) {
            item.invoice = Some(inv.id.clone());
            item.line_id = Some(ids::object_id("il", ctx.now));
        }
    }
    let id = inv.id.clone();
    store.insert_invoice(inv);
    Ok(id)
}

/// Update (§4.3): drafts take every supported field; finalized invoices take `metadata` (and
/// `auto_advance` while open), anything else is E19 naming that parameter.
pub fn update(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
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
    apply_settings(store, &mut next, p, ctx, false)?;
    store.insert_invoice(next);
    Ok(())
}

pub fn render_by_id(store: &Store, id: &str, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    let inv = get(store, id, "id")?;
    Ok(render::invoice(store, inv, ctx, e))
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    let inv = get(store, id, "invoice")?;
    Ok(render::invoice(store, inv, ctx, e))
}

fn invoice_cursor(store: &Store, id: &str, param: &str) -> Result<SortKey, ApiError> {
    match store.invoices().get(id) {
        Some(i) if !i.deleted => Ok(i.sort_key()),
        _ => Err(list::bad_cursor("invoice", id, param)),
    }
}

/// `GET /v1/invoices` (§6): newest first, creation order breaking same-second ties. An unknown
/// `customer` is 400 `resource_missing` (recorded).
pub fn list(store: &Store, p: &P, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    if let Some(c) = p.str("customer") {
        customer::exists(store, c, "customer")?;
    }
    if let Some(acct) = p.str("customer_account") {
        return Err(ApiError::no_such("account", acct, "customer_account").status(400));
    }
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let after = after
        .map(|c| invoice_cursor(store, c, "starting_after"))
        .transpose()?;
    let before = before
        .map(|c| invoice_cursor(store, c, "ending_before"))
        .transpose()?;
    let customer = p.str("customer");
    let status = p.str("status");
    let index = match (customer, status.map(Status::parse)) {
        (Some(c), _) => InvoiceIndex::Customer(c),
        (None, Some(Some(s))) => InvoiceIndex::Status(s),
        // A status no invoice can have matches nothing.
        (None, Some(None)) => return Ok(list::list_body(vec![], false, "/v1/invoices")),
        (None, None) => InvoiceIndex::All,
    };
    let limit = p.int("limit").unwrap_or(10) as usize;
    let page = match list::key_range(after, before, p.get("created")) {
        None => list::Page {
            items: vec![],
            has_more: false,
        },
        Some(range) => list::walk(
            store.invoice_keys(&index, range),
            before.is_some(),
            limit,
            |k| {
                store.invoice_at(k).filter(|i| {
                    status.is_none_or(|s| i.status.as_str() == s)
                        && p
                            .str("collection_method")
                            .is_none_or(|m| i.collection_method == m)
                        // The mock has no subscriptions: a subscription filter matches nothing.
                        && !p.has("subscription")
                        && list::in_range(p.get("created"), Some(i.created))
                        && list::in_range(p.get("due_date"), i.due_date)
                })
            },
        ),
    };
    let data = page
        .items
        .into_iter()
        .map(|i| render::invoice(store, i, ctx, e))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/invoices"))
}

fn fnv(s: &str) -> u64 {
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, s.as_bytes());
    std::hash::Hasher::finish(&h)
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

/// `GET /v1/invoices/search` (§7): zero lag, newest first, `page` cursor. `e` is the
/// search-level expansion (`total_count`; `data` for the invoices).
pub fn search(store: &Store, p: &P, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    let query = p.str("query").unwrap_or_default();
    let q = search::parse(query).map_err(|m| ApiError::invalid(m).param("query"))?;
    let after = p.str("page").map(|t| decode_page(query, t)).transpose()?;
    let plan = q.plan();
    let index = match (&plan.customer, plan.status.and_then(Status::parse)) {
        (Some(c), _) => InvoiceIndex::Customer(c),
        (None, Some(s)) => InvoiceIndex::Status(s),
        (None, None) => InvoiceIndex::All,
    };
    let uses_total = q.uses_total();
    let matches = |i: &Invoice| {
        q.matches(&Doc {
            created: i.created,
            // The total is computed from the lines: only when the query asks for it.
            total: if uses_total { money(store, i).total } else { 0 },
            currency: &i.currency,
            customer: &i.customer,
            status: i.status.as_str(),
            number: i.number.as_deref(),
            metadata: &i.metadata,
        })
    };
    let created = plan.created.map(|(lo, hi)| json!({"gte": lo, "lte": hi}));
    let limit = p.int("limit").unwrap_or(10) as usize;
    let page = match list::key_range(after, None, created.as_ref()) {
        None => list::Page {
            items: vec![],
            has_more: false,
        },
        Some(range) => list::walk(store.invoice_keys(&index, range), false, limit, |k| {
            store.invoice_at(k).filter(|i| matches(i))
        }),
    };
    // Counting every match is a full walk of the index: only when asked for.
    let total_count = if e.has("total_count") {
        list::key_range(None, None, created.as_ref()).map_or(0, |range| {
            store
                .invoice_keys(&index, range)
                .filter(|k| store.invoice_at(*k).is_some_and(&matches))
                .count()
        })
    } else {
        0
    };
    let next_page = if page.has_more {
        page.items.last().map(|i| page_token(query, i.sort_key()))
    } else {
        None
    };
    let data: Vec<Value> = page
        .items
        .into_iter()
        .map(|i| render::invoice(store, i, ctx, e.sub("data")))
        .collect();
    let mut body = Map::new();
    body.insert("object".into(), json!("search_result"));
    body.insert("data".into(), Value::Array(data));
    body.insert("has_more".into(), json!(page.has_more));
    body.insert("next_page".into(), json!(next_page));
    if e.has("total_count") {
        body.insert("total_count".into(), json!(total_count));
    }
    body.insert("url".into(), json!("/v1/invoices/search"));
    Ok(Value::Object(body))
}

/// Finalize: E2 and the tax location first, then the transition.
pub fn finalize(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = get(store, id, "id")?;
    super::check_finalizable(inv)?;
    super::check_tax_location(store, inv)?;
    super::finalize(store, id, ctx, p.bool("auto_advance"))
}
