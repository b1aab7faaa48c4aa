//! Invoice items (`/v1/invoiceitems`): amounts that become invoice lines, either swept from the
//! customer's pending items at invoice creation, attached to a draft with `invoice=in_…`, or added
//! with `add_lines`. An item priced with `amount` (or `unit_amount`, `price_data`) gets an
//! inactive one-off price and product (§5.3); Stripe reuses them for equal amounts and
//! descriptions, so the mock does too.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::catalog::{self, check_currency, decimal_string, Owner};
use super::error::ApiError;
use super::ids;
use super::invoice::Status;
use super::list::{self, paginate};
use super::params::{apply_metadata, unsupported, P};
use super::render;
use super::store::{Ctx, SortKey, Store};
use super::versions::F;

/// Stripe's cap on items per invoice (§5.2).
pub const MAX_ITEMS_PER_INVOICE: usize = 250;

#[derive(Clone, Debug)]
pub struct InvoiceItem {
    pub id: String,
    pub seq: u64,
    /// The item's `date`.
    pub created: i64,
    pub customer: String,
    /// `unit_amount × quantity`, rounded.
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub discountable: bool,
    /// Item-level discounts (`di_…`).
    pub discounts: Vec<String>,
    pub invoice: Option<String>,
    /// The `il_…` id the item has as a line of its invoice.
    pub line_id: Option<String>,
    pub metadata: IndexMap<String, String>,
    pub period_start: i64,
    pub period_end: i64,
    pub price: String,
    pub quantity: i64,
    pub quantity_decimal: String,
    pub unit_amount: i64,
    pub unit_amount_decimal: String,
    pub tax_rates: Vec<String>,
}

impl InvoiceItem {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }
}

/// The pricing of an item as a request states it (invoice item create/update, a line of
/// `add_lines`/`update_lines`, a line update). `at` prefixes parameter names in errors.
pub struct Spec<'a> {
    pub v: &'a Map<String, Value>,
    pub at: String,
}

impl Spec<'_> {
    fn name(&self, k: &str) -> String {
        if self.at.is_empty() {
            k.to_string()
        } else {
            format!("{}[{k}]", self.at)
        }
    }
    fn get(&self, k: &str) -> Option<&Value> {
        self.v.get(k).filter(|x| !x.is_null())
    }
    fn str(&self, k: &str) -> Option<&str> {
        self.v.get(k).and_then(Value::as_str)
    }
    fn int(&self, k: &str) -> Option<i64> {
        self.v.get(k).and_then(Value::as_i64)
    }
    fn has(&self, k: &str) -> bool {
        self.v.contains_key(k)
    }
}

/// Resolved pricing of one item.
pub struct Priced {
    pub unit_amount: i64,
    pub unit_amount_decimal: String,
    pub quantity: i64,
    pub quantity_decimal: String,
    pub currency: String,
    pub amount: i64,
    pub price: String,
}

fn exclusive(a: &str, b: &str, param: String) -> ApiError {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    ApiError::invalid(format!(
        "You may only specify one of these parameters: {x}, {y}."
    ))
    .code("parameters_exclusive")
    .param(param)
}

fn parse_dec(s: &str, param: String) -> Result<f64, ApiError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| ApiError::invalid(format!("Invalid decimal: {s}")).param(param))
}

