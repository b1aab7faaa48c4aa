//! Invoice items (`/v1/invoiceitems`): one-off amounts that become invoice lines, either swept
//! from the customer's pending items at invoice creation or attached to a draft with
//! `invoice=in_…`. An item created with `amount` mints a one-off price and product (§5.3).

use indexmap::IndexMap;
use serde_json::Value;

use super::error::ApiError;
use super::ids;
use super::invoice::Status;
use super::list::{self, paginate};
use super::params::{apply_metadata, P};
use super::render::{self, Expand};
use super::store::{Ctx, SortKey, Store};

/// Stripe's cap on items per invoice (§5.2).
pub const MAX_ITEMS_PER_INVOICE: usize = 250;

#[derive(Clone, Debug)]
pub struct Price {
    pub id: String,
    pub created: i64,
    pub currency: String,
    pub unit_amount: i64,
    pub product: String,
}

#[derive(Clone, Debug)]
pub struct Product {
    pub id: String,
    pub created: i64,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct InvoiceItem {
    pub id: String,
    pub seq: u64,
    /// The item's `date`.
    pub created: i64,
    pub customer: String,
    /// `unit_amount × quantity`.
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub discountable: bool,
    pub invoice: Option<String>,
    /// The `il_…` id the item has as a line of its invoice.
    pub line_id: Option<String>,
    pub metadata: IndexMap<String, String>,
    pub period_start: i64,
    pub period_end: i64,
    pub price: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub deleted: bool,
}

impl InvoiceItem {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }
}

fn check_currency(c: &str) -> Result<String, ApiError> {
    if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(format!("Invalid currency: {c}")).param("currency"))
    }
}

pub fn create(store: &mut Store, p: &P, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    let customer_id = p.str("customer").unwrap_or_default().to_string();
    let customer = match store.customers.get(&customer_id) {
        Some(c) if !c.deleted => c,
        _ => return Err(ApiError::no_such("customer", &customer_id, "customer").status(400)),
    };
    let price_param = if ctx.basil { "pricing[price]" } else { "price" };
    let price_id = if ctx.basil {
        p.get("pricing")
            .and_then(|x| x.get("price"))
            .and_then(Value::as_str)
    } else {
        p.str("price")
    };
    let amount = p.int("amount");
    if amount.is_some() && p.has("quantity") {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: amount, quantity.",
        )
        .code("parameters_exclusive")
        .param("quantity"));
    }
    let (unit_amount, quantity, currency, price) = match (amount, price_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(format!(
                "You may only specify one of these parameters: amount, {price_param}."
            ))
            .code("parameters_exclusive")
            .param(price_param))
        }
        (None, None) => return Err(ApiError::missing_param("amount")),
        (None, Some(pid)) => {
            let Some(pr) = store.prices.get(pid) else {
                return Err(ApiError::no_such("price", pid, price_param).status(400));
            };
            if let Some(c) = p.str("currency") {
                if check_currency(c)? != pr.currency {
                    return Err(ApiError::invalid(format!(
                        "The currency of the invoice item ({c}) must match the currency of the \
                         price ({}).",
                        pr.currency
                    ))
                    .param("currency"));
                }
            }
            let q = p.int("quantity").unwrap_or(1);
            (pr.unit_amount, q, pr.currency.clone(), Some(pr.id.clone()))
        }
        (Some(a), None) => {
            let currency = match p.str("currency") {
                Some(c) => check_currency(c)?,
                None => customer
                    .currency
                    .clone()
                    .unwrap_or_else(|| "usd".to_string()),
            };
            (a, 1, currency, None)
        }
    };
    let amount = unit_amount.checked_mul(quantity).ok_or_else(|| {
        ApiError::invalid("The invoice item's amount is too large.").param("amount")
    })?;

    if let Some(inv_id) = p.str("invoice") {
        let inv = match store.invoices.get(inv_id) {
            Some(i) if !i.deleted => i,
            _ => return Err(ApiError::no_such("invoice", inv_id, "invoice").status(400)),
        };
        if inv.status != Status::Draft {
            return Err(ApiError::invalid(format!(
                "You can only add invoice items to draft invoices, and invoice {inv_id} has \
                 status '{}'.",
                inv.status.as_str()
            ))
            .param("invoice"));
        }
        if inv.customer != customer_id {
            return Err(ApiError::invalid(format!(
                "The invoice {inv_id} belongs to a different customer than this invoice item."
            ))
            .param("invoice"));
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
            .param("invoice"));
        }
    }

    let price_id = match price {
        Some(id) => id,
        None => {
            // One-off amount: mint the price and product behind `pricing.price_details`.
            let product = Product {
                id: ids::short_id("prod"),
                created: ctx.now,
                name: p.str("description").unwrap_or("Invoice item").to_string(),
            };
            let price = Price {
                id: ids::object_id("price", ctx.now),
                created: ctx.now,
                currency: currency.clone(),
                unit_amount,
                product: product.id.clone(),
            };
            let id = price.id.clone();
            store.products.insert(product.id.clone(), product);
            store.prices.insert(id.clone(), price);
            id
        }
    };
    let (period_start, period_end) = match p.get("period") {
        Some(per) => (
            per.get("start").and_then(Value::as_i64).unwrap_or(ctx.now),
            per.get("end").and_then(Value::as_i64).unwrap_or(ctx.now),
        ),
        None => (ctx.now, ctx.now),
    };
    let mut metadata = IndexMap::new();
    apply_metadata(&mut metadata, p.get("metadata"))?;
    let seq = store.next_seq();
    let invoice = p.str("invoice").map(str::to_string);
    let item = InvoiceItem {
        id: ids::object_id("ii", ctx.now),
        seq,
        created: ctx.now,
        customer: customer_id,
        amount,
        currency,
        description: p.str("description").map(str::to_string),
        // Negative amounts (credits) are not discountable by default.
        discountable: p.bool("discountable").unwrap_or(amount >= 0),
        invoice: invoice.clone(),
        line_id: invoice.as_ref().map(|_| ids::object_id("il", ctx.now)),
        metadata,
        period_start,
        period_end,
        price: price_id,
        quantity,
        unit_amount,
        deleted: false,
    };
    if let Some(inv) = invoice.and_then(|id| store.invoices.get_mut(&id)) {
        // Items added after the invoice was created come last, in chronological order (§5.4).
        inv.items.push(item.id.clone());
    }
    let body = render::invoice_item(store, &item, ctx, expand);
    store.items.insert(item.id.clone(), item);
    Ok(body)
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    match store.items.get(id) {
        Some(i) if i.deleted => Ok(render::deleted(id, "invoiceitem")),
        Some(i) => Ok(render::invoice_item(store, i, ctx, expand)),
        None => Err(ApiError::no_such("invoiceitem", id, "id")),
    }
}

