//! Version-aware JSON: one model, rendered for the request's `(version, as_of)` facts
//! (`versions.rs`). Object keys are `id`, `object`, then alphabetical, as in the seeds.
//!
//! Renderers write references as ids; `expand.rs` swaps requested ones for objects afterwards.
//! An [`Expand`] tree reaches a renderer only for the *includable* fields it adds on request
//! (`payments`, `confirmation_secret`, customer `tax`, search `total_count`, …).

mod invoice;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

pub use invoice::{invoice, invoice_item, lines_data, preview};

use super::catalog::{Coupon, Discount, Price, Product, TaxRate};
use super::customer::Customer;
use super::invoice::payments::InvoicePayment;
use super::store::{Ctx, Store};
use super::versions::F;

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

/// Builds an object with `id` and `object` first and every other key in alphabetical order.
///
/// Answers are built from a few key sets (one per renderer and version), so each set's layout
/// is kept per thread: where each key lands, and the object with every value null. An answer
/// with a known set is a copy of that object with the values put in place, instead of a sort
/// and a hashed insert per key (a quarter of the mock's CPU per invoice answer).
pub fn ordered(mut pairs: Vec<(&str, Value)>) -> Value {
    let known = LAYOUTS.with(|layouts| {
        let layouts = layouts.try_borrow().ok()?;
        let layout = layouts.iter().find(|l| {
            l.names.len() == pairs.len()
                && l.names
                    .iter()
                    .zip(&pairs)
                    .all(|(n, (k, _))| n.as_str() == *k)
        })?;
        let mut m = layout.template.clone();
        for (slot, &i) in m.values_mut().zip(&layout.order) {
            *slot = std::mem::take(&mut pairs[i].1);
        }
        Some(m)
    });
    if let Some(m) = known {
        return Value::Object(m);
    }
    // `id` then `object` (the last of each, should one repeat), then the rest by key, in a
    // stable order: a repeated key keeps its first place and its last value.
    let last = |name: &str| pairs.iter().rposition(|(k, _)| *k == name);
    let mut order: Vec<usize> = [last("id"), last("object")].into_iter().flatten().collect();
    let mut rest: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].0 != "id" && pairs[i].0 != "object")
        .collect();
    rest.sort_by(|&a, &b| pairs[a].0.cmp(pairs[b].0));
    order.extend(rest);
    // Sized once: growing the map rehashes every key inserted so far.
    let mut m = Map::with_capacity(order.len());
    for &i in &order {
        m.insert(pairs[i].0.to_string(), std::mem::take(&mut pairs[i].1));
    }
    // A set with a repeated key is built the long way every time.
    if m.len() == pairs.len() {
        LAYOUTS.with(|layouts| {
            if let Ok(mut layouts) = layouts.try_borrow_mut() {
                if layouts.len() < MAX_LAYOUTS {
                    layouts.push(Layout {
                        names: pairs.iter().map(|(k, _)| k.to_string()).collect(),
                        order,
                        template: m.keys().map(|k| (k.clone(), Value::Null)).collect(),
                    });
                }
            }
        });
    }
    Value::Object(m)
}

/// A key set [`ordered`] has built: the keys as given, the input position of each member of
/// the answer in order, and the answer with every value null.
struct Layout {
    names: Vec<String>,
    order: Vec<usize>,
    template: Map<String, Value>,
}

/// More key sets than the renderers have means keys built at run time: those go uncached.
const MAX_LAYOUTS: usize = 256;

