//! The invoice surface beyond the core transitions: money with discounts, tax rates and
//! shipping; line edits; previews; invoice payments and attach_payment; revisions; expansions;
//! customer settings; automatic tax.

use serde_json::{json, Value};

use super::{id, Api};

async fn coupon(api: &Api, params: &[(&str, &str)]) -> String {
    id(&api.post("/v1/coupons", params).await.ok())
}

async fn tax_rate(api: &Api, pct: &str, inclusive: bool) -> String {
    let incl = if inclusive { "true" } else { "false" };
    id(&api
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", pct),
                ("inclusive", incl),
            ],
        )
        .await
        .ok())
}

#[tokio::test]
async fn discounts_and_taxes_follow_the_arithmetic() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let ten_off = coupon(&api, &[("amount_off", "300"), ("currency", "usd")]).await;
    let half = coupon(&api, &[("percent_off", "50")]).await;
    let vat = tax_rate(&api, "20", false).await;
    let gst = tax_rate(&api, "10", true).await;
    // Line 1: 1000 with its own 50% discount and the invoice's default 20% exclusive VAT.
    api.post(
        "/v1/invoiceitems",
        &[
            ("customer", &cus),
            ("amount", "1000"),
            ("currency", "usd"),
            ("discounts[0][coupon]", &half),
        ],
    )
    .await
    .ok();
    // Line 2: 1100 with its own 10% inclusive GST.
    api.post(
        "/v1/invoiceitems",
        &[
            ("customer", &cus),
            ("amount", "1100"),
            ("currency", "usd"),
            ("tax_rates[0]", &gst),
        ],
    )
    .await
    .ok();
    let inv = api
        .draft(
            &cus,
            &[
                ("discounts[0][coupon]", &ten_off),
                ("default_tax_rates[0]", &vat),
            ],
        )
        .await;
    // Newest first: line 0 is the 1100 item, line 1 the discounted 1000 one.
    let lines = &inv["lines"]["data"];
    assert_eq!(lines[0]["amount"], 1100);
    assert_eq!(lines[1]["amount"], 1000);
    // subtotal: line discounts come off (1100 + 500).
    assert_eq!(inv["subtotal"], 1600);
    // The 300 invoice discount spreads over what is left: 1100:500 → 206 and 94.
    assert_eq!(
        lines[0]["discount_amounts"],
        json!([{"amount": 206, "discount": inv["discounts"][0]}])
    );
    let l1: Vec<i64> = lines[1]["discount_amounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(l1, [500, 94]);
    // Taxes on what is left: GST inside 894 → 81; VAT on 406 → 81.
    assert_eq!(lines[0]["taxes"][0]["amount"], 81);
    assert_eq!(lines[0]["taxes"][0]["tax_behavior"], "inclusive");
    assert_eq!(lines[1]["taxes"][0]["amount"], 81);
    assert_eq!(lines[1]["taxes"][0]["taxable_amount"], 406);
    // total = 1600 − 300 + 81 (exclusive); the inclusive 81 is inside it.
    assert_eq!(inv["total"], 1381);
    assert_eq!(inv["total_excluding_tax"], 1381 - 81 - 81);
    assert_eq!(inv["amount_due"], 1381);
    assert_eq!(inv["total_taxes"].as_array().unwrap().len(), 2);
    assert_eq!(inv["total_discount_amounts"].as_array().unwrap().len(), 2);
    assert_eq!(inv["default_tax_rates"][0]["percentage"], 20.0);
    // Pre-basil: the same money as tax_amounts, total_tax_amounts and `tax`.
    let old = api.at_version("2024-06-20").invoice(&inv).await;
    assert_eq!(old["tax"], 162);
    assert_eq!(old["total_tax_amounts"][0]["inclusive"], true);
    assert_eq!(old["lines"]["data"][0]["tax_rates"][0]["id"], gst.as_str());
    // Unknown coupons and tax rates are Stripe's resource_missing, naming the parameter.
    let e = api
        .post(
            "/v1/invoices",
            &[("customer", &cus), ("discounts[0][coupon]", "nope")],
        )
        .await;
    let e = e.err(400);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["param"], "discounts[0][coupon]");
    let e = api
        .post(
            "/v1/invoices",
            &[
                ("customer", &cus),
                ("default_tax_rates[0]", "txr_nope123456"),
            ],
        )
        .await;
    assert_eq!(e.err(400)["param"], "default_tax_rates[0]");
}

