//! The invoice state machine (reference §4.2–4.4, refusals of §2.5): finalize, pay, send, void,
//! mark_uncollectible, delete. Transitions are plain functions on the `Store`: the server calls
//! them with the store lock held, so each one is atomic.

use super::payments;
use super::{get, get_mut, money, wrong_state_isnt_open, Invoice, Status};
use crate::mock::customer::{check_payment_method, CustomerCopy};
use crate::mock::error::ApiError;
use crate::mock::ids;
use crate::mock::store::{Ctx, Store};

/// draft → open, or → paid when nothing is due (§4.2, §4.4). Applies the customer balance,
/// assigns the number, mints the URLs and freezes the customer copies. Callers check E2.
pub fn finalize(
    store: &mut Store,
    id: &str,
    ctx: &Ctx,
    auto_advance: Option<bool>,
) -> Result<(), ApiError> {
    let now = ctx.now;
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
    inv.url_token = Some(format!(
        "{}/{}",
        ctx.account_id,
        ids::invoice_url_token(&ctx.account_id)
    ));
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
    // A finalized revision replaces its original, which becomes void.
    if let Some((_, original)) = inv.from_invoice.clone() {
        if let Some(o) = store.invoice_mut(&original) {
            if matches!(o.status, Status::Open | Status::Uncollectible) {
                o.status = Status::Void;
                o.voided_at = Some(now);
                o.auto_advance = false;
            }
            o.latest_revision = Some(id.to_string());
        }
        payments::cancel_open(store, &original, now);
    }
    Ok(())
}

/// Finalization needs a customer location when automatic tax is on ([U]: Stripe's
/// `customer_tax_location_invalid`; the mock has no tax registrations, so a known location
/// always yields zero tax).
pub fn check_tax_location(store: &Store, inv: &Invoice) -> Result<(), ApiError> {
    if inv.automatic_tax && !super::api::has_tax_location(store, &inv.customer) {
        return Err(ApiError::invalid(
            "The customer's location isn't recognized. Add a valid address (country and postal \
             code) to the customer before finalizing an invoice with automatic tax.",
        )
        .code("customer_tax_location_invalid"));
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
pub fn pay(store: &mut Store, id: &str, args: &PayArgs, ctx: &Ctx) -> Result<(), ApiError> {
    let now = ctx.now;
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
    if inv.status == Status::Draft {
        check_tax_location(store, inv)?;
    }
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
        finalize(store, id, ctx, None)?;
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
        let pi = inv.payment_intent.clone().unwrap_or_default();
        let declined = method.as_deref().is_some_and(declines);
        if ctx.basil {
            payments::record_attempt(store, id, &pi, due, !declined, now);
        }
        if declined {
            return Err(ApiError::card_declined(charge));
        }
    }
    let inv = get_mut(store, id)?;
    inv.status = Status::Paid;
    inv.paid_at = Some(now);
    inv.amount_paid = due;
    inv.auto_advance = false;
    Ok(())
}

/// `/send` (§4.2, E15–E18).
pub fn send(store: &mut Store, id: &str, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = get(store, id, "invoice")?;
    if inv.status == Status::Draft {
        check_tax_location(store, inv)?;
    }
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
        finalize(store, id, ctx, None)?;
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
            payments::cancel_open(store, id, ctx.now);
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
/// reported as deleted. Both are freed (the store keeps their ids).
pub fn delete(store: &mut Store, id: &str) -> Result<(), ApiError> {
    let inv = get(store, id, "invoice")?;
    if inv.status != Status::Draft {
        return Err(ApiError::invalid("You can only delete draft invoices."));
    }
    for item in inv.items.clone() {
        store.delete_item(&item);
    }
    store.delete_invoice(id);
    Ok(())
}