pub fn delete(store: &mut Store, id: &str) -> Result<Value, ApiError> {
    let Some(item) = store.items.get(id).filter(|i| !i.deleted) else {
        return Err(ApiError::no_such("invoiceitem", id, "id"));
    };
    if let Some(inv_id) = item.invoice.clone() {
        if let Some(inv) = store.invoices.get_mut(&inv_id) {
            if inv.status != Status::Draft {
                return Err(ApiError::invalid(format!(
                    "You cannot delete invoice item {id} because it is attached to invoice \
                     {inv_id}, which is no longer a draft."
                )));
            }
            inv.items.retain(|i| i != id);
        }
    }
    if let Some(item) = store.items.get_mut(id) {
        item.deleted = true;
    }
    Ok(render::deleted(id, "invoiceitem"))
}

pub fn list(store: &Store, p: &P, ctx: &Ctx, expand: &Expand) -> Result<Value, ApiError> {
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let cursor = |id: &str, param: &str| -> Result<SortKey, ApiError> {
        match store.items.get(id) {
            Some(i) if !i.deleted => Ok(i.sort_key()),
            _ => Err(list::bad_cursor("invoiceitem", id, param)),
        }
    };
    let after = after.map(|id| cursor(id, "starting_after")).transpose()?;
    let before = before.map(|id| cursor(id, "ending_before")).transpose()?;
    let mut rows: Vec<(SortKey, &InvoiceItem)> = store
        .items
        .values()
        .filter(|i| !i.deleted)
        .filter(|i| p.str("customer").is_none_or(|c| i.customer == c))
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
        .map(|i| render::invoice_item(store, i, ctx, expand))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/invoiceitems"))
}
