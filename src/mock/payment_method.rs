//! Payment methods, as far as invoice flows need them: `POST /v1/payment_methods/:id/attach`
//! of a Stripe test token (`pm_card_visa`, `pm_card_mastercard`, …) mints a card payment method
//! attached to the customer, as Stripe's test mode does (recorded: pay-rails attaches
//! `pm_card_visa` and makes it the customer's default before paying). Elsewhere payment
//! methods stay unstored: any `pm_…` id is accepted by shape where one is referenced
//! (`customer::check_payment_method`).

use serde_json::{json, Value};

use super::error::ApiError;
use super::ids;
use super::params::P;
use super::render::ordered;
use super::store::{Ctx, Store};

/// A payment method the mock minted from a test token.
#[derive(Clone, Debug)]
pub struct PaymentMethod {
    pub id: String,
    pub created: i64,
    pub customer: Option<String>,
    pub brand: &'static str,
    pub last4: &'static str,
    pub exp_month: u32,
    pub exp_year: i64,
    pub fingerprint: String,
}

/// The card test tokens the mock knows (Stripe's documented ones for cards), with brand and
/// last four digits. `chargeDeclined` and `chargeCustomerFail` decline at charge (the same
/// rule as for any id containing them).
const TOKENS: &[(&str, &str, &str)] = &[
    ("pm_card_visa", "visa", "4242"),
    ("pm_card_visa_debit", "visa", "5556"),
    ("pm_card_mastercard", "mastercard", "4444"),
    ("pm_card_mastercard_debit", "mastercard", "8210"),
    ("pm_card_amex", "amex", "8431"),
    ("pm_card_discover", "discover", "1117"),
    ("pm_card_chargeDeclined", "visa", "0002"),
    ("pm_card_chargeCustomerFail", "visa", "0341"),
];

/// `POST /v1/payment_methods/:id/attach` with `customer`: a test token mints a new card
/// payment method attached to the customer; one the mock minted before is (re)attached.
/// Anything else is 404 `No such PaymentMethod`, since the mock holds no other.
pub fn attach(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let customer = p.str("customer").unwrap_or_default().to_string();
    match store.customers.get(&customer) {
        Some(c) if !c.deleted => {}
        _ => return Err(ApiError::no_such("customer", &customer, "customer").status(400)),
    }
    let pm_id = if let Some((token, brand, last4)) = TOKENS.iter().find(|(t, _, _)| *t == id) {
        // Test cards expire a year from now, in this month.
        let (year, month) = year_month(ctx.now);
        let mut pm_id = ids::object_id("pm", ctx.now);
        if token.contains("charge") {
            // Keeps the decline rule (ids containing chargeDeclined / chargeCustomerFail).
            pm_id.push_str(&token["pm_card_".len()..]);
        }
        let pm = PaymentMethod {
            id: pm_id.clone(),
            created: ctx.now,
            customer: None,
            brand,
            last4,
            exp_month: month,
            exp_year: year + 1,
            fingerprint: ids::random_alnum(16),
        };
        store.payment_methods.insert(pm_id.clone(), pm);
        pm_id
    } else if store.payment_methods.contains_key(id) {
        id.to_string()
    } else {
        return Err(ApiError::no_such("PaymentMethod", id, "payment_method"));
    };
    let pm = store
        .payment_methods
        .get_mut(&pm_id)
        .expect("minted or found above");
    pm.customer = Some(customer);
    Ok(render(pm))
}

/// The civil year and month of a Unix time (UTC).
fn year_month(t: i64) -> (i64, u32) {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0).unsigned_abs());
    let text = humantime::format_rfc3339_seconds(at).to_string();
    let year = text[..4].parse().unwrap_or(1970);
    let month = text[5..7].parse().unwrap_or(1);
    (year, month)
}

/// The recorded card payment method shape (pay-rails, 2025-10-29.clover … dahlia).
pub fn render(pm: &PaymentMethod) -> Value {
    let address = json!({"city": null, "country": null, "line1": null, "line2": null,
        "postal_code": null, "state": null});
    ordered(vec![
        ("id", json!(pm.id)),
        ("object", json!("payment_method")),
        ("allow_redisplay", json!("unspecified")),
        (
            "billing_details",
            json!({"address": address, "email": null, "name": null, "phone": null,
                "tax_id": null}),
        ),
        (
            "card",
            json!({
                "brand": pm.brand,
                "checks": {"address_line1_check": null, "address_postal_code_check": null,
                    "cvc_check": "pass"},
                "country": "US",
                "display_brand": pm.brand,
                "exp_month": pm.exp_month,
                "exp_year": pm.exp_year,
                "fingerprint": pm.fingerprint,
                "funding": if pm.last4 == "5556" || pm.last4 == "8210" { "debit" } else { "credit" },
                "generated_from": null,
                "last4": pm.last4,
                "networks": {"available": [pm.brand], "preferred": null},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {"supported": true},
                "wallet": null,
            }),
        ),
        ("created", json!(pm.created)),
        ("customer", json!(pm.customer)),
        ("livemode", json!(false)),
        ("metadata", json!({})),
        ("type", json!("card")),
    ])
}
