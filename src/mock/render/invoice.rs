//! The invoice, its line items and invoice items, per `(version, as_of)`: the basil shape
//! (`parent`/`pricing`/`taxes`) or the pre-basil one (embedded `price`, `paid`, `charge`, …),
//! plus every additive field the as-of date has (docs/mock.md, "Versions").

use serde_json::{json, Map, Value};

use super::{
    custom_fields, list_of, metadata, opt_int, opt_str, ordered, tax_rates, Expand, EMBEDDED_LINES,
};
use crate::mock::customer::CustomerCopy;
use crate::mock::invoice::{money, Invoice, LineMoney, Money, Status, Tax};
use crate::mock::invoice_item::InvoiceItem;
use crate::mock::store::{Ctx, Store};
use crate::mock::versions::F;

fn period(item: &InvoiceItem) -> Value {
    json!({ "end": item.period_end, "start": item.period_start })
}

fn product_of(store: &Store, item: &InvoiceItem) -> Value {
    store
        .prices
        .get(&item.price)
        .map_or(Value::Null, |p| json!(p.product))
}

/// Basil's `pricing` object (on lines and invoice items).
fn pricing(store: &Store, item: &InvoiceItem) -> Value {
    json!({
        "price_details": { "price": item.price, "product": product_of(store, item) },
        "type": "price_details",
        "unit_amount_decimal": item.unit_amount_decimal,
    })
}

fn embedded_price(store: &Store, item: &InvoiceItem) -> Value {
    store
        .prices
        .get(&item.price)
        .map_or(json!(item.price), super::price)
}

fn discount_amounts(v: &[(String, i64)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(d, a)| json!({ "amount": a, "discount": d }))
            .collect(),
    )
}

/// `pretax_credit_amounts`: discounts are pre-tax credits (recorded 2025-10-29:
/// `{amount, discount, type: "discount"}`); the mock has no credit balance transactions.
fn pretax_credits(v: &[(String, i64)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(d, a)| json!({ "amount": a, "discount": d, "type": "discount" }))
            .collect(),
    )
}

/// Basil `taxes` / `total_taxes`.
fn taxes(v: &[Tax]) -> Value {
    Value::Array(
        v.iter()
            .map(|t| {
                json!({
                    "amount": t.amount,
                    "tax_behavior": if t.inclusive { "inclusive" } else { "exclusive" },
                    "tax_rate_details": { "tax_rate": t.rate },
                    "taxability_reason": "standard_rated",
                    "taxable_amount": t.taxable_amount,
                    "type": "tax_rate_details",
                })
            })
            .collect(),
    )
}

/// Pre-basil `tax_amounts` / `total_tax_amounts`.
fn tax_amounts(v: &[Tax]) -> Value {
    Value::Array(
        v.iter()
            .map(|t| {
                json!({
                    "amount": t.amount,
                    "inclusive": t.inclusive,
                    "tax_rate": t.rate,
                    "taxability_reason": "standard_rated",
                    "taxable_amount": t.taxable_amount,
                })
            })
            .collect(),
    )
}

fn inclusive_tax(lm: &LineMoney) -> i64 {
    lm.taxes
        .iter()
        .filter(|t| t.inclusive)
        .map(|t| t.amount)
        .sum()
}

