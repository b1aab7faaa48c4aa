//! Version-aware JSON. One model, two renderings: basil and later (≥ 2025-03-31) and pre-basil
//! (reference §3.5). Object keys are `id`, `object`, then alphabetical, as in the seeds.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::customer::{Customer, CustomerCopy};
use super::error::ApiError;
use super::ids::ACCOUNT_ID;
use super::invoice::{money, Invoice, Status};
use super::invoice_item::{InvoiceItem, Price, Product};
use super::store::{Ctx, Store};

/// Embedded `lines` carry at most this many line items (§8.3).
pub const EMBEDDED_LINES: usize = 10;

/// Requested `expand[]` paths as a tree of segments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expand(BTreeMap<String, Expand>);

static NOTHING: Expand = Expand(BTreeMap::new());

impl Expand {
    pub fn from_paths<S: AsRef<str>>(paths: &[S]) -> Expand {
        let mut root = Expand::default();
        for p in paths {
            let mut node = &mut root;
            for seg in p.as_ref().split('.') {
                node = node.0.entry(seg.to_string()).or_default();
            }
        }
        root
    }
    pub fn has(&self, seg: &str) -> bool {
        self.0.contains_key(seg)
    }
    pub fn sub(&self, seg: &str) -> &Expand {
        self.0.get(seg).unwrap_or(&NOTHING)
    }
}

