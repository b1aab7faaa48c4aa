//! `expand[]` (reference §8.2): which paths an endpoint accepts, and the expansion itself.
//!
//! Accepted: the paths the version's SDK schema marks on the endpoint's object
//! (`params::expandable`), the includable fields the mock renders on request, and any
//! continuation of an accepted path into the expanded object (Stripe expands through resources,
//! e.g. the recorded `total_discount_amounts.discount.source.coupon`). List and search
//! endpoints take them under `data.`.
//!
//! Expansion runs after rendering: each requested path is walked through the response, and
//! every id it ends on (or passes through) becomes the object. Objects the mock stores render in
//! full; references to objects it does not store (payment methods, sources, tax ids, accounts,
//! payment intents, …) become `{id, object}` stubs.

use serde_json::{json, Value};

use super::error::ApiError;
use super::params;
use super::render;
use super::store::{Ctx, Store};
use super::versions::F;

/// The object an endpoint returns (or lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obj {
    Invoice,
    Upcoming,
    Line,
    Item,
    Customer,
    Payment,
    /// Catalog objects, deleted stubs: nothing expandable.
    Plain,
}

/// The accepted paths for one object at the request's version (without the `data.` prefix).
pub fn paths_for(obj: Obj, ctx: &Ctx) -> Vec<String> {
    let v = ctx.version;
    let mut out: Vec<String> = match obj {
        Obj::Invoice => params::expandable("Invoice", v).to_vec(),
        Obj::Upcoming => params::expandable("UpcomingInvoice", v).to_vec(),
        Obj::Line => params::expandable("InvoiceLineItem", v).to_vec(),
        Obj::Item => params::expandable("InvoiceItem", v).to_vec(),
        Obj::Customer => params::expandable("Customer", v).to_vec(),
        Obj::Payment => params::expandable("InvoicePayment", v).to_vec(),
        Obj::Plain => Vec::new(),
    };
    let mut add = |p: &str| {
        if !out.iter().any(|x| x == p) {
            out.push(p.to_string());
        }
    };
    match obj {
        Obj::Invoice | Obj::Upcoming => {
            if ctx.basil {
                // Reference §8.2 documents it for basil; the SDK lists it from 2025-12-15.
                add("lines.data.pricing.price_details.price");
                add("payments");
                add("confirmation_secret");
            } else {
                add("lines.data.price.product");
            }
            if ctx.has(F::AmountPaidOffStripe) {
                add("amount_paid_off_stripe");
            }
        }
        Obj::Line | Obj::Item => {
            if ctx.basil {
                add("pricing.price_details.price");
            } else {
                add("price.product");
            }
        }
        Obj::Customer => {
            for p in [
                "tax",
                "invoice_credit_balance",
                "cash_balance",
                "sources",
                "subscriptions",
                "tax_ids",
            ] {
                add(p);
            }
        }
        Obj::Payment | Obj::Plain => {}
    }
    out
}

/// The accepted paths of an endpoint: the object's, under `data.` for lists; search adds
/// `total_count`.
pub fn allowed(obj: Obj, ctx: &Ctx, list: bool, search: bool) -> Vec<String> {
    let paths = paths_for(obj, ctx);
    if !list {
        return paths;
    }
    let mut out: Vec<String> = paths.into_iter().map(|p| format!("data.{p}")).collect();
    if search {
        out.push("total_count".into());
    }
    out
}

/// Checks `expand[]` paths against an endpoint's accepted ones. On list and search endpoints
/// `allowed` already carries the `data.` prefix; a path that would be valid with it gets Stripe's
/// "You may want to try expanding 'data.x' instead." hint.
pub fn check(paths: &[String], allowed: &[String], list: bool) -> Result<(), ApiError> {
    for p in paths {
        let ok = allowed
            .iter()
            .any(|a| a == p || (p.starts_with(a.as_str()) && p[a.len()..].starts_with('.')));
        if ok {
            continue;
        }
        let segs: Vec<&str> = p.split('.').collect();
        // The first segment no allowed path continues with names the failing property.
        let mut bad = segs.last().copied().unwrap_or_default();
        for (i, seg) in segs.iter().enumerate() {
            let prefix = segs[..=i].join(".");
            let continues = allowed
                .iter()
                .any(|a| a == &prefix || a.starts_with(&format!("{prefix}.")));
            if !continues {
                bad = seg;
                break;
            }
        }
        let mut msg = format!("This property cannot be expanded ({bad}).");
        let hinted = format!("data.{p}");
        if list
            && allowed.iter().any(|a| {
                *a == hinted
                    || (hinted.starts_with(a.as_str()) && hinted[a.len()..].starts_with('.'))
            })
        {
            msg.push_str(&format!(
                " You may want to try expanding 'data.{p}' instead."
            ));
        }
        return Err(ApiError::invalid(msg));
    }
    Ok(())
}