/// Resolves a [`Spec`] against an optional existing item (updates keep what they do not
/// change). `default_currency`: the currency a bare amount takes. Mints the one-off price when
/// the spec prices the item itself; nothing is minted on error.
pub fn price_spec(
    store: &mut Store,
    spec: &Spec,
    ctx: &Ctx,
    base: Option<&InvoiceItem>,
    default_currency: &str,
) -> Result<Priced, ApiError> {
    let price_name = if ctx.basil { "pricing" } else { "price" };
    let price_id = if ctx.basil {
        spec.get("pricing")
            .and_then(|x| x.get("price"))
            .and_then(Value::as_str)
    } else {
        spec.str("price")
    };
    let unit_name = if ctx.basil {
        "unit_amount_decimal"
    } else {
        "unit_amount"
    };
    let sources: Vec<&str> = [
        ("amount", spec.has("amount")),
        (price_name, price_id.is_some()),
        ("price_data", spec.get("price_data").is_some()),
        (
            unit_name,
            spec.has("unit_amount") || spec.has("unit_amount_decimal"),
        ),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(n, _)| *n)
    .collect();
    if sources.len() > 1 {
        let b = if sources[1] == "pricing" {
            "pricing[price]"
        } else {
            sources[1]
        };
        return Err(exclusive(sources[0], b, spec.name(b)));
    }
    if spec.has("quantity") && spec.has("quantity_decimal") {
        return Err(exclusive(
            "quantity",
            "quantity_decimal",
            spec.name("quantity_decimal"),
        ));
    }
    if spec.has("amount") && (spec.has("quantity") || spec.has("quantity_decimal")) {
        let q = if spec.has("quantity") {
            "quantity"
        } else {
            "quantity_decimal"
        };
        return Err(exclusive("amount", q, spec.name(q)));
    }
    let currency_param = spec
        .str("currency")
        .map(|c| check_currency(c, &spec.name("currency")))
        .transpose()?;
    let qty_dec: Option<f64> = match (spec.int("quantity"), spec.str("quantity_decimal")) {
        (Some(q), _) => Some(q as f64),
        (None, Some(d)) => Some(parse_dec(d, spec.name("quantity_decimal"))?),
        _ => None,
    };
    let tax_behavior = spec
        .str("tax_behavior")
        .unwrap_or("unspecified")
        .to_string();
    let description = spec
        .str("description")
        .map(str::to_string)
        .or_else(|| base.and_then(|b| b.description.clone()));

    // (unit decimal, currency, existing price or None to mint, product to mint under)
    let (unit, currency, existing_price, product): (f64, String, Option<String>, Option<String>) =
        match sources.first().copied() {
            Some("amount") => {
                let a = spec.int("amount").unwrap_or(0);
                let c = currency_param
                    .clone()
                    .or_else(|| base.map(|b| b.currency.clone()))
                    .unwrap_or_else(|| default_currency.to_string());
                (a as f64, c, None, None)
            }
            Some("price_data") => {
                let pd = spec.get("price_data").cloned().unwrap_or(Value::Null);
                let at = |k: &str| format!("{}[{k}]", spec.name("price_data"));
                let product = pd
                    .get("product")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !store.products.contains_key(product) {
                    return Err(ApiError::no_such("product", product, &at("product")).status(400));
                }
                let c = check_currency(
                    pd.get("currency")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    &at("currency"),
                )?;
                let unit = match (
                    pd.get("unit_amount").and_then(Value::as_i64),
                    pd.get("unit_amount_decimal").and_then(Value::as_str),
                ) {
                    (Some(_), Some(_)) => {
                        return Err(exclusive(
                            "unit_amount",
                            "unit_amount_decimal",
                            at("unit_amount_decimal"),
                        ))
                    }
                    (Some(u), None) => u as f64,
                    (None, Some(d)) => parse_dec(d, at("unit_amount_decimal"))?,
                    (None, None) => return Err(ApiError::missing_param(&at("unit_amount"))),
                };
                (unit, c, None, Some(product.to_string()))
            }
            Some(s) if s == price_name => {
                let pid = price_id.unwrap_or_default();
                let param = if ctx.basil {
                    spec.name("pricing") + "[price]"
                } else {
                    spec.name("price")
                };
                let Some(pr) = store.prices.get(pid) else {
                    return Err(ApiError::no_such("price", pid, &param).status(400));
                };
                if let Some(c) = &currency_param {
                    if *c != pr.currency {
                        return Err(ApiError::invalid(format!(
                            "The currency of the invoice item ({c}) must match the currency of \
                             the price ({}).",
                            pr.currency
                        ))
                        .param(spec.name("currency")));
                    }
                }
                let unit = pr
                    .unit_amount_decimal
                    .parse::<f64>()
                    .unwrap_or(pr.unit_amount as f64);
                (unit, pr.currency.clone(), Some(pr.id.clone()), None)
            }
            Some(_) => {
                let unit = match (spec.int("unit_amount"), spec.str("unit_amount_decimal")) {
                    (Some(_), Some(_)) => {
                        return Err(exclusive(
                            "unit_amount",
                            "unit_amount_decimal",
                            spec.name("unit_amount_decimal"),
                        ))
                    }
                    (Some(u), None) => u as f64,
                    (None, Some(d)) => parse_dec(d, spec.name("unit_amount_decimal"))?,
                    (None, None) => 0.0,
                };
                let c = currency_param
                    .clone()
                    .or_else(|| base.map(|b| b.currency.clone()))
                    .unwrap_or_else(|| default_currency.to_string());
                (unit, c, None, None)
            }
            None => match base {
                Some(b) => {
                    let unit = b
                        .unit_amount_decimal
                        .parse::<f64>()
                        .unwrap_or(b.unit_amount as f64);
                    let qty = qty_dec
                        .unwrap_or_else(|| b.quantity_decimal.parse().unwrap_or(b.quantity as f64));
                    let amount = (unit * qty).round() as i64;
                    return Ok(Priced {
                        unit_amount: b.unit_amount,
                        unit_amount_decimal: b.unit_amount_decimal.clone(),
                        quantity: qty.round() as i64,
                        quantity_decimal: decimal_string(qty),
                        currency: b.currency.clone(),
                        amount,
                        price: b.price.clone(),
                    });
                }
                None => return Err(ApiError::missing_param(&spec.name("amount"))),
            },
        };
    let qty = qty_dec.unwrap_or(1.0);
    let total = unit * qty;
    if total.abs() > 99_999_999.0 * 1000.0 {
        return Err(
            ApiError::invalid("The invoice item's amount is too large.").param(spec.name("amount"))
        );
    }
    let unit_amount = unit.round() as i64;
    let unit_dec = decimal_string(unit);
    let price = match existing_price {
        Some(p) => p,
        None => {
            let product = match product {
                Some(p) => p,
                None => {
                    let name = description
                        .clone()
                        .unwrap_or_else(|| "Invoice item".to_string());
                    catalog::mint_product(store, &name, spec.str("tax_code"), ctx.now)
                }
            };
            catalog::mint_price(
                store,
                &product,
                &currency,
                unit_amount,
                &unit_dec,
                &tax_behavior,
                ctx.now,
            )
        }
    };
    Ok(Priced {
        unit_amount,
        unit_amount_decimal: unit_dec,
        quantity: qty.round() as i64,
        quantity_decimal: decimal_string(qty),
        currency,
        amount: total.round() as i64,
        price,
    })
}

