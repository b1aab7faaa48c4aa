//! The recorder's account settings, as the recorded bodies show them: the scenario's
//! `account:` (sent to apiparity's mock only), so a Canadian account's flow replays as one.

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
pub(super) fn account_of<'a>(exchanges: impl IntoIterator<Item = &'a Exchange>) -> Account {
    let mut out = Account::default();
    // (null, stamped) among created drafts, then among listed ones.
    let mut created = (0usize, 0usize);
    let mut listed = (0usize, 0usize);
    for e in exchanges
        .into_iter()
        .filter(|e| (200..300).contains(&e.status))
    {
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

/// Per session, where a cassette spans several (recorded on different days, as onetimesecret's
/// do, sometimes on another account): the settings that session's own bodies show and that
/// differ from the scenario's `account:` (`scenario`), for its steps' `account:`. `days` is
/// each exchange's recording day. Account ids: only where the cassette shows more than one
/// (`ids`; the first is the scenario's), so the replay's invoice URLs name as many accounts.
pub(super) fn per_session(
    exchanges: &[Exchange],
    days: &[Option<String>],
    scenario: &Account,
) -> Vec<(Option<String>, Account)> {
    let mut order: Vec<Option<String>> = Vec::new();
    for d in days {
        if !order.contains(d) {
            order.push(d.clone());
        }
    }
    let mut out = Vec::new();
    for day in order {
        let session: Vec<&Exchange> = exchanges
            .iter()
            .zip(days)
            .filter(|(_, d)| **d == day)
            .map(|(e, _)| e)
            .collect();
        let mut own = account_of(session.iter().copied());
        own.id = session
            .iter()
            .find_map(|e| account_ids(&e.body).into_iter().next());
        let differs = |a: &Option<String>, b: &Option<String>| a.is_some() && a != b;
        let over = Account {
            id: own
                .id
                .clone()
                .filter(|_| scenario.id.is_some() && differs(&own.id, &scenario.id)),
            country: own
                .country
                .clone()
                .filter(|_| differs(&own.country, &scenario.country)),
            currency: own
                .currency
                .clone()
                .filter(|_| differs(&own.currency, &scenario.currency)),
            webhook_endpoints: own
                .webhook_endpoints
                .filter(|w| scenario.webhook_endpoints != Some(*w)),
        };
        out.push((day, over));
    }
    out
}

/// The account ids a body's invoice URLs name (`https://invoice.stripe.com/i/acct_…/…`), in
/// document order.
pub(super) fn account_ids(body: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                for prefix in [
                    "https://invoice.stripe.com/i/",
                    "https://pay.stripe.com/invoice/",
                ] {
                    if let Some(rest) = s.strip_prefix(prefix) {
                        let id = rest.split('/').next().unwrap_or("");
                        if crate::mock::account_id(id).is_some() && !out.iter().any(|x| x == id) {
                            out.push(id.to_string());
                        }
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, &mut out);
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