#[tokio::test]
async fn line_edits_on_drafts_only() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let pending = api.item(&cus, 400).await;
    let inv = api
        .draft(&cus, &[("pending_invoice_items_behavior", "exclude")])
        .await;
    let path = format!("/v1/invoices/{}", id(&inv));
    let added = api
        .post(
            &format!("{path}/add_lines"),
            &[
                ("lines[0][invoice_item]", &id(&pending)),
                ("lines[1][amount]", "250"),
                ("lines[1][description]", "Extra"),
                ("invoice_metadata[batch]", "1"),
            ],
        )
        .await
        .ok();
    assert_eq!(added["total"], 650);
    assert_eq!(added["metadata"]["batch"], "1");
    assert_eq!(
        added["lines"]["data"][0]["parent"]["invoice_item_details"]["invoice_item"],
        id(&pending).as_str()
    );
    // The pending item now belongs to the invoice.
    let item = api
        .get(&format!("/v1/invoiceitems/{}", id(&pending)), &[])
        .await
        .ok();
    assert_eq!(item["invoice"], added["id"]);
    let line = added["lines"]["data"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let up = api
        .post(&format!("{path}/lines/{line}"), &[("quantity", "3")])
        .await
        .ok();
    assert_eq!(up["object"], "line_item");
    assert_eq!(up["amount"], 750);
    let e = api
        .post(
            &format!("{path}/lines/il_nope1234567"),
            &[("description", "x")],
        )
        .await;
    assert_eq!(e.err(404)["code"], "resource_missing");
    let removed = api
        .post(
            &format!("{path}/remove_lines"),
            &[("lines[0][id]", &line), ("lines[0][behavior]", "delete")],
        )
        .await
        .ok();
    assert_eq!(removed["total"], 400);
    api.action(&inv, "finalize", &[]).await.ok();
    for (p, form) in [
        (format!("{path}/add_lines"), vec![("lines[0][amount]", "1")]),
        (
            format!("{path}/update_lines"),
            vec![("lines[0][id]", "il_x"), ("lines[0][amount]", "1")],
        ),
    ] {
        let e = api.post(&p, &form).await;
        let e = e.err(400);
        assert_eq!(e["code"], "invoice_not_editable");
        assert_eq!(
            e["message"],
            "Invalid invoice: This invoice is no longer editable"
        );
    }
}

#[tokio::test]
async fn previews_are_not_stored() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let e = api
        .post("/v1/invoices/create_preview", &[("customer", &cus)])
        .await;
    let e = e.err(404);
    assert_eq!(e["code"], "invoice_upcoming_none");
    api.item(&cus, 1000).await;
    let c = coupon(&api, &[("percent_off", "10")]).await;
    let pv = api
        .post(
            "/v1/invoices/create_preview",
            &[
                ("customer", &cus),
                ("discounts[0][coupon]", &c),
                ("invoice_items[0][amount]", "500"),
                ("invoice_items[0][currency]", "usd"),
            ],
        )
        .await
        .ok();
    assert_eq!(pv["total"], 1350);
    assert_eq!(pv["billing_reason"], "upcoming");
    assert_eq!(pv["webhooks_delivered_at"], Value::Null);
    // Nothing was created: one pending item, no invoice.
    let items = api
        .get("/v1/invoiceitems", &[("customer", &cus)])
        .await
        .ok();
    assert_eq!(items["data"].as_array().unwrap().len(), 1);
    let invs = api.get("/v1/invoices", &[("customer", &cus)]).await.ok();
    assert_eq!(invs["data"], json!([]));
    // Pre-basil upcoming lines page with stable temporary ids.
    let old = api.at_version("2024-12-18.acacia");
    old.item(&cus, 300).await;
    let first = old
        .get(
            "/v1/invoices/upcoming/lines",
            &[("customer", &cus), ("limit", "1")],
        )
        .await
        .ok();
    assert_eq!(first["has_more"], true);
    let after = first["data"][0]["id"].as_str().unwrap().to_string();
    let second = old
        .get(
            "/v1/invoices/upcoming/lines",
            &[
                ("customer", &cus),
                ("limit", "1"),
                ("starting_after", &after),
            ],
        )
        .await
        .ok();
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);
    assert_eq!(second["url"], "/v1/invoices/upcoming/lines");
}

