//! Invoice payments (basil on, `inpay_…`): `GET /v1/invoice_payments`, `/:id`, and
//! `POST /v1/invoices/:id/attach_payment`. A card `/pay` records one (status `paid`, or `open`
//! after a decline, as the PaymentIntent stays open); an out-of-band payment records none (the
//! object's `payment.type` has no out-of-band value).

use serde_json::Value;

use super::{get, Status};
use crate::mock::error::ApiError;
use crate::mock::ids;
use crate::mock::list::{self, paginate};
use crate::mock::params::P;
use crate::mock::render;
use crate::mock::store::{Ctx, SortKey, Store};

#[derive(Clone, Debug)]
pub struct InvoicePayment {
    pub id: String,
    pub seq: u64,
    pub created: i64,
    pub invoice: String,
    pub amount_paid: Option<i64>,
    pub amount_requested: i64,
    pub currency: String,
    pub is_default: bool,
    /// `payment_intent` (the only payment type the mock records).
    pub payment_intent: String,
    /// `open`, `paid` or `canceled`.
    pub status: &'static str,
    pub paid_at: Option<i64>,
    pub canceled_at: Option<i64>,
}

impl InvoicePayment {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }
}

/// Records (or updates) the default payment of a card attempt on `invoice`.
pub fn record_attempt(
    store: &mut Store,
    invoice: &str,
    pi: &str,
    amount: i64,
    paid: bool,
    now: i64,
) {
    let currency = store
        .invoices()
        .get(invoice)
        .map(|i| i.currency.clone())
        .unwrap_or_default();
    let existing = store
        .invoice_payment_ids(invoice)
        .iter()
        .find(|id| {
            store
                .payments
                .get(*id)
                .is_some_and(|p| p.payment_intent == pi)
        })
        .cloned();
    match existing {
        Some(id) => {
            if let Some(p) = store.payments.get_mut(&id) {
                if paid {
                    p.status = "paid";
                    p.amount_paid = Some(amount);
                    p.paid_at = Some(now);
                }
            }
        }
        None => {
            let is_default = store.invoice_payment_ids(invoice).is_empty();
            let seq = store.next_seq();
            let p = InvoicePayment {
                id: ids::object_id("inpay", now),
                seq,
                created: now,
                invoice: invoice.to_string(),
                amount_paid: paid.then_some(amount),
                amount_requested: amount,
                currency,
                is_default,
                payment_intent: pi.to_string(),
                status: if paid { "paid" } else { "open" },
                paid_at: paid.then_some(now),
                canceled_at: None,
            };
            store.insert_payment(p);
        }
    }
}

/// Cancels the open payments of a voided invoice.
pub fn cancel_open(store: &mut Store, invoice: &str, now: i64) {
    let ids = store.invoice_payment_ids(invoice).to_vec();
    for id in ids {
        if let Some(p) = store.payments.get_mut(&id) {
            if p.status == "open" {
                p.status = "canceled";
                p.canceled_at = Some(now);
            }
        }
    }
}

pub fn retrieve(store: &Store, id: &str, ctx: &Ctx) -> Result<Value, ApiError> {
    match store.payments.get(id) {
        Some(p) => Ok(render::invoice_payment(p, ctx)),
        None => Err(ApiError::no_such("invoice payment", id, "id")),
    }
}

pub fn list(store: &Store, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    if let Some(inv) = p.str("invoice") {
        get(store, inv, "invoice").map_err(|e| e.status(400))?;
    }
    let pi = p
        .get("payment")
        .and_then(|x| x.get("payment_intent"))
        .and_then(Value::as_str);
    if p.get("payment")
        .and_then(|x| x.get("payment_record"))
        .is_some()
    {
        return Err(crate::mock::params::unsupported("payment[payment_record]"));
    }
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let cursor = |id: &str, param: &str| -> Result<SortKey, ApiError> {
        store
            .payments
            .get(id)
            .map(InvoicePayment::sort_key)
            .ok_or_else(|| list::bad_cursor("invoice payment", id, param))
    };
    let after = after.map(|id| cursor(id, "starting_after")).transpose()?;
    let before = before.map(|id| cursor(id, "ending_before")).transpose()?;
    let all: Box<dyn Iterator<Item = &InvoicePayment>> = match p.str("invoice") {
        Some(i) => Box::new(
            store
                .invoice_payment_ids(i)
                .iter()
                .filter_map(|id| store.payments.get(id)),
        ),
        None => Box::new(store.payments.values()),
    };
    let mut rows: Vec<(SortKey, &InvoicePayment)> = all
        .filter(|x| p.str("status").is_none_or(|s| x.status == s))
        .filter(|x| pi.is_none_or(|pi| x.payment_intent == pi))
        .filter(|x| list::in_range(p.get("created"), Some(x.created)))
        .map(|x| (x.sort_key(), x))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let page = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, before);
    let data = page
        .items
        .into_iter()
        .map(|x| render::invoice_payment(x, ctx))
        .collect();
    Ok(list::list_body(data, page.has_more, "/v1/invoice_payments"))
}

/// `attach_payment[payment_intent]`: the PaymentIntent is not stored by the mock, so it is
/// recorded as an `open` payment of the invoice's remaining amount; nothing is paid until a
/// `/pay` (the mock cannot confirm an outside PaymentIntent). Open invoices only.
pub fn attach(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = get(store, id, "id")?;
    if p.get("payment_record").is_some() {
        return Err(crate::mock::params::unsupported("payment_record"));
    }
    let Some(pi) = p.str("payment_intent") else {
        return Err(ApiError::invalid(
            "You must provide one of `payment_intent` or `payment_record`.",
        ));
    };
    if !(pi.starts_with("pi_") && pi.len() > 3) {
        return Err(ApiError::no_such("payment_intent", pi, "payment_intent").status(400));
    }
    if inv.status != Status::Open {
        return Err(super::wrong_state_isnt_open());
    }
    let remaining = super::money(store, inv).amount_remaining;
    record_attempt(store, id, pi, remaining, false, ctx.now);
    Ok(())
}