/// One line of `invoice.lines` (§5.4). `line_id` overrides the stored one (previews).
pub fn line(
    store: &Store,
    inv: &Invoice,
    item: &InvoiceItem,
    lm: &LineMoney,
    ctx: &Ctx,
    line_id: Option<&str>,
) -> Value {
    let id = line_id
        .map(str::to_string)
        .or_else(|| item.line_id.clone())
        .unwrap_or_else(|| item.id.clone());
    let mut f = vec![
        ("id", json!(id)),
        ("object", json!("line_item")),
        ("amount", json!(lm.amount)),
        ("currency", json!(item.currency)),
        ("description", opt_str(&item.description)),
        ("discount_amounts", discount_amounts(&lm.discount_amounts)),
        ("discountable", json!(item.discountable)),
        (
            "discounts",
            json!(lm
                .discount_amounts
                .iter()
                .map(|(d, _)| d)
                .collect::<Vec<_>>()),
        ),
        ("invoice", json!(inv.id)),
        ("livemode", json!(false)),
        ("metadata", metadata(&item.metadata)),
        ("period", period(item)),
        ("quantity", json!(item.quantity)),
    ];
    let additions = ctx.basil || ctx.has(F::BasilAdditions);
    if additions {
        let mut parent = Map::new();
        parent.insert(
            "invoice_item_details".into(),
            json!({
                "invoice_item": item.id,
                "proration": false,
                "proration_details": { "credited_items": null },
                "subscription": null,
            }),
        );
        if ctx.has(F::LicenseFeeDetails) {
            parent.insert("license_fee_subscription_details".into(), Value::Null);
        }
        parent.insert("subscription_item_details".into(), Value::Null);
        parent.insert("type".into(), json!("invoice_item_details"));
        f.extend([
            ("parent", Value::Object(parent)),
            ("pricing", pricing(store, item)),
            ("taxes", taxes(&lm.taxes)),
        ]);
    }
    if ctx.has(F::PretaxCredits) {
        f.push((
            "pretax_credit_amounts",
            pretax_credits(&lm.discount_amounts),
        ));
    }
    if ctx.has(F::LineSubtotal) {
        f.push(("subtotal", json!(lm.amount)));
    }
    if ctx.has(F::QuantityDecimal) {
        f.push(("quantity_decimal", json!(item.quantity_decimal)));
    }
    if !ctx.basil {
        let incl = inclusive_tax(lm);
        let unit_excl = if item.quantity > 0 {
            (lm.amount - incl) as f64 / item.quantity as f64
        } else {
            0.0
        };
        f.extend([
            ("amount_excluding_tax", json!(lm.amount - incl)),
            ("invoice_item", json!(item.id)),
            ("plan", Value::Null),
            ("price", embedded_price(store, item)),
            ("proration", json!(false)),
            ("proration_details", json!({ "credited_items": null })),
            // Recorded on every pre-basil line (null on one-off items); never at basil+.
            ("subscription", Value::Null),
            ("tax_amounts", tax_amounts(&lm.taxes)),
            ("tax_rates", tax_rates(store, &item.tax_rates)),
            ("type", json!("invoiceitem")),
            (
                "unit_amount_excluding_tax",
                json!(crate::mock::catalog::decimal_string(unit_excl)),
            ),
        ]);
    }
    ordered(f)
}