/// Applies every requested path to a rendered response.
pub fn apply(v: &mut Value, paths: &[String], store: &Store, ctx: &Ctx) {
    for p in paths {
        let segs: Vec<&str> = p.split('.').collect();
        walk(v, &segs, store, ctx);
    }
}

fn walk(v: &mut Value, segs: &[&str], store: &Store, ctx: &Ctx) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    match v {
        Value::Array(items) => {
            for x in items {
                walk(x, segs, store, ctx);
            }
        }
        Value::Object(m) => {
            let Some(child) = m.get_mut(*first) else {
                return;
            };
            expand_value(child, store, ctx);
            if !rest.is_empty() {
                walk(child, rest, store, ctx);
            }
        }
        _ => {}
    }
}

/// An id (or an array of ids) becomes its object; anything else stays.
fn expand_value(v: &mut Value, store: &Store, ctx: &Ctx) {
    match v {
        Value::String(id) => {
            if let Some(obj) = object_for(id, store, ctx) {
                *v = obj;
            }
        }
        Value::Array(items) => {
            for x in items {
                if let Value::String(id) = x {
                    if let Some(obj) = object_for(id, store, ctx) {
                        *x = obj;
                    }
                }
            }
        }
        _ => {}
    }
}

/// References to objects the mock does not store, by id prefix.
const STUBS: &[(&str, &str)] = &[
    ("pm_", "payment_method"),
    ("card_", "card"),
    ("src_", "source"),
    ("ba_", "bank_account"),
    ("tok_", "token"),
    ("txi_", "tax_id"),
    ("acct_", "account"),
    ("clock_", "test_helpers.test_clock"),
    ("pi_", "payment_intent"),
    ("ch_", "charge"),
    ("shr_", "shipping_rate"),
    ("sub_", "subscription"),
    ("si_", "subscription_item"),
];

fn object_for(id: &str, store: &Store, ctx: &Ctx) -> Option<Value> {
    if store.is_freed_customer(id) {
        return Some(render::deleted(id, "customer"));
    }
    if let Some(c) = store.customers.get(id) {
        return Some(if c.deleted {
            render::deleted(id, "customer")
        } else {
            render::customer(store, c, ctx)
        });
    }
    if store.is_freed_invoice(id) {
        return Some(render::deleted(id, "invoice"));
    }
    if store.is_freed_item(id) {
        return Some(render::deleted(id, "invoiceitem"));
    }
    if let Some(i) = store.invoices().get(id) {
        return Some(if i.deleted {
            render::deleted(id, "invoice")
        } else {
            render::invoice(store, i, ctx, &render::Expand::default())
        });
    }
    if let Some(i) = store.items.get(id) {
        return Some(render::invoice_item(store, i, ctx));
    }
    if let Some(p) = store.prices.get(id) {
        return Some(render::price(p));
    }
    if let Some(p) = store.products.get(id) {
        return Some(render::product(p));
    }
    if let Some(d) = store.discounts.get(id) {
        return Some(render::discount(store, d, ctx));
    }
    if let Some(r) = store.tax_rates.get(id) {
        return Some(render::tax_rate(r));
    }
    if let Some(p) = store.payments.get(id) {
        return Some(render::invoice_payment(p, ctx));
    }
    STUBS
        .iter()
        .find(|(prefix, _)| id.starts_with(prefix) && id.len() > prefix.len())
        .map(|(_, kind)| json!({ "id": id, "object": kind }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        let allowed = vec![
            "customer".to_string(),
            "lines.data.pricing.price_details.price".to_string(),
        ];
        assert!(check(&["customer".into()], &allowed, false).is_ok());
        assert!(check(&["customer.default_source".into()], &allowed, false).is_ok());
        let e = check(&["foo".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (foo).");
        let e = check(&["lines".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (lines).");
        let e = check(&["lines.data.x".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (x).");
        let e = check(&["customerx".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (customerx).");
        let list: Vec<String> = vec!["data.customer".into(), "total_count".into()];
        let e = check(&["customer".into()], &list, true).unwrap_err();
        assert_eq!(
            e.message,
            "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead."
        );
    }
}