#[tokio::test]
async fn invoice_payments_and_attach_payment() {
    let api = Api::start().await;
    let cus = api
        .customer(&[("invoice_settings[default_payment_method]", "pm_card_visa")])
        .await;
    // A declined attempt leaves an open payment; the retry pays it.
    let inv = api.open_invoice(800, &[]).await;
    let r = api
        .action(&inv, "pay", &[("payment_method", "pm_card_chargeDeclined")])
        .await;
    r.err(402);
    let pays = api
        .get("/v1/invoice_payments", &[("invoice", &id(&inv))])
        .await
        .ok();
    assert_eq!(pays["data"][0]["status"], "open");
    assert_eq!(pays["data"][0]["amount_paid"], Value::Null);
    api.action(&inv, "pay", &[("payment_method", "pm_card_visa")])
        .await
        .ok();
    let pays = api
        .get(
            "/v1/invoice_payments",
            &[("invoice", &id(&inv)), ("status", "paid")],
        )
        .await
        .ok();
    assert_eq!(pays["data"][0]["amount_paid"], 800);
    assert!(
        pays.get("total_count").is_none(),
        "top-level lists carry no total_count"
    );
    let pi = pays["data"][0]["payment"]["payment_intent"]
        .as_str()
        .unwrap()
        .to_string();
    let by_pi = api
        .get(
            "/v1/invoice_payments",
            &[
                ("payment[type]", "payment_intent"),
                ("payment[payment_intent]", &pi),
            ],
        )
        .await
        .ok();
    assert_eq!(by_pi["data"].as_array().unwrap().len(), 1);
    let e = api
        .get("/v1/invoice_payments", &[("invoice", "in_nope1234567")])
        .await;
    assert_eq!(e.err(400)["param"], "invoice");
    // attach_payment (2025-05-28.basil on): an open payment for the remaining amount.
    let _ = cus;
    let open = api.open_invoice(600, &[]).await;
    let attached = api
        .action(
            &open,
            "attach_payment",
            &[("payment_intent", "pi_1ApPrtyMck0abcdefgh")],
        )
        .await
        .ok();
    assert_eq!(attached["status"], "open");
    let pays = api
        .get("/v1/invoice_payments", &[("invoice", &id(&open))])
        .await
        .ok();
    assert_eq!(pays["data"][0]["amount_requested"], 600);
    assert_eq!(pays["data"][0]["status"], "open");
    // Voiding cancels it.
    api.action(&open, "void", &[]).await.ok();
    let pays = api
        .get("/v1/invoice_payments", &[("invoice", &id(&open))])
        .await
        .ok();
    assert_eq!(pays["data"][0]["status"], "canceled");
}

#[tokio::test]
async fn expansions_render_objects() {
    let api = Api::start().await;
    let cus = api.customer(&[("source", "tok_visa")]).await;
    let got = api
        .get(
            &format!("/v1/customers/{cus}"),
            &[("expand[]", "default_source")],
        )
        .await
        .ok();
    assert!(got["default_source"]["id"]
        .as_str()
        .unwrap()
        .starts_with("card_"));
    assert_eq!(got["default_source"]["object"], "card");
    let half = coupon(&api, &[("percent_off", "50")]).await;
    api.post(
        "/v1/invoiceitems",
        &[
            ("customer", &cus),
            ("amount", "1000"),
            ("currency", "usd"),
            ("discounts[0][coupon]", &half),
        ],
    )
    .await
    .ok();
    let inv = api.draft(&cus, &[]).await;
    let lines = api
        .get(
            &format!("/v1/invoices/{}/lines", id(&inv)),
            &[("expand[]", "data.discounts")],
        )
        .await
        .ok();
    let d = &lines["data"][0]["discounts"][0];
    assert_eq!(d["object"], "discount");
    assert_eq!(d["source"]["coupon"]["id"], half.as_str());
    // Through resources: an invoice payment's invoice, and that invoice's discounts.
    let x = api
        .get(
            &format!("/v1/invoices/{}", id(&inv)),
            &[("expand[]", "total_discount_amounts.discount.source.coupon")],
        )
        .await
        .ok();
    assert_eq!(
        x["total_discount_amounts"][0]["discount"]["object"],
        "discount"
    );
    let e = api
        .get(
            &format!("/v1/invoices/{}", id(&inv)),
            &[("expand[]", "lines.data.nope")],
        )
        .await;
    assert_eq!(
        e.err(400)["message"],
        "This property cannot be expanded (nope)."
    );
}

