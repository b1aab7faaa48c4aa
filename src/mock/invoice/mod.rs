//! The invoice model and its money arithmetic (reference §3.3): line and invoice discounts,
//! tax rates, shipping, the customer balance. The state machine is in `transitions.rs`, the
//! `/v1/invoices` endpoints in `api.rs`, line edits in `lines.rs`, previews in `preview.rs`,
//! invoice payments in `payments.rs`.

use indexmap::IndexMap;
use serde_json::Value;

pub mod api;
pub mod lines;
pub mod payments;
pub mod preview;
mod transitions;

pub use transitions::*;

use super::catalog::discount_amount;
use super::customer::CustomerCopy;
use super::error::ApiError;
use super::invoice_item::InvoiceItem;
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
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Open,
        Status::Paid,
        Status::Uncollectible,
        Status::Void,
    ];

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

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
    /// The stable `<acct>/<token>` of `hosted_invoice_url` / `invoice_pdf`, minted at
    /// finalization for the account that finalized it.
    pub url_token: Option<String>,
    /// The frozen `customer_*` copies; `None` while draft.
    pub customer_copy: Option<CustomerCopy>,
    /// Pre-basil `charge` / `payment_intent`: set by a card payment attempt.
    pub charge: Option<String>,
    pub payment_intent: Option<String>,
    /// Invoice-level discounts (`di_…`).
    pub discounts: Vec<String>,
    pub default_tax_rates: Vec<String>,
    pub account_tax_ids: Option<Vec<String>>,
    pub default_source: Option<String>,
    /// `payment_settings` as rendered (`{default_mandate, payment_method_options,
    /// payment_method_types}`), options as given.
    pub payment_settings: Value,
    pub rendering: Rendering,
    /// Pre-2024-04-10 `rendering_options` as given.
    pub rendering_options: Option<Value>,
    pub shipping_cost: Option<Shipping>,
    pub shipping_details: Option<Value>,
    /// `automatic_tax[enabled]`.
    pub automatic_tax: bool,
    /// `issuer` (`{type: "self"}` unless set).
    pub issuer: Value,
    /// A revision's origin: `(action, invoice)`.
    pub from_invoice: Option<(String, String)>,
    pub latest_revision: Option<String>,
}

/// `rendering` settings; `page_size` unset renders `auto` on drafts and `letter` once finalized
/// (recorded).
#[derive(Clone, Debug, Default)]
pub struct Rendering {
    pub amount_tax_display: Option<String>,
    pub page_size: Option<String>,
    pub template: Option<String>,
    pub template_version: Option<i64>,
}

/// `shipping_cost[shipping_rate_data]`: a fixed amount (minted as a `shr_…` rate).
#[derive(Clone, Debug)]
pub struct Shipping {
    pub rate: String,
    pub amount: i64,
}

impl Invoice {
    pub fn sort_key(&self) -> SortKey {
        (self.created, self.seq)
    }

    pub fn charge_automatically(&self) -> bool {
        self.collection_method == "charge_automatically"
    }
}

/// One line's money: its amount, the discounts on it (its own first, then its share of the
/// invoice's), and its taxes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineMoney {
    pub amount: i64,
    /// `(discount id, amount)`.
    pub discount_amounts: Vec<(String, i64)>,
    /// The line's own discounts only.
    pub own_discounts: i64,
    pub taxes: Vec<Tax>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tax {
    pub rate: String,
    pub amount: i64,
    pub inclusive: bool,
    pub taxable_amount: i64,
}

/// Money of one invoice, with draft values computed from live state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Money {
    pub lines: Vec<LineMoney>,
    pub subtotal: i64,
    pub subtotal_excluding_tax: i64,
    pub total: i64,
    pub total_excluding_tax: i64,
    /// Every discount of the invoice and its lines, `(id, amount)`, in first-use order.
    pub total_discounts: Vec<(String, i64)>,
    /// Per tax rate, in first-use order.
    pub total_taxes: Vec<Tax>,
    pub shipping: i64,
    pub starting_balance: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub amount_remaining: i64,
    pub ending_balance: Option<i64>,
}

fn add_to(list: &mut Vec<(String, i64)>, id: &str, amount: i64) {
    match list.iter_mut().find(|(d, _)| d == id) {
        Some(e) => e.1 = e.1.saturating_add(amount),
        None => list.push((id.to_string(), amount)),
    }
}

/// The items of an invoice, in line order.
pub fn items_of<'a>(store: &'a Store, inv: &Invoice) -> Vec<&'a InvoiceItem> {
    inv.items
        .iter()
        .filter_map(|id| store.items.get(id))
        .collect()
}

