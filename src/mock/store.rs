//! The mock's in-memory state. The server keeps one `Store` behind a read-write lock: requests
//! that change nothing (retrievals, lists, searches, previews) share it, a transition holds it
//! alone for its synchronous part, so every transition is atomic with respect to concurrent
//! requests.
//!
//! Invoices are indexed by list order (`created`, then creation order), by customer and by
//! status, so a list or search page reads the few entries it returns instead of scanning and
//! sorting the store. Every invoice change goes through [`Store::insert_invoice`] or
//! [`Store::invoice_mut`], which mark the invoice for re-indexing; [`Store::reindex`] (run after
//! every routed request) brings the indexes up to date.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::catalog::{Coupon, Discount, Price, Product, TaxRate};
use super::customer::Customer;
use super::invoice::payments::InvoicePayment;
use super::invoice::{Invoice, Status};
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
    /// The account's id, in invoice URLs (`Apiparity-Account-Id`; default the mock's one account).
    pub account_id: Arc<str>,
    /// The account's default currency: a new invoice with nothing else to go by is in it.
    pub default_currency: Arc<str>,
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
            account_id: crate::mock::ids::ACCOUNT_ID.into(),
            default_currency: "usd".into(),
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
    /// Deleted customers nothing refers to: their records are freed, only the id stays (a
    /// retrieve still answers the deleted stub, list filters still accept the id).
    deleted_customers: HashSet<Box<str>>,
    /// Deleted invoices and invoice items, freed the same way: only the id stays, for what
    /// tells a deleted object from one that never existed (an item's deleted stub on retrieve,
    /// a deleted invoice's stub in an expansion).
    deleted_invoices: HashSet<Box<str>>,
    deleted_items: HashSet<Box<str>>,
    invoices: HashMap<String, Invoice>,
    /// Invoices changed since the last [`Store::reindex`].
    dirty: Vec<String>,
    /// Live (not deleted) invoices in list order: sort key → id.
    invoice_order: BTreeMap<SortKey, String>,
    /// Live invoices' sort keys per customer and per status.
    invoices_by_customer: HashMap<String, BTreeSet<SortKey>>,
    invoices_by_status: [BTreeSet<SortKey>; 5],
    /// Invoices (deleted ones not yet freed included) per customer: a customer with any keeps
    /// its record when deleted, because those invoices still render its fields.
    invoice_count_by_customer: HashMap<String, u32>,
    pub items: HashMap<String, InvoiceItem>,
    pub prices: HashMap<String, Price>,
    pub products: HashMap<String, Product>,
    pub coupons: HashMap<String, Coupon>,
    pub discounts: HashMap<String, Discount>,
    pub tax_rates: HashMap<String, TaxRate>,
    pub payments: HashMap<String, InvoicePayment>,
    /// Card payment methods minted from test tokens by attach.
    pub payment_methods: HashMap<String, crate::mock::payment_method::PaymentMethod>,
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

/// Which index a list or search reads.
pub enum InvoiceIndex<'a> {
    All,
    Customer(&'a str),
    Status(Status),
}

fn status_slot(s: Status) -> usize {
    match s {
        Status::Draft => 0,
        Status::Open => 1,
        Status::Paid => 2,
        Status::Uncollectible => 3,
        Status::Void => 4,
    }
}

impl Store {
    pub fn invoices(&self) -> &HashMap<String, Invoice> {
        &self.invoices
    }

    /// Stores a new or replaced invoice and marks it for re-indexing.
    pub fn insert_invoice(&mut self, inv: Invoice) {
        self.dirty.push(inv.id.clone());
        let customer = inv.customer.clone();
        if self.invoices.insert(inv.id.clone(), inv).is_none() {
            *self.invoice_count_by_customer.entry(customer).or_default() += 1;
        }
    }

    /// The invoice (deleted or not), for a change: marked for re-indexing.
    pub fn invoice_mut(&mut self, id: &str) -> Option<&mut Invoice> {
        let inv = self.invoices.get_mut(id)?;
        self.dirty.push(inv.id.clone());
        Some(inv)
    }

    /// Brings the invoice indexes up to date with every invoice changed since the last call.
    pub fn reindex(&mut self) {
        for id in std::mem::take(&mut self.dirty) {
            let Some(inv) = self.invoices.get(&id) else {
                continue;
            };
            let key = inv.sort_key();
            // Status and deletion are what change; the key and the customer never do.
            for set in &mut self.invoices_by_status {
                set.remove(&key);
            }
            if inv.deleted {
                self.invoice_order.remove(&key);
                if let Some(set) = self.invoices_by_customer.get_mut(&inv.customer) {
                    set.remove(&key);
                }
            } else {
                self.invoice_order.insert(key, id);
                self.invoices_by_customer
                    .entry(inv.customer.clone())
                    .or_default()
                    .insert(key);
                self.invoices_by_status[status_slot(inv.status)].insert(key);
            }
        }
    }

