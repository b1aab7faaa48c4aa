//! Customers (`/v1/customers`): the fields invoices copy (`customer_*`), the credit balance that
//! finalization applies, and the per-customer invoice numbering (`invoice_prefix`,
//! `next_invoice_sequence`).

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::ids;
use super::list::{self, paginate};
use super::params::{apply_metadata, P};
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
}

impl Customer {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }
}

/// Payment methods are not stored objects in the mock: any id shaped like a Stripe payment
/// method, card, source or token is accepted (test tokens such as `pm_card_visa` included).
pub fn check_payment_method(id: &str, param: &str) -> Result<(), ApiError> {
    let known = ["pm_", "card_", "src_", "tok_", "ba_"]
        .iter()
        .any(|p| id.len() > p.len() && id.starts_with(p));
    if known {
        Ok(())
    } else {
        Err(ApiError::no_such("PaymentMethod", id, param).status(400))
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

fn shipping(v: &Value) -> Value {
    json!({
        "address": address(v.get("address").unwrap_or(&Value::Null)),
        "name": v.get("name").cloned().unwrap_or(Value::Null),
        "phone": v.get("phone").cloned().unwrap_or(Value::Null),
    })
}

/// Applies the fields create and update share.
fn apply(c: &mut Customer, p: &P) -> Result<(), ApiError> {
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
    if let Some(Value::Object(s)) = p.get("invoice_settings") {
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

pub fn create(store: &mut Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
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
    };
    apply(&mut c, p)?;
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
    let body = render::customer(&c);
    store.customers.insert(c.id.clone(), c);
    Ok(body)
}

/// The live (not deleted) customer, or 404 `No such customer` with `param` = `param`.
pub fn live<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a Customer, ApiError> {
    match store.customers.get(id) {
        Some(c) if !c.deleted => Ok(c),
        _ => Err(ApiError::no_such("customer", id, param)),
    }
}

pub fn retrieve(store: &Store, id: &str) -> Result<Value, ApiError> {
    match store.customers.get(id) {
        // Stripe answers a retrieve of a deleted customer with its deleted stub.
        Some(c) if c.deleted => Ok(render::deleted(&c.id, "customer")),
        Some(c) => Ok(render::customer(c)),
        None => Err(ApiError::no_such("customer", id, "id")),
    }
}

pub fn update(store: &mut Store, id: &str, p: &P) -> Result<Value, ApiError> {
    live(store, id, "id")?;
    let Some(c) = store.customers.get_mut(id) else {
        return Err(ApiError::no_such("customer", id, "id"));
    };
    // Validate on a copy so a refused update changes nothing.
    let mut next = c.clone();
    apply(&mut next, p)?;
    *c = next;
    Ok(render::customer(c))
}

pub fn delete(store: &mut Store, id: &str) -> Result<Value, ApiError> {
    match store.customers.get_mut(id) {
        Some(c) if !c.deleted => {
            c.deleted = true;
            Ok(render::deleted(id, "customer"))
        }
        _ => Err(ApiError::no_such("customer", id, "id")),
    }
}

pub fn list(store: &Store, p: &P) -> Result<Value, ApiError> {
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
    let data = page.items.into_iter().map(render::customer).collect();
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
