//! The objects invoices refer to that the mock stores but does not center on: prices and
//! products (`/v1/prices`, `/v1/products`, and the one-off ones invoice items mint), coupons and
//! the discounts that apply them (`/v1/coupons`), and tax rates (`/v1/tax_rates`). Only create
//! and retrieve are served; their parameters are the subset invoice flows use.

use indexmap::IndexMap;
use serde_json::Value;

use super::error::ApiError;
use super::ids;
use super::params::{apply_metadata, P};
use super::store::{Ctx, Store};

#[derive(Clone, Debug)]
pub struct Price {
    pub id: String,
    pub created: i64,
    pub currency: String,
    pub unit_amount: i64,
    pub unit_amount_decimal: String,
    pub product: String,
    pub active: bool,
    pub tax_behavior: String,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub metadata: IndexMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct Product {
    pub id: String,
    pub created: i64,
    pub name: String,
    pub active: bool,
    pub description: Option<String>,
    pub tax_code: Option<String>,
    pub unit_label: Option<String>,
    pub metadata: IndexMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct Coupon {
    pub id: String,
    pub created: i64,
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
    pub duration: String,
    pub duration_in_months: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub metadata: IndexMap<String, String>,
    pub name: Option<String>,
    pub percent_off: Option<f64>,
    pub redeem_by: Option<i64>,
    pub times_redeemed: i64,
    /// Deleted coupons keep applying where they already do; new uses are refused.
    pub deleted: bool,
}

/// A coupon applied to one customer, invoice or invoice item (`di_…`).
#[derive(Clone, Debug)]
pub struct Discount {
    pub id: String,
    pub start: i64,
    pub coupon: String,
    pub customer: Option<String>,
    pub invoice: Option<String>,
    pub invoice_item: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TaxRate {
    pub id: String,
    pub created: i64,
    pub active: bool,
    pub country: Option<String>,
    pub description: Option<String>,
    pub display_name: String,
    pub inclusive: bool,
    pub jurisdiction: Option<String>,
    pub metadata: IndexMap<String, String>,
    pub percentage: f64,
    pub state: Option<String>,
    pub tax_type: Option<String>,
}

pub fn check_currency(c: &str, param: &str) -> Result<String, ApiError> {
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(format!("Invalid currency: {c}")).param(param))
    }
}

/// A decimal amount string as Stripe prints it: no trailing zeros, no trailing dot.
pub fn decimal_string(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.12}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn opt_string(p: &P, k: &str) -> Option<String> {
    p.str(k).map(str::to_string)
}

fn float(p: &P, k: &str) -> Result<Option<f64>, ApiError> {
    match p.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("Invalid decimal: {s}")).param(k)),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid("Invalid decimal").param(k)),
    }
}

// ---- products and prices ----

pub fn create_product<'a>(store: &'a mut Store, p: &P, ctx: &Ctx) -> Result<&'a Product, ApiError> {
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let id = match p.str("id") {
        Some(id) if store.products.contains_key(id) => {
            return Err(ApiError::invalid(format!("Product already exists: {id}"))
                .code("resource_already_exists")
                .param("id"))
        }
        Some(id) => id.to_string(),
        None => ids::short_id("prod"),
    };
    let product = Product {
        id: id.clone(),
        created: ctx.now,
        name: p.str("name").unwrap_or_default().to_string(),
        active: p.bool("active").unwrap_or(true),
        description: opt_string(p, "description"),
        tax_code: opt_string(p, "tax_code"),
        unit_label: opt_string(p, "unit_label"),
        metadata,
    };
    store.products.insert(id.clone(), product);
    Ok(&store.products[&id])
}

pub fn create_price<'a>(store: &'a mut Store, p: &P, ctx: &Ctx) -> Result<&'a Price, ApiError> {
    let currency = check_currency(p.str("currency").unwrap_or_default(), "currency")?;
    let product = match (p.str("product"), p.get("product_data")) {
        (Some(id), None) => {
            if !store.products.contains_key(id) {
                return Err(ApiError::no_such("product", id, "product").status(400));
            }
            id.to_string()
        }
        (None, Some(data)) => {
            let name = data.get("name").and_then(Value::as_str).unwrap_or_default();
            mint_product(store, name, None, ctx.now)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: product, product_data.",
            )
            .code("parameters_exclusive")
            .param("product_data"))
        }
        (None, None) => return Err(ApiError::missing_param("product")),
    };
    let (unit_amount, unit_amount_decimal) = unit_amount_of(p, "unit_amount")?;
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let price = Price {
        id: ids::object_id("price", ctx.now),
        created: ctx.now,
        currency,
        unit_amount,
        unit_amount_decimal,
        product,
        active: p.bool("active").unwrap_or(true),
        tax_behavior: p.str("tax_behavior").unwrap_or("unspecified").to_string(),
        nickname: opt_string(p, "nickname"),
        lookup_key: opt_string(p, "lookup_key"),
        metadata,
    };
    let id = price.id.clone();
    store.prices.insert(id.clone(), price);
    Ok(&store.prices[&id])
}

