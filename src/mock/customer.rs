//! Customers (`/v1/customers`): the fields invoices copy (`customer_*`), the credit balance that
//! finalization applies, and the per-customer invoice numbering (`invoice_prefix`,
//! `next_invoice_sequence`).

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::catalog::{self, Owner};
use super::error::ApiError;
use super::ids;
use super::list::{self, paginate};
use super::params::{apply_metadata, unsupported, P};
use super::render;
use super::store::{Ctx, SortKey, Store};

#[derive(Clone, Debug)]
pub struct Customer {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub deleted: bool,
    /// `{city, country, line1, line2, postal_code, state}` when set.
    pub address: Option<Value>,
    /// Negative = credit in the customer's favour (reference §3.3).
    pub balance: i64,
    pub currency: Option<String>,
    pub default_payment_method: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub footer: Option<String>,
    pub invoice_prefix: String,
    pub metadata: IndexMap<String, String>,
    pub name: Option<String>,
    pub next_invoice_sequence: i64,
    pub payment_methods: Vec<String>,
    pub phone: Option<String>,
    pub preferred_locales: Vec<String>,
    /// `{address, name, phone}` when set.
    pub shipping: Option<Value>,
    pub tax_exempt: String,
    pub tax_ids: Vec<(String, String)>,
    pub business_name: Option<String>,
    pub individual_name: Option<String>,
    /// `cash_balance[settings][reconciliation_mode]`, rendered with `expand[]=cash_balance`.
    pub cash_balance_mode: Option<String>,
    /// `tax[ip_address]`, rendered with `expand[]=tax`.
    pub tax_ip_address: Option<String>,
    /// A card or source id (`source=tok_…` mints a card).
    pub default_source: Option<String>,
    pub custom_fields: Option<Vec<(String, String)>>,
    /// `invoice_settings[rendering_options]` as given (`{amount_tax_display, template}`).
    pub rendering_options: Option<Value>,
    /// Pre-basil `coupon`: the customer's discount (`di_…`).
    pub discount: Option<String>,
}

/// Parameters customer create and update model; the rest are refused by name.
pub const CREATE_PARAMS: &[&str] = &[
    "address",
    "balance",
    "business_name",
    "cash_balance",
    "coupon",
    "description",
    "email",
    "expand",
    "individual_name",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "payment_method",
    "phone",
    "preferred_locales",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "tax_id_data",
    "test_clock",
    "validate",
];

pub const UPDATE_PARAMS: &[&str] = &[
    "address",
    "balance",
    "business_name",
    "cash_balance",
    "coupon",
    "default_source",
    "description",
    "email",
    "expand",
    "individual_name",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "shipping",
    "source",
    "tax",
    "tax_exempt",
    "validate",
];

/// Parses `custom_fields` (`[{name, value}]`, at most 4; `''` unsets).
pub fn custom_fields(v: &Value, param: &str) -> Result<Option<Vec<(String, String)>>, ApiError> {
    let Some(a) = v.as_array() else {
        return Ok(None);
    };
    if a.len() > 4 {
        return Err(ApiError::invalid("You can have at most 4 custom fields.").param(param));
    }
    Ok(Some(
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
            .collect(),
    ))
}

impl Customer {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }
}

/// Payment methods are not stored objects in the mock: any id shaped like a Stripe payment
/// method, card, source or token is accepted (test tokens such as `pm_card_visa` included).
pub fn check_payment_method(id: &str, param: &str) -> Result<(), ApiError> {
    check_ref(
        id,
        param,
        &["pm_", "card_", "src_", "tok_", "ba_"],
        "PaymentMethod",
    )
}

/// Sources (`default_source`, `source`): cards, bank accounts, sources and tokens, by shape.
pub fn check_source(id: &str, param: &str) -> Result<(), ApiError> {
    check_ref(id, param, &["card_", "src_", "ba_", "tok_"], "source")
}

fn check_ref(id: &str, param: &str, prefixes: &[&str], kind: &str) -> Result<(), ApiError> {
    let known = prefixes
        .iter()
        .any(|p| id.len() > p.len() && id.starts_with(p));
    if known {
        Ok(())
    } else {
        Err(ApiError::no_such(kind, id, param).status(400))
    }
}

fn generated_prefix() -> String {
    (0..8)
        .map(|_| b"0123456789ABCDEF"[rand::random_range(0..16usize)] as char)
        .collect()
}

fn check_prefix(p: &str) -> Result<(), ApiError> {
    let ok = (3..=12).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Invalid invoice_prefix: '{p}'. It must be 3 to 12 characters long and contain only \
             uppercase letters and digits."
        ))
        .param("invoice_prefix"))
    }
}

fn address(v: &Value) -> Value {
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "city": get("city"), "country": get("country"), "line1": get("line1"),
        "line2": get("line2"), "postal_code": get("postal_code"), "state": get("state"),
    })
}