#[tokio::test]
async fn customer_settings_and_refusals() {
    let api = Api::start().await;
    let c = api
        .post(
            "/v1/customers",
            &[
                ("email", "jenny@example.com"),
                ("cash_balance[settings][reconciliation_mode]", "manual"),
                ("tax[ip_address]", "127.0.0.1"),
                ("invoice_settings[custom_fields][0][name]", "PO"),
                ("invoice_settings[custom_fields][0][value]", "1"),
                ("expand[]", "tax"),
                ("expand[]", "cash_balance"),
            ],
        )
        .await
        .ok();
    assert_eq!(c["tax"]["ip_address"], "127.0.0.1");
    assert_eq!(c["tax"]["automatic_tax"], "unrecognized_location");
    assert_eq!(
        c["cash_balance"]["settings"]["reconciliation_mode"],
        "manual"
    );
    assert_eq!(c["invoice_settings"]["custom_fields"][0]["name"], "PO");
    // The customer's custom fields become the invoice's.
    let inv = api.draft(&id(&c), &[]).await;
    assert_eq!(inv["custom_fields"][0]["value"], "1");
    let e = api
        .post("/v1/customers", &[("test_clock", "clock_123456789")])
        .await;
    let e = e.err(400);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["param"], "test_clock");
    // Connect parameters are refused explicitly, naming the parameter.
    let e = api
        .post(
            "/v1/invoices",
            &[
                ("customer", c["id"].as_str().unwrap()),
                ("on_behalf_of", "acct_1"),
            ],
        )
        .await;
    let e = e.err(400);
    assert_eq!(e["param"], "on_behalf_of");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("does not support the parameter on_behalf_of"));
    // Pre-basil customer coupons become the customer's discount and apply to new invoices.
    let old = api.at_version("2024-06-20");
    let ten = coupon(&api, &[("percent_off", "10")]).await;
    let oc = old.post("/v1/customers", &[("coupon", &ten)]).await.ok();
    assert_eq!(oc["discount"]["coupon"]["id"], ten.as_str());
    old.item(&id(&oc), 1000).await;
    let inv = old.draft(&id(&oc), &[]).await;
    assert_eq!(inv["total"], 900);
    assert_eq!(inv["discount"]["object"], "discount");
}

#[tokio::test]
async fn automatic_tax_needs_a_location() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 1000).await;
    let inv = api.draft(&cus, &[("automatic_tax[enabled]", "true")]).await;
    assert_eq!(inv["automatic_tax"]["enabled"], true);
    assert_eq!(inv["automatic_tax"]["status"], "requires_location_inputs");
    assert_eq!(inv["automatic_tax"]["liability"], json!({"type": "self"}));
    let e = api.action(&inv, "finalize", &[]).await;
    assert_eq!(e.err(400)["code"], "customer_tax_location_invalid");
    api.post(
        &format!("/v1/customers/{cus}"),
        &[
            ("address[country]", "US"),
            ("address[postal_code]", "94107"),
        ],
    )
    .await
    .ok();
    let inv = api.invoice(&inv).await;
    assert_eq!(inv["automatic_tax"]["status"], "complete");
    let open = api.action(&inv, "finalize", &[]).await.ok();
    assert_eq!(open["status"], "open");
    assert_eq!(open["total"], 1000, "no tax registrations in the mock");
}

#[tokio::test]
async fn invoice_items_priced_every_way() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let prod = id(&api.post("/v1/products", &[("name", "Seat")]).await.ok());
    let price = id(&api
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "1200"),
                ("product", &prod),
            ],
        )
        .await
        .ok());
    let by_price = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus),
                ("pricing[price]", &price),
                ("quantity", "2"),
            ],
        )
        .await
        .ok();
    assert_eq!(by_price["amount"], 2400);
    assert_eq!(
        by_price["description"], "Seat",
        "named after the product (recorded)"
    );
    let by_data = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus),
                ("price_data[currency]", "usd"),
                ("price_data[product]", &prod),
                ("price_data[unit_amount_decimal]", "33.5"),
                ("quantity_decimal", "2"),
            ],
        )
        .await
        .ok();
    assert_eq!(by_data["amount"], 67);
    assert_eq!(by_data["quantity_decimal"], "2");
    assert_eq!(by_data["pricing"]["unit_amount_decimal"], "33.5");
    let e = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus),
                ("amount", "100"),
                ("pricing[price]", &price),
            ],
        )
        .await;
    assert_eq!(e.err(400)["code"], "parameters_exclusive");
    // Equal one-off amounts share their inactive price and product (recorded).
    let a = api.item(&cus, 999).await;
    let b = api.item(&cus, 999).await;
    assert_eq!(a["pricing"]["price_details"], b["pricing"]["price_details"]);
    // Pre-basil spelling.
    let old = api.at_version("2024-06-20");
    let legacy = old
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus),
                ("unit_amount", "50"),
                ("quantity", "3"),
                ("currency", "usd"),
            ],
        )
        .await
        .ok();
    assert_eq!(legacy["amount"], 150);
    assert_eq!(legacy["unit_amount"], 50);
    assert_eq!(legacy["price"]["active"], false);
}