/// An invoice an item may join: a live draft of the same customer and currency, with room.
fn check_target_invoice(
    store: &Store,
    inv_id: &str,
    customer: &str,
    currency: &str,
    param: &str,
) -> Result<(), ApiError> {
    let inv = match store.invoices().get(inv_id) {
        Some(i) if !i.deleted => i,
        _ => return Err(ApiError::no_such("invoice", inv_id, param).status(400)),
    };
    if inv.status != Status::Draft {
        return Err(ApiError::invalid(format!(
            "You can only add invoice items to draft invoices, and invoice {inv_id} has status \
             '{}'.",
            inv.status.as_str()
        ))
        .param(param));
    }
    if inv.customer != customer {
        return Err(ApiError::invalid(format!(
            "The invoice {inv_id} belongs to a different customer than this invoice item."
        ))
        .param(param));
    }
    if inv.currency != currency {
        return Err(ApiError::invalid(format!(
            "The currency of the invoice item ({currency}) must match the currency of the \
             invoice ({}).",
            inv.currency
        ))
        .param("currency"));
    }
    if inv.items.len() >= MAX_ITEMS_PER_INVOICE {
        return Err(ApiError::invalid(format!(
            "An invoice can have at most {MAX_ITEMS_PER_INVOICE} invoice items."
        ))
        .param(param));
    }
    Ok(())
}

