//! The invoice model, its money arithmetic (reference §3.3) and its state machine (§4.2–4.4,
//! refusals of §2.5). Transitions are plain functions on the `Store`: the server calls them with
//! the store lock held, so each one is atomic.

use indexmap::IndexMap;

use super::customer::{check_payment_method, CustomerCopy};
use super::error::ApiError;
use super::ids;
use super::store::{Ctx, SortKey, Store};

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

fn get_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Invoice, ApiError> {
    match store.invoices.get_mut(id) {
        Some(i) if !i.deleted => Ok(i),
        _ => Err(ApiError::no_such("invoice", id, "id")),
    }
}

/// draft → open, or → paid when nothing is due (§4.2, §4.4). Applies the customer balance,
/// assigns the number, mints the URLs and freezes the customer copies. Callers check E2.
pub fn finalize(
    store: &mut Store,
    id: &str,
    now: i64,
    auto_advance: Option<bool>,
) -> Result<(), ApiError> {
    let inv = get(store, id, "id")?.clone();
    let m = money(store, &inv);
    let Some(cust) = store.customers.get_mut(&inv.customer) else {
        return Err(ApiError::no_such("customer", &inv.customer, "customer").status(400));
    };
    let ending = m
        .starting_balance
        .saturating_add(m.total)
        .saturating_sub(m.amount_due);
    cust.balance = ending;
    if cust.currency.is_none() {
        cust.currency = Some(inv.currency.clone());
    }
    let number = match &inv.number {
        Some(n) => n.clone(),
        None => {
            let n = format!("{}-{:04}", cust.invoice_prefix, cust.next_invoice_sequence);
            cust.next_invoice_sequence += 1;
            n
        }
    };
    let copy = CustomerCopy::of(cust);
    let inv = get_mut(store, id)?;
    inv.status = Status::Open;
    inv.starting_balance = Some(m.starting_balance);
    inv.ending_balance = Some(ending);
    inv.amount_due = Some(m.amount_due);
    inv.number = Some(number);
    inv.url_token = Some(ids::invoice_url_token());
    inv.finalized_at = Some(now);
    inv.effective_at = Some(inv.effective_at.unwrap_or(now));
    inv.customer_copy = Some(copy);
    inv.automatically_finalizes_at = None;
    if let Some(a) = auto_advance {
        inv.auto_advance = a;
    }
    if m.amount_due == 0 {
        // A $0 invoice is paid by finalization itself: attempted, but no attempt counted.
        inv.status = Status::Paid;
        inv.attempted = true;
        inv.attempt_count = 0;
        inv.paid_at = Some(now);
        inv.auto_advance = false;
    }
    Ok(())
}

pub fn check_finalizable(inv: &Invoice) -> Result<(), ApiError> {
    if inv.status != Status::Draft {
        return Err(ApiError::invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
        ));
    }
    Ok(())
}

/// Test payment methods that attach but fail when charged.
fn declines(pm: &str) -> bool {
    pm.contains("chargeDeclined") || pm.contains("chargeCustomerFail")
}

pub struct PayArgs<'a> {
    pub paid_out_of_band: bool,
    pub payment_method: Option<&'a str>,
    pub source: Option<&'a str>,
}

