//! The mock's in-memory state. The server keeps one `Store` behind a mutex and holds the lock
//! only for the synchronous part of a request (look-ups, the state transition, rendering), so
//! every transition is atomic with respect to concurrent requests.

use std::collections::HashMap;

use super::customer::Customer;
use super::invoice::Invoice;
use super::invoice_item::{InvoiceItem, Price, Product};

/// Per-request context: the API version the response is rendered for, and the clock.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub version: String,
    /// ≥ 2025-03-31: the basil invoice shape.
    pub basil: bool,
    /// < 2024-04-10: invoices still carry `rendering_options`.
    pub rendering_options: bool,
    /// < 2022-08-01: `pending_invoice_items_behavior` defaults to `include_and_require`.
    pub legacy_pending_items: bool,
    pub now: i64,
}

impl Ctx {
    pub fn new(version: &str, now: i64) -> Ctx {
        let date = crate::version::version_date(version).unwrap_or("9999-12-31");
        Ctx {
            version: version.to_string(),
            basil: date >= "2025-03-31",
            rendering_options: date < "2024-04-10",
            legacy_pending_items: date < "2022-08-01",
            now,
        }
    }
}

#[derive(Default)]
pub struct Store {
    pub customers: HashMap<String, Customer>,
    pub invoices: HashMap<String, Invoice>,
    pub items: HashMap<String, InvoiceItem>,
    pub prices: HashMap<String, Price>,
    pub products: HashMap<String, Product>,
    /// Creation order across all objects: the tie-break for objects created in the same second.
    seq: u64,
}

/// List sort key: newest first by `created`, then by creation order.
pub type SortKey = (i64, u64);

impl Store {
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