pub fn shipping(v: &Value) -> Value {
    json!({
        "address": address(v.get("address").unwrap_or(&Value::Null)),
        "name": v.get("name").cloned().unwrap_or(Value::Null),
        "phone": v.get("phone").cloned().unwrap_or(Value::Null),
    })
}

/// Applies the fields create and update share.
fn apply(store: &mut Store, c: &mut Customer, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let set = |dst: &mut Option<String>, k: &str| {
        if let Some(v) = p.tri_str(k) {
            *dst = v;
        }
    };
    set(&mut c.description, "description");
    set(&mut c.email, "email");
    set(&mut c.name, "name");
    set(&mut c.phone, "phone");
    if let Some(b) = p.int("balance") {
        c.balance = b;
    }
    if let Some(v) = p.tri_str("invoice_prefix") {
        match v {
            Some(prefix) => {
                check_prefix(&prefix)?;
                c.invoice_prefix = prefix;
            }
            None => c.invoice_prefix = generated_prefix(),
        }
    }
    if let Some(n) = p.int("next_invoice_sequence") {
        c.next_invoice_sequence = n;
    }
    apply_metadata(&mut c.metadata, p.get("metadata"))?;
    if let Some(a) = p.get("address") {
        c.address = (!a.is_null()).then(|| address(a));
    }
    if let Some(s) = p.get("shipping") {
        c.shipping = (!s.is_null()).then(|| shipping(s));
    }
    if let Some(t) = p.tri_str("tax_exempt") {
        c.tax_exempt = t.unwrap_or_else(|| "none".to_string());
    }
    if let Some(l) = p.get("preferred_locales") {
        c.preferred_locales = l
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
    }
    for (k, dst) in [
        ("business_name", &mut c.business_name),
        ("individual_name", &mut c.individual_name),
    ] {
        if let Some(v) = p.tri_str(k) {
            *dst = v;
        }
    }
    if let Some(cb) = p.get("cash_balance") {
        if let Some(m) = cb
            .pointer("/settings/reconciliation_mode")
            .and_then(Value::as_str)
        {
            c.cash_balance_mode = Some(m.to_string());
        }
    }
    if let Some(t) = p.get("tax") {
        if let Some(ip) = t.get("ip_address") {
            c.tax_ip_address = ip.as_str().map(str::to_string);
        }
    }
    if p.has("test_clock") {
        let clock = p.str("test_clock").unwrap_or_default();
        // Test clocks are not modelled, so none exists.
        return Err(ApiError::no_such("test clock", clock, "test_clock").status(400));
    }
    if p.has("promotion_code") {
        return Err(unsupported("promotion_code"));
    }
    for k in ["source", "default_source"] {
        if let Some(v) = p.get(k) {
            match v.as_str() {
                Some(src) => {
                    check_source(src, k)?;
                    // A token becomes a card on the customer.
                    c.default_source = Some(if src.starts_with("tok_") {
                        ids::object_id("card", ctx.now)
                    } else {
                        src.to_string()
                    });
                }
                None => c.default_source = None,
            }
        }
    }
    if let Some(v) = p.get("coupon") {
        c.discount = match v.as_str() {
            Some(coupon) => catalog::apply_discounts(
                store,
                &serde_json::json!([{ "coupon": coupon }]),
                "coupon",
                &Owner {
                    customer: &c.id,
                    invoice: None,
                    invoice_item: None,
                },
                ctx.now,
            )
            .map_err(|e| e.param("coupon"))?
            .pop(),
            None => None,
        };
    }
    if let Some(Value::Object(s)) = p.get("invoice_settings") {
        if let Some(v) = s.get("custom_fields") {
            c.custom_fields = custom_fields(v, "invoice_settings[custom_fields]")?;
        }
        if let Some(v) = s.get("rendering_options") {
            c.rendering_options = (!v.is_null()).then(|| v.clone());
        }
        if let Some(v) = s.get("default_payment_method") {
            match v.as_str() {
                Some(pm) => {
                    check_payment_method(pm, "invoice_settings[default_payment_method]")?;
                    c.default_payment_method = Some(pm.to_string());
                }
                None => c.default_payment_method = None,
            }
        }
        if let Some(v) = s.get("footer") {
            c.footer = v.as_str().map(str::to_string);
        }
    }
    Ok(())
}