/// `unit_amount` (integer) or `unit_amount_decimal` (string), exclusive; returns the integer
/// amount (rounded half away from zero) and the decimal string.
pub fn unit_amount_of(p: &P, int_name: &str) -> Result<(i64, String), ApiError> {
    let int = p.int(int_name);
    let dec = float(p, "unit_amount_decimal")?;
    match (int, dec) {
        (Some(_), Some(_)) => Err(ApiError::invalid(format!(
            "You may only specify one of these parameters: {int_name}, unit_amount_decimal."
        ))
        .code("parameters_exclusive")
        .param("unit_amount_decimal")),
        (Some(a), None) => Ok((a, a.to_string())),
        (None, Some(d)) => Ok((d.round() as i64, decimal_string(d))),
        (None, None) => Err(ApiError::missing_param(int_name)),
    }
}

/// The product behind a one-off amount: Stripe reuses one per account and name (the recorded
/// `One-time setup fee` items of 2024–2026 all carry the same product and price).
pub fn mint_product(store: &mut Store, name: &str, tax_code: Option<&str>, now: i64) -> String {
    if tax_code.is_none() {
        if let Some(id) = store.product_by_name.get(name) {
            return id.clone();
        }
    }
    let product = Product {
        id: ids::short_id("prod"),
        created: now,
        name: name.to_string(),
        active: true,
        description: None,
        tax_code: tax_code.map(str::to_string),
        unit_label: None,
        metadata: IndexMap::new(),
    };
    let id = product.id.clone();
    if tax_code.is_none() {
        store.product_by_name.insert(name.to_string(), id.clone());
    }
    store.products.insert(id.clone(), product);
    id
}

/// The inactive one-off price of an amount (reused per product, currency, amount and tax
/// behavior, as recorded).
pub fn mint_price(
    store: &mut Store,
    product: &str,
    currency: &str,
    unit_amount: i64,
    unit_amount_decimal: &str,
    tax_behavior: &str,
    now: i64,
) -> String {
    let key = format!("{product}|{currency}|{unit_amount_decimal}|{tax_behavior}");
    if let Some(id) = store.price_by_key.get(&key) {
        return id.clone();
    }
    let price = Price {
        id: ids::object_id("price", now),
        created: now,
        currency: currency.to_string(),
        unit_amount,
        unit_amount_decimal: unit_amount_decimal.to_string(),
        product: product.to_string(),
        active: false,
        tax_behavior: tax_behavior.to_string(),
        nickname: None,
        lookup_key: None,
        metadata: IndexMap::new(),
    };
    let id = price.id.clone();
    store.price_by_key.insert(key, id.clone());
    store.prices.insert(id.clone(), price);
    id
}

// ---- coupons and discounts ----

pub fn create_coupon<'a>(store: &'a mut Store, p: &P, ctx: &Ctx) -> Result<&'a Coupon, ApiError> {
    let percent_off = float(p, "percent_off")?;
    let amount_off = p.int("amount_off");
    match (percent_off, amount_off) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: amount_off, percent_off.",
            )
            .code("parameters_exclusive")
            .param("percent_off"))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "You must pass either `percent_off` or `amount_off` to create a coupon.",
            ))
        }
        (Some(pct), None) if !(0.0..=100.0).contains(&pct) || pct == 0.0 => {
            return Err(ApiError::invalid(
                "Invalid percent_off: must be greater than 0 and at most 100",
            )
            .param("percent_off"))
        }
        _ => {}
    }
    let currency = match p.str("currency") {
        Some(c) => Some(check_currency(c, "currency")?),
        None if amount_off.is_some() => return Err(ApiError::missing_param("currency")),
        None => None,
    };
    let duration = p.str("duration").unwrap_or("once").to_string();
    if duration == "repeating" && p.int("duration_in_months").is_none() {
        return Err(ApiError::missing_param("duration_in_months"));
    }
    let id = match p.str("id") {
        Some(id) if store.coupons.get(id).is_some_and(|c| !c.deleted) => {
            return Err(ApiError::invalid("Coupon already exists.")
                .code("resource_already_exists")
                .param("id"))
        }
        Some(id) => id.to_string(),
        None => ids::random_alnum(8),
    };
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let coupon = Coupon {
        id: id.clone(),
        created: ctx.now,
        amount_off,
        currency,
        duration,
        duration_in_months: p.int("duration_in_months"),
        max_redemptions: p.int("max_redemptions"),
        metadata,
        name: opt_string(p, "name"),
        percent_off,
        redeem_by: p.int("redeem_by"),
        times_redeemed: 0,
        deleted: false,
    };
    store.coupons.insert(id.clone(), coupon);
    Ok(&store.coupons[&id])
}