/// `/pay` (§4.2, §4.6): E4/E5 refusals, draft → finalize first, then out-of-band or a card
/// attempt. A decline returns 402 but keeps the attempt's effects (`attempted`, `attempt_count`).
pub fn pay(store: &mut Store, id: &str, args: &PayArgs, now: i64) -> Result<(), ApiError> {
    let inv = get(store, id, "id")?;
    match inv.status {
        Status::Paid => return Err(ApiError::invalid("Invoice is already paid")),
        Status::Void => return Err(wrong_state_isnt_open()),
        _ => {}
    }
    if let Some(pm) = args.payment_method {
        check_payment_method(pm, "payment_method")?;
    }
    if let Some(src) = args.source {
        check_payment_method(src, "source")?;
    }
    let customer_pm = store
        .customers
        .get(&inv.customer)
        .and_then(|c| c.default_payment_method.clone());
    // Card choice order (§4.6): parameter, invoice default, customer invoice_settings default.
    let method = args
        .payment_method
        .or(args.source)
        .map(str::to_string)
        .or_else(|| inv.default_payment_method.clone())
        .or(customer_pm);
    let due_now = money(store, inv).amount_due;
    if !args.paid_out_of_band && due_now > 0 && method.is_none() {
        // E7, checked before finalizing so the refusal has no side effects.
        return Err(ApiError::invalid(
            "This customer has no attached payment source or default payment method. Please \
             consider adding a default payment method. For more information, visit \
             https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.",
        ));
    }
    if inv.status == Status::Draft {
        finalize(store, id, now, None)?;
    }
    let inv = get_mut(store, id)?;
    if inv.status == Status::Paid {
        // Finalization of a $0 invoice already paid it.
        return Ok(());
    }
    let due = inv.amount_due.unwrap_or(0);
    if args.paid_out_of_band {
        inv.paid_out_of_band = true;
    } else {
        inv.attempted = true;
        inv.attempt_count += 1;
        let charge = ids::object_id("ch", now);
        inv.charge = Some(charge.clone());
        if inv.payment_intent.is_none() {
            inv.payment_intent = Some(ids::object_id("pi", now));
        }
        if method.as_deref().is_some_and(declines) {
            return Err(ApiError::card_declined(charge));
        }
    }
    inv.status = Status::Paid;
    inv.paid_at = Some(now);
    inv.amount_paid = due;
    inv.auto_advance = false;
    Ok(())
}

/// `/send` (§4.2, E15–E18).
pub fn send(store: &mut Store, id: &str, now: i64) -> Result<(), ApiError> {
    let inv = get(store, id, "invoice")?;
    if matches!(inv.status, Status::Paid | Status::Void) {
        // E17 [U]: the 2026 recording's refusal, also used for void invoices.
        return Err(ApiError::invalid(
            "This invoice cannot be sent right now. Please contact us via \
             https://support.stripe.com/contact with details, so we can help.",
        ));
    }
    if inv.charge_automatically() {
        // E18 [U]: Stripe emails only send_invoice invoices.
        return Err(ApiError::invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
        ));
    }
    if inv.status == Status::Draft {
        finalize(store, id, now, None)?;
    }
    Ok(())
}

/// `/void` (§4.2, E9–E12). Void on uncollectible follows the docs (allowed).
pub fn void(store: &mut Store, id: &str, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = get_mut(store, id)?;
    match inv.status {
        Status::Open | Status::Uncollectible => {
            inv.status = Status::Void;
            inv.voided_at = Some(ctx.now);
            inv.auto_advance = false;
            Ok(())
        }
        // E10: the basil-era text names invoice payments, which basil introduced.
        Status::Paid if ctx.basil => Err(ApiError::invalid(
            "Invoices with `paid` payments cannot be voided.",
        )),
        _ => Err(wrong_state_isnt_open()),
    }
}

/// `/mark_uncollectible` (§4.2, E13, E14).
pub fn mark_uncollectible(store: &mut Store, id: &str, now: i64) -> Result<(), ApiError> {
    let inv = get_mut(store, id)?;
    match inv.status {
        Status::Open => {
            inv.status = Status::Uncollectible;
            inv.marked_uncollectible_at = Some(now);
            inv.auto_advance = false;
            Ok(())
        }
        Status::Uncollectible => Err(ApiError::invalid(
            "This invoice has already been marked uncollectible.",
        )),
        _ => Err(wrong_state_isnt_open()),
    }
}

/// `DELETE` (§4.5, E3). Items on the deleted draft are not released back to pending: they are
/// reported as deleted.
pub fn delete(store: &mut Store, id: &str) -> Result<(), ApiError> {
    let inv = get(store, id, "invoice")?;
    if inv.status != Status::Draft {
        return Err(ApiError::invalid("You can only delete draft invoices."));
    }
    let items = inv.items.clone();
    for item in items {
        if let Some(i) = store.items.get_mut(&item) {
            i.deleted = true;
        }
    }
    if let Some(inv) = store.invoices.get_mut(id) {
        inv.deleted = true;
    }
    Ok(())
}
