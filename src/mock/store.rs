//! The mock's in-memory state. The server keeps one `Store` behind a mutex and holds the lock
//! only for the synchronous part of a request (look-ups, the state transition, rendering), so
//! every transition is atomic with respect to concurrent requests.

use std::collections::HashMap;
use std::sync::Arc;

use super::catalog::{Coupon, Discount, Price, Product, TaxRate};
use super::customer::Customer;
use super::invoice::payments::InvoicePayment;
use super::invoice::Invoice;
use super::invoice_item::InvoiceItem;
use super::versions::{ApiVersion, Day, Facts, Family, F};

/// Per-request context: the API version and as-of date the response is rendered for (resolved
/// once into [`Facts`]), the account options, and the clock.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub version: &'static ApiVersion,
    pub facts: Facts,
    /// The basil shape (≥ 2025-03-31), the most common test.
    pub basil: bool,
    /// The account has webhook endpoints: `webhooks_delivered_at` stays null.
    pub webhook_endpoints: bool,
    pub account_country: Arc<str>,
    pub now: i64,
}

impl Ctx {
    pub fn new(version: &'static ApiVersion, as_of: Day, now: i64) -> Ctx {
        let facts = Facts::of(version, as_of);
        Ctx {
            version,
            facts,
            basil: version.family == Family::Basil,
            webhook_endpoints: false,
            account_country: "US".into(),
            now,
        }
    }

    pub fn has(&self, f: F) -> bool {
        self.facts.has(f)
    }
}

#[derive(Clone, Default)]
pub struct Store {
    pub customers: HashMap<String, Customer>,
    pub invoices: HashMap<String, Invoice>,
    pub items: HashMap<String, InvoiceItem>,
    pub prices: HashMap<String, Price>,
    pub products: HashMap<String, Product>,
    pub coupons: HashMap<String, Coupon>,
    pub discounts: HashMap<String, Discount>,
    pub tax_rates: HashMap<String, TaxRate>,
    pub payments: HashMap<String, InvoicePayment>,
    /// One-off products by name and one-off prices by `product|currency|amount|tax behavior`:
    /// Stripe reuses them for items with the same amount and description.
    pub product_by_name: HashMap<String, String>,
    pub price_by_key: HashMap<String, String>,
    /// Item ids per customer, in creation order (items never change customer), so a sweep
    /// or a currency look-up reads one customer's items, not the whole store.
    items_by_customer: HashMap<String, Vec<String>>,
    /// Invoice payment ids per invoice, oldest first.
    payments_by_invoice: HashMap<String, Vec<String>>,
    /// Creation order across all objects: the tie-break for objects created in the same second.
    seq: u64,
}

/// List sort key: newest first by `created`, then by creation order.
pub type SortKey = (i64, u64);

impl Store {
    /// Stores a new invoice item (the only way items enter the store).
    pub fn insert_item(&mut self, item: InvoiceItem) {
        self.items_by_customer
            .entry(item.customer.clone())
            .or_default()
            .push(item.id.clone());
        self.items.insert(item.id.clone(), item);
    }

    /// Stores a new invoice payment (the only way payments enter the store).
    pub fn insert_payment(&mut self, p: InvoicePayment) {
        self.payments_by_invoice
            .entry(p.invoice.clone())
            .or_default()
            .push(p.id.clone());
        self.payments.insert(p.id.clone(), p);
    }

    /// The invoice's payment ids, oldest first.
    pub fn invoice_payment_ids(&self, invoice: &str) -> &[String] {
        self.payments_by_invoice
            .get(invoice)
            .map_or(&[][..], Vec::as_slice)
    }

    /// The customer's items, oldest first.
    pub fn customer_items<'a>(&'a self, customer: &str) -> impl Iterator<Item = &'a InvoiceItem> {
        self.items_by_customer
            .get(customer)
            .into_iter()
            .flatten()
            .filter_map(|id| self.items.get(id))
    }

    /// A scratch copy for previews (`create_preview`, `upcoming`), which are never stored.
    pub fn clone_for_preview(&self) -> Store {
        self.clone()
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
