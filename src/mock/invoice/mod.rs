//! The invoice model and its money arithmetic (reference §3.3). The state machine is in
//! `transitions.rs`, the `/v1/invoices` endpoints in `api.rs`.

use indexmap::IndexMap;

pub mod api;
mod transitions;

pub use transitions::*;

use super::customer::CustomerCopy;
use super::error::ApiError;
use super::store::{SortKey, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Uncollectible => "uncollectible",
            Status::Void => "void",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Invoice {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub customer: String,
    pub status: Status,
    pub deleted: bool,
    pub currency: String,
    /// `charge_automatically` or `send_invoice`.
    pub collection_method: String,
    pub auto_advance: bool,
    /// An explicit `automatically_finalizes_at`; otherwise derived from `created` (§3.4).
    pub automatically_finalizes_at: Option<i64>,
    pub custom_fields: Option<Vec<(String, String)>>,
    pub days_until_due: Option<i64>,
    pub due_date: Option<i64>,
    pub default_payment_method: Option<String>,
    pub description: Option<String>,
    pub footer: Option<String>,
    pub statement_descriptor: Option<String>,
    pub metadata: IndexMap<String, String>,
    /// Set at finalization (or by the `number` parameter).
    pub number: Option<String>,
    /// An explicit `effective_at`; finalization uses it or the finalization time.
    pub effective_at: Option<i64>,
    /// Invoice item ids, in line order.
    pub items: Vec<String>,
    /// Snapshots taken at finalization; `None` while draft (then the live values apply).
    pub starting_balance: Option<i64>,
    pub ending_balance: Option<i64>,
    pub amount_due: Option<i64>,
    pub amount_paid: i64,
    pub paid_out_of_band: bool,
    pub attempted: bool,
    pub attempt_count: i64,
    pub finalized_at: Option<i64>,
    pub marked_uncollectible_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub voided_at: Option<i64>,
    /// The stable token of `hosted_invoice_url` / `invoice_pdf`, minted at finalization.
    pub url_token: Option<String>,
    /// The frozen `customer_*` copies; `None` while draft.
    pub customer_copy: Option<CustomerCopy>,
    /// Pre-basil `charge` / `payment_intent`: set by a card payment attempt.
    pub charge: Option<String>,
    pub payment_intent: Option<String>,
}

impl Invoice {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }

    pub fn charge_automatically(&self) -> bool {
        self.collection_method == "charge_automatically"
    }
}

/// Money of one invoice, with draft values computed from live state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub subtotal: i64,
    pub total: i64,
    pub starting_balance: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub amount_remaining: i64,
    pub ending_balance: Option<i64>,
}

pub fn subtotal(store: &Store, inv: &Invoice) -> i64 {
    inv.items
        .iter()
        .filter_map(|id| store.items.get(id))
        // Saturating: an unbounded pending sweep must not be able to overflow.
        .fold(0i64, |acc, i| acc.saturating_add(i.amount))
}

/// `amount_due = max(0, total + starting_balance)`; `ending_balance = starting_balance + total −
/// amount_due` (§3.3). A draft uses the customer's current balance (the mock's choice for the
/// [U] "does a draft's amount_due reflect the balance"); finalization snapshots it.
pub fn money(store: &Store, inv: &Invoice) -> Money {
    let subtotal = subtotal(store, inv);
    // No discounts or taxes are modelled, so total = subtotal.
    let total = subtotal;
    let live_balance = store.customers.get(&inv.customer).map_or(0, |c| c.balance);
    let starting_balance = inv.starting_balance.unwrap_or(live_balance);
    let amount_due = inv
        .amount_due
        .unwrap_or_else(|| total.saturating_add(starting_balance).max(0));
    Money {
        subtotal,
        total,
        starting_balance,
        amount_due,
        amount_paid: inv.amount_paid,
        amount_remaining: amount_due.saturating_sub(inv.amount_paid),
        ending_balance: inv.ending_balance,
    }
}

pub fn wrong_state_isnt_open() -> ApiError {
    ApiError::invalid("You can only pass in open invoices. This invoice isn't open.")
}

/// The live, non-deleted invoice, or E1 (404 with `param` per endpoint, E1a).
pub fn get<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a Invoice, ApiError> {
    match store.invoices.get(id) {
        Some(i) if !i.deleted => Ok(i),
        _ => Err(ApiError::no_such("invoice", id, param)),
    }
}

pub(super) fn get_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Invoice, ApiError> {
    match store.invoices.get_mut(id) {
        Some(i) if !i.deleted => Ok(i),
        _ => Err(ApiError::no_such("invoice", id, "id")),
    }
}