pub fn create(store: &mut Store, p: &P, ctx: &Ctx) -> Result<String, ApiError> {
    let seq = store.next_seq();
    let mut c = Customer {
        id: ids::short_id("cus"),
        seq,
        created: ctx.now,
        deleted: false,
        address: None,
        balance: 0,
        currency: None,
        default_payment_method: None,
        description: None,
        email: None,
        footer: None,
        invoice_prefix: generated_prefix(),
        metadata: IndexMap::new(),
        name: None,
        next_invoice_sequence: 1,
        payment_methods: Vec::new(),
        phone: None,
        preferred_locales: Vec::new(),
        shipping: None,
        tax_exempt: "none".to_string(),
        tax_ids: Vec::new(),
        business_name: None,
        individual_name: None,
        cash_balance_mode: None,
        tax_ip_address: None,
        default_source: None,
        custom_fields: None,
        rendering_options: None,
        discount: None,
    };
    apply(store, &mut c, p, ctx)?;
    if let Some(pm) = p.str("payment_method") {
        check_payment_method(pm, "payment_method")?;
        c.payment_methods.push(pm.to_string());
    }
    if let Some(Value::Array(t)) = p.get("tax_id_data") {
        for x in t {
            let ty = x.get("type").and_then(Value::as_str).unwrap_or_default();
            let val = x.get("value").and_then(Value::as_str).unwrap_or_default();
            c.tax_ids.push((ty.to_string(), val.to_string()));
        }
    }
    let id = c.id.clone();
    store.customers.insert(id.clone(), c);
    Ok(id)
}

/// The live (not deleted) customer, or 404 `No such customer` with `param` = `param`.
pub fn live<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a Customer, ApiError> {
    match store.customers.get(id) {
        Some(c) if !c.deleted => Ok(c),
        _ => Err(ApiError::no_such("customer", id, param)),
    }
}

/// The customer, deleted or not (list filters accept deleted customers).
pub fn exists(store: &Store, id: &str, param: &str) -> Result<(), ApiError> {
    if store.customers.contains_key(id) || store.is_freed_customer(id) {
        Ok(())
    } else {
        Err(ApiError::no_such("customer", id, param).status(400))
    }
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx) -> Result<Value, ApiError> {
    match store.customers.get(id) {
        // Stripe answers a retrieve of a deleted customer with its deleted stub.
        Some(c) if c.deleted => Ok(render::deleted(&c.id, "customer")),
        Some(c) => Ok(render::customer(store, c, ctx)),
        None if store.is_freed_customer(id) => Ok(render::deleted(id, "customer")),
        None => Err(ApiError::no_such("customer", id, "id")),
    }
}

pub fn update(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let current = live(store, id, "id")?.clone();
    // Validate on a copy so a refused update changes nothing.
    let mut next = current;
    apply(store, &mut next, p, ctx)?;
    store.customers.insert(id.to_string(), next);
    Ok(())
}

pub fn delete(store: &mut Store, id: &str) -> Result<Value, ApiError> {
    if store.delete_customer(id) {
        Ok(render::deleted(id, "customer"))
    } else {
        Err(ApiError::no_such("customer", id, "id"))
    }
}

pub fn list(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let cursor = |id: &str, param: &str| -> Result<SortKey, ApiError> {
        match store.customers.get(id) {
            Some(c) if !c.deleted => Ok(c.sort_key()),
            _ => Err(list::bad_cursor("customer", id, param)),
        }
    };
    let after = after.map(|id| cursor(id, "starting_after")).transpose()?;
    let before = before.map(|id| cursor(id, "ending_before")).transpose()?;
    let mut rows: Vec<(SortKey, &Customer)> = store
        .customers
        .values()
        .filter(|c| !c.deleted)
        .filter(|c| p.str("email").is_none_or(|e| c.email.as_deref() == Some(e)))
        .filter(|c| list::in_range(p.get("created"), Some(c.created)))
        .map(|c| (c.sort_key(), c))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let limit = p.int("limit").unwrap_or(10) as usize;
    let page = paginate(rows, limit, after, before);
    let data = page
        .items
        .into_iter()
        .map(|c| render::customer(store, c, ctx))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/customers"))
}

/// The `customer_*` copies an invoice shows: live while draft, frozen at finalization.
#[derive(Clone, Debug)]
pub struct CustomerCopy {
    pub address: Value,
    pub email: Value,
    pub name: Value,
    pub phone: Value,
    pub shipping: Value,
    pub tax_exempt: Value,
    pub tax_ids: Value,
}

impl CustomerCopy {
    pub fn of(c: &Customer) -> CustomerCopy {
        let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        CustomerCopy {
            address: c.address.clone().unwrap_or(Value::Null),
            email: opt(&c.email),
            name: opt(&c.name),
            phone: opt(&c.phone),
            shipping: c.shipping.clone().unwrap_or(Value::Null),
            tax_exempt: Value::String(c.tax_exempt.clone()),
            tax_ids: Value::Array(
                c.tax_ids
                    .iter()
                    .map(|(t, v)| {
                        let mut m = Map::new();
                        m.insert("type".into(), json!(t));
                        m.insert("value".into(), json!(v));
                        Value::Object(m)
                    })
                    .collect(),
            ),
        }
    }
}
