//! The recorder's account settings, as the recorded bodies show them: the scenario's
//! `account:` (sent to the embedded mock only), so a Canadian account's flow replays as one.

use serde_json::Value;

use super::Exchange;
use crate::scenario::Account;

/// What the recording shows of its account: the country invoices name, whether drafts keep
/// `webhooks_delivered_at` null (the account has webhook endpoints), and the currency of an
/// invoice created without one (the account's default when nothing else decided it).
///
/// Webhooks: a cassette recorded over several sessions can show both (endpoints added between
/// them); the drafts the cassette created decide by majority (ties: endpoints), listed drafts
/// only when it created none. The other sessions' steps then differ, and are baselined.
pub(super) fn account_of(exchanges: &[Exchange]) -> Account {
    let mut out = Account::default();
    // (null, stamped) among created drafts, then among listed ones.
    let mut created = (0usize, 0usize);
    let mut listed = (0usize, 0usize);
    for e in exchanges.iter().filter(|e| (200..300).contains(&e.status)) {
        let created_bare = e.method == "POST"
            && e.path == "/v1/invoices"
            && !e.form.iter().any(|(k, _)| k == "currency");
        for (top, inv) in invoices(&e.body) {
            if out.country.is_none() {
                out.country = inv
                    .get("account_country")
                    .and_then(Value::as_str)
                    .filter(|c| crate::mock::account_country(c).is_some())
                    .map(str::to_string);
            }
            // Only a draft tells: once finalized, Stripe sets the stamp on delivery either way.
            if inv.get("status").and_then(Value::as_str) == Some("draft") {
                let tally = if top && e.method == "POST" && e.path == "/v1/invoices" {
                    &mut created
                } else {
                    &mut listed
                };
                match inv.get("webhooks_delivered_at") {
                    Some(Value::Null) => tally.0 += 1,
                    Some(Value::Number(_)) => tally.1 += 1,
                    _ => {}
                }
            }
            if top && created_bare && out.currency.is_none() {
                out.currency = inv
                    .get("currency")
                    .and_then(Value::as_str)
                    .filter(|c| crate::mock::account_currency(c).is_some())
                    .map(str::to_string);
            }
        }
    }
    let (null, stamped) = if created != (0, 0) { created } else { listed };
    if null + stamped > 0 {
        out.webhook_endpoints = Some(null >= stamped);
    }
    out
}

/// The invoices of a body: itself, or a list's or search's `data` (flag: the body itself).
fn invoices(body: &Value) -> Vec<(bool, &Value)> {
    let is_invoice = |v: &Value| v.get("object").and_then(Value::as_str) == Some("invoice");
    if is_invoice(body) {
        return vec![(true, body)];
    }
    body.get("data")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter(|v| is_invoice(v))
                .map(|v| (false, v))
                .collect()
        })
        .unwrap_or_default()
}