fn period_of(v: Option<&Value>, now: i64) -> (i64, i64) {
    match v {
        Some(per) if per.is_object() => (
            per.get("start").and_then(Value::as_i64).unwrap_or(now),
            per.get("end").and_then(Value::as_i64).unwrap_or(now),
        ),
        _ => (now, now),
    }
}

/// Builds a new item from a spec (invoice item create, `add_lines` with price data). Stores
/// nothing but the minted price/product/discounts; the caller inserts the item.
pub fn build(
    store: &mut Store,
    spec: &Spec,
    ctx: &Ctx,
    customer: &str,
    invoice: Option<&str>,
) -> Result<InvoiceItem, ApiError> {
    let cust = match store.customers.get(customer) {
        Some(c) if !c.deleted => c,
        _ => return Err(ApiError::no_such("customer", customer, "customer").status(400)),
    };
    let default_currency = invoice
        .and_then(|i| store.invoices().get(i))
        .map(|i| i.currency.clone())
        .or_else(|| cust.currency.clone())
        .unwrap_or_else(|| ctx.default_currency.to_string());
    let tax_rates = match spec.get("tax_rates") {
        Some(v) => catalog::check_tax_rates(store, v, &spec.name("tax_rates"))?,
        None => Vec::new(),
    };
    if let Some(inv) = invoice {
        // The currency check needs the price's currency, so it runs after pricing; the other
        // invoice checks run first so nothing is minted for a refused item.
        let cur = store.invoices().get(inv).map(|i| i.currency.clone());
        check_target_invoice(
            store,
            inv,
            customer,
            cur.as_deref().unwrap_or(&default_currency),
            &spec.name("invoice"),
        )
        .or_else(|e| {
            if e.param.as_deref() == Some("currency") {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    }
    let priced = price_spec(store, spec, ctx, None, &default_currency)?;
    if let Some(inv) = invoice {
        check_target_invoice(
            store,
            inv,
            customer,
            &priced.currency,
            &spec.name("invoice"),
        )?;
    }
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, spec.get("metadata"))?;
    let (period_start, period_end) = period_of(spec.get("period"), ctx.now);
    // Without a description, an item priced by a price takes its product's name (recorded:
    // `pricing[price]` of "VCR Test Product" → description "VCR Test Product"); a bare amount
    // keeps none.
    let description = spec.str("description").map(str::to_string).or_else(|| {
        let by_price =
            !spec.has("amount") && !spec.has("unit_amount") && !spec.has("unit_amount_decimal");
        by_price
            .then(|| store.prices.get(&priced.price))
            .flatten()
            .and_then(|pr| store.products.get(&pr.product))
            .map(|prod| prod.name.clone())
    });
    let id = ids::object_id("ii", ctx.now);
    let discounts = match spec.get("discounts") {
        Some(v) => catalog::apply_discounts(
            store,
            v,
            &spec.name("discounts"),
            &Owner {
                customer,
                invoice: None,
                invoice_item: Some(&id),
            },
            ctx.now,
        )?,
        None => Vec::new(),
    };
    let seq = store.next_seq();
    Ok(InvoiceItem {
        id,
        seq,
        created: ctx.now,
        customer: customer.to_string(),
        amount: priced.amount,
        currency: priced.currency,
        description,
        // Negative amounts (credits) are not discountable by default.
        discountable: spec
            .v
            .get("discountable")
            .and_then(Value::as_bool)
            .unwrap_or(priced.amount >= 0),
        discounts,
        invoice: invoice.map(str::to_string),
        line_id: invoice.map(|_| ids::object_id("il", ctx.now)),
        metadata,
        period_start,
        period_end,
        price: priced.price,
        quantity: priced.quantity,
        quantity_decimal: priced.quantity_decimal,
        unit_amount: priced.unit_amount,
        unit_amount_decimal: priced.unit_amount_decimal,
        tax_rates,
    })
}

/// Parameters invoice item create models (the rest are refused by name).
pub const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "customer",
    "customer_account",
    "description",
    "discountable",
    "discounts",
    "expand",
    "invoice",
    "metadata",
    "period",
    "price",
    "price_data",
    "pricing",
    "quantity",
    "quantity_decimal",
    "tax_behavior",
    "tax_code",
    "tax_rates",
    "unit_amount",
    "unit_amount_decimal",
];

pub const UPDATE_PARAMS: &[&str] = &[
    "amount",
    "description",
    "discountable",
    "discounts",
    "expand",
    "invoicing_rules",
    "metadata",
    "period",
    "price",
    "price_data",
    "pricing",
    "quantity",
    "quantity_decimal",
    "tax_behavior",
    "tax_code",
    "tax_rates",
    "unit_amount",
    "unit_amount_decimal",
];

pub fn create(store: &mut Store, p: &P, ctx: &Ctx) -> Result<String, ApiError> {
    if let Some(acct) = p.str("customer_account") {
        // Accounts v2 customers are not modelled: no account exists.
        return Err(ApiError::no_such("account", acct, "customer_account").status(400));
    }
    let customer = match (p.str("customer"), p.str("invoice")) {
        (Some(c), _) => c.to_string(),
        // From 2025-12-15 the customer may come from the invoice.
        (None, Some(inv)) if ctx.has(F::CustomerAccountParams) => store
            .invoices()
            .get(inv)
            .filter(|i| !i.deleted)
            .map(|i| i.customer.clone())
            .ok_or_else(|| ApiError::no_such("invoice", inv, "invoice").status(400))?,
        _ => return Err(ApiError::missing_param("customer")),
    };
    if p.has("subscription") {
        return Err(unsupported("subscription"));
    }
    let spec = Spec {
        v: &p.0,
        at: String::new(),
    };
    let item = build(store, &spec, ctx, &customer, p.str("invoice"))?;
    if let Some(inv) = item.invoice.as_ref().and_then(|id| store.invoice_mut(id)) {
        // Items added after the invoice was created come last, in chronological order (§5.4).
        inv.items.push(item.id.clone());
    }
    let id = item.id.clone();
    store.insert_item(item);
    Ok(id)
}

/// The item of an update: live, and pending or on a draft.
fn editable<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a InvoiceItem, ApiError> {
    let Some(item) = store.items.get(id) else {
        return Err(ApiError::no_such("invoiceitem", id, param));
    };
    if let Some(inv_id) = &item.invoice {
        if store
            .invoices()
            .get(inv_id)
            .is_some_and(|i| i.status != Status::Draft)
        {
            return Err(ApiError::invalid(format!(
                "You cannot update invoice item {id} because it is attached to invoice \
                 {inv_id}, which is no longer a draft."
            )));
        }
    }
    Ok(item)
}

/// Applies an update spec to an item (invoice item update, line update, `update_lines`).
/// Validates everything before changing anything.
pub fn apply_update(
    store: &mut Store,
    id: &str,
    spec: &Spec,
    ctx: &Ctx,
    param: &str,
) -> Result<(), ApiError> {
    let base = editable(store, id, param)?.clone();
    let mut next = base.clone();
    let prices = [
        "amount",
        "price",
        "price_data",
        "pricing",
        "unit_amount",
        "unit_amount_decimal",
        "quantity",
        "quantity_decimal",
    ];
    if prices.iter().any(|k| spec.has(k)) {
        let priced = price_spec(store, spec, ctx, Some(&base), &base.currency)?;
        if priced.currency != base.currency && base.invoice.is_some() {
            return Err(ApiError::invalid(format!(
                "The currency of the invoice item ({}) must match the currency of the invoice \
                 ({}).",
                priced.currency, base.currency
            ))
            .param(spec.name("currency")));
        }
        next.amount = priced.amount;
        next.currency = priced.currency;
        next.unit_amount = priced.unit_amount;
        next.unit_amount_decimal = priced.unit_amount_decimal;
        next.quantity = priced.quantity;
        next.quantity_decimal = priced.quantity_decimal;
        next.price = priced.price;
    }
    if let Some(d) = spec.v.get("description") {
        next.description = d.as_str().map(str::to_string);
    }
    if let Some(d) = spec.v.get("discountable").and_then(Value::as_bool) {
        next.discountable = d;
    }
    if spec.v.contains_key("period") {
        let (s, e) = period_of(spec.get("period"), ctx.now);
        next.period_start = s;
        next.period_end = e;
    }
    if let Some(v) = spec.v.get("tax_rates") {
        next.tax_rates = catalog::check_tax_rates(store, v, &spec.name("tax_rates"))?;
    }
    apply_metadata(&mut next.metadata, spec.v.get("metadata"))?;
    if let Some(v) = spec.v.get("discounts") {
        next.discounts = catalog::apply_discounts(
            store,
            v,
            &spec.name("discounts"),
            &Owner {
                customer: &base.customer,
                invoice: None,
                invoice_item: Some(id),
            },
            ctx.now,
        )?;
    }
    store.items.insert(id.to_string(), next);
    Ok(())
}

pub fn update(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let spec = Spec {
        v: &p.0,
        at: String::new(),
    };
    apply_update(store, id, &spec, ctx, "id")
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx) -> Result<Value, ApiError> {
    match store.items.get(id) {
        Some(i) => Ok(render::invoice_item(store, i, ctx)),
        None if store.is_freed_item(id) => Ok(render::deleted(id, "invoiceitem")),
        None => Err(ApiError::no_such("invoiceitem", id, "id")),
    }
}

pub fn delete(store: &mut Store, id: &str) -> Result<Value, ApiError> {
    let Some(item) = store.items.get(id) else {
        return Err(ApiError::no_such("invoiceitem", id, "id"));
    };
    if let Some(inv_id) = item.invoice.clone() {
        if let Some(inv) = store.invoice_mut(&inv_id) {
            if inv.status != Status::Draft {
                return Err(ApiError::invalid(format!(
                    "You cannot delete invoice item {id} because it is attached to invoice \
                     {inv_id}, which is no longer a draft."
                )));
            }
            inv.items.retain(|i| i != id);
        }
    }
    store.delete_item(id);
    Ok(render::deleted(id, "invoiceitem"))
}

pub fn list(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    if let Some(acct) = p.str("customer_account") {
        return Err(ApiError::no_such("account", acct, "customer_account").status(400));
    }
    if let Some(c) = p.str("customer") {
        super::customer::live(store, c, "customer").map_err(|e| e.status(400))?;
    }
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let cursor = |id: &str, param: &str| -> Result<SortKey, ApiError> {
        store
            .items
            .get(id)
            .map(InvoiceItem::sort_key)
            .ok_or_else(|| list::bad_cursor("invoiceitem", id, param))
    };
    let after = after.map(|id| cursor(id, "starting_after")).transpose()?;
    let before = before.map(|id| cursor(id, "ending_before")).transpose()?;
    let all: Box<dyn Iterator<Item = &InvoiceItem>> = match p.str("customer") {
        Some(c) => Box::new(store.customer_items(c)),
        None => Box::new(store.items.values()),
    };
    let mut rows: Vec<(SortKey, &InvoiceItem)> = all
        .filter(|i| {
            p.str("invoice")
                .is_none_or(|v| i.invoice.as_deref() == Some(v))
        })
        .filter(|i| {
            p.bool("pending")
                .is_none_or(|pend| i.invoice.is_none() == pend)
        })
        .filter(|i| list::in_range(p.get("created"), Some(i.created)))
        .map(|i| (i.sort_key(), i))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let page = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, before);
    let data = page
        .items
        .into_iter()
        .map(|i| render::invoice_item(store, i, ctx))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/invoiceitems"))
}