pub fn invoice_item(store: &Store, item: &InvoiceItem, ctx: &Ctx) -> Value {
    let mut f = vec![
        ("id", json!(item.id)),
        ("object", json!("invoiceitem")),
        ("amount", json!(item.amount)),
        ("currency", json!(item.currency)),
        ("customer", json!(item.customer)),
        ("date", json!(item.created)),
        ("description", opt_str(&item.description)),
        ("discountable", json!(item.discountable)),
        ("discounts", json!(item.discounts)),
        ("invoice", opt_str(&item.invoice)),
        ("livemode", json!(false)),
        ("metadata", metadata(&item.metadata)),
        ("period", period(item)),
        ("proration", json!(false)),
        ("quantity", json!(item.quantity)),
        ("tax_rates", tax_rates(store, &item.tax_rates)),
        ("test_clock", Value::Null),
    ];
    if ctx.basil || ctx.has(F::BasilAdditions) {
        f.extend([("parent", Value::Null), ("pricing", pricing(store, item))]);
    }
    if ctx.has(F::CustomerAccount) {
        f.push(("customer_account", Value::Null));
    }
    if ctx.has(F::QuantityDecimal) {
        f.push(("quantity_decimal", json!(item.quantity_decimal)));
    }
    if !ctx.basil {
        f.extend([
            ("plan", Value::Null),
            ("price", embedded_price(store, item)),
            ("subscription", Value::Null),
            ("unit_amount", json!(item.unit_amount)),
            ("unit_amount_decimal", json!(item.unit_amount_decimal)),
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

fn automatic_tax(store: &Store, inv: &Invoice, ctx: &Ctx) -> Value {
    let mut m = Map::new();
    if ctx.has(F::AutoTaxDisabledReason) {
        m.insert("disabled_reason".into(), Value::Null);
    }
    m.insert("enabled".into(), json!(inv.automatic_tax));
    let on = inv.automatic_tax;
    m.insert(
        "liability".into(),
        if on {
            json!({ "type": "self" })
        } else {
            Value::Null
        },
    );
    if ctx.has(F::AutoTaxProvider) {
        m.insert(
            "provider".into(),
            if on { json!("stripe") } else { Value::Null },
        );
    }
    let status = if !on {
        Value::Null
    } else if crate::mock::invoice::api::has_tax_location(store, &inv.customer) {
        json!("complete")
    } else {
        json!("requires_location_inputs")
    };
    m.insert("status".into(), status);
    Value::Object(m)
}

fn rendering(inv: &Invoice, ctx: &Ctx) -> Value {
    let r = &inv.rendering;
    // Unset, the page size is `auto` on drafts and `letter` once finalized (recorded).
    let page = r.page_size.clone().unwrap_or_else(|| {
        if inv.status == Status::Draft {
            "auto".into()
        } else {
            "letter".into()
        }
    });
    let mut m = Map::new();
    m.insert("amount_tax_display".into(), opt_str(&r.amount_tax_display));
    m.insert("pdf".into(), json!({ "page_size": page }));
    if ctx.has(F::RenderingTemplate) {
        m.insert("template".into(), opt_str(&r.template));
        m.insert("template_version".into(), opt_int(r.template_version));
    }
    Value::Object(m)
}

/// What distinguishes a rendering of a stored invoice from a preview.
struct Shape<'a> {
    id: Option<String>,
    line_ids: Option<&'a [String]>,
    lines_url: String,
    billing_reason: &'static str,
}

/// The invoice object for the request's version (§3.1, §3.5). `e` adds the includable
/// `payments`, `confirmation_secret`, `amount_paid_off_stripe`.
pub fn invoice(store: &Store, inv: &Invoice, ctx: &Ctx, e: &Expand) -> Value {
    let shape = Shape {
        id: Some(inv.id.clone()),
        line_ids: None,
        lines_url: format!("/v1/invoices/{}/lines", inv.id),
        billing_reason: "manual",
    };
    render(store, inv, ctx, e, &shape)
}

/// A preview (`create_preview`, pre-basil `upcoming`): not stored, lines with temporary ids.
/// `id`: `upcoming_in_…` at basil; the pre-basil upcoming invoice has none.
pub fn preview(
    store: &Store,
    inv: &Invoice,
    ctx: &Ctx,
    id: Option<String>,
    line_ids: &[String],
    lines_url: &str,
) -> Value {
    let shape = Shape {
        id,
        line_ids: Some(line_ids),
        lines_url: lines_url.to_string(),
        billing_reason: "upcoming",
    };
    render(store, inv, ctx, &Expand::default(), &shape)
}

/// The lines of an invoice as list data, with their money.
pub fn lines_data(
    store: &Store,
    inv: &Invoice,
    m: &Money,
    ctx: &Ctx,
    line_ids: Option<&[String]>,
    range: std::ops::Range<usize>,
) -> Vec<Value> {
    crate::mock::invoice::items_of(store, inv)
        .iter()
        .zip(&m.lines)
        .enumerate()
        .filter(|(k, _)| range.contains(k))
        .map(|(k, (item, lm))| {
            let lid = line_ids.and_then(|ids| ids.get(k)).map(String::as_str);
            line(store, inv, item, lm, ctx, lid)
        })
        .collect()
}

fn render(store: &Store, inv: &Invoice, ctx: &Ctx, e: &Expand, shape: &Shape) -> Value {
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
    let n_lines = inv.items.len();
    let embedded = lines_data(store, inv, &m, ctx, shape.line_ids, 0..EMBEDDED_LINES);
    let url = inv
        .url_token
        .as_ref()
        .map(|t| format!("https://invoice.stripe.com/i/{t}?s=ap"));
    let pdf = inv
        .url_token
        .as_ref()
        .map(|t| format!("https://pay.stripe.com/invoice/{t}/pdf?s=ap"));
    // Pre-basil, an out-of-band payment did not count in amount_paid (§3.3, [U]).
    let oob_legacy = !ctx.basil && inv.paid_out_of_band;
    let amount_paid = if oob_legacy { 0 } else { m.amount_paid };
    let amount_remaining = if oob_legacy { 0 } else { m.amount_remaining };
    let mut f = vec![
        ("object", json!("invoice")),
        ("account_country", json!(&*ctx.account_country)),
        ("account_name", json!("Stripe Docs")),
        (
            "account_tax_ids",
            inv.account_tax_ids
                .as_ref()
                .map_or(Value::Null, |a| json!(a)),
        ),
        ("amount_due", json!(m.amount_due)),
        ("amount_paid", json!(amount_paid)),
        ("amount_remaining", json!(amount_remaining)),
        ("amount_shipping", json!(m.shipping)),
        ("application", Value::Null),
        ("attempt_count", json!(inv.attempt_count)),
        ("attempted", json!(inv.attempted)),
        ("auto_advance", json!(inv.auto_advance)),
        ("automatic_tax", automatic_tax(store, inv, ctx)),
        ("billing_reason", json!(shape.billing_reason)),
        ("collection_method", json!(inv.collection_method)),
        ("created", json!(inv.created)),
        ("currency", json!(inv.currency)),
        ("custom_fields", custom_fields(&inv.custom_fields)),
        ("customer", json!(inv.customer)),
        (
            "default_payment_method",
            opt_str(&inv.default_payment_method),
        ),
        ("default_source", opt_str(&inv.default_source)),
        (
            "default_tax_rates",
            tax_rates(store, &inv.default_tax_rates),
        ),
        ("description", opt_str(&inv.description)),
        ("discounts", json!(inv.discounts)),
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
        (
            "from_invoice",
            inv.from_invoice
                .as_ref()
                .map_or(Value::Null, |(a, i)| json!({ "action": a, "invoice": i })),
        ),
        ("hosted_invoice_url", opt_str(&url)),
        ("invoice_pdf", opt_str(&pdf)),
        ("issuer", inv.issuer.clone()),
        ("last_finalization_error", Value::Null),
        ("latest_revision", opt_str(&inv.latest_revision)),
        (
            "lines",
            list_of(
                embedded,
                n_lines > EMBEDDED_LINES,
                shape.lines_url.clone(),
                // Embedded lines carry total_count (recorded at every version; the SDK drops it).
                Some(n_lines),
            ),
        ),
        ("livemode", json!(false)),
        ("metadata", metadata(&inv.metadata)),
        ("next_payment_attempt", opt_int(next_payment_attempt(inv))),
        ("number", opt_str(&inv.number)),
        ("on_behalf_of", Value::Null),
        ("payment_settings", inv.payment_settings.clone()),
        ("period_end", json!(inv.created)),
        ("period_start", json!(inv.created)),
        ("post_payment_credit_notes_amount", json!(0)),
        ("pre_payment_credit_notes_amount", json!(0)),
        ("receipt_number", Value::Null),
        ("rendering", rendering(inv, ctx)),
        (
            "shipping_cost",
            inv.shipping_cost.as_ref().map_or(Value::Null, |s| {
                json!({
                    "amount_subtotal": s.amount,
                    "amount_tax": 0,
                    "amount_total": s.amount,
                    "shipping_rate": s.rate,
                    "taxes": [],
                })
            }),
        ),
        (
            "shipping_details",
            inv.shipping_details.clone().unwrap_or(Value::Null),
        ),
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
        ("subtotal_excluding_tax", json!(m.subtotal_excluding_tax)),
        ("test_clock", Value::Null),
        ("total", json!(m.total)),
        (
            "total_discount_amounts",
            discount_amounts(&m.total_discounts),
        ),
        ("total_excluding_tax", json!(m.total_excluding_tax)),
        (
            "webhooks_delivered_at",
            // Without webhook endpoints Stripe sets it at creation (§3.4); with them, only once
            // delivered, which the mock never does. A preview is never delivered.
            if ctx.webhook_endpoints || shape.billing_reason == "upcoming" {
                Value::Null
            } else {
                json!(inv.created)
            },
        ),
    ];
    if let Some(id) = &shape.id {
        f.push(("id", json!(id)));
    }
    f.extend(copy_fields(&copy));
    if ctx.has(F::AutoFinalizesAt) {
        f.push((
            "automatically_finalizes_at",
            opt_int(automatically_finalizes_at(inv)),
        ));
    }
    if ctx.has(F::PretaxCredits) {
        f.push((
            "total_pretax_credit_amounts",
            pretax_credits(&m.total_discounts),
        ));
    }
    if ctx.has(F::CustomerAccount) {
        f.push(("customer_account", Value::Null));
    }
    if ctx.basil || ctx.has(F::BasilAdditions) {
        let overpaid = (m.amount_paid - m.amount_due).max(0);
        f.extend([
            ("amount_overpaid", json!(overpaid)),
            ("parent", Value::Null),
            ("total_taxes", taxes(&m.total_taxes)),
        ]);
    }
    if ctx.basil {
        if e.has("payments") {
            let mut pays: Vec<_> = store
                .invoice_payment_ids(&inv.id)
                .iter()
                .filter_map(|id| store.payments.get(id))
                .collect();
            pays.sort_by_key(|p| std::cmp::Reverse(p.sort_key()));
            let data = pays
                .into_iter()
                .map(|p| super::invoice_payment(p, ctx))
                .collect();
            f.push((
                "payments",
                list_of(data, false, "/v1/invoice_payments".into(), None),
            ));
        }
        if e.has("confirmation_secret") {
            let secret = inv.payment_intent.as_ref().map_or(Value::Null, |pi| {
                json!({ "client_secret": format!("{pi}_secret_apiparity"), "type": "payment_intent" })
            });
            f.push(("confirmation_secret", secret));
        }
    }
    if e.has("amount_paid_off_stripe") {
        let off = if inv.paid_out_of_band {
            m.amount_paid
        } else {
            0
        };
        f.push(("amount_paid_off_stripe", json!(off)));
    }
    if !ctx.basil {
        let single_discount = match inv.discounts.as_slice() {
            [one] => store
                .discounts
                .get(one)
                .map_or(Value::Null, |d| super::discount(store, d, ctx)),
            _ => Value::Null,
        };
        let tax_sum: i64 = m.total_taxes.iter().map(|t| t.amount).sum();
        f.extend([
            ("application_fee_amount", Value::Null),
            ("charge", opt_str(&inv.charge)),
            ("discount", single_discount),
            ("paid", json!(inv.status == Status::Paid)),
            ("paid_out_of_band", json!(inv.paid_out_of_band)),
            ("payment_intent", opt_str(&inv.payment_intent)),
            ("quote", Value::Null),
            ("subscription", Value::Null),
            ("subscription_details", json!({ "metadata": null })),
            (
                "tax",
                if m.total_taxes.is_empty() {
                    Value::Null
                } else {
                    json!(tax_sum)
                },
            ),
            ("total_tax_amounts", tax_amounts(&m.total_taxes)),
            ("transfer_data", Value::Null),
        ]);
        if ctx.has(F::RenderingOptions) {
            f.push((
                "rendering_options",
                inv.rendering_options.clone().unwrap_or(Value::Null),
            ));
        }
    }
    ordered(f)
}