    /// The keys of live invoices in `index`, within `range`, in ascending key order (callers
    /// walk it backwards for newest first).
    pub fn invoice_keys<'a>(
        &'a self,
        index: &InvoiceIndex,
        range: std::ops::RangeInclusive<SortKey>,
    ) -> Box<dyn DoubleEndedIterator<Item = SortKey> + 'a> {
        match index {
            InvoiceIndex::All => Box::new(self.invoice_order.range(range).map(|(k, _)| *k)),
            InvoiceIndex::Customer(c) => match self.invoices_by_customer.get(*c) {
                Some(set) => Box::new(set.range(range).copied()),
                None => Box::new(std::iter::empty()),
            },
            InvoiceIndex::Status(s) => Box::new(
                self.invoices_by_status[status_slot(*s)]
                    .range(range)
                    .copied(),
            ),
        }
    }

    /// The live invoice with list key `key`.
    pub fn invoice_at(&self, key: SortKey) -> Option<&Invoice> {
        self.invoice_order
            .get(&key)
            .and_then(|id| self.invoices.get(id))
    }

    /// Panics when an index disagrees with the invoices (debug builds check after every request).
    #[cfg(debug_assertions)]
    pub fn check_indexes(&self) {
        let live: Vec<&Invoice> = self.invoices.values().filter(|i| !i.deleted).collect();
        assert_eq!(live.len(), self.invoice_order.len(), "invoice order index");
        for i in &live {
            let k = i.sort_key();
            assert_eq!(
                self.invoice_order.get(&k),
                Some(&i.id),
                "order index of {}",
                i.id
            );
            assert!(
                self.invoices_by_customer
                    .get(&i.customer)
                    .is_some_and(|s| s.contains(&k)),
                "customer index of {}",
                i.id
            );
            for (slot, set) in self.invoices_by_status.iter().enumerate() {
                assert_eq!(
                    set.contains(&k),
                    slot == status_slot(i.status),
                    "status index of {}",
                    i.id
                );
            }
        }
        let by_customer: usize = self.invoices_by_customer.values().map(BTreeSet::len).sum();
        assert_eq!(by_customer, live.len(), "customer index size");
    }

    /// Deletes a customer: the record is freed unless invoices or items still refer to it.
    /// `false` when there is no live customer `id`.
    pub fn delete_customer(&mut self, id: &str) -> bool {
        let referenced = self.invoice_count_by_customer.contains_key(id)
            || self.items_by_customer.contains_key(id);
        match self.customers.get_mut(id) {
            Some(c) if !c.deleted => {
                if referenced {
                    c.deleted = true;
                } else {
                    self.customers.remove(id);
                    self.deleted_customers.insert(id.into());
                }
                true
            }
            _ => false,
        }
    }

    /// A customer that was deleted and freed.
    pub fn is_freed_customer(&self, id: &str) -> bool {
        self.deleted_customers.contains(id)
    }

    /// A deleted customer whose last invoice or item was just freed is freed too.
    fn release_customer(&mut self, id: &str) {
        let referenced = self.invoice_count_by_customer.contains_key(id)
            || self.items_by_customer.contains_key(id);
        if !referenced && self.customers.get(id).is_some_and(|c| c.deleted) {
            self.customers.remove(id);
            self.deleted_customers.insert(id.into());
        }
    }

    /// Deletes an invoice (the caller checked it may be: a live draft) and frees its record,
    /// out of every index at once. One that invoice payments refer to is only marked deleted,
    /// since they still name it.
    pub fn delete_invoice(&mut self, id: &str) {
        if !self.invoice_payment_ids(id).is_empty() {
            if let Some(inv) = self.invoice_mut(id) {
                inv.deleted = true;
            }
            return;
        }
        let Some(inv) = self.invoices.remove(id) else {
            return;
        };
        let key = inv.sort_key();
        self.invoice_order.remove(&key);
        for set in &mut self.invoices_by_status {
            set.remove(&key);
        }
        if let Some(set) = self.invoices_by_customer.get_mut(&inv.customer) {
            set.remove(&key);
            if set.is_empty() {
                self.invoices_by_customer.remove(&inv.customer);
            }
        }
        if let Some(n) = self.invoice_count_by_customer.get_mut(&inv.customer) {
            *n -= 1;
            if *n == 0 {
                self.invoice_count_by_customer.remove(&inv.customer);
            }
        }
        self.deleted_invoices.insert(id.into());
        self.release_customer(&inv.customer);
    }

    /// An invoice that was deleted and freed.
    pub fn is_freed_invoice(&self, id: &str) -> bool {
        self.deleted_invoices.contains(id)
    }

    /// Deletes an invoice item and frees its record (the caller took it off its invoice, or
    /// deletes that invoice too).
    pub fn delete_item(&mut self, id: &str) {
        let Some(item) = self.items.remove(id) else {
            return;
        };
        if let Some(ids) = self.items_by_customer.get_mut(&item.customer) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                self.items_by_customer.remove(&item.customer);
            }
        }
        self.deleted_items.insert(id.into());
        self.release_customer(&item.customer);
    }

    /// An invoice item that was deleted and freed.
    pub fn is_freed_item(&self, id: &str) -> bool {
        self.deleted_items.contains(id)
    }

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
