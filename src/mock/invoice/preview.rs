//! Previews: `POST /v1/invoices/create_preview` (2024-04-10 on) and, before basil,
//! `GET /v1/invoices/upcoming` and `/upcoming/lines`. A preview is the draft the customer's
//! pending items (plus `invoice_items[]`) would make; it is computed on a scratch copy of the
//! store and never stored. Its id is `upcoming_in_…` (the pre-basil upcoming invoice has none),
//! its lines `il_tmp_…` (reference §3.1, §5.4).

use serde_json::{json, Value};

use super::api::{blank_draft, currency_for};
use super::lines;
use crate::mock::catalog::{self, Owner};
use crate::mock::customer;
use crate::mock::error::ApiError;
use crate::mock::invoice_item::{self, Spec};
use crate::mock::params::{unsupported, P};
use crate::mock::render;
use crate::mock::store::{Ctx, Store};

/// The parameters previews model (the rest are refused by name).
pub const PARAMS: &[&str] = &[
    "automatic_tax",
    "coupon",
    "currency",
    "customer",
    "discounts",
    "ending_before",
    "expand",
    "invoice_items",
    "issuer",
    "limit",
    "preview_mode",
    "starting_after",
];

struct Preview {
    store: Store,
    invoice: String,
    line_ids: Vec<String>,
}

fn build(store: &Store, p: &P, ctx: &Ctx) -> Result<Preview, ApiError> {
    let Some(cus) = p.str("customer") else {
        // Recorded at 2020-08-27 for `upcoming`, no code, no param; used for both endpoints.
        return Err(ApiError::invalid(
            "You must either provide a `customer` or a `subscription` to the upcoming invoice \
             endpoint.",
        ));
    };
    customer::live(store, cus, "customer").map_err(|e| e.status(400))?;
    let mut scratch = store.clone_for_preview();
    let currency = currency_for(&scratch, ctx, p, cus)?;
    let mut inv = blank_draft(&mut scratch, ctx, cus, currency);
    let inv_id = inv.id.clone();
    if let Some(v) = p.get("automatic_tax") {
        inv.automatic_tax = v.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    }
    if let Some(v) = p.get("issuer") {
        if v.get("type").and_then(Value::as_str) != Some("self") {
            return Err(unsupported("issuer[account]"));
        }
    }
    let owner = |inv_id: &str| -> (String, String) { (cus.to_string(), inv_id.to_string()) };
    let (c, i) = owner(&inv_id);
    if let Some(v) = p.get("discounts") {
        inv.discounts = catalog::apply_discounts(
            &mut scratch,
            v,
            "discounts",
            &Owner {
                customer: &c,
                invoice: Some(&i),
                invoice_item: None,
            },
            ctx.now,
        )?;
    }
    if let Some(coupon) = p.str("coupon") {
        inv.discounts = catalog::apply_discounts(
            &mut scratch,
            &json!([{ "coupon": coupon }]),
            "coupon",
            &Owner {
                customer: &c,
                invoice: Some(&i),
                invoice_item: None,
            },
            ctx.now,
        )
        .map_err(|e| e.param("coupon"))?;
    }
    // Pending items of the customer in the preview's currency, newest first.
    let mut pending: Vec<_> = scratch
        .customer_items(cus)
        .filter(|it| it.invoice.is_none())
        .filter(|it| it.currency == inv.currency)
        .map(|it| (it.sort_key(), it.id.clone()))
        .collect();
    pending.sort_by_key(|r| std::cmp::Reverse(r.0));
    inv.items = pending.into_iter().map(|(_, id)| id).collect();
    scratch.insert_invoice(inv);
    if let Some(list) = p.get("invoice_items").and_then(Value::as_array) {
        for (k, v) in list.iter().enumerate() {
            let Some(v) = v.as_object() else { continue };
            let at = format!("invoice_items[{k}]");
            if let Some(existing) = v.get("invoiceitem").and_then(Value::as_str) {
                if !scratch.items.contains_key(existing) {
                    return Err(ApiError::no_such(
                        "invoiceitem",
                        existing,
                        &format!("{at}[invoiceitem]"),
                    )
                    .status(400));
                }
                let mut rest = v.clone();
                rest.remove("invoiceitem");
                let spec = Spec { v: &rest, at };
                invoice_item::apply_update(&mut scratch, existing, &spec, ctx, "invoiceitem")?;
                continue;
            }
            let spec = Spec { v, at };
            let item = invoice_item::build(&mut scratch, &spec, ctx, cus, Some(&inv_id))?;
            if let Some(inv) = scratch.invoice_mut(&inv_id) {
                inv.items.push(item.id.clone());
            }
            scratch.insert_item(item);
        }
    }
    let n = scratch.invoices()[&inv_id].items.len();
    if n == 0 {
        return Err(
            ApiError::invalid(format!("No upcoming invoices for customer: {cus}"))
                .status(404)
                .code("invoice_upcoming_none"),
        );
    }
    // Stable per item, so paging `upcoming/lines` works across requests.
    let line_ids = scratch.invoices()[&inv_id]
        .items
        .iter()
        .map(|item| format!("il_tmp_{}", item.trim_start_matches("ii_")))
        .collect();
    Ok(Preview {
        store: scratch,
        invoice: inv_id,
        line_ids,
    })
}

/// `POST /v1/invoices/create_preview`.
pub fn create_preview(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let pv = build(store, p, ctx)?;
    let inv = &pv.store.invoices()[&pv.invoice];
    let id = format!("upcoming_{}", pv.invoice);
    Ok(render::preview(
        &pv.store,
        inv,
        ctx,
        Some(id.clone()),
        &pv.line_ids,
        &format!("/v1/invoices/{id}/lines"),
    ))
}

/// `GET /v1/invoices/upcoming` (before basil): the same preview, without an id.
pub fn upcoming(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let pv = build(store, p, ctx)?;
    let inv = &pv.store.invoices()[&pv.invoice];
    Ok(render::preview(
        &pv.store,
        inv,
        ctx,
        None,
        &pv.line_ids,
        "/v1/invoices/upcoming/lines",
    ))
}

/// `GET /v1/invoices/upcoming/lines` (before basil).
pub fn upcoming_lines(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let pv = build(store, p, ctx)?;
    let inv = &pv.store.invoices()[&pv.invoice];
    lines::page(
        &pv.store,
        inv,
        p,
        ctx,
        Some(&pv.line_ids),
        "/v1/invoices/upcoming/lines",
    )
}