/// Checks `expand[]` paths against the expandable paths of an endpoint. On list and search
/// endpoints `allowed` already carries the `data.` prefix; a path that would be valid with it
/// gets Stripe's "You may want to try expanding 'data.x' instead." hint.
pub fn check_expand(paths: &[String], allowed: &[String], list: bool) -> Result<(), ApiError> {
    for p in paths {
        if allowed.iter().any(|a| a == p) {
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
        if list && allowed.iter().any(|a| *a == format!("data.{p}")) {
            msg.push_str(&format!(
                " You may want to try expanding 'data.{p}' instead."
            ));
        }
        return Err(ApiError::invalid(msg));
    }
    Ok(())
}

/// Builds an object with `id` and `object` first and every other key in alphabetical order.
pub fn ordered(pairs: Vec<(&str, Value)>) -> Value {
    let mut rest: Vec<(&str, Value)> = Vec::with_capacity(pairs.len());
    let mut id = None;
    let mut object = None;
    for (k, v) in pairs {
        match k {
            "id" => id = Some(v),
            "object" => object = Some(v),
            _ => rest.push((k, v)),
        }
    }
    rest.sort_by(|a, b| a.0.cmp(b.0));
    let mut m = Map::new();
    if let Some(v) = id {
        m.insert("id".into(), v);
    }
    if let Some(v) = object {
        m.insert("object".into(), v);
    }
    for (k, v) in rest {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn metadata(m: &indexmap::IndexMap<String, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn deleted(id: &str, object: &str) -> Value {
    json!({ "id": id, "object": object, "deleted": true })
}

pub fn customer(c: &Customer) -> Value {
    ordered(vec![
        ("id", json!(c.id)),
        ("object", json!("customer")),
        ("address", c.address.clone().unwrap_or(Value::Null)),
        ("balance", json!(c.balance)),
        ("created", json!(c.created)),
        ("currency", opt_str(&c.currency)),
        ("default_source", Value::Null),
        ("delinquent", json!(false)),
        ("description", opt_str(&c.description)),
        ("discount", Value::Null),
        ("email", opt_str(&c.email)),
        ("invoice_prefix", json!(c.invoice_prefix)),
        (
            "invoice_settings",
            json!({
                "custom_fields": null,
                "default_payment_method": opt_str(&c.default_payment_method),
                "footer": opt_str(&c.footer),
                "rendering_options": null,
            }),
        ),
        ("livemode", json!(false)),
        ("metadata", metadata(&c.metadata)),
        ("name", opt_str(&c.name)),
        ("next_invoice_sequence", json!(c.next_invoice_sequence)),
        ("phone", opt_str(&c.phone)),
        ("preferred_locales", json!(c.preferred_locales)),
        ("shipping", c.shipping.clone().unwrap_or(Value::Null)),
        ("tax_exempt", json!(c.tax_exempt)),
        ("test_clock", Value::Null),
    ])
}

/// A customer reference: the id, or with `expand` the object (the stub once deleted).
fn customer_ref(store: &Store, id: &str, expand: bool) -> Value {
    if !expand {
        return json!(id);
    }
    match store.customers.get(id) {
        Some(c) if c.deleted => deleted(id, "customer"),
        Some(c) => customer(c),
        None => json!(id),
    }
}

pub fn product(p: &Product) -> Value {
    ordered(vec![
        ("id", json!(p.id)),
        ("object", json!("product")),
        ("active", json!(true)),
        ("attributes", json!([])),
        ("created", json!(p.created)),
        ("default_price", Value::Null),
        ("description", Value::Null),
        ("images", json!([])),
        ("livemode", json!(false)),
        ("marketing_features", json!([])),
        ("metadata", json!({})),
        ("name", json!(p.name)),
        ("package_dimensions", Value::Null),
        ("shippable", Value::Null),
        ("statement_descriptor", Value::Null),
        ("tax_code", Value::Null),
        ("type", json!("service")),
        ("unit_label", Value::Null),
        ("updated", json!(p.created)),
        ("url", Value::Null),
    ])
}

/// The price object of seed 000's line item; `product` expands to the product object.
pub fn price(store: &Store, p: &Price, expand: &Expand) -> Value {
    let product_v = match store.products.get(&p.product) {
        Some(prod) if expand.has("product") => product(prod),
        _ => json!(p.product),
    };
    ordered(vec![
        ("id", json!(p.id)),
        ("object", json!("price")),
        ("active", json!(true)),
        ("billing_scheme", json!("per_unit")),
        ("created", json!(p.created)),
        ("currency", json!(p.currency)),
        ("custom_unit_amount", Value::Null),
        ("livemode", json!(false)),
        ("lookup_key", Value::Null),
        ("metadata", json!({})),
        ("nickname", Value::Null),
        ("product", product_v),
        ("recurring", Value::Null),
        ("tax_behavior", json!("unspecified")),
        ("tiers_mode", Value::Null),
        ("transform_quantity", Value::Null),
        ("type", json!("one_time")),
        ("unit_amount", json!(p.unit_amount)),
        ("unit_amount_decimal", json!(p.unit_amount.to_string())),
    ])
}

fn price_ref(store: &Store, item: &InvoiceItem, expand: Option<&Expand>) -> Value {
    match (store.prices.get(&item.price), expand) {
        (Some(p), Some(e)) => price(store, p, e),
        _ => json!(item.price),
    }
}

fn product_of(store: &Store, item: &InvoiceItem) -> Value {
    store
        .prices
        .get(&item.price)
        .map_or(Value::Null, |p| json!(p.product))
}

/// Basil's `pricing` object; `price` expands with `pricing.price_details.price`.
fn pricing(store: &Store, item: &InvoiceItem, expand: &Expand) -> Value {
    let e = expand.sub("pricing").sub("price_details");
    let price_v = price_ref(store, item, e.has("price").then(|| e.sub("price")));
    json!({
        "price_details": { "price": price_v, "product": product_of(store, item) },
        "type": "price_details",
        "unit_amount_decimal": item.unit_amount.to_string(),
    })
}

fn period(item: &InvoiceItem) -> Value {
    json!({ "end": item.period_end, "start": item.period_start })
}

/// One line of `invoice.lines` (§5.4): basil has `parent`/`pricing`/`taxes`, pre-basil the
/// embedded `price` and `type` of seed 000.
pub fn line(store: &Store, inv: &Invoice, item: &InvoiceItem, ctx: &Ctx, expand: &Expand) -> Value {
    let line_id = item.line_id.clone().unwrap_or_else(|| item.id.clone());
    let mut f = vec![
        ("id", json!(line_id)),
        ("object", json!("line_item")),
        ("amount", json!(item.amount)),
        ("currency", json!(item.currency)),
        ("description", opt_str(&item.description)),
        ("discount_amounts", json!([])),
        ("discountable", json!(item.discountable)),
        ("discounts", json!([])),
        ("livemode", json!(false)),
        ("metadata", metadata(&item.metadata)),
        ("period", period(item)),
        ("quantity", json!(item.quantity)),
        ("subscription", Value::Null),
    ];
    if ctx.basil {
        f.extend([
            ("invoice", json!(inv.id)),
            (
                "parent",
                json!({
                    "invoice_item_details": {
                        "invoice_item": item.id,
                        "proration": false,
                        "proration_details": { "credited_items": null },
                        "subscription": null,
                    },
                    "subscription_item_details": null,
                    "type": "invoice_item_details",
                }),
            ),
            ("pretax_credit_amounts", json!([])),
            ("pricing", pricing(store, item, expand)),
            ("subtotal", json!(item.amount)),
            ("taxes", json!([])),
        ]);
    } else {
        // The price is always embedded pre-basil; `price.product` expands further.
        let price_v = price_ref(store, item, Some(expand.sub("price")));
        f.extend([
            ("amount_excluding_tax", json!(item.amount)),
            ("invoice_item", json!(item.id)),
            ("price", price_v),
            ("proration", json!(false)),
            ("proration_details", json!({ "credited_items": null })),
            ("tax_amounts", json!([])),
            ("tax_rates", json!([])),
            ("type", json!("invoiceitem")),
            (
                "unit_amount_excluding_tax",
                json!(item.unit_amount.to_string()),
            ),
        ]);
    }
    ordered(f)
}

/// The line items of an invoice, in line order.
pub fn lines_of<'a>(store: &'a Store, inv: &Invoice) -> Vec<&'a InvoiceItem> {
    inv.items
        .iter()
        .filter_map(|id| store.items.get(id))
        .collect()
}

pub fn invoice_item(store: &Store, item: &InvoiceItem, ctx: &Ctx, expand: &Expand) -> Value {
    let mut f = vec![
        ("id", json!(item.id)),
        ("object", json!("invoiceitem")),
        ("amount", json!(item.amount)),
        ("currency", json!(item.currency)),
        (
            "customer",
            customer_ref(store, &item.customer, expand.has("customer")),
        ),
        ("date", json!(item.created)),
        ("description", opt_str(&item.description)),
        ("discountable", json!(item.discountable)),
        ("discounts", json!([])),
        ("invoice", opt_str(&item.invoice)),
        ("livemode", json!(false)),
        ("metadata", metadata(&item.metadata)),
        ("period", period(item)),
        ("proration", json!(false)),
        ("quantity", json!(item.quantity)),
        ("tax_rates", json!([])),
        ("test_clock", Value::Null),
    ];
    if ctx.basil {
        f.extend([
            ("net_amount", json!(item.amount)),
            ("parent", Value::Null),
            ("pricing", pricing(store, item, expand)),
            ("proration_details", json!({ "credited_items": null })),
        ]);
    } else {
        f.extend([
            ("plan", Value::Null),
            ("price", price_ref(store, item, Some(expand.sub("price")))),
            ("subscription", Value::Null),
            ("unit_amount", json!(item.unit_amount)),
            ("unit_amount_decimal", json!(item.unit_amount.to_string())),
        ]);
    }
    ordered(f)
}

fn copy_fields(c: &CustomerCopy) -> Vec<(&'static str, Value)> {
    vec![
        ("customer_address", c.address.clone()),
        ("customer_email", c.email.clone()),
        ("customer_name", c.name.clone()),
        ("customer_phone", c.phone.clone()),
        ("customer_shipping", c.shipping.clone()),
        ("customer_tax_exempt", c.tax_exempt.clone()),
        ("customer_tax_ids", c.tax_ids.clone()),
    ]
}

/// `automatically_finalizes_at` (§3.4): drafts only; explicit, or `created + 3601` with
/// `auto_advance`.
pub fn automatically_finalizes_at(inv: &Invoice) -> Option<i64> {
    if inv.status != Status::Draft {
        return None;
    }
    inv.automatically_finalizes_at
        .or(inv.auto_advance.then_some(inv.created + 3601))
}

/// `next_payment_attempt` (§3.4): `created + 3600` for an auto-advancing charge_automatically
/// draft; for such an open invoice not yet attempted, one hour after finalization [U];
/// otherwise null (the mock schedules no retries).
pub fn next_payment_attempt(inv: &Invoice) -> Option<i64> {
    if !inv.charge_automatically() || !inv.auto_advance {
        return None;
    }
    match inv.status {
        Status::Draft => Some(inv.created + 3600),
        Status::Open if inv.attempt_count == 0 => inv.finalized_at.map(|t| t + 3600),
        _ => None,
    }
}

/// The invoice object for the request's version (§3.1, §3.5).
pub fn invoice(store: &Store, inv: &Invoice, ctx: &Ctx, expand: &Expand) -> Value {
    let m = money(store, inv);
    let copy = match &inv.customer_copy {
        Some(c) => c.clone(),
        None => store
            .customers
            .get(&inv.customer)
            .map(CustomerCopy::of)
            .unwrap_or(CustomerCopy {
                address: Value::Null,
                email: Value::Null,
                name: Value::Null,
                phone: Value::Null,
                shipping: Value::Null,
                tax_exempt: json!("none"),
                tax_ids: json!([]),
            }),
    };
    let lines = lines_of(store, inv);
    let line_expand = expand.sub("lines").sub("data");
    let embedded: Vec<Value> = lines
        .iter()
        .take(EMBEDDED_LINES)
        .map(|i| line(store, inv, i, ctx, line_expand))
        .collect();
    let url = inv
        .url_token
        .as_ref()
        .map(|t| format!("https://invoice.stripe.com/i/{ACCOUNT_ID}/{t}?s=ap"));
    let pdf = inv
        .url_token
        .as_ref()
        .map(|t| format!("https://pay.stripe.com/invoice/{ACCOUNT_ID}/{t}/pdf?s=ap"));
    // Pre-basil, an out-of-band payment did not count in amount_paid (§3.3, [U]).
    let oob_legacy = !ctx.basil && inv.paid_out_of_band;
    let amount_paid = if oob_legacy { 0 } else { m.amount_paid };
    let mut f = vec![
        ("id", json!(inv.id)),
        ("object", json!("invoice")),
        ("account_country", json!("US")),
        ("account_name", json!("Stripe Docs")),
        ("account_tax_ids", Value::Null),
        ("amount_due", json!(m.amount_due)),
        ("amount_paid", json!(amount_paid)),
        ("amount_remaining", json!(m.amount_remaining)),
        ("amount_shipping", json!(0)),
        ("application", Value::Null),
        ("attempt_count", json!(inv.attempt_count)),
        ("attempted", json!(inv.attempted)),
        ("auto_advance", json!(inv.auto_advance)),
        (
            "automatic_tax",
            json!({ "enabled": false, "liability": null, "status": null }),
        ),
        (
            "automatically_finalizes_at",
            opt_int(automatically_finalizes_at(inv)),
        ),
        ("billing_reason", json!("manual")),
        ("collection_method", json!(inv.collection_method)),
        ("created", json!(inv.created)),
        ("currency", json!(inv.currency)),
        (
            "custom_fields",
            inv.custom_fields.as_ref().map_or(Value::Null, |cf| {
                cf.iter()
                    .map(|(n, v)| json!({ "name": n, "value": v }))
                    .collect()
            }),
        ),
        (
            "customer",
            customer_ref(store, &inv.customer, expand.has("customer")),
        ),
        (
            "default_payment_method",
            opt_str(&inv.default_payment_method),
        ),
        ("default_source", Value::Null),
        ("default_tax_rates", json!([])),
        ("description", opt_str(&inv.description)),
        ("discounts", json!([])),
        ("due_date", opt_int(inv.due_date)),
        (
            "effective_at",
            opt_int(if inv.status == Status::Draft {
                None
            } else {
                inv.effective_at
            }),
        ),
        ("ending_balance", opt_int(m.ending_balance)),
        ("footer", opt_str(&inv.footer)),
        ("from_invoice", Value::Null),
        ("hosted_invoice_url", opt_str(&url)),
        ("invoice_pdf", opt_str(&pdf)),
        ("issuer", json!({ "type": "self" })),
        ("last_finalization_error", Value::Null),
        ("latest_revision", Value::Null),
        (
            "lines",
            json!({
                "object": "list",
                "data": embedded,
                "has_more": lines.len() > EMBEDDED_LINES,
                "total_count": lines.len(),
                "url": format!("/v1/invoices/{}/lines", inv.id),
            }),
        ),
        ("livemode", json!(false)),
        ("metadata", metadata(&inv.metadata)),
        ("next_payment_attempt", opt_int(next_payment_attempt(inv))),
        ("number", opt_str(&inv.number)),
        ("on_behalf_of", Value::Null),
        (
            "payment_settings",
            json!({
                "default_mandate": null,
                "payment_method_options": null,
                "payment_method_types": null,
            }),
        ),
        ("period_end", json!(inv.created)),
        ("period_start", json!(inv.created)),
        ("post_payment_credit_notes_amount", json!(0)),
        ("pre_payment_credit_notes_amount", json!(0)),
        ("receipt_number", Value::Null),
        ("rendering", Value::Null),
        ("shipping_cost", Value::Null),
        ("shipping_details", Value::Null),
        ("starting_balance", json!(m.starting_balance)),
        ("statement_descriptor", opt_str(&inv.statement_descriptor)),
        ("status", json!(inv.status.as_str())),
        (
            "status_transitions",
            json!({
                "finalized_at": inv.finalized_at,
                "marked_uncollectible_at": inv.marked_uncollectible_at,
                "paid_at": inv.paid_at,
                "voided_at": inv.voided_at,
            }),
        ),
        ("subtotal", json!(m.subtotal)),
        ("subtotal_excluding_tax", json!(m.subtotal)),
        ("test_clock", Value::Null),
        ("total", json!(m.total)),
        ("total_discount_amounts", json!([])),
        ("total_excluding_tax", json!(m.total)),
        ("total_pretax_credit_amounts", json!([])),
        // No webhook endpoints: delivery "happens" at creation (§3.4).
        ("webhooks_delivered_at", json!(inv.created)),
    ];
    f.extend(copy_fields(&copy));
    if ctx.basil {
        f.extend([
            ("amount_overpaid", json!(0)),
            ("parent", Value::Null),
            ("total_taxes", json!([])),
        ]);
    } else {
        f.extend([
            ("application_fee_amount", Value::Null),
            ("charge", opt_str(&inv.charge)),
            ("discount", Value::Null),
            ("paid", json!(inv.status == Status::Paid)),
            ("paid_out_of_band", json!(inv.paid_out_of_band)),
            ("payment_intent", opt_str(&inv.payment_intent)),
            ("quote", Value::Null),
            ("subscription", Value::Null),
            ("tax", Value::Null),
            ("total_tax_amounts", json!([])),
            ("transfer_data", Value::Null),
        ]);
        if ctx.rendering_options {
            f.push(("rendering_options", Value::Null));
        }
    }
    ordered(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_checks() {
        let allowed = vec![
            "customer".to_string(),
            "lines.data.pricing.price_details.price".to_string(),
        ];
        assert!(check_expand(&["customer".into()], &allowed, false).is_ok());
        let e = check_expand(&["foo".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (foo).");
        let e = check_expand(&["lines".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (lines).");
        let e = check_expand(&["lines.data.x".into()], &allowed, false).unwrap_err();
        assert_eq!(e.message, "This property cannot be expanded (x).");
        let list: Vec<String> = vec!["data.customer".into(), "total_count".into()];
        let e = check_expand(&["customer".into()], &list, true).unwrap_err();
        assert_eq!(
            e.message,
            "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead."
        );
    }

    #[test]
    fn ordering() {
        let v = ordered(vec![
            ("b", json!(1)),
            ("object", json!("x")),
            ("a", json!(2)),
            ("id", json!("i")),
        ]);
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "object", "a", "b"]);
    }
}