thread_local! {
    static LAYOUTS: std::cell::RefCell<Vec<Layout>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

pub fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

pub fn metadata(m: &indexmap::IndexMap<String, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn deleted(id: &str, object: &str) -> Value {
    json!({ "id": id, "object": object, "deleted": true })
}

fn pairs_of(v: &[(String, String)]) -> Value {
    Value::Array(
        v.iter()
            .map(|(n, val)| json!({ "name": n, "value": val }))
            .collect(),
    )
}

pub fn custom_fields(v: &Option<Vec<(String, String)>>) -> Value {
    v.as_ref().map_or(Value::Null, |cf| pairs_of(cf))
}

/// An embedded list (`lines`, `payments`, customer `sources`, …).
pub fn list_of(data: Vec<Value>, has_more: bool, url: String, total_count: Option<usize>) -> Value {
    let mut m = Map::new();
    m.insert("object".into(), json!("list"));
    m.insert("data".into(), Value::Array(data));
    m.insert("has_more".into(), json!(has_more));
    if let Some(n) = total_count {
        m.insert("total_count".into(), json!(n));
    }
    m.insert("url".into(), json!(url));
    Value::Object(m)
}

pub fn customer(store: &Store, c: &Customer, ctx: &Ctx) -> Value {
    customer_with(store, c, ctx, &NOTHING)
}

/// The customer; `e` adds the includable `tax`, `invoice_credit_balance`, `cash_balance`,
/// `sources`, `subscriptions`, `tax_ids` (recorded: `expand[0]=tax&expand[1]=invoice_credit_balance`).
pub fn customer_with(store: &Store, c: &Customer, ctx: &Ctx, e: &Expand) -> Value {
    let rendering_options = c.rendering_options.as_ref().map_or(Value::Null, |r| {
        let mut m = Map::new();
        m.insert(
            "amount_tax_display".into(),
            r.get("amount_tax_display").cloned().unwrap_or(Value::Null),
        );
        if ctx.has(F::CustomerRenderingTemplate) {
            m.insert(
                "template".into(),
                r.get("template").cloned().unwrap_or(Value::Null),
            );
        }
        Value::Object(m)
    });
    let mut f = vec![
        ("id", json!(c.id)),
        ("object", json!("customer")),
        ("address", c.address.clone().unwrap_or(Value::Null)),
        ("balance", json!(c.balance)),
        ("created", json!(c.created)),
        ("currency", opt_str(&c.currency)),
        ("default_source", opt_str(&c.default_source)),
        ("delinquent", json!(false)),
        ("description", opt_str(&c.description)),
        (
            "discount",
            c.discount
                .as_ref()
                .and_then(|d| store.discounts.get(d))
                .map_or(Value::Null, |d| discount(store, d, ctx)),
        ),
        ("email", opt_str(&c.email)),
        ("invoice_prefix", json!(c.invoice_prefix)),
        (
            "invoice_settings",
            json!({
                "custom_fields": custom_fields(&c.custom_fields),
                "default_payment_method": opt_str(&c.default_payment_method),
                "footer": opt_str(&c.footer),
                "rendering_options": rendering_options,
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
    ];
    if ctx.has(F::CustomerAccount) {
        f.push(("customer_account", Value::Null));
    }
    // Conditional fields: shown once set.
    if let Some(b) = &c.business_name {
        f.push(("business_name", json!(b)));
    }
    if let Some(b) = &c.individual_name {
        f.push(("individual_name", json!(b)));
    }
    if e.has("tax") {
        let location = c.address.as_ref().and_then(|a| {
            let country = a.get("country").and_then(Value::as_str)?;
            Some(json!({
                "country": country,
                "source": "billing_address",
                "state": a.get("state").cloned().unwrap_or(Value::Null),
            }))
        });
        // No tax registrations in the mock: a known location is "not collecting".
        let status = if location.is_some() {
            "not_collecting"
        } else {
            "unrecognized_location"
        };
        let mut tax = Map::new();
        tax.insert("automatic_tax".into(), json!(status));
        tax.insert("ip_address".into(), opt_str(&c.tax_ip_address));
        tax.insert("location".into(), location.unwrap_or(Value::Null));
        if ctx.has(F::CustomerTaxProvider) {
            tax.insert("provider".into(), json!("stripe"));
        }
        f.push(("tax", Value::Object(tax)));
    }
    if e.has("invoice_credit_balance") {
        f.push(("invoice_credit_balance", json!({})));
    }
    if e.has("cash_balance") {
        f.push((
            "cash_balance",
            json!({
                "available": null,
                "customer": c.id,
                "livemode": false,
                "object": "cash_balance",
                "settings": {
                    "reconciliation_mode": c.cash_balance_mode.as_deref().unwrap_or("automatic"),
                    "using_merchant_default": c.cash_balance_mode.is_none(),
                },
            }),
        ));
    }
    for (k, url) in [
        ("sources", "sources"),
        ("subscriptions", "subscriptions"),
        ("tax_ids", "tax_ids"),
    ] {
        if e.has(k) {
            f.push((
                k,
                list_of(
                    Vec::new(),
                    false,
                    format!("/v1/customers/{}/{url}", c.id),
                    Some(0),
                ),
            ));
        }
    }
    ordered(f)
}

pub fn product(p: &Product) -> Value {
    ordered(vec![
        ("id", json!(p.id)),
        ("object", json!("product")),
        ("active", json!(p.active)),
        ("attributes", json!([])),
        ("created", json!(p.created)),
        ("default_price", Value::Null),
        ("description", opt_str(&p.description)),
        ("images", json!([])),
        ("livemode", json!(false)),
        ("marketing_features", json!([])),
        ("metadata", metadata(&p.metadata)),
        ("name", json!(p.name)),
        ("package_dimensions", Value::Null),
        ("shippable", Value::Null),
        ("statement_descriptor", Value::Null),
        ("tax_code", opt_str(&p.tax_code)),
        ("type", json!("service")),
        ("unit_label", opt_str(&p.unit_label)),
        ("updated", json!(p.created)),
        ("url", Value::Null),
    ])
}

/// The price object (pre-basil lines embed it; `product` stays an id unless expanded).
pub fn price(p: &Price) -> Value {
    ordered(vec![
        ("id", json!(p.id)),
        ("object", json!("price")),
        ("active", json!(p.active)),
        ("billing_scheme", json!("per_unit")),
        ("created", json!(p.created)),
        ("currency", json!(p.currency)),
        ("custom_unit_amount", Value::Null),
        ("livemode", json!(false)),
        ("lookup_key", opt_str(&p.lookup_key)),
        ("metadata", metadata(&p.metadata)),
        ("nickname", opt_str(&p.nickname)),
        ("product", json!(p.product)),
        ("recurring", Value::Null),
        ("tax_behavior", json!(p.tax_behavior)),
        ("tiers_mode", Value::Null),
        ("transform_quantity", Value::Null),
        ("type", json!("one_time")),
        ("unit_amount", json!(p.unit_amount)),
        ("unit_amount_decimal", json!(p.unit_amount_decimal)),
    ])
}

pub fn coupon(c: &Coupon) -> Value {
    ordered(vec![
        ("id", json!(c.id)),
        ("object", json!("coupon")),
        ("amount_off", opt_int(c.amount_off)),
        ("created", json!(c.created)),
        ("currency", opt_str(&c.currency)),
        ("duration", json!(c.duration)),
        ("duration_in_months", opt_int(c.duration_in_months)),
        ("livemode", json!(false)),
        ("max_redemptions", opt_int(c.max_redemptions)),
        ("metadata", metadata(&c.metadata)),
        ("name", opt_str(&c.name)),
        (
            "percent_off",
            c.percent_off.map_or(Value::Null, |p| json!(p)),
        ),
        ("redeem_by", opt_int(c.redeem_by)),
        ("times_redeemed", json!(c.times_redeemed)),
        ("valid", json!(true)),
    ])
}

/// A discount: basil nests the coupon under `source` (recorded 2025-10-29), earlier versions
/// carry it as `coupon`.
pub fn discount(store: &Store, d: &Discount, ctx: &Ctx) -> Value {
    let coupon_v = store.coupons.get(&d.coupon).map_or(json!(d.coupon), coupon);
    let mut f = vec![
        ("id", json!(d.id)),
        ("object", json!("discount")),
        ("checkout_session", Value::Null),
        ("customer", opt_str(&d.customer)),
        ("end", Value::Null),
        ("invoice", opt_str(&d.invoice)),
        ("invoice_item", opt_str(&d.invoice_item)),
        ("promotion_code", Value::Null),
        ("start", json!(d.start)),
        ("subscription", Value::Null),
        ("subscription_item", Value::Null),
    ];
    if ctx.basil {
        f.push(("source", json!({ "coupon": coupon_v, "type": "coupon" })));
    } else {
        f.push(("coupon", coupon_v));
    }
    ordered(f)
}

pub fn tax_rate(r: &TaxRate) -> Value {
    ordered(vec![
        ("id", json!(r.id)),
        ("object", json!("tax_rate")),
        ("active", json!(r.active)),
        ("country", opt_str(&r.country)),
        ("created", json!(r.created)),
        ("description", opt_str(&r.description)),
        ("display_name", json!(r.display_name)),
        ("effective_percentage", json!(r.percentage)),
        ("flat_amount", Value::Null),
        ("inclusive", json!(r.inclusive)),
        ("jurisdiction", opt_str(&r.jurisdiction)),
        ("jurisdiction_level", Value::Null),
        ("livemode", json!(false)),
        ("metadata", metadata(&r.metadata)),
        ("percentage", json!(r.percentage)),
        ("rate_type", json!("percentage")),
        ("state", opt_str(&r.state)),
        ("tax_type", opt_str(&r.tax_type)),
    ])
}

pub fn tax_rates(store: &Store, ids: &[String]) -> Value {
    Value::Array(
        ids.iter()
            .filter_map(|id| store.tax_rates.get(id))
            .map(tax_rate)
            .collect(),
    )
}

pub fn invoice_payment(p: &InvoicePayment, _ctx: &Ctx) -> Value {
    ordered(vec![
        ("id", json!(p.id)),
        ("object", json!("invoice_payment")),
        ("amount_paid", opt_int(p.amount_paid)),
        ("amount_requested", json!(p.amount_requested)),
        ("created", json!(p.created)),
        ("currency", json!(p.currency)),
        ("invoice", json!(p.invoice)),
        ("is_default", json!(p.is_default)),
        ("livemode", json!(false)),
        (
            "payment",
            json!({ "payment_intent": p.payment_intent, "type": "payment_intent" }),
        ),
        ("status", json!(p.status)),
        (
            "status_transitions",
            json!({ "canceled_at": p.canceled_at, "paid_at": p.paid_at }),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order before layouts were kept: `id`, `object`, then a stable sort and inserts.
    fn reference(pairs: Vec<(&str, Value)>) -> Value {
        let mut rest = Vec::new();
        let (mut id, mut object) = (None, None);
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

    #[test]
    fn a_known_key_set_builds_what_a_new_one_does() {
        // The same literals each call: the first builds and keeps the layout, the others use it.
        let sets = |n: i64| -> Vec<Vec<(&'static str, Value)>> {
            vec![
                vec![
                    ("b", json!(n)),
                    ("object", json!("x")),
                    ("a", json!([n])),
                    ("id", json!("i")),
                ],
                vec![("z", json!(n)), ("a", json!({"k": n})), ("m", Value::Null)],
                vec![
                    ("id", json!(1)),
                    ("k", json!(n)),
                    ("id", json!(2)),
                    ("k", json!(3)),
                    ("a", json!(n)),
                ],
                vec![],
            ]
        };
        for n in 0..3 {
            for set in sets(n) {
                let want = reference(set.clone());
                let got = ordered(set);
                assert_eq!(got, want);
                let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(&got), keys(&want));
            }
        }
        // A key built at run time is the same answer, and so is another key of the same
        // length later written into the same buffer (a set is known by its keys' text).
        let mut k = String::from("b");
        assert_eq!(
            ordered(vec![(k.as_str(), json!(1)), ("a", json!(2))]),
            reference(vec![("b", json!(1)), ("a", json!(2))])
        );
        k.replace_range(.., "c");
        assert_eq!(
            ordered(vec![(k.as_str(), json!(1)), ("a", json!(2))]),
            reference(vec![("c", json!(1)), ("a", json!(2))])
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

    #[test]
    fn expand_tree() {
        let e = Expand::from_paths(&["data.customer", "total_count"]);
        assert!(e.has("total_count") && e.sub("data").has("customer"));
        assert!(!e.sub("nope").has("x"));
    }
}