/// The invoice arithmetic (reference §3.3, recorded in 2025-10-29 discounts):
/// * line discounts come off the line: `subtotal = Σ (amount − own discounts)`;
/// * invoice discounts spread over discountable lines in proportion to what is left of them;
/// * taxes use the line's tax rates, else the invoice's default ones, on what is left of the
///   line after discounts (exclusive rates add to the total, inclusive ones are inside it);
/// * `total = subtotal − invoice discounts + exclusive taxes + shipping`;
/// * `amount_due = max(0, total + starting_balance)`; `ending_balance = starting_balance + total
///   − amount_due`. A draft uses the customer's current balance (the mock's choice for the [U]
///   "does a draft's amount_due reflect the balance"); finalization snapshots it.
///
/// Sums saturate: an unbounded pending sweep must not be able to overflow.
pub fn money(store: &Store, inv: &Invoice) -> Money {
    let items = items_of(store, inv);
    let mut lines: Vec<LineMoney> = items
        .iter()
        .map(|i| {
            let mut lm = LineMoney {
                amount: i.amount,
                ..LineMoney::default()
            };
            let mut left = i.amount;
            for d in &i.discounts {
                let off = discount_amount(store, d, left);
                left -= off;
                lm.own_discounts += off;
                lm.discount_amounts.push((d.clone(), off));
            }
            lm
        })
        .collect();
    let subtotal = lines
        .iter()
        .fold(0i64, |a, l| a.saturating_add(l.amount - l.own_discounts));
    // Invoice-level discounts, each on what the previous ones left.
    let mut invoice_discount_total = 0i64;
    for d in &inv.discounts {
        let net: Vec<i64> = items
            .iter()
            .zip(&lines)
            .map(|(i, l)| {
                let left = l.amount - l.discount_amounts.iter().map(|x| x.1).sum::<i64>();
                if i.discountable {
                    left.max(0)
                } else {
                    0
                }
            })
            .collect();
        let base: i64 = net.iter().sum();
        let off = discount_amount(store, d, base);
        if off == 0 || base == 0 {
            continue;
        }
        invoice_discount_total += off;
        // Proportional shares, the rounding remainder on the last line with room.
        let mut given = 0i64;
        let last = net.iter().rposition(|n| *n > 0).unwrap_or(0);
        for (k, n) in net.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let share = if k == last {
                off - given
            } else {
                ((off as i128 * *n as i128) / base as i128) as i64
            };
            given += share;
            lines[k].discount_amounts.push((d.clone(), share));
        }
    }
    let mut total_discounts = Vec::new();
    for l in &lines {
        for (d, a) in &l.discount_amounts {
            add_to(&mut total_discounts, d, *a);
        }
    }
    for d in &inv.discounts {
        if !total_discounts.iter().any(|(x, _)| x == d) {
            total_discounts.push((d.clone(), 0));
        }
    }
    // Taxes.
    let mut exclusive = 0i64;
    let mut inclusive = 0i64;
    let mut total_taxes: Vec<Tax> = Vec::new();
    for (i, l) in items.iter().zip(lines.iter_mut()) {
        let rates = if i.tax_rates.is_empty() {
            &inv.default_tax_rates
        } else {
            &i.tax_rates
        };
        let net = l.amount - l.discount_amounts.iter().map(|x| x.1).sum::<i64>();
        for r in rates {
            let Some(rate) = store.tax_rates.get(r) else {
                continue;
            };
            let pct = rate.percentage / 100.0;
            let (amount, taxable) = if rate.inclusive {
                let tax = (net as f64 - net as f64 / (1.0 + pct)).round() as i64;
                (tax, net - tax)
            } else {
                ((net as f64 * pct).round() as i64, net)
            };
            if rate.inclusive {
                inclusive += amount;
            } else {
                exclusive += amount;
            }
            l.taxes.push(Tax {
                rate: r.clone(),
                amount,
                inclusive: rate.inclusive,
                taxable_amount: taxable,
            });
            match total_taxes.iter_mut().find(|t| t.rate == *r) {
                Some(t) => {
                    t.amount += amount;
                    t.taxable_amount += taxable;
                }
                None => total_taxes.push(Tax {
                    rate: r.clone(),
                    amount,
                    inclusive: rate.inclusive,
                    taxable_amount: taxable,
                }),
            }
        }
    }
    let shipping = inv.shipping_cost.as_ref().map_or(0, |s| s.amount);
    let total = subtotal
        .saturating_sub(invoice_discount_total)
        .saturating_add(exclusive)
        .saturating_add(shipping);
    let live_balance = store.customers.get(&inv.customer).map_or(0, |c| c.balance);
    let starting_balance = inv.starting_balance.unwrap_or(live_balance);
    let amount_due = inv
        .amount_due
        .unwrap_or_else(|| total.saturating_add(starting_balance).max(0));
    Money {
        lines,
        subtotal,
        subtotal_excluding_tax: subtotal - inclusive,
        total,
        total_excluding_tax: total - exclusive - inclusive,
        total_discounts,
        total_taxes,
        shipping,
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
    match store.invoices().get(id) {
        Some(i) if !i.deleted => Ok(i),
        _ => Err(ApiError::no_such("invoice", id, param)),
    }
}

pub(super) fn get_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Invoice, ApiError> {
    match store.invoice_mut(id) {
        Some(i) if !i.deleted => Ok(i),
        _ => Err(ApiError::no_such("invoice", id, "id")),
    }
}