/// What a request's `discounts[]` attaches to.
pub struct Owner<'a> {
    pub customer: &'a str,
    pub invoice: Option<&'a str>,
    pub invoice_item: Option<&'a str>,
}

/// Checks `discounts` entries (`[{coupon}]`, `[{discount}]`; promotion codes are not modelled)
/// and returns the discount ids, minting one discount per coupon. Nothing is stored on error.
pub fn apply_discounts(
    store: &mut Store,
    v: &Value,
    param: &str,
    owner: &Owner,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let Some(entries) = v.as_array() else {
        // `discounts=''` unsets.
        return Ok(Vec::new());
    };
    let mut planned: Vec<Result<String, String>> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let at = |k: &str| format!("{param}[{i}][{k}]");
        let keys: Vec<&str> = e
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if keys.len() != 1 {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: coupon, discount, promotion_code.",
            )
            .code("parameters_exclusive")
            .param(format!("{param}[{i}]")));
        }
        match keys[0] {
            "coupon" => {
                let c = e["coupon"].as_str().unwrap_or_default();
                if store.coupons.get(c).is_none_or(|x| x.deleted) {
                    return Err(ApiError::no_such("coupon", c, &at("coupon")).status(400));
                }
                planned.push(Err(c.to_string()));
            }
            "discount" => {
                let d = e["discount"].as_str().unwrap_or_default();
                if !store.discounts.contains_key(d) {
                    return Err(ApiError::no_such("discount", d, &at("discount")).status(400));
                }
                planned.push(Ok(d.to_string()));
            }
            other => return Err(super::params::unsupported(&at(other))),
        }
    }
    let mut out = Vec::new();
    for p in planned {
        match p {
            Ok(existing) => out.push(existing),
            Err(coupon) => {
                let d = Discount {
                    id: ids::object_id("di", now),
                    start: now,
                    coupon: coupon.clone(),
                    customer: Some(owner.customer.to_string()),
                    invoice: owner.invoice.map(str::to_string),
                    invoice_item: owner.invoice_item.map(str::to_string),
                };
                if let Some(c) = store.coupons.get_mut(&coupon) {
                    c.times_redeemed += 1;
                }
                out.push(d.id.clone());
                store.discounts.insert(d.id.clone(), d);
            }
        }
    }
    Ok(out)
}

/// How much a discount takes off `base` (minor units, never more than `base`).
pub fn discount_amount(store: &Store, discount: &str, base: i64) -> i64 {
    let Some(c) = store
        .discounts
        .get(discount)
        .and_then(|d| store.coupons.get(&d.coupon))
    else {
        return 0;
    };
    if base <= 0 {
        return 0;
    }
    match (c.percent_off, c.amount_off) {
        (Some(pct), _) => ((base as f64) * pct / 100.0).round() as i64,
        (None, Some(off)) => off.min(base),
        _ => 0,
    }
    .clamp(0, base)
}

// ---- tax rates ----

pub fn create_tax_rate<'a>(
    store: &'a mut Store,
    p: &P,
    ctx: &Ctx,
) -> Result<&'a TaxRate, ApiError> {
    let percentage = float(p, "percentage")?.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&percentage) {
        return Err(
            ApiError::invalid("Invalid percentage: must be between 0 and 100").param("percentage"),
        );
    }
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let rate = TaxRate {
        id: ids::object_id("txr", ctx.now),
        created: ctx.now,
        active: p.bool("active").unwrap_or(true),
        country: opt_string(p, "country"),
        description: opt_string(p, "description"),
        display_name: p.str("display_name").unwrap_or_default().to_string(),
        inclusive: p.bool("inclusive").unwrap_or(false),
        jurisdiction: opt_string(p, "jurisdiction"),
        metadata,
        percentage,
        state: opt_string(p, "state"),
        tax_type: opt_string(p, "tax_type"),
    };
    let id = rate.id.clone();
    store.tax_rates.insert(id.clone(), rate);
    Ok(&store.tax_rates[&id])
}

/// Checks a `tax_rates[]` / `default_tax_rates[]` list: every rate exists and is active.
pub fn check_tax_rates(store: &Store, v: &Value, param: &str) -> Result<Vec<String>, ApiError> {
    let Some(ids) = v.as_array() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let id = id.as_str().unwrap_or_default();
        match store.tax_rates.get(id) {
            Some(r) if r.active => out.push(id.to_string()),
            Some(_) => {
                return Err(ApiError::invalid(format!(
                    "Tax rate {id} is inactive and cannot be applied."
                ))
                .param(format!("{param}[{i}]")))
            }
            None => {
                return Err(ApiError::no_such("tax rate", id, &format!("{param}[{i}]")).status(400))
            }
        }
    }
    Ok(out)
}
